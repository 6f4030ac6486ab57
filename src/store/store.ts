// The Store port: everything the services need from persistence, in domain types. One folder per adapter
// (store/sqlite/, later store/postgres/) implements it; test/contract/ runs one suite over every adapter.
import type { ActionDefinition } from '../domain/action.js';
import type { StoredEvent } from '../domain/event.js';
import type { ApiKey, Org, Scope } from '../domain/org.js';
import type { LeafParts } from '../ledger/leaf.js';
import type { NodeID } from '../ledger/node-id.js';

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
  ip?: string;
  idempotencyKey?: string;
  /** SHA-256 of the producer's input; stored with the idempotency key to tell a retry from a key reused. */
  fingerprint?: Uint8Array;
  /** Searchable text for the free-text index. */
  text: string;
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

export interface EventFilter {
  /** Inclusive lower bound, epoch ms, on the sort column. */
  from?: number;
  /** Exclusive upper bound, epoch ms, on the sort column. */
  to?: number;
  /** Any of these action keys (already expanded from categories/products by the caller). Present but empty: none. */
  actions?: string[];
  /** Any of these actors, each named by id, or by an email or name (any case) the actor has used in this org. */
  actors?: string[];
  ips?: string[];
  /** Free text: every term must match (already tokenised by the caller). */
  terms?: string[];
}

export interface PageRequest {
  limit: number;
  order: 'asc' | 'desc';
  /** `time`: event time (the default view); `processed`: commit order (the events-stream tail). */
  by: 'time' | 'processed';
  after?: PageKey;
}

export interface EventPage {
  events: StoredEvent[];
  /** Set when another page may follow: the key of the last event returned. */
  next?: PageKey;
}

export interface NewApiKey {
  id: string;
  org: string | null;
  name: string;
  scopes: Scope[];
  /** SHA-256 of the secret; the secret itself is never stored. */
  hash: Buffer;
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
  /** The copies of the event's fields that searches filter on, as the store holds them. */
  indexed: { timeMs: number; action: string; actorId: string; ip: string | null };
}

/** A signed checkpoint as kept by the store. */
export interface StoredCheckpoint {
  size: number;
  rootHash: Buffer;
  timeMs: number;
  /** The C2SP signed note. */
  note: string;
}

export interface Store {
  /** Human name of the adapter, e.g. `sqlite`. */
  readonly dialect: string;

  /** Appends every group in one commit; a group that fails leaves no trace and does not fail the others. */
  append(groups: AppendGroup[]): Promise<AppendResult[]>;
  getEvent(org: string, id: string): Promise<StoredEvent | undefined>;
  queryEvents(org: string, filter: EventFilter, page: PageRequest): Promise<EventPage>;
  /** Number of events in the org's log (= next seq). */
  countEvents(org: string): Promise<number>;

  createOrg(org: { id: string; name: string }): Promise<Org>;
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
  /** Up to `limit` stored leaves with seq >= `from`, in seq order (gaps and all, as they are stored). */
  readLeaves(org: string, from: number, limit: number): Promise<StoredLeaf[]>;
  /** Keeps a checkpoint; returns false (and keeps the earlier one) if one of that size exists. */
  addCheckpoint(org: string, checkpoint: StoredCheckpoint): Promise<boolean>;
  getCheckpoint(org: string, size: number): Promise<StoredCheckpoint | undefined>;
  latestCheckpoint(org: string): Promise<StoredCheckpoint | undefined>;
  /** Checkpoints by size, ascending, from `fromSize` on. */
  listCheckpoints(org: string, fromSize: number, limit: number): Promise<StoredCheckpoint[]>;

  /** A random 32-byte secret kept in the store under `name`, created on first use (e.g. the cursor MAC key). */
  secret(name: string): Promise<Buffer>;

  /** Cheap round trip for readiness checks; throws if reads or appends cannot be served. */
  ping(): Promise<void>;
  close(): Promise<void>;
}
