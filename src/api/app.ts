// The HTTP API: a Fastify instance over the services. Thin: parse, call a service, shape the response.
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import type { Annals } from '../annals.js';
import { AnnalsError } from '../domain/errors.js';
import { registerAuth } from './auth.js';
import { ACCEPTED_CODINGS, requestBody } from './content-coding.js';
import { mediaTypeError, sendClientProblem, sendExpectationProblem, sendProblem } from './problem.js';
import { actionRoutes } from './routes/actions.js';
import { adminRoutes } from './routes/admin.js';
import { eventRoutes } from './routes/events.js';
import { healthRoutes } from './routes/health.js';
import { ledgerRoutes } from './routes/ledger.js';
import { type WriterThreadEvent, writerThreadChannel } from '../store/writer-thread.js';

export interface AppOptions {
  /** Largest request body accepted, in bytes (default 10 MiB). */
  bodyLimit?: number;
  logger?: FastifyServerOptions['logger'];
  /**
   * Whether the store's warm-up after a start (Store.warm, begun by `annals serve` once it listens) is still
   * reading: /readyz says so, so that whoever times the server (the benches) can wait for it to finish.
   */
  warming?: () => boolean;
}

const NDJSON_TYPES = ['application/x-ndjson', 'application/ndjson', 'application/jsonl'];

function noProto(key: string, value: unknown): unknown {
  if (key === '__proto__') throw new SyntaxError('an object has a __proto__ member, which is not accepted');
  return value;
}

/** How a whole number is written in a URL: decimal digits, after a minus sign for a negative one. */
const DECIMAL_DIGITS = /^-?[0-9]+$/;

/**
 * The refusal of the first number in `values` (a URL's parameters as sent, before ajv reads them) that is not one:
 * an integer not written in decimal digits (ajv reads `0x10` as 16, `1e2` as 100 and ` 5` as 5), or any number too
 * large for a double (ajv reads `1e309`, or 400 digits, as Infinity, and lets it pass `integer` and `maximum`).
 */
function urlNumberError(values: unknown, schema: unknown, part: string): AnnalsError | undefined {
  const properties = (schema as { properties?: Record<string, { type?: string; items?: { type?: string } }> } | undefined)?.properties;
  if (!properties || values === null || typeof values !== 'object') return undefined;
  for (const [name, value] of Object.entries(values)) {
    const type = properties[name]?.type === 'array' ? properties[name]?.items?.type : properties[name]?.type;
    if (type !== 'integer' && type !== 'number') continue;
    for (const v of Array.isArray(value) ? value : [value]) {
      if (typeof v !== 'string') continue;
      if (type === 'integer' && !DECIMAL_DIGITS.test(v)) {
        return new AnnalsError('ANN_ERR_REQUEST_INVALID', `${part} '${name}' must be a whole number written in decimal digits`, { parameter: name });
      }
      if (!Number.isFinite(Number(v))) {
        return new AnnalsError('ANN_ERR_REQUEST_INVALID', `${part} '${name}' must be a finite number`, { parameter: name });
      }
    }
  }
  return undefined;
}

export async function buildApp(annals: Annals, options: AppOptions = {}): Promise<FastifyInstance> {
  const bodyLimit = options.bodyLimit ?? 10 * 1024 * 1024;
  const app = Fastify({
    logger: options.logger ?? false,
    bodyLimit,
    // Query strings: `action=a&action=b` and single values both arrive as arrays where the schema says array.
    ajv: { customOptions: { coerceTypes: 'array', removeAdditional: false } },
    return503OnClosing: true,
    // Path parameters as long as the schemas allow (an entity id may have 256 characters; Fastify's default is 100).
    routerOptions: { maxParamLength: 512 },
    // A URL Fastify cannot decode is answered like every other error.
    frameworkErrors: (error, request, reply) => sendProblem(request, reply, error),
    clientErrorHandler: sendClientProblem,
  });

  // Response schemas document the API (the OpenAPI document, and a test that checks served bodies against it);
  // bodies are written as they are, not re-shaped by a serializer compiled from the schema.
  app.setSerializerCompiler(() => JSON.stringify);

  app.addContentTypeParser(NDJSON_TYPES, { parseAs: 'string' }, (_request, body, done) => {
    const items: unknown[] = [];
    const lines = (body as string).split('\n');
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i].trim();
      if (line === '') continue;
      try {
        // The same rule as Fastify's JSON bodies: a `__proto__` member is refused (checked only where one may be).
        items.push(line.includes('__proto__') ? JSON.parse(line, noProto) : JSON.parse(line));
      } catch (error) {
        done(new AnnalsError('ANN_ERR_REQUEST_MALFORMED_JSON', `line ${i + 1} is not valid JSON: ${(error as Error).message}`,
          { line: i + 1 }), undefined);
        return;
      }
    }
    done(null, items);
  });

  // JSON as Fastify reads it, except that an empty body on a route that takes none is no body (`curl -X POST -H
  // 'Content-Type: application/json'` to cut a checkpoint, say), as for every other type below, and that a request
  // for no route is left to be answered 404, whatever its body.
  // (`constructor.prototype` is data like any other, as in NDJSON bodies: only `__proto__` is refused.)
  const json = app.getDefaultJsonParser('error', 'ignore');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    if ((body === '' && !request.routeOptions.schema?.body) || request.is404) done(null, undefined);
    else json(request, body as string, done);
  });

  // No route takes text: a body of a type no parser here reads is refused as the wrong media type (415), not handed
  // on as a string to be refused as malformed; an empty one (a POST that takes no body) is no body at all.
  app.removeContentTypeParser('text/plain');
  // (A request for no route is left to be answered 404.)
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (request, body, done) => {
    if ((body as Buffer).length === 0 || request.is404) done(null, undefined);
    else done(mediaTypeError(request), undefined);
  });

  // Long polls of the events-stream answer at once when the server stops, instead of holding the close up.
  app.addHook('preClose', async () => annals.query.close());
  // A writer thread that stops is started again by the store (store/writer-thread.ts): the server's log says so.
  const onWriterThread = (message: unknown) => {
    const m = message as WriterThreadEvent;
    if (m.event === 'stopped') app.log.error({ err: m.cause, restartInMs: m.restartInMs }, "the store's writer thread stopped; appends are refused until it is started again");
    else app.log.info("the store's writer thread was started again; appends are taken");
  };
  writerThreadChannel.subscribe(onWriterThread);
  app.addHook('onClose', async () => {
    writerThreadChannel.unsubscribe(onWriterThread);
  });
  app.setErrorHandler((error, request, reply) => sendProblem(request, reply, error));
  app.server.on('checkExpectation', sendExpectationProblem);
  app.addHook('preParsing', (request, reply, payload, done) => {
    const body = requestBody(request, reply.raw, payload, request.routeOptions.bodyLimit ?? bodyLimit);
    if (!(body instanceof AnnalsError)) done(null, body);
    else {
      // What it does read (RFC 9110, 15.5.16).
      reply.header('accept-encoding', ACCEPTED_CODINGS);
      done(body);
    }
  });
  app.addHook('preValidation', (request, _reply, done) => {
    const schema = request.routeOptions.schema;
    done(urlNumberError(request.query, schema?.querystring, 'querystring') ?? urlNumberError(request.params, schema?.params, 'params'));
  });
  app.setNotFoundHandler((request, reply) =>
    sendProblem(request, reply, new AnnalsError('ANN_ERR_REQUEST_NOT_FOUND', `no route ${request.method} ${request.url.split('?')[0]}`)));

  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Annals API',
        version: '1',
        description: 'A tamper-evident audit log for organizations. Reads under /admin/v1 answer in the Atlassian '
          + 'Organizations API shape, so connectors written for it work unchanged. Errors are RFC 9457 problem+json.',
      },
      components: { securitySchemes: { apiKey: { type: 'http', scheme: 'bearer', description: 'ann_… API key' } } },
      security: [{ apiKey: [] }],
      tags: [
        { name: 'events', description: 'Record and read audit events' },
        { name: 'atlassian-compatible', description: 'The Atlassian Organizations events API, served by Annals' },
        { name: 'investigation', description: 'Facets, histograms, entity timelines and the events around an event' },
        { name: 'actions', description: 'The action catalogue' },
        { name: 'ledger', description: 'Tamper evidence: signed checkpoints, inclusion and consistency proofs' },
        { name: 'admin', description: 'Organizations and API keys' },
        { name: 'health', description: 'Liveness and readiness' },
      ],
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  app.get('/', { schema: { hide: true } }, async (_request, reply) => reply.redirect('/docs'));

  registerAuth(app, annals);
  healthRoutes(app, annals, options.warming ?? (() => false));
  adminRoutes(app, annals);
  eventRoutes(app, annals);
  actionRoutes(app, annals);
  ledgerRoutes(app, annals);
  return app;
}
