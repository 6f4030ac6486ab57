// Events: write (Annals' own path) and read (Annals' path and the Atlassian Organizations API paths, same shape).
import type { FastifyInstance, FastifyReply, FastifyRequest, preValidationHookHandler } from 'fastify';
import Type, { type TObject } from 'typebox';
import type { Annals } from '../../annals.js';
import { AnnalsError } from '../../domain/errors.js';
import { envelopeJson, type StoredEvent, toEnvelope } from '../../domain/event.js';
import { EventInputSchema } from '../../ingest/event-schema.js';
import { joinedBody } from '../joined-body.js';
import { type ByteString, byteString } from '../../store/page-leaves.js';
import { type Coverage, type EventQuery, type EventQueryPage, type Facet, FACETS, type Interval } from '../../query/query-service.js';
import {
  AroundQuery, AtlassianEventSearchQuery, EntityParams, EventPage, EventParams, EventSearchQuery, EventStreamQuery,
  FacetQuery, HistogramQuery, Ok, OneEvent, OrgParams, Problem, TimelineQuery,
} from '../schemas.js';

export const READ_PREFIXES = ['/v1/orgs/:orgId', '/admin/v1/orgs/:orgId'] as const;

/** `a,b` and repeated parameters both mean "any of". */
function list(values: string[] | undefined): string[] | undefined {
  return values?.flatMap((v) => v.split(',')).map((v) => v.trim()).filter((v) => v !== '');
}

/**
 * Where links point: ANNALS_PUBLIC_URL when set (what clients reach, e.g. behind a proxy), else the request's own
 * scheme and Host header.
 */
export function origin(request: FastifyRequest): string {
  if (PUBLIC_URL !== undefined) return PUBLIC_URL;
  const host = request.host ?? '';
  try {
    // As the URL of the links will spell it (no default port): the same in every link of a response.
    if (HOST.test(host)) return new URL(`${request.protocol}://${host}`).origin;
  } catch {
    // A port out of range: refused below.
  }
  throw new AnnalsError('ANN_ERR_REQUEST_INVALID', `the Host header '${host.slice(0, 100)}' is not a host name or address with an optional port`, { parameter: 'Host' });
}

/** RFC 3986's host (an IP literal in brackets, or a name or IPv4 address) and an optional port. */
const HOST = /^(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9._~%!$&'()*+,;=-]+)(?::\d{1,5})?$/;

const PUBLIC_URL = process.env.ANNALS_PUBLIC_URL?.replace(/\/+$/, '') || undefined;

/**
 * The request's URL at `at`: its path and query there, whatever host the request line named. (A request line in
 * absolute form, `GET http://elsewhere.example/v1/…`, names a host, which an origin server ignores (RFC 9112,
 * 3.2.2): the links are on ANNALS_PUBLIC_URL or the Host header, as those of every other request.)
 */
function requestUrl(request: FastifyRequest, at: string): URL {
  const { pathname, search } = new URL(request.url, 'http://request.invalid');
  return new URL(`${at}${pathname}${search}`);
}

function pageUrl(request: FastifyRequest, at: string, cursor: string): string {
  const url = requestUrl(request, at);
  url.searchParams.set('cursor', cursor);
  return url.toString();
}

export function eventRoutes(app: FastifyInstance, annals: Annals): void {
  ingestRoute(app, annals);

  for (const prefix of READ_PREFIXES) {
    const atlassian = prefix.startsWith('/admin');
    const tags = [atlassian ? 'atlassian-compatible' : 'events'];
    app.get(`${prefix}/events`, {
      config: { scope: 'read:events' },
      schema: {
        tags,
        summary: 'Search events, newest first; follow meta.next for the next page',
        params: OrgParams,
        querystring: atlassian ? AtlassianEventSearchQuery : EventSearchQuery,
        response: { 200: EventPage, 400: Problem, 401: Problem, 403: Problem, 404: Problem },
      },
      preValidation: atlassian ? sameValuesOnce(AtlassianEventSearchQuery) : undefined,
    }, async (request, reply) => {
      const { orgId } = request.params as { orgId: string };
      const query = request.query as EventQuery;
      // On the Atlassian path `q` is that API's single search term (literal text), not the query language. (Their
      // events-stream has no `q`: there it is Annals' own, the query language, on both paths.)
      const asked = atlassian && query.q !== undefined ? { ...query, q: undefined, term: query.q } : query;
      const at = origin(request);
      const page = await annals.query.search(orgId, narrowing(asked));
      return pageBody(request, reply, at, prefix, orgId, page);
    });

    app.get(`${prefix}/events-stream`, {
      config: { scope: 'read:events' },
      schema: {
        tags,
        summary: 'Poll events in processing order (oldest first); a non-empty page always has meta.next, which keeps '
          + 'working after the last page: call it again later for the events that arrived since',
        params: OrgParams,
        querystring: EventStreamQuery,
        response: { 200: EventPage, 400: Problem, 401: Problem, 403: Problem, 404: Problem },
      },
      preValidation: atlassian ? sameValuesOnce(EventStreamQuery) : undefined,
    }, async (request, reply) => {
      const { orgId } = request.params as { orgId: string };
      const { wait, ...query } = request.query as EventQuery & { wait?: number };
      const at = origin(request);
      const page = await annals.query.stream(orgId, query, (wait ?? 0) * 1000);
      return pageBody(request, reply, at, prefix, orgId, page);
    });

    app.get(`${prefix}/events/:eventId`, {
      config: { scope: 'read:events' },
      schema: {
        tags, summary: 'One event by id', params: EventParams,
        response: { 200: OneEvent, 401: Problem, 403: Problem, 404: Problem },
      },
    }, async (request) => {
      const { orgId, eventId } = request.params as { orgId: string; eventId: string };
      const event = await annals.query.getEvent(orgId, eventId);
      return { data: toEnvelope(event, requestUrl(request, origin(request)).toString()) };
    });
  }

  const investigate = { tags: ['investigation'], response: { 400: Problem, 401: Problem, 403: Problem, 404: Problem } };

  app.get('/v1/orgs/:orgId/events/facets', {
    config: { scope: 'read:events' },
    schema: { ...investigate, summary: 'Counts of the events a search matches, by action, category, product, operation, actor, country and outcome (top values each)', params: OrgParams, querystring: FacetQuery },
  }, async (request) => {
    const { orgId } = request.params as { orgId: string };
    const q = request.query as EventQuery & { facets?: string[]; size?: number };
    const wanted = list(q.facets) ?? [...FACETS];
    const unknown = wanted.filter((f) => !(FACETS as readonly string[]).includes(f));
    if (unknown.length > 0) {
      throw new AnnalsError('ANN_ERR_QUERY_INVALID', `facets: unknown ${unknown.join(', ')}; known: ${FACETS.join(', ')}`, { parameter: 'facets' });
    }
    const { facets, ...cover } = await annals.query.facets(orgId, narrowing(q), [...new Set(wanted)] as Facet[], q.size);
    return { data: { total: cover.total, facets }, meta: coverageMeta(cover) };
  });

  app.get('/v1/orgs/:orgId/events/histogram', {
    config: { scope: 'read:events' },
    schema: { ...investigate, summary: 'Event counts over time for a search, in automatic (or chosen) buckets', params: OrgParams, querystring: HistogramQuery },
  }, async (request) => {
    const { orgId } = request.params as { orgId: string };
    const q = request.query as EventQuery & { interval?: Interval | 'auto' };
    const result = await annals.query.histogram(orgId, narrowing(q), q.interval);
    return {
      data: { interval: result.interval, total: result.total, buckets: result.buckets.map((b) => ({ start: new Date(b.start).toISOString(), count: b.count })) },
      meta: coverageMeta(result),
    };
  });

  app.get('/v1/orgs/:orgId/events/:eventId/around', {
    config: { scope: 'read:events' },
    schema: { ...investigate, summary: 'The events near one event: by the same actor, from the same IP address, on the same context', params: EventParams, querystring: AroundQuery },
  }, async (request) => {
    const { orgId, eventId } = request.params as { orgId: string; eventId: string };
    const { minutes, limit } = request.query as { minutes?: number; limit?: number };
    const around = await annals.query.around(orgId, eventId, minutes, limit);
    const base = `${origin(request)}/v1/orgs/${encodeURIComponent(orgId)}/events/`;
    const envelopes = (events: StoredEvent[]) => events.map((e) => toEnvelope(e, base + e.id));
    return {
      data: { event: toEnvelope(around.event, base + around.event.id), actor: envelopes(around.actor), ip: envelopes(around.ip), context: envelopes(around.context) },
      meta: { minutes: around.minutes, more: around.more },
    };
  });

  app.get('/v1/orgs/:orgId/entities/:entityId/events', {
    config: { scope: 'read:events' },
    schema: {
      ...investigate, summary: 'Every event an entity appears in (as actor, token, context or container), newest first', params: EntityParams, querystring: TimelineQuery,
      response: { ...investigate.response, 200: EventPage },
    },
  }, async (request, reply) => {
    const { orgId, entityId } = request.params as { orgId: string; entityId: string };
    const { type, ...q } = request.query as EventQuery & { type?: string };
    const at = origin(request);
    const page = await annals.query.timeline(orgId, type === undefined ? { id: entityId } : { id: entityId, type }, narrowing(q));
    return pageBody(request, reply, at, '/v1/orgs/:orgId', orgId, page);
  });
}

/** POST /v1/orgs/:orgId/events. */
function ingestRoute(app: FastifyInstance, annals: Annals): void {
  app.post('/v1/orgs/:orgId/events', {
    config: { scope: 'write:events' },
    schema: {
      tags: ['events'],
      summary: 'Record events: one JSON event, a JSON array, or NDJSON (one event per line); a batch is all-or-nothing',
      params: OrgParams,
      consumes: ['application/json', 'application/x-ndjson'],
      headers: Type.Object({
        'idempotency-key': Type.Optional(Type.String({ description: 'Makes a retry safe: the same key never stores twice' })),
        'content-encoding': Type.Optional(Type.String({ description: 'gzip, deflate or br: the body is decoded as it arrives, and the body limit counts the decoded bytes' })),
      }),
      body: Type.Union([EventInputSchema, Type.Array(EventInputSchema)]),
      response: {
        200: Ok('Every event was a retry of one already stored'), 201: Ok('Stored: ids, sequence numbers, processedAt'),
        400: Problem, 401: Problem, 403: Problem, 404: Problem, 409: Problem, 413: Problem, 415: Problem, 422: Problem,
      },
    },
    // The schemas above document the route; the ingest service validates the body (per item, naming the item's
    // index) and the Idempotency-Key, and the auth hook has already checked orgId.
    validatorCompiler: () => () => true,
  }, async (request, reply) => {
    const { orgId } = request.params as { orgId: string };
    const body = request.body;
    if (body === null || typeof body !== 'object') {
      throw new AnnalsError('ANN_ERR_EVENT_INVALID', 'the body must be an event object or an array of events', { pointer: '' });
    }
    const single = !Array.isArray(body);
    const items = single ? [body] : (body as unknown[]);
    const header = request.headers['idempotency-key'];
    // Before anything is stored: a request the answer cannot be made for is refused whole.
    const base = `${origin(request)}/v1/orgs/${encodeURIComponent(orgId)}/events/`;
    const appended = await annals.ingest.ingest(orgId, items, {
      single,
      idempotencyKey: Array.isArray(header) ? header[0] : header,
    });
    const stored = appended.filter((e) => !e.duplicate).length;
    return reply.code(stored > 0 ? 201 : 200).send({
      data: appended.map((e) => ({ ...e, links: { self: base + e.id } })),
      meta: { stored, duplicates: appended.length - stored },
    });
  });
}

/**
 * The Atlassian paths take a parameter given twice with the same value once: a client that adds its parameters to
 * a links.next URL, which holds them already, sends each twice. (Different values are refused, naming the
 * parameter, as everywhere on /v1.)
 */
function sameValuesOnce(schema: TObject): preValidationHookHandler {
  const lists = new Set(Object.keys(schema.properties).filter((name) => (schema.properties[name] as { type?: unknown }).type === 'array'));
  return async (request) => {
    const query = request.query as Record<string, unknown>;
    for (const [name, value] of Object.entries(query)) {
      if (Array.isArray(value) && !lists.has(name) && value.every((v) => v === value[0])) query[name] = value[0];
    }
  };
}

/** The request's narrowing parameters, with comma-separated lists split. */
function narrowing(q: EventQuery): EventQuery {
  // Actors and places may hold commas: repeated parameters only.
  const whole = (values: string[] | undefined) => values?.filter((v) => v.trim() !== '');
  return { ...q, action: list(q.action), category: list(q.category), product: list(q.product), ip: list(q.ip), actor: whole(q.actor), location: whole(q.location) };
}

/**
 * A page in the Atlassian Organizations API shape, as JSON bytes: each event's envelope is spliced from its stored
 * leaf's bytes (see envelopeJson and ByteString), so the hot path neither parses nor re-serializes events, nor
 * decodes or encodes their text, and the envelopes are written into the body one by one (see joinedBody).
 */
function pageBody(request: FastifyRequest, reply: FastifyReply, at: string, prefix: string, orgId: string, page: EventQueryPage) {
  const base = byteString(`${at}${prefix.replace(':orgId', encodeURIComponent(orgId))}/events/`);
  const envelopes: ByteString[] = page.leaves.byteStrings();
  for (let i = 0; i < envelopes.length; i++) envelopes[i] = envelopeJson(envelopes[i], base);
  const rest = JSON.stringify({
    meta: { next: page.next ?? null, page_size: page.limit },
    links: {
      self: requestUrl(request, at).toString(),
      next: page.next ? pageUrl(request, at, page.next) : null,
      prev: page.prev ? pageUrl(request, at, page.prev) : null,
    },
  });
  return reply.type('application/json; charset=utf-8')
    .send(joinedBody('{"data":[', envelopes, byteString(`],${rest.slice(1)}`)));
}

function coverageMeta(c: Coverage) {
  const meta: Record<string, unknown> = { from: new Date(c.from).toISOString(), to: new Date(c.to).toISOString(), complete: c.complete };
  if (c.coveredFrom !== undefined) meta.coveredFrom = new Date(c.coveredFrom).toISOString();
  return meta;
}
