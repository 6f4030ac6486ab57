// RFC 9457 problem details: every error response of the API, built from the one error catalogue.
import { type IncomingMessage, maxHeaderSize, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { AnnalsError, type ErrorCode, isAnnalsError } from '../domain/errors.js';

export const PROBLEM_TYPE = 'application/problem+json';

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  /** The request's path (left out when no request was read). */
  instance?: string;
  code: ErrorCode;
  [extension: string]: unknown;
}

export function problemType(code: ErrorCode): string {
  return `tag:annals.dev,2026:${code}`;
}

interface SchemaError { instancePath: string; keyword?: string; message?: string; params?: Record<string, unknown> }

/**
 * Maps anything thrown while handling `request` to an AnnalsError (unknown errors become ANN_ERR_INTERNAL); the
 * request's route says what a body over its limit, or of the wrong type, should have been.
 */
export function toAnnalsError(error: unknown, request: FastifyRequest): AnnalsError {
  if (isAnnalsError(error)) return error;
  const { bodyLimit } = request.routeOptions;
  const e = error as FastifyError & { validation?: SchemaError[] };
  if (e.validation && e.validation.length > 0) {
    const v = e.validation[0];
    const part = e.validationContext ?? 'request';
    const name = v.instancePath.replace(/^\//, '') || String(v.params?.missingProperty ?? v.params?.additionalProperty ?? '');
    return new AnnalsError('ANN_ERR_REQUEST_INVALID', `${part} ${name ? `'${name}' ` : ''}${schemaMessage(v, e.validation)}`,
      { parameter: name || undefined });
  }
  switch (e.code) {
    // A Content-Type Fastify cannot parse at all (';;;') is as much the wrong media type as one no parser reads.
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return mediaTypeError(request);
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new AnnalsError('ANN_ERR_REQUEST_TOO_LARGE', bodyLimit === undefined ? e.message
        : `the body is over the ${bodyLimit} bytes this route takes: send it in smaller requests`);
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

/** What a schema error says; for a value outside a closed set (an enum, or a union of constants), the set. */
function schemaMessage(first: SchemaError, all: readonly SchemaError[]): string {
  const allowed = first.keyword === 'enum'
    ? (first.params?.allowedValues as unknown[] | undefined) ?? []
    : first.keyword === 'const'
      ? all.filter((x) => x.instancePath === first.instancePath && x.keyword === 'const').map((x) => x.params?.allowedValue)
      : [];
  if (allowed.length > 0) return `must be one of ${allowed.map((a) => JSON.stringify(a)).join(', ')}`;
  return first.message ?? 'is invalid';
}

export function problem(error: AnnalsError, instance?: string): Problem {
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

/** A body of a type the route does not read: what it does read. */
export function mediaTypeError(request: FastifyRequest): AnnalsError {
  const ingest = request.method === 'POST' && request.routeOptions.url === '/v1/orgs/:orgId/events';
  const detail = ingest ? 'send application/json (one event or an array) or application/x-ndjson (one event per line)'
    : request.routeOptions.schema?.body ? 'send application/json' : 'this route takes no body: send none';
  return new AnnalsError('ANN_ERR_REQUEST_MEDIA_TYPE', detail, { parameter: 'Content-Type' });
}

export function sendProblem(request: FastifyRequest, reply: FastifyReply, error: unknown): FastifyReply {
  const annals = toAnnalsError(error, request);
  if (annals.status >= 500) request.log.error({ err: error }, 'request failed');
  // Out of reach for now (the database, say): clients that back off read how long (RFC 9110, 10.2.3).
  if (typeof annals.details.retryAfter === 'number') reply.header('retry-after', annals.details.retryAfter);
  return reply.code(annals.status).type(PROBLEM_TYPE).send(problem(annals, request.url));
}

/**
 * Answers a request whose Expect header asks for something other than 100-continue (which Node answers itself)
 * with a problem document, where Node would answer a bare 417.
 */
export function sendExpectationProblem(request: IncomingMessage, response: ServerResponse): void {
  const annals = new AnnalsError('ANN_ERR_REQUEST_EXPECTATION',
    `the server meets no expectation but 100-continue: send the request without 'Expect: ${String(request.headers.expect).slice(0, 100)}'`,
    { parameter: 'Expect' });
  const body = JSON.stringify(problem(annals, request.url));
  response.writeHead(annals.status, { 'content-type': PROBLEM_TYPE, 'content-length': Buffer.byteLength(body), connection: 'close' });
  response.end(body);
}

/**
 * Answers a request Node's HTTP parser refused before any route saw it (a request line and headers over their
 * limit, a timeout, bytes that are not HTTP) with a problem document too, as Fastify's default answers with JSON.
 */
export function sendClientProblem(error: Error & { code?: string }, socket: Duplex): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const annals = error.code === 'HPE_HEADER_OVERFLOW'
    ? new AnnalsError('ANN_ERR_REQUEST_HEADERS_TOO_LARGE', `the request line and headers are over the ${maxHeaderSize} bytes the server reads: shorten the URL (the query) or the headers`)
    : error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
      ? new AnnalsError('ANN_ERR_REQUEST_TIMEOUT', 'the request did not arrive in time')
      : new AnnalsError('ANN_ERR_REQUEST_INVALID', 'the request is not valid HTTP');
  const body = JSON.stringify(problem(annals));
  // As Node's own rule: answer unless a response on this connection has begun (it may serve several in turn).
  const inFlight = (socket as Duplex & { _httpMessage?: { _headerSent?: boolean } })._httpMessage;
  if (socket.writable && !inFlight?._headerSent) {
    socket.write(`HTTP/1.1 ${annals.status} ${annals.title}\r\nConnection: close\r\nContent-Type: ${PROBLEM_TYPE}\r\n`
      + `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
  }
  socket.destroy(error);
}
