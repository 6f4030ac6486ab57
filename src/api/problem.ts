// RFC 9457 problem details: every error response of the API, built from the one error catalogue.
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { AnnalsError, type ErrorCode, isAnnalsError } from '../domain/errors.js';

export const PROBLEM_TYPE = 'application/problem+json';

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  instance: string;
  code: ErrorCode;
  [extension: string]: unknown;
}

export function problemType(code: ErrorCode): string {
  return `tag:annals.dev,2026:${code}`;
}

/** Maps anything thrown while handling a request to an AnnalsError (unknown errors become ANN_ERR_INTERNAL). */
export function toAnnalsError(error: unknown): AnnalsError {
  if (isAnnalsError(error)) return error;
  const e = error as FastifyError & { validation?: { instancePath: string; message?: string; params?: Record<string, unknown> }[] };
  if (e.validation && e.validation.length > 0) {
    const v = e.validation[0];
    const part = e.validationContext ?? 'request';
    const name = v.instancePath.replace(/^\//, '') || String(v.params?.missingProperty ?? v.params?.additionalProperty ?? '');
    return new AnnalsError('ANN_ERR_REQUEST_INVALID', `${part} ${name ? `'${name}' ` : ''}${v.message ?? 'is invalid'}`,
      { parameter: name || undefined });
  }
  switch (e.code) {
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new AnnalsError('ANN_ERR_REQUEST_MEDIA_TYPE',
        'send application/json (one event or an array) or application/x-ndjson (one event per line)', { parameter: 'Content-Type' });
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new AnnalsError('ANN_ERR_REQUEST_TOO_LARGE', e.message);
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new AnnalsError('ANN_ERR_REQUEST_MALFORMED_JSON', 'the body is empty; send a JSON document');
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return new AnnalsError('ANN_ERR_REQUEST_MALFORMED_JSON', `the body is not valid JSON: ${e.message}`);
  }
  if (error instanceof SyntaxError) return new AnnalsError('ANN_ERR_REQUEST_MALFORMED_JSON', `the body is not valid JSON: ${error.message}`);
  if (typeof e.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500) {
    return new AnnalsError('ANN_ERR_REQUEST_INVALID', e.message);
  }
  return new AnnalsError('ANN_ERR_INTERNAL', 'the server failed to handle the request; nothing was acknowledged', {}, { cause: error });
}

export function problem(error: AnnalsError, instance: string): Problem {
  const extensions: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(error.details)) if (v !== undefined) extensions[k] = v;
  return {
    type: problemType(error.code),
    title: error.title,
    status: error.status,
    detail: error.message,
    instance,
    code: error.code,
    ...extensions,
  };
}

export function sendProblem(request: FastifyRequest, reply: FastifyReply, error: unknown): FastifyReply {
  const annals = toAnnalsError(error);
  if (annals.status >= 500) request.log.error({ err: error }, 'request failed');
  return reply.code(annals.status).type(PROBLEM_TYPE).send(problem(annals, request.url));
}

