// Events: write (Annals' own path) and read (Annals' path and the Atlassian Organizations API paths, same shape).
import type { FastifyInstance, FastifyRequest } from 'fastify';
import Type from 'typebox';
import type { Annals } from '../../annals.js';
import { AnnalsError } from '../../domain/errors.js';
import { toEnvelope } from '../../domain/event.js';
import { EventInputSchema } from '../../ingest/event-schema.js';
import type { EventQuery } from '../../query/query-service.js';
import { EventParams, EventSearchQuery, Ok, OrgParams, Problem } from '../schemas.js';

export const READ_PREFIXES = ['/v1/orgs/:orgId', '/admin/v1/orgs/:orgId'] as const;

type SearchQuery = Omit<EventQuery, 'limit'> & { limit?: number };

/** `a,b` and repeated parameters both mean "any of". */
function list(values: string[] | undefined): string[] | undefined {
  return values?.flatMap((v) => v.split(',')).map((v) => v.trim()).filter((v) => v !== '');
}

/**
 * Where links point: ANNALS_PUBLIC_URL when set (what clients reach, e.g. behind a proxy), else the request's own
 * scheme and Host header.
 */
export function origin(request: FastifyRequest): string {
  return PUBLIC_URL ?? `${request.protocol}://${request.host}`;
}

const PUBLIC_URL = process.env.ANNALS_PUBLIC_URL?.replace(/\/+$/, '') || undefined;

function pageUrl(request: FastifyRequest, cursor: string): string {
  const url = new URL(request.url, origin(request));
  url.searchParams.set('cursor', cursor);
  return url.toString();
}

export function eventRoutes(app: FastifyInstance, annals: Annals): void {
  app.post('/v1/orgs/:orgId/events', {
    config: { scope: 'write:events' },
    schema: {
      tags: ['events'],
      summary: 'Record events: one JSON event, a JSON array, or NDJSON (one event per line); a batch is all-or-nothing',
      params: OrgParams,
      headers: Type.Object({ 'idempotency-key': Type.Optional(Type.String({ description: 'Makes a retry safe: the same key never stores twice' })) }),
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
    const appended = await annals.ingest.ingest(orgId, items, {
      single,
      idempotencyKey: Array.isArray(header) ? header[0] : header,
    });
    const base = `${origin(request)}/v1/orgs/${encodeURIComponent(orgId)}/events/`;
    const stored = appended.filter((e) => !e.duplicate).length;
    return reply.code(stored > 0 ? 201 : 200).send({
      data: appended.map((e) => ({ ...e, links: { self: base + e.id } })),
      meta: { stored, duplicates: appended.length - stored },
    });
  });

  for (const prefix of READ_PREFIXES) {
    const tags = [prefix.startsWith('/admin') ? 'atlassian-compatible' : 'events'];
    app.get(`${prefix}/events`, {
      config: { scope: 'read:events' },
      schema: {
        tags,
        summary: 'Search events, newest first; follow meta.next for the next page',
        params: OrgParams,
        querystring: EventSearchQuery,
        response: { 400: Problem, 401: Problem, 403: Problem, 404: Problem },
      },
    }, async (request) => {
      const { orgId } = request.params as { orgId: string };
      const q = request.query as SearchQuery;
      const page = await annals.query.search(orgId, {
        ...q,
        action: list(q.action), category: list(q.category), product: list(q.product), ip: list(q.ip), actor: q.actor,
      });
      const base = `${origin(request)}${prefix.replace(':orgId', encodeURIComponent(orgId))}/events/`;
      return {
        data: page.events.map((e) => toEnvelope(e, base + e.id)),
        meta: { next: page.next ?? null, page_size: page.limit },
        links: {
          self: new URL(request.url, origin(request)).toString(),
          next: page.next ? pageUrl(request, page.next) : null,
          prev: page.prev ? pageUrl(request, page.prev) : null,
        },
      };
    });

    app.get(`${prefix}/events/:eventId`, {
      config: { scope: 'read:events' },
      schema: {
        tags, summary: 'One event by id', params: EventParams,
        response: { 401: Problem, 403: Problem, 404: Problem },
      },
    }, async (request) => {
      const { orgId, eventId } = request.params as { orgId: string; eventId: string };
      const event = await annals.query.getEvent(orgId, eventId);
      return { data: toEnvelope(event, new URL(request.url, origin(request)).toString()) };
    });
  }
}
