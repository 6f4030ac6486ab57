// Events out: searching (the query language and the parameters that stand for its qualifiers), the events-stream
// tail, facets, histograms, entity timelines and "around this event". Requests become one plan (plan.ts) that the
// store compiles; pages become signed cursors.
import type { ActionDefinition } from '../domain/action.js';
import type { ActionRegistry } from '../catalogue/registry.js';
import { AnnalsError } from '../domain/errors.js';
import type { StoredEvent } from '../domain/event.js';
import { addressBytes } from '../domain/ip.js';
import type { Query } from '../domain/query.js';
import type {
  Aggregates, EntityRef, EventFilter, FacetField, PageKey, PageRequest, Store, TimeRange,
} from '../store/store.js';
import { canonicalJson } from '../ledger/canonical-json.js';
import type { PageLeaves } from '../store/page-leaves.js';
import { type CursorCodec, type CursorState, filtersDigest } from './cursor.js';
import { type Clause, clausesOf, plan } from './plan.js';
import { parseQuery, phraseQuery } from './parser.js';
import { parseTimeParameter } from './time.js';

export interface EventQuery {
  /** Epoch ms or ISO-8601, inclusive (event time; processing time on the stream). */
  from?: string;
  /** Epoch ms or ISO-8601, exclusive. */
  to?: string;
  /** Each the same as a qualifier of that name in `q` (repeats OR). */
  action?: string[];
  category?: string[];
  product?: string[];
  actor?: string[];
  ip?: string[];
  /** Places: location.countryName or location.city. */
  location?: string[];
  /** The query language: qualifiers and free text. */
  q?: string;
  /** One literal search term (the Atlassian API's `q`), instead of `q`: free text, nothing in it is syntax. */
  term?: string;
  limit?: number;
  cursor?: string;
  sortOrder?: 'asc' | 'desc';
}

/** A page of events: as their stored leaves (what the API serves, spliced) and, parsed on first use, as objects. */
export class EventQueryPage {
  readonly leaves: PageLeaves;
  readonly limit: number;
  next?: string;
  prev?: string;
  /** The store's row budget cut the page short: more may match past `next`, which resumes after the last row read. */
  readonly partial: boolean;
  /** Where the last event sits in the order the page was read by (when it has events). */
  readonly last?: PageKey;
  #events: StoredEvent[] | undefined;

  constructor(leaves: PageLeaves, limit: number, options: { next?: string; prev?: string; partial?: boolean; last?: PageKey } = {}) {
    this.leaves = leaves;
    this.limit = limit;
    this.partial = options.partial ?? false;
    if (options.next !== undefined) this.next = options.next;
    if (options.prev !== undefined) this.prev = options.prev;
    if (options.last !== undefined) this.last = options.last;
  }

  get events(): StoredEvent[] {
    return (this.#events ??= this.leaves.texts().map((leaf) => JSON.parse(leaf) as StoredEvent));
  }
}

/** The facets a caller may ask for: the store's fields, and those that follow from the action. */
export const FACETS = ['action', 'category', 'product', 'operation', 'actor', 'country', 'outcome'] as const;
export type Facet = (typeof FACETS)[number];

export interface FacetValue {
  value: string;
  /** A readable name where the value is a key or an id (an action's display name, an actor's email or name). */
  label?: string;
  count: number;
}

export interface Coverage {
  /** The event-time window counted. */
  from: number;
  to: number;
  /** Events counted. */
  total: number;
  /** false when only the newest matching events were counted (the scan limit); they reach back to coveredFrom. */
  complete: boolean;
  coveredFrom?: number;
}

export interface FacetsResult extends Coverage {
  facets: Partial<Record<Facet, FacetValue[]>>;
}

export const INTERVALS = ['minute', '5m', '15m', 'hour', '3h', '6h', '12h', 'day', 'week', 'month'] as const;
export type Interval = (typeof INTERVALS)[number];

export interface HistogramResult extends Coverage {
  interval: Interval;
  buckets: { start: number; count: number }[];
}

export interface AroundResult {
  event: StoredEvent;
  minutes: number;
  /** Events in the window, oldest first, without the event itself. */
  actor: StoredEvent[];
  ip: StoredEvent[];
  context: StoredEvent[];
  /** Per list: whether the window holds more such events than it shows (a search over the window lists them all). */
  more: { actor: boolean; ip: boolean; context: boolean };
}

export const PAGE_LIMIT = { default: 100, max: 1000 } as const;
export const FACET_SIZE = { default: 10, max: 100 } as const;
/** Facets and histograms with no time bounds cover this much, up to now. */
export const DEFAULT_WINDOW_MS = 30 * 86_400_000;
/** Most events read one by one for facets and histograms that rollups cannot answer. */
export const SCAN_LIMIT = 100_000;
/** Most buckets an automatic interval makes. */
const MAX_BUCKETS = 120;

const MINUTE = 60_000;
const HOUR = 3_600_000;
const DAY = 86_400_000;
const FIXED: Partial<Record<Interval, number>> = {
  minute: MINUTE, '5m': 5 * MINUTE, '15m': 15 * MINUTE, hour: HOUR, '3h': 3 * HOUR, '6h': 6 * HOUR, '12h': 12 * HOUR, day: DAY, week: 7 * DAY,
};

export class QueryService {
  readonly #store: Store;
  readonly #actions: ActionRegistry;
  readonly #cursors: CursorCodec;

  /** Long polls waiting for a commit (see stream). */
  readonly #waiting = new Set<() => void>();
  #closing = false;

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
    const { asked, cursor, now } = this.#continued(org, query, SEARCH);
    return this.#page(org, await this.filter(org, asked, now), asked, SEARCH, cursor, now);
  }

  /**
   * The events-stream: ordered by processing time (commit order), oldest first unless sortOrder=desc, `from` and
   * `to` on processedAt. A non-empty page always carries a cursor that resumes right after its last event, so a
   * poller that keeps it sees every event once, including events that arrive later with an old `time`. An empty
   * page has none, unless the stream is filtered (`q`): then its cursor resumes after the newest event looked at.
   *
   * With `waitMs`, a page that would be empty waits (a long poll) until events are committed to the org, by this
   * process or, on a shared database, any other (Store.watch), or until `waitMs` has passed or the service closes;
   * then it looks again.
   */
  async stream(org: string, query: EventQuery, waitMs = 0): Promise<EventQueryPage> {
    const { asked, cursor } = this.#continued(org, query, STREAM);
    if (waitMs <= 0) return this.#streamOnce(org, asked, cursor);
    const deadline = Date.now() + waitMs;
    let committed = false;
    let wake = () => {};
    // If the store cannot watch right now, the poll still waits, and looks again when the time is up.
    const stop = await this.#store.watch((o) => {
      if (o !== org) return;
      committed = true;
      wake();
    }).catch(() => () => {});
    try {
      for (;;) {
        committed = false;
        const page = await this.#streamOnce(org, asked, cursor);
        const left = deadline - Date.now();
        // A page the row budget cut short is still looking, not waiting: it answers at once.
        if (page.leaves.length > 0 || page.partial || left <= 0 || this.#closing) return page;
        if (committed) continue;
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, left);
          wake = () => {
            clearTimeout(timer);
            resolve();
          };
          this.#waiting.add(wake);
        });
        this.#waiting.delete(wake);
      }
    } finally {
      stop();
    }
  }

  /** Ends every long poll now (each answers with what it has): for shutting down. */
  close(): void {
    this.#closing = true;
    for (const wake of this.#waiting) wake();
  }

  async #streamOnce(org: string, query: EventQuery, cursor: CursorState | undefined): Promise<EventQueryPage> {
    const { from, to, ...rest } = query;
    const filter = await this.filter(org, rest);
    const filtered = Object.values(filter).some((v) => v !== undefined);
    const processed = this.#range(from, to);
    if (processed) filter.processed = processed;
    const order = cursor?.order ?? query.sortOrder ?? 'asc';
    // A filtered poller that finds nothing new still moves on: read the newest event (within `to`) first, and
    // resume after it, so the next poll does not read the same non-matching events again.
    let head = filtered && order === 'asc'
      ? (await this.#store.queryLeaves(org, processed?.to === undefined ? {} : { processed: { to: processed.to } }, { limit: 1, order: 'desc', by: 'processed' })).last
      : undefined;
    if (head !== undefined && cursor !== undefined && head.seq <= cursor.key.seq) head = undefined;
    const page = await this.#page(org, filter, { ...query, sortOrder: order }, STREAM, cursor, Date.now());
    const last = page.last ?? head;
    if (page.next === undefined && last !== undefined) page.next = this.#at(this.#cursorBase(org, query, order, STREAM, Date.now()), last, 'next');
    return page;
  }

  /** Every event in which an entity appears: as the actor, the token that acted, context or container. */
  async timeline(org: string, entity: EntityRef, query: EventQuery): Promise<EventQueryPage> {
    const read: Read = { by: 'time', entity };
    const { asked, cursor, now } = this.#continued(org, query, read);
    const filter = await this.filter(org, asked, now);
    if (filter.entities?.any) {
      throw new AnnalsError('ANN_ERR_QUERY_INVALID',
        'q: a timeline names its entity already; entity: in its q may only exclude (-entity:…); search /events to combine entities', { parameter: 'q' });
    }
    filter.entities = filter.entities?.none ? { any: [entity], none: filter.entities.none } : { any: [entity] };
    return this.#page(org, filter, asked, read, cursor, now);
  }

  /** Counts of the events a query matches, by the facets asked for, over its time window. */
  async facets(org: string, query: EventQuery, facets: readonly Facet[], size: number = FACET_SIZE.default): Promise<FacetsResult> {
    if (!Number.isInteger(size) || size < 1 || size > FACET_SIZE.max) {
      throw new AnnalsError('ANN_ERR_QUERY_INVALID', `size must be an integer from 1 to ${FACET_SIZE.max}`, { parameter: 'size' });
    }
    const filter = await this.filter(org, query);
    const window = this.#window(filter);
    // Category, product and operation are counted through the action.
    const fields = new Set<FacetField>(facets.map((f) => (f === 'category' || f === 'product' || f === 'operation' ? 'action' : f)));
    const counts = await this.#store.aggregate(org, { ...filter, time: window }, { facets: [...fields], scanLimit: SCAN_LIMIT });
    const actions = new Map((await this.#actions.list(org)).map((a) => [a.key, a]));
    const out: FacetsResult['facets'] = {};
    for (const facet of facets) {
      if (facet === 'category' || facet === 'product' || facet === 'operation') {
        const sums = new Map<string, number>();
        for (const { value, count } of counts.facets.action ?? []) {
          const group = actions.get(value)?.[facet] ?? 'unknown';
          sums.set(group, (sums.get(group) ?? 0) + count);
        }
        out[facet] = [...sums].map(([value, count]) => ({ value, count })).sort((a, b) => b.count - a.count || a.value.localeCompare(b.value)).slice(0, size);
      } else {
        const values: FacetValue[] = (counts.facets[facet] ?? []).slice(0, size).map((v) => ({ ...v }));
        if (facet === 'action') for (const v of values) v.label = actions.get(v.value)?.displayName;
        if (facet === 'actor') await this.#actorLabels(org, values);
        out[facet] = values;
      }
    }
    return { facets: out, ...coverage(window, counts) };
  }

  /** Event counts over time: `interval` buckets (automatic: at most 120 of them) across the query's window. */
  async histogram(org: string, query: EventQuery, interval: Interval | 'auto' = 'auto'): Promise<HistogramResult> {
    const filter = await this.filter(org, query);
    const window = this.#window(filter);
    const chosen = interval === 'auto'
      ? INTERVALS.find((i) => bucketStarts(window, i).length - 1 <= MAX_BUCKETS) ?? 'month'
      : interval;
    const bounds = bucketStarts(window, chosen);
    if (bounds.length - 1 > 10_000) {
      throw new AnnalsError('ANN_ERR_QUERY_INVALID', `interval ${chosen} makes ${bounds.length - 1} buckets over this window; at most 10000 are allowed`, { parameter: 'interval' });
    }
    const counts = await this.#store.aggregate(org, { ...filter, time: window }, { facets: [], bounds, scanLimit: SCAN_LIMIT });
    return {
      interval: chosen,
      buckets: (counts.buckets ?? []).map((count, i) => ({ start: bounds[i], count })),
      ...coverage(window, counts),
    };
  }

  /** The events near one event: by the same actor, from the same address, on the same context, ±`minutes`. */
  async around(org: string, eventId: string, minutes = 30, limit = 20): Promise<AroundResult> {
    if (!Number.isInteger(minutes) || minutes < 1 || minutes > 1440) {
      throw new AnnalsError('ANN_ERR_QUERY_INVALID', 'minutes must be an integer from 1 to 1440', { parameter: 'minutes' });
    }
    if (!Number.isInteger(limit) || limit < 1 || limit > 100) {
      throw new AnnalsError('ANN_ERR_QUERY_INVALID', 'limit must be an integer from 1 to 100', { parameter: 'limit' });
    }
    const event = await this.getEvent(org, eventId);
    const t = Date.parse(event.time);
    const time = { from: t - minutes * MINUTE, to: t + minutes * MINUTE + 1 };
    const key: PageKey = { at: t, seq: event.seq };
    const near = async (filter: EventFilter | undefined): Promise<{ events: StoredEvent[]; more: boolean }> => {
      if (!filter) return { events: [], more: false };
      const half = Math.ceil(limit / 2);
      const page = (order: 'asc' | 'desc') => this.#store.queryEvents(org, { ...filter, time }, { limit: half, order, by: 'time', after: key });
      const [before, after] = await Promise.all([page('desc'), page('asc')]);
      // The store says when another page may follow (more matches, or a read its row budget cut short).
      return { events: [...before.events.reverse(), ...after.events], more: before.next !== undefined || after.next !== undefined };
    };
    const address = event.location?.ip === undefined ? undefined : addressBytes(event.location.ip);
    const [actor, sameIp, context] = await Promise.all([
      near({ actors: { any: [event.actor.id] } }),
      near(address === undefined ? undefined : { ips: { any: [{ lo: address, hi: address }] } }),
      near(event.context.length === 0 ? undefined : { contexts: { any: event.context.slice(0, 32).map((c) => ({ id: c.id, type: c.type })) } }),
    ]);
    return {
      event, minutes, actor: actor.events, ip: sameIp.events, context: context.events,
      more: { actor: actor.more, ip: sameIp.more, context: context.more },
    };
  }

  /** The plan for a request's parameters and its `q`. */
  async filter(org: string, query: EventQuery, now = Date.now()): Promise<EventFilter> {
    const parsed: Query | undefined = query.q !== undefined ? parseQuery(query.q)
      : query.term !== undefined ? phraseQuery(query.term) : undefined;
    const clauses: Clause[] = parsed ? clausesOf(parsed) : [];
    for (const field of ['action', 'category', 'product', 'actor', 'ip', 'location'] as const) {
      for (const value of query[field] ?? []) clauses.push({ field, value, negated: false, origin: { parameter: field } });
    }
    let actions: Promise<readonly ActionDefinition[]> | undefined;
    return plan(clauses, parsed, {
      now,
      actions: () => (actions ??= this.#actions.list(org)),
    }, this.#range(query.from, query.to, now));
  }

  async #page(org: string, filter: EventFilter, query: EventQuery, read: Read, cursor: CursorState | undefined, now: number): Promise<EventQueryPage> {
    const limit = query.limit ?? PAGE_LIMIT.default;
    if (!Number.isInteger(limit) || limit < 1 || limit > PAGE_LIMIT.max) {
      throw new AnnalsError('ANN_ERR_QUERY_INVALID', `limit must be an integer from 1 to ${PAGE_LIMIT.max}`, { parameter: 'limit' });
    }
    const { by } = read;
    const order = cursor?.order ?? this.#order(query, by);
    const base = this.#cursorBase(org, query, order, read, now);
    if (cursor?.dir === 'prev') {
      // Read backwards from the cursor, then restore the page's own order.
      const flipped = order === 'desc' ? 'asc' : 'desc';
      const page = await this.#store.queryLeaves(org, filter, { limit, order: flipped, by, after: cursor.key });
      const leaves = page.leaves.reversed();
      // Further back resumes where the store stopped reading: after the page's first event (the last it read), or,
      // when the store's row budget cut the read short, after the last row it read. A page cut to nothing goes
      // forward from there too (over the rows it read, to the page it came from).
      return new EventQueryPage(leaves, limit, {
        next: this.#at(base, page.first ?? page.next, 'next'),
        prev: this.#at(base, page.next, 'prev'),
        partial: leaves.length < limit && page.next !== undefined,
        last: page.first,
      });
    }
    const request: PageRequest = { limit, order, by, after: cursor?.key };
    const page = await this.#store.queryLeaves(org, filter, request);
    const { leaves } = page;
    // A first page has no way back. From a page cut to nothing, back is from where the store stopped, over the rows
    // it read, to the page before.
    return new EventQueryPage(leaves, limit, {
      next: this.#at(base, page.next, 'next'),
      prev: cursor ? this.#at(base, page.first ?? page.next, 'prev') : undefined,
      partial: leaves.length < limit && page.next !== undefined,
      last: page.last,
    });
  }

  #order(query: EventQuery, by: 'time' | 'processed'): 'asc' | 'desc' {
    return query.sortOrder ?? (by === 'processed' ? 'asc' : 'desc');
  }

  #range(from: string | undefined, to: string | undefined, now = Date.now()): TimeRange | undefined {
    const range: TimeRange = {};
    if (from !== undefined) range.from = parseTimeParameter(from, 'from', now);
    if (to !== undefined) range.to = parseTimeParameter(to, 'to', now);
    if (range.from !== undefined && range.to !== undefined && range.from >= range.to) {
      throw new AnnalsError('ANN_ERR_QUERY_INVALID', '`from` must be earlier than `to`', { parameter: 'from' });
    }
    return from === undefined && to === undefined ? undefined : range;
  }

  /** The event-time window facets and histograms count: the query's, closed with the default where it is open. */
  #window(filter: EventFilter): { from: number; to: number } {
    // Within the times events can have (1970 on, and at most a day ahead of now), whatever the query said.
    const latest = Date.now() + 86_400_000;
    const to = Math.max(1, Math.min(filter.time?.to ?? Date.now() + 1, latest));
    const from = Math.min(Math.max(filter.time?.from ?? to - DEFAULT_WINDOW_MS, 0), to - 1);
    return { from, to };
  }

  /** Labels the actor values with the email (or name) of each actor's newest event. */
  async #actorLabels(org: string, values: FacetValue[]): Promise<void> {
    await Promise.all(values.map(async (v) => {
      const page = await this.#store.queryEvents(org, { actors: { any: [v.value] } }, { limit: 1, order: 'desc', by: 'time' });
      const actor = page.events.find((e) => e.actor.id === v.value)?.actor;
      const label = actor?.email ?? actor?.name;
      if (label !== undefined) v.label = label;
    }));
  }

  /**
   * A request's query, and the cursor it goes on from. A cursor carries the filters of the query it was issued
   * for: sent alone, it continues that query (some clients send only the cursor after the first page); a filter
   * sent with it must be one it carries, unchanged. A cursor is a place in one query's answer, not in another's.
   */
  #continued(org: string, query: EventQuery, read: Read): { asked: EventQuery; cursor?: CursorState; now: number } {
    if (query.cursor === undefined) return { asked: query, now: Date.now() };
    const cursor = this.#cursors.decode(org, query.cursor);
    const elsewhere = (what: string) => new AnnalsError('ANN_ERR_QUERY_CURSOR', `this cursor pages ${what}; use it there`, { parameter: 'cursor' });
    if (cursor.by !== read.by) throw elsewhere(cursor.by === 'time' ? 'a search' : 'the events-stream');
    const now = cursor.now ?? Date.now();
    const carried = cursor.filters;
    // A cursor issued before cursors carried their filters goes on with whatever is sent.
    if (carried === undefined) return { asked: query, cursor, now };
    const sent = filtersOf(query, read);
    if (typeof carried === 'string') {
      if (filtersDigest(sent) === carried) return { asked: query, cursor, now };
      throw new AnnalsError('ANN_ERR_QUERY_CURSOR',
        "this cursor's query has filters too long for it to carry: send them with it, unchanged (as links.next does)", { parameter: 'cursor' });
    }
    // A timeline's cursor is a place among one entity's events, a search's among the org's.
    const same = (name: string) => canonicalJson(sent[name] ?? null) === canonicalJson(carried[name] ?? null);
    if (!same('entity')) throw elsewhere(carried.entity === undefined ? 'a search' : "another entity's timeline");
    for (const name of Object.keys(sent)) {
      if (!same(name)) {
        // On the Atlassian paths the literal term is their `q`.
        const shown = name === 'term' ? 'q' : name;
        throw new AnnalsError('ANN_ERR_QUERY_CURSOR', `${shown}: this cursor continues a query ${Object.hasOwn(carried, name) ? `with another ${shown}` : `without ${shown}`}; `
          + "send the cursor alone, or with its query's filters unchanged (as links.next does)", { parameter: shown });
      }
    }
    const { entity: _entity, ...filters } = carried;
    return { asked: { ...query, ...filters }, cursor, now };
  }

  /** What every cursor of a page shares: its org, sort, and the filters it carries (see #continued). */
  #cursorBase(org: string, query: EventQuery, order: 'asc' | 'desc', read: Read, now: number): CursorBase {
    const filters = filtersOf(query, read);
    return {
      org, order, by: read.by,
      filters: Buffer.byteLength(JSON.stringify(filters)) > CARRIED_MAX ? filtersDigest(filters) : filters,
      // A stream reads its relative times afresh at each poll: it follows the log as it grows.
      now: read.by === 'time' ? now : undefined,
    };
  }

  /** A cursor at `key` (where a page's event sits, or where the store said a read stopped), if there is one. */
  #at(base: CursorBase, key: PageKey | undefined, dir: CursorState['dir']): string | undefined {
    return key === undefined ? undefined : this.#cursors.encode(base.org, { key, order: base.order, by: base.by, dir, filters: base.filters, now: base.now });
  }
}

interface CursorBase {
  org: string;
  order: 'asc' | 'desc';
  by: 'time' | 'processed';
  filters: CursorState['filters'];
  now: number | undefined;
}

/** What a read pages by, and for an entity's timeline, the entity: what its cursors are a place in. */
interface Read {
  by: 'time' | 'processed';
  entity?: EntityRef;
}
const SEARCH: Read = { by: 'time' };
const STREAM: Read = { by: 'processed' };

/**
 * The parameters that narrow a read, which a cursor carries (with a timeline's entity); the others (limit,
 * sortOrder, cursor) page it. On the events-stream only `q`: there `from` and `to` bound the request they are sent
 * with, and a cursor goes on past `to`, as Atlassian's does ("can be used when last page is reached to poll for new
 * events"). A search's cursor also carries when its first page was read (see CursorState.now).
 */
const FILTERS = {
  time: ['from', 'to', 'action', 'category', 'product', 'actor', 'ip', 'location', 'q', 'term'],
  processed: ['q'],
} as const;
/**
 * Filters longer than this many bytes, as JSON, go into a cursor as their digest (they must then be sent with it):
 * base64 makes 2 KB about 2.7 KB, within CURSOR_MAX_LENGTH with the rest of the cursor.
 */
const CARRIED_MAX = 2048;

/**
 * A query's filters, those that narrow anything (an empty list or text narrows nothing), lists as sets (their values
 * OR: neither order nor a repeat changes what they match).
 */
function filtersOf(query: EventQuery, read: Read): Record<string, unknown> {
  const filters: Record<string, unknown> = read.entity === undefined ? {} : { entity: read.entity };
  for (const name of FILTERS[read.by]) {
    const value = query[name];
    if (Array.isArray(value)) {
      if (value.length > 0) filters[name] = [...new Set(value)].sort();
    } else if (value !== undefined && value !== '') {
      filters[name] = value;
    }
  }
  return filters;
}

function coverage(window: { from: number; to: number }, counts: Aggregates): Coverage {
  const out: Coverage = { from: window.from, to: window.to, total: counts.total, complete: counts.complete };
  if (counts.coveredFrom !== undefined) out.coveredFrom = counts.coveredFrom;
  return out;
}

/**
 * Bucket boundaries covering [from, to) in UTC: the start of the bucket holding `from`, then each next one, up to
 * the first boundary at or after `to`. Weeks start on Monday; months on the 1st.
 */
export function bucketStarts(window: { from: number; to: number }, interval: Interval): number[] {
  const out: number[] = [];
  const fixed = FIXED[interval];
  if (fixed !== undefined) {
    // Weeks are counted from a Monday (1970-01-05); the rest from the epoch.
    const origin = interval === 'week' ? 4 * DAY : 0;
    let t = window.from - ((((window.from - origin) % fixed) + fixed) % fixed);
    for (; t < window.to && out.length <= 10_001; t += fixed) out.push(t);
    out.push(t);
    return out;
  }
  const d = new Date(window.from);
  let y = d.getUTCFullYear();
  let m = d.getUTCMonth();
  for (;;) {
    const t = Date.UTC(y, m, 1);
    out.push(t);
    if (t >= window.to || out.length > 10_001) break;
    if (++m === 12) { m = 0; y++; }
  }
  return out;
}
