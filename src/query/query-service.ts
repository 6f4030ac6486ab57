// Events out: turns request parameters into a store filter and a keyset page, and pages back into cursors.
import type { ActionRegistry } from '../catalogue/registry.js';
import { AnnalsError } from '../domain/errors.js';
import type { StoredEvent } from '../domain/event.js';
import type { EventFilter, PageKey, PageRequest, Store } from '../store/store.js';
import { normaliseIp } from '../ingest/validate.js';
import type { CursorCodec, CursorState } from './cursor.js';

export interface EventQuery {
  /** Epoch ms or ISO-8601, inclusive. */
  from?: string;
  /** Epoch ms or ISO-8601, exclusive. */
  to?: string;
  action?: string[];
  category?: string[];
  product?: string[];
  actor?: string[];
  ip?: string[];
  q?: string;
  limit?: number;
  cursor?: string;
  sortOrder?: 'asc' | 'desc';
}

export interface EventQueryPage {
  events: StoredEvent[];
  limit: number;
  next?: string;
  prev?: string;
}

export const PAGE_LIMIT = { default: 100, max: 1000 } as const;

export class QueryService {
  readonly #store: Store;
  readonly #actions: ActionRegistry;
  readonly #cursors: CursorCodec;

  constructor(store: Store, actions: ActionRegistry, cursors: CursorCodec) {
    this.#store = store;
    this.#actions = actions;
    this.#cursors = cursors;
  }

  async getEvent(org: string, id: string): Promise<StoredEvent> {
    const event = await this.#store.getEvent(org, id);
    if (!event) throw new AnnalsError('ANN_ERR_EVENT_NOT_FOUND', `no event '${id}' in organization '${org}'`, { parameter: 'eventId' });
    return event;
  }

  /** A page of events, newest first unless sortOrder=asc, ordered by event time. */
  async search(org: string, query: EventQuery): Promise<EventQueryPage> {
    const limit = query.limit ?? PAGE_LIMIT.default;
    if (!Number.isInteger(limit) || limit < 1 || limit > PAGE_LIMIT.max) {
      throw new AnnalsError('ANN_ERR_QUERY_INVALID', `limit must be an integer from 1 to ${PAGE_LIMIT.max}`, { parameter: 'limit' });
    }
    const filter = await this.filter(org, query);
    const cursor = query.cursor === undefined ? undefined : this.#cursors.decode(query.cursor);
    const order = cursor?.order ?? query.sortOrder ?? 'desc';
    const by = cursor?.by ?? 'time';
    if (cursor?.dir === 'prev') {
      // Read backwards from the cursor, then restore the page's own order.
      const flipped = order === 'desc' ? 'asc' : 'desc';
      const page = await this.#store.queryEvents(org, filter, { limit, order: flipped, by, after: cursor.key });
      const events = page.events.reverse();
      return {
        events,
        limit,
        next: events.length > 0 ? this.#encode(events[events.length - 1], order, by, 'next') : undefined,
        prev: page.next && events.length > 0 ? this.#encode(events[0], order, by, 'prev') : undefined,
      };
    }
    const request: PageRequest = { limit, order, by, after: cursor?.key };
    const page = await this.#store.queryEvents(org, filter, request);
    const { events } = page;
    return {
      events,
      limit,
      next: page.next ? this.#cursors.encode({ key: page.next, order, by, dir: 'next' }) : undefined,
      prev: cursor && events.length > 0 ? this.#encode(events[0], order, by, 'prev') : undefined,
    };
  }

  /** The store filter for a query's parameters; categories and products become the action keys they hold. */
  async filter(org: string, query: EventQuery): Promise<EventFilter> {
    const filter: EventFilter = {};
    if (query.from !== undefined) filter.from = parseTime(query.from, 'from');
    if (query.to !== undefined) filter.to = parseTime(query.to, 'to');
    if (filter.from !== undefined && filter.to !== undefined && filter.from >= filter.to) {
      throw new AnnalsError('ANN_ERR_QUERY_INVALID', '`from` must be earlier than `to`', { parameter: 'from' });
    }
    let actions: string[] | undefined = query.action?.length ? [...new Set(query.action)] : undefined;
    for (const field of ['category', 'product'] as const) {
      const values = query[field];
      if (!values?.length) continue;
      const keys = await this.#actions.keysWhere(org, field, values);
      if (keys.length === 0) {
        throw new AnnalsError('ANN_ERR_QUERY_INVALID', `${field} '${values.join(', ')}' matches no action`, { parameter: field });
      }
      actions = actions === undefined ? keys : actions.filter((a) => keys.includes(a));
    }
    if (actions) filter.actions = actions;
    // Each value once: a value given twice would be read (and returned) twice.
    if (query.actor?.length) filter.actors = [...new Set(query.actor)];
    if (query.ip?.length) filter.ips = [...new Set(query.ip.map(normaliseIp))];
    if (query.q !== undefined) {
      const terms = searchTerms(query.q);
      if (terms.length > 0) filter.terms = terms;
    }
    return filter;
  }

  #encode(event: StoredEvent, order: 'asc' | 'desc', by: 'time' | 'processed', dir: CursorState['dir']): string {
    const key: PageKey = { at: Date.parse(by === 'time' ? event.time : event.processedAt), seq: event.seq };
    return this.#cursors.encode({ key, order, by, dir });
  }
}

/** Epoch milliseconds (digits) or an ISO-8601 date or date-time. */
export function parseTime(value: string, parameter: string): number {
  const ms = /^\d{1,15}$/.test(value) ? Number(value) : /^\d{4}-\d{2}-\d{2}/.test(value) ? Date.parse(value) : NaN;
  if (Number.isNaN(ms)) {
    throw new AnnalsError('ANN_ERR_QUERY_INVALID',
      `${parameter} '${value.slice(0, 64)}' is neither epoch milliseconds nor an ISO-8601 date-time`, { parameter });
  }
  return ms;
}

/** Words and "quoted phrases"; each one must match (as literal text, never as search syntax). */
export function searchTerms(q: string): string[] {
  const terms: string[] = [];
  for (const m of q.matchAll(/"([^"]*)"|(\S+)/g)) {
    const term = (m[1] ?? m[2]).trim();
    // A term with no letter or digit cannot match anything in the index (the tokenizer drops punctuation).
    if (/[\p{L}\p{N}]/u.test(term)) terms.push(term);
  }
  return terms.slice(0, 32);
}
