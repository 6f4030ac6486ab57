// The Store port: everything the services need from persistence, in domain types. One folder per adapter
// (store/sqlite/, later store/postgres/) implements it; test/contract/ runs one suite over every adapter.
import type { ActionDefinition } from '../domain/action.js';
import type { Outcome, StoredEvent } from '../domain/event.js';
import type { IpRange } from '../domain/ip.js';
import type { ApiKey, Org, Scope } from '../domain/org.js';
import type { LeafParts } from '../ledger/leaf.js';
import type { NodeID } from '../ledger/node-id.js';
import type { PageLeaves } from './page-leaves.js';
import type { WarmOptions } from './warm.js';

/**
 * An event validated and identified by ingest, waiting to be sequenced: its ledger leaf (less processedAt and seq,
 * which the store assigns inside the commit) and the few values the store indexes. Flat and made of strings, so it
 * crosses to a writer thread cheaply.
 */
export interface PendingEvent {
  id: string;
  leaf: LeafParts;
  /** Event time, epoch ms. */
  timeMs: number;
  action: string;
  actorId: string;
  /** The actor's email and name, so that `actor=` filters find the actor by them too. */
  actorEmail?: string;
  actorName?: string;
  /** The address, as 16 bytes (IPv4 as IPv4-mapped IPv6; see domain/ip.ts). */
  ip?: Uint8Array;
  country?: string;
  city?: string;
  outcome: Outcome;
  /** The entities the event names besides its actor (context, container, the token that acted). */
  entities: IndexedEntity[];
  idempotencyKey?: string;
  /** SHA-256 of the producer's input; stored with the idempotency key to tell a retry from a key reused. */
  fingerprint?: Uint8Array;
  /** Searchable text for the free-text index. */
  text: string;
  /**
   * Set when the event is being copied from another store (`annals migrate`): it keeps the seq and processing time
   * it has there instead of being given new ones. Its seq must be the org's next; see Store.append.
   */
  restored?: { seq: number; processedMs: number };
}

/** Where an entity appears in an event. */
export type EntityRole = 'context' | 'container' | 'token';

export interface IndexedEntity {
  role: EntityRole;
  type: string;
  id: string;
}

/** One request's events: stored all together or not at all. */
export interface AppendGroup {
  org: string;
  events: PendingEvent[];
}

export interface AppendedEvent {
  id: string;
  seq: number;
  processedAt: string;
  /** true when the idempotency key was seen before: nothing was stored, the earlier event is reported. */
  duplicate: boolean;
}

export type AppendResult =
  | { ok: true; events: AppendedEvent[] }
  | { ok: false; error: Error };

/** Keyset position: the sort key of the last row of the previous page. */
export interface PageKey {
  /** epoch ms of the sort column (event time, or processing time for `by: 'processed'`). */
  at: number;
  seq: number;
}

/** Inclusive start, exclusive end, epoch ms; either end may be open. */
export interface TimeRange {
  from?: number;
  to?: number;
}

/**
 * Values a field must have one of (`any`) and values it must not have (`none`). `any` present but empty matches
 * nothing.
 */
export interface Match<T> {
  any?: readonly T[];
  none?: readonly T[];
}

/** An entity by id and, optionally, type. */
export interface EntityRef {
  id: string;
  type?: string;
}

/**
 * The query plan every adapter compiles: a conjunction of conditions on an org's events, in domain terms. The query
 * service builds it (src/query/plan.ts); each store turns it into its own parameterised SQL.
 */
export interface EventFilter {
  /** Event time. */
  time?: TimeRange;
  /** Processing time (processedAt). */
  processed?: TimeRange;
  /** Action keys (categories, products and wildcards are already expanded by the caller). */
  actions?: Match<string>;
  /**
   * The categories and products (slugs) that `actions.any` was asked for by, when it was: each of its actions is
   * of one of these categories and of one of these products. A store may use them to find those actions' events
   * (the embedded store's full-text rows name each event's product and category); the answer is `actions`.
   */
  actionsWithin?: { categories?: readonly string[]; products?: readonly string[] };
  /** Actors, each named by id, or by an email or name (any case) the actor has used in this org. */
  actors?: Match<string>;
  ips?: Match<IpRange>;
  /** location.countryName, any case. */
  countries?: Match<string>;
  /** location.city, any case. */
  cities?: Match<string>;
  /** location.countryName or location.city, any case (the Atlassian API's `location`). */
  locations?: Match<string>;
  outcomes?: Match<Outcome>;
  /** Context entities; a ref without a type matches any type. */
  contexts?: Match<EntityRef>;
  containers?: Match<EntityRef>;
  /** Anywhere: the actor (refs without a type), the token that acted (type `token`), context or container. */
  entities?: Match<EntityRef>;
  /** Free text: every one of `all` must match (each a word or a phrase, as literal text), none of `none`. */
  text?: { all?: readonly string[]; none?: readonly string[] };
}

export interface PageRequest {
  limit: number;
  order: 'asc' | 'desc';
  /** `time`: event time (the default view); `processed`: commit order (the events-stream tail). */
  by: 'time' | 'processed';
  after?: PageKey;
}

/** A page of events as their stored leaves (canonical JSON: what the ledger hashes, and what reads serve). */
export interface LeafPage {
  leaves: PageLeaves;
  /** Where the page's first and last events sit in the order it was read by (`by`); set when it has any. */
  first?: PageKey;
  last?: PageKey;
  next?: PageKey;
}

export interface EventPage {
  events: StoredEvent[];
  /** Set when another page may follow: the key of the last event returned. */
  next?: PageKey;
}

/** What facets count events by, in the store (category, product and operation follow from action). */
export type FacetField = 'action' | 'actor' | 'country' | 'outcome';

export interface AggregateRequest {
  facets: readonly FacetField[];
  /**
   * Histogram bucket boundaries (ascending epoch ms of event time): bucket i counts [bounds[i], bounds[i + 1]).
   * Events outside [bounds[0], last) are not in any bucket (the filter's time range should match).
   */
  bounds?: readonly number[];
  /**
   * Most events to read one by one when the store cannot count from rollups; the newest are read first, and the
   * counts then cover only them (`complete: false`).
   */
  scanLimit: number;
}

export interface ValueCount {
  value: string;
  count: number;
}

export interface Aggregates {
  /** Events counted. */
  total: number;
  /** Per field, every value counted, most frequent first. */
  facets: Partial<Record<FacetField, ValueCount[]>>;
  /** Per histogram bucket, when bounds were given. */
  buckets?: number[];
  /** false when the scan limit was reached: only the newest `total` matching events were counted. */
  complete: boolean;
  /** With complete: false, the event time of the oldest event counted. */
  coveredFrom?: number;
}

export interface NewApiKey {
  id: string;
  org: string | null;
  name: string;
  scopes: Scope[];
  /** SHA-256 of the secret; the secret itself is never stored. */
  hash: Buffer;
  /** When copied from another store: when it was created (default now) and revoked. */
  createdAt?: string;
  revokedAt?: string;
}

export interface StoredApiKey extends ApiKey {
  hash: Buffer;
}

/** One event's ledger entry as stored: what `annals verify` recomputes and checks. */
export interface StoredLeaf {
  seq: number;
  id: string;
  /** The leaf bytes (UTF-8 canonical JSON of the event) exactly as stored. */
  leaf: Buffer;
  /** The leaf hash stored beside it when it was appended. */
  leafHash: Buffer;
  /** The copies of the event's fields that searches filter on, as the events table holds them (when asked for). */
  indexed?: Omit<IndexedCopies, 'entities'>;
}

/** What a store keeps beside an event's leaf for searching, as PendingEvent carries it (entities in any order). */
export type IndexedCopies = Pick<PendingEvent, 'timeMs' | 'action' | 'actorId' | 'ip' | 'country' | 'city' | 'outcome' | 'entities'>;

export interface IndexFinding {
  seq?: number;
  id?: string;
  detail: string;
}

/** A signed checkpoint as kept by the store. */
export interface StoredCheckpoint {
  size: number;
  rootHash: Buffer;
  timeMs: number;
  /** The C2SP signed note. */
  note: string;
}

/** The public half of a checkpoint signing key, as kept in the store for every node to serve. */
export interface PublishedKey {
  /** `<name>+<key ID>+<base64 key>` (C2SP signed-note verifier key). */
  verifierKey: string;
  /** When the key was made. */
  createdMs: number;
}

export interface Store {
  /** Human name of the adapter, e.g. `sqlite`. */
  readonly dialect: string;
  /**
   * How many append calls the store works on at once to advantage: group commit hands it up to that many (1 for
   * a single writer; more where one commit's preparation overlaps another's I/O).
   */
  readonly concurrentAppends: number;

  /**
   * Appends every group in one commit; a group that fails leaves no trace and does not fail the others (an
   * ANN_ERR_IDEMPOTENCY_CONFLICT names the event at fault by its index in the group). Restored
   * events (PendingEvent.restored) keep their seq and processing time; a group of them fails with
   * ANN_ERR_RESTORE_CONFLICT unless each seq is the org's next, processing times do not go backwards, and no
   * idempotency key is stored already.
   */
  append(groups: AppendGroup[]): Promise<AppendResult[]>;
  getEvent(org: string, id: string): Promise<StoredEvent | undefined>;
  queryEvents(org: string, filter: EventFilter, page: PageRequest): Promise<EventPage>;
  /** The same page as queryEvents, each event as its stored leaf text (no parsing: the read hot path). */
  queryLeaves(org: string, filter: EventFilter, page: PageRequest): Promise<LeafPage>;
  /** Counts of the events that match `filter`: in total, per facet value and per histogram bucket. */
  aggregate(org: string, filter: EventFilter, request: AggregateRequest): Promise<Aggregates>;
  /** Number of events in the org's log (= next seq). */
  countEvents(org: string): Promise<number>;

  /** `createdAt` (ISO-8601) when copied from another store; default now. */
  createOrg(org: { id: string; name: string; createdAt?: string }): Promise<Org>;
  getOrg(id: string): Promise<Org | undefined>;
  listOrgs(): Promise<Org[]>;

  createApiKey(key: NewApiKey): Promise<ApiKey>;
  getApiKey(id: string): Promise<StoredApiKey | undefined>;
  listApiKeys(org: string | null): Promise<ApiKey[]>;
  /** Returns false when there was no such live key. */
  revokeApiKey(id: string): Promise<boolean>;
  countApiKeys(): Promise<number>;

  registerAction(org: string, action: Omit<ActionDefinition, 'builtIn'>): Promise<ActionDefinition>;
  getAction(org: string, key: string): Promise<ActionDefinition | undefined>;
  listActions(org: string): Promise<ActionDefinition[]>;

  /** The org's tree as of now: its size and the hashes of its compact range (perfectSubtrees(0, size)). */
  ledgerHead(org: string): Promise<{ size: number; hashes: Buffer[] }>;
  /** Hashes of complete nodes of the org's tree (level 0: leaf hashes), in the order asked. Throws if one is missing. */
  ledgerNodes(org: string, ids: readonly NodeID[]): Promise<Buffer[]>;
  /**
   * Whether the store's other indexes (the entities each event names, the rollup counts) say what its leaves say;
   * a finding per disagreement (at most `limit`). Part of `annals verify --deep`.
   */
  checkIndexes(org: string, limit: number): Promise<IndexFinding[]>;
  /**
   * Up to `limit` stored leaves with seq >= `from`, in seq order (gaps and all, as they are stored); `indexed`: with
   * the copies searches use (`annals verify --deep`), which costs a good part of a read.
   */
  readLeaves(org: string, from: number, limit: number, indexed?: boolean): Promise<StoredLeaf[]>;
  /** Keeps a checkpoint; returns false (and keeps the earlier one) if one of that size exists. */
  addCheckpoint(org: string, checkpoint: StoredCheckpoint): Promise<boolean>;
  getCheckpoint(org: string, size: number): Promise<StoredCheckpoint | undefined>;
  latestCheckpoint(org: string): Promise<StoredCheckpoint | undefined>;
  /** Checkpoints by size, ascending, from `fromSize` on. */
  listCheckpoints(org: string, fromSize: number, limit: number): Promise<StoredCheckpoint[]>;
  /** Keeps public checkpoint keys; one kept already (the same verifier key) stays as it was. */
  publishKeys(keys: readonly PublishedKey[]): Promise<void>;
  /** Every public checkpoint key kept, oldest first. */
  publishedKeys(): Promise<PublishedKey[]>;

  /**
   * A random 32-byte secret kept in the store under `name`, created on first use (e.g. the cursor MAC key), from
   * `initial` if given (copying a store keeps its cursors valid). Returns what is kept, which may not be `initial`.
   */
  secret(name: string, initial?: Buffer): Promise<Buffer>;
  /** The fingerprints stored with these idempotency keys of the org (keys without one, or unknown, are left out). */
  fingerprints(org: string, keys: readonly string[]): Promise<Map<string, Buffer>>;

  /**
   * Calls `listener` with the org after each commit that stored new events in it: commits of this process, and on a
   * database several Annals processes share (PostgreSQL), of every one of them. Resolves, once listening, to a
   * function that stops it. Wakes long polls of the events-stream.
   */
  watch(listener: (org: string) => void): Promise<() => void>;

  /**
   * Reads each org's newest `days` of events (back from its newest event) through the time index searches start
   * from, newest first, a slice at a time, the orgs in turn, yielding to the event loop between slices; stops at
   * `maxEntries` or when the store closes. Resolves to the index entries read. Only reads: answers do not change, only
   * how soon the first ones come after a quiet start (SQLite's page cache is the process's own and starts empty, and
   * a commit of the writer thread empties it again: it helps a store that is mostly read; on PostgreSQL it matters
   * after the database server restarts). `annals serve` calls it once it listens. Throws a RangeError for options
   * that are not whole numbers (days up to 1,000,000; slices of at least 1).
   */
  warm(options: WarmOptions): Promise<number>;

  /** Cheap round trip for readiness checks; throws if reads or appends cannot be served. */
  ping(): Promise<void>;
  close(): Promise<void>;
}
