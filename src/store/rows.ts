// What both SQL adapters share about their rows: stored times, frontiers, keys, actions and checkpoints back into
// domain values, and the filters that can match nothing whatever is stored.
import type { ActionDefinition, Operation, Product } from '../domain/action.js';
import { AnnalsError } from '../domain/errors.js';
import type { StoredEvent } from '../domain/event.js';
import { type ApiKey, ORG_ID_PATTERN, type Org, type Scope } from '../domain/org.js';
import { isText, NOT_TEXT } from '../domain/text.js';
import { HASH_SIZE } from '../ledger/hasher.js';
import type { AggregateRequest, EntityRole, EventFilter, EventPage, LeafPage, Match, NewApiKey, StoredCheckpoint, StoredLeaf } from './store.js';

/** How outcomes and entity roles are stored: small integers. */
export const OUTCOME_CODE = { success: 0, failure: 1 } as const;
export const ROLE_CODE = { context: 0, container: 1, token: 2 } as const;
/** The role each code stands for (ROLE_CODE the other way round); undefined for a code no role has. */
export const ROLE_OF_CODE: readonly (EntityRole | undefined)[] = Object.entries(ROLE_CODE)
  .reduce<EntityRole[]>((roles, [role, code]) => { roles[code] = role as EntityRole; return roles; }, []);

/** Epoch ms as ISO-8601 UTC with milliseconds, the form every stored time takes. */
export const iso = (ms: number) => new Date(ms).toISOString();

/** An org's stored frontier (its compact range's hashes, concatenated) as hashes. */
export function splitFrontier(frontier: Buffer): Buffer[] {
  const hashes: Buffer[] = [];
  for (let i = 0; i < frontier.length; i += HASH_SIZE) hashes.push(frontier.subarray(i, i + HASH_SIZE));
  return hashes;
}

export interface OrgRow { id: string; name: string; created_ms: number }
export interface KeyRow { id: string; org_id: string | null; name: string; scopes: string; hash: Buffer; created_ms: number; revoked_ms: number | null }
export interface CheckpointRow { size: number; root: Buffer; time_ms: number; note: string }
export interface ActionRow { key: string; display_name: string; category: string; product: string; operation: string }

/** A stored leaf, with its index copies when they were selected, as both adapters select it. */
export interface LeafRow {
  seq: number; id: string; body: Buffer; leaf_hash: Buffer; time_ms?: number; action?: string; actor_id?: string;
  ip?: Buffer | null; country?: string | null; city?: string | null; outcome?: number;
}

export function leafFromRow(r: LeafRow): StoredLeaf {
  if (r.time_ms === undefined) return { seq: r.seq, id: r.id, leaf: r.body, leafHash: r.leaf_hash };
  const indexed: NonNullable<StoredLeaf['indexed']> = {
    timeMs: r.time_ms, action: r.action!, actorId: r.actor_id!, outcome: r.outcome === OUTCOME_CODE.failure ? 'failure' : 'success',
  };
  if (r.ip != null) indexed.ip = r.ip;
  if (r.country != null) indexed.country = r.country;
  if (r.city != null) indexed.city = r.city;
  return { seq: r.seq, id: r.id, leaf: r.body, leafHash: r.leaf_hash, indexed };
}

export function checkpointFromRow(row: CheckpointRow): StoredCheckpoint {
  return { size: row.size, rootHash: row.root, timeMs: row.time_ms, note: row.note };
}

/** A new org's row (its id checked, its creation time now unless given): what createOrg stores. */
export function newOrgRow(org: { id: string; name: string; createdAt?: string }): OrgRow {
  if (!ORG_ID_PATTERN.test(org.id)) {
    throw new AnnalsError('ANN_ERR_ORG_INVALID', 'an org id is 1-64 letters, digits, - and _, starting with a letter or digit', { pointer: '/id' });
  }
  if (!isText(org.name)) throw new AnnalsError('ANN_ERR_ORG_INVALID', `the name of organization '${org.id}' ${NOT_TEXT}`, { pointer: '/name' });
  return { id: org.id, name: org.name, created_ms: org.createdAt === undefined ? Date.now() : Date.parse(org.createdAt) };
}

export const orgFromRow = (row: OrgRow): Org => ({ id: row.id, name: row.name, createdAt: iso(row.created_ms) });

/** A new key's row (created now unless given): what createApiKey stores. */
export function newKeyRow(key: NewApiKey): KeyRow {
  return {
    id: key.id, org_id: key.org, name: key.name, scopes: key.scopes.join(' '), hash: key.hash,
    created_ms: key.createdAt === undefined ? Date.now() : Date.parse(key.createdAt),
    revoked_ms: key.revokedAt === undefined ? null : Date.parse(key.revokedAt),
  };
}

export function keyFromRow(row: KeyRow): ApiKey {
  const key: ApiKey = {
    id: row.id, org: row.org_id, name: row.name, scopes: row.scopes.split(' ') as Scope[], createdAt: iso(row.created_ms),
  };
  if (row.revoked_ms !== null) key.revokedAt = iso(row.revoked_ms);
  return key;
}

export function actionFromRow(row: ActionRow): ActionDefinition {
  return {
    key: row.key, displayName: row.display_name, category: row.category,
    product: row.product as Product, operation: row.operation as Operation, builtIn: false,
  };
}

/** Whether `f` can match no event at all: an empty `any`, or an empty time range. */
export function matchesNothing(f: EventFilter): boolean {
  for (const v of Object.values(f)) {
    const any = (v as Match<unknown> | undefined)?.any;
    if (any !== undefined && any.length === 0) return true;
  }
  return [f.time, f.processed].some((range) => range?.from !== undefined && range.to !== undefined && range.from >= range.to);
}

/** A page of leaves as parsed events (queryEvents over queryLeaves). */
export function eventPage({ leaves, next }: LeafPage): EventPage {
  const events = leaves.texts().map((leaf) => JSON.parse(leaf) as StoredEvent);
  return next ? { events, next } : { events };
}

/**
 * Whether Store.aggregate counts `f` whole rather than event by event up to the scan limit: a time window alone, or
 * with a condition on the action when only action counts are asked for (what the embedded store's rollups answer;
 * PostgreSQL counts these in SQL).
 */
export function countedWhole(f: EventFilter, request: AggregateRequest): boolean {
  // (actionsWithin is no condition: it says where `actions` came from.)
  const rest = Object.entries(f).filter(([k, v]) => k !== 'time' && k !== 'actionsWithin' && v !== undefined).map(([k]) => k);
  return rest.length === 0 || (rest.length === 1 && rest[0] === 'actions' && request.facets.every((x) => x === 'action'));
}
