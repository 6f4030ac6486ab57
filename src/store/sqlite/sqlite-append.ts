// The embedded store's write path: sequencing, the ledger and the indexes of appended events, in one transaction.
// It runs on whichever connection owns writes: a writer thread (sqlite-writer.ts) or, for `:memory:`, inline.
import type Database from 'better-sqlite3';
import { AnnalsError } from '../../domain/errors.js';
import { CompactRange } from '../../ledger/compact-range.js';
import { HASH_SIZE, leafHash } from '../../ledger/hasher.js';
import { leafFromParts } from '../../ledger/leaf.js';
import type { AppendGroup, AppendedEvent } from '../store.js';

/** An append result as it crosses threads: errors as plain data, rebuilt into AnnalsError by the caller. */
export type WireResult =
  | { ok: true; events: AppendedEvent[] }
  | { ok: false; error: { code?: string; message: string; details?: Record<string, unknown> } };

export interface AppenderOptions {
  /** false leaves the Merkle tree alone (benchmarks only: it measures what the ledger costs). */
  ledger?: boolean;
}

/** Epoch ms as ISO-8601 UTC with milliseconds, the form every stored time takes. */
export const iso = (ms: number) => new Date(ms).toISOString();

/** An org's number (orgs.no), looked up once and remembered: orgs are never deleted or renumbered. */
export function orgNumber(cache: Map<string, number>, lookup: Database.Statement<[string], { no: number }>, id: string): number {
  let no = cache.get(id);
  if (no === undefined) {
    const row = lookup.get(id);
    if (!row) throw new AnnalsError('ANN_ERR_ORG_NOT_FOUND', `organization '${id}' does not exist`, { parameter: 'orgId' });
    no = row.no;
    cache.set(id, no);
  }
  return no;
}

export function splitFrontier(frontier: Buffer): Buffer[] {
  const hashes: Buffer[] = [];
  for (let i = 0; i < frontier.length; i += HASH_SIZE) hashes.push(frontier.subarray(i, i + HASH_SIZE));
  return hashes;
}

export class SqliteAppender {
  readonly #ledger: boolean;
  readonly #db: Database.Database;
  readonly #orgNo = new Map<string, number>();
  /** (org_no, alias, actor) triples known to be in actor_aliases: skips a write per event for known actors. */
  readonly #aliases = new Set<string>();
  /** Aliases written by the transaction in progress: remembered in #aliases only once it commits. */
  #newAliases: string[] = [];
  readonly #stmt;
  readonly #appendAll: Database.Transaction<(groups: AppendGroup[]) => WireResult[]>;

  constructor(db: Database.Database, options: AppenderOptions = {}) {
    this.#ledger = options.ledger ?? true;
    this.#db = db;
    this.#stmt = {
      org: db.prepare<[string], { no: number }>('SELECT no FROM orgs WHERE id = ?'),
      head: db.prepare<[number], { next_seq: number; last_processed_ms: number; frontier: Buffer }>(
        'SELECT next_seq, last_processed_ms, frontier FROM orgs WHERE no = ?'),
      setHead: db.prepare('UPDATE orgs SET next_seq = ?, last_processed_ms = ?, frontier = ? WHERE no = ?'),
      insertEvent: db.prepare(
        `INSERT INTO events (org_no, seq, id, time_ms, processed_ms, action, actor_id, ip, body, leaf_hash)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
      insertText: db.prepare('INSERT INTO events_fts (rowid, text) VALUES (?, ?)'),
      insertNode: db.prepare('INSERT INTO merkle_nodes (org_no, level, idx, hash) VALUES (?, ?, ?, ?)'),
      insertAlias: db.prepare('INSERT OR IGNORE INTO actor_aliases (org_no, alias, actor_id) VALUES (?, ?, ?)'),
      idempotency: db.prepare<[number, string], { seq: number; fingerprint: Buffer | null }>(
        'SELECT seq, fingerprint FROM idempotency WHERE org_no = ? AND key = ?'),
      insertIdempotency: db.prepare('INSERT INTO idempotency (org_no, key, seq, fingerprint) VALUES (?, ?, ?, ?)'),
      eventBySeq: db.prepare<[number, number], { id: string; processed_ms: number }>(
        'SELECT id, processed_ms FROM events WHERE org_no = ? AND seq = ?'),
    };
    // Each group runs in its own savepoint (a nested better-sqlite3 transaction) inside one write transaction:
    // one fsync for all of them, and a group that throws is rolled back alone.
    const appendGroup = db.transaction((group: AppendGroup): AppendedEvent[] => this.#appendOne(group));
    this.#appendAll = db.transaction((groups: AppendGroup[]): WireResult[] =>
      groups.map((group) => {
        const mark = this.#newAliases.length;
        try {
          return { ok: true, events: appendGroup(group) };
        } catch (error) {
          // SQLITE_FULL, _IOERR or _NOMEM can roll back the whole transaction, not just the group's savepoint:
          // then no later group may run (it would commit on its own); the whole append fails.
          if (!this.#db.inTransaction) throw error;
          this.#newAliases.length = mark;
          return { ok: false, error: toWire(error) };
        }
      }));
  }

  /** Appends every group in one IMMEDIATE transaction (one fsync); see Store.append. */
  append(groups: AppendGroup[]): WireResult[] {
    try {
      const results = this.#appendAll.immediate(groups);
      for (const k of this.#newAliases) this.#aliases.add(k);
      return results;
    } catch (error) {
      // The outer transaction itself failed (disk full, I/O error): nothing of it was committed.
      const wire = toWire(error);
      return groups.map(() => ({ ok: false, error: wire }));
    } finally {
      this.#newAliases = [];
    }
  }

  #org(id: string): number {
    return orgNumber(this.#orgNo, this.#stmt.org, id);
  }

  #appendOne(group: AppendGroup): AppendedEvent[] {
    const s = this.#stmt;
    const orgNo = this.#org(group.org);
    // Read inside the write transaction: another process appending to the same file is seen here.
    const head = s.head.get(orgNo)!;
    let seq = head.next_seq;
    const range = this.#ledger ? CompactRange.from(seq, splitFrontier(head.frontier)) : undefined;
    // processedAt never goes backwards within an org, even if the clock does: pollers resume from it.
    const processedMs = Math.max(Date.now(), head.last_processed_ms);
    const processedAt = iso(processedMs);
    const visit = (id: { level: number; index: number }, hash: Buffer) => {
      if (id.level > 0) s.insertNode.run(orgNo, id.level, id.index, hash);
    };
    const out: AppendedEvent[] = [];
    for (const pending of group.events) {
      const key = pending.idempotencyKey;
      if (key !== undefined) {
        const seen = s.idempotency.get(orgNo, key);
        if (seen) {
          if (pending.fingerprint && seen.fingerprint && !Buffer.from(pending.fingerprint).equals(seen.fingerprint)) {
            throw new AnnalsError('ANN_ERR_IDEMPOTENCY_CONFLICT',
              `idempotency key '${key}' was already used for a different event`, { idempotencyKey: key });
          }
          const earlier = s.eventBySeq.get(orgNo, seen.seq)!;
          out.push({ id: earlier.id, seq: seen.seq, processedAt: iso(earlier.processed_ms), duplicate: true });
          continue;
        }
      }
      const leaf = leafFromParts(pending.leaf, group.org, processedAt, seq);
      const hash = this.#ledger ? leafHash(leaf) : Buffer.alloc(HASH_SIZE);
      const info = s.insertEvent.run(orgNo, seq, pending.id, pending.timeMs, processedMs, pending.action,
        pending.actorId, pending.ip ?? null, leaf, hash);
      s.insertText.run(info.lastInsertRowid, pending.text);
      range?.append(hash, visit);
      if (key !== undefined) s.insertIdempotency.run(orgNo, key, seq, pending.fingerprint ?? null);
      this.#rememberActor(orgNo, pending.actorId, pending.actorEmail, pending.actorName);
      out.push({ id: pending.id, seq, processedAt, duplicate: false });
      seq++;
    }
    s.setHead.run(seq, processedMs, range ? Buffer.concat(range.hashes as Buffer[]) : head.frontier, orgNo);
    return out;
  }

  /** Lets `actor=` filters find an actor by email or name as well as by id. */
  #rememberActor(orgNo: number, actorId: string, email: string | undefined, name: string | undefined): void {
    for (const alias of [email, name]) {
      if (alias === undefined || alias === '') continue;
      const lower = alias.toLowerCase();
      const k = `${orgNo}\u0000${lower}\u0000${actorId}`;
      if (this.#aliases.has(k)) continue;
      this.#stmt.insertAlias.run(orgNo, lower, actorId);
      this.#newAliases.push(k);
    }
  }
}

function toWire(error: unknown): { code?: string; message: string; details?: Record<string, unknown> } {
  if (error instanceof AnnalsError) return { code: error.code, message: error.message, details: error.details };
  return { message: error instanceof Error ? error.message : String(error) };
}

/** Rebuilds a WireResult's error on the caller's side. */
export function fromWire(error: { code?: string; message: string; details?: Record<string, unknown> }): Error {
  if (error.code) return new AnnalsError(error.code as never, error.message, error.details ?? {});
  return new Error(error.message);
}
