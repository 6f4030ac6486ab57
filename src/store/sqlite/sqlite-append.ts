// The embedded store's write path: sequencing, the ledger and the indexes of appended events, in one transaction.
// It runs on whichever connection owns writes: a writer thread (sqlite-writer.ts) or, for `:memory:`, inline.
import type Database from 'better-sqlite3';
import { builtInAction } from '../../catalogue/catalogue.js';
import { AnnalsError } from '../../domain/errors.js';
import { CompactRange } from '../../ledger/compact-range.js';
import { HASH_SIZE, leafHashAndBytes } from '../../ledger/hasher.js';
import { leafFromParts } from '../../ledger/leaf.js';
import { checkRestored } from '../restored.js';
import { iso, splitFrontier } from '../rows.js';
import { toWire, type WireResult } from '../writer-thread.js';
import type { AppendGroup, AppendedEvent, PendingEvent } from '../store.js';
import { compareKeys, DAY_MS, KEY_SHIFT, KEY_UNIT } from './sqlite-keys.js';
import { RollupCounts } from '../rollups.js';
import { UPSERT_ROLLUP, writeRollups } from './sqlite-rollups.js';
import { ftsDocument, ftsRowid, ftsTable, type TokenValues } from './sqlite-fts.js';
import { OUTCOME_CODE, ROLE_CODE } from './sqlite-schema.js';

/** What an event's full-text row names of its action (see sqlite-fts.ts). */
type ActionGroups = TokenValues['action'];

/** A full-text row waiting for the end of its transaction (see SqliteAppender.#writeTexts). */
interface TextRow {
  orgNo: number;
  rowid: bigint;
  text: string;
}

/** Entity rows inserted by one statement at most. */
const ENTITY_ROWS_MAX = 64;

export interface AppenderOptions {
  /** false leaves the Merkle tree alone (benchmarks only: it measures what the ledger costs). */
  ledger?: boolean;
}

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

export class SqliteAppender {
  readonly #ledger: boolean;
  readonly #db: Database.Database;
  readonly #orgNo = new Map<string, number>();
  /** (org_no, alias, actor) triples known to be in actor_aliases: skips a write per event for known actors. */
  readonly #aliases = new Set<string>();
  /** Aliases written by the transaction in progress: remembered in #aliases only once it commits. */
  #newAliases: string[] = [];
  readonly #stmt;
  /** Each org's full-text insert (the table is the org's own). */
  readonly #insertText = new Map<number, Database.Statement>();
  /**
   * Full-text rows of the transaction in progress (a failed group's cut off again): written last, in rowid order
   * (see ftsRowid), so that FTS5 makes one segment of the whole transaction.
   */
  #texts: TextRow[] = [];
  /** The org's own actions seen, by org number and key (see #action). */
  readonly #customActions = new Map<string, ActionGroups>();
  /** The entity rows' insert for each number of rows (see #entityRows). */
  readonly #insertEntities = new Map<number, Database.Statement>();
  /** Rollup counts of the transaction in progress, and of the group in progress (absorbed when it commits). */
  readonly #rollups = new RollupCounts();
  readonly #groupRollups = new RollupCounts();
  readonly #appendAll: Database.Transaction<(groups: AppendGroup[]) => WireResult[]>;

  constructor(db: Database.Database, options: AppenderOptions = {}) {
    this.#ledger = options.ledger ?? true;
    this.#db = db;
    this.#stmt = {
      org: db.prepare<[string], { no: number }>('SELECT no FROM orgs WHERE id = ?'),
      head: db.prepare<[number], { next_seq: number; last_processed_ms: number; frontier: Buffer }>(
        'SELECT next_seq, last_processed_ms, frontier FROM orgs WHERE no = ?'),
      setHead: db.prepare('UPDATE orgs SET next_seq = ?, last_processed_ms = ?, frontier = ? WHERE no = ?'),
      // The time key (see sqlite-schema.ts): the next free one at the event's millisecond. The three time
      // parameters are the same value. The body comes as the leaf's UTF-8 bytes, already encoded for its hash, and
      // is stored as the TEXT they spell (a cast, not a conversion).
      insertEvent: db.prepare(
        `INSERT INTO events (rowid, org_no, seq, id, time_ms, processed_ms, action, actor_id, ip, country, city, outcome, day, body, leaf_hash)
         VALUES ((SELECT coalesce(max(rowid) + 1, ? * ${KEY_UNIT}) FROM events WHERE rowid >= ? * ${KEY_UNIT} AND rowid < (? + 1) * ${KEY_UNIT}),
                 ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, CAST(? AS TEXT), ?)`).safeIntegers(true),
      upsertRollup: db.prepare(UPSERT_ROLLUP),
      insertNode: db.prepare('INSERT INTO merkle_nodes (org_no, level, idx, hash) VALUES (?, ?, ?, ?)'),
      insertAlias: db.prepare('INSERT OR IGNORE INTO actor_aliases (org_no, alias, actor_id) VALUES (?, ?, ?)'),
      idempotency: db.prepare<[number, string], { seq: number; fingerprint: Buffer | null }>(
        'SELECT seq, fingerprint FROM idempotency WHERE org_no = ? AND key = ?'),
      insertIdempotency: db.prepare('INSERT INTO idempotency (org_no, key, seq, fingerprint) VALUES (?, ?, ?, ?)'),
      eventBySeq: db.prepare<[number, number], { id: string; processed_ms: number }>(
        'SELECT id, processed_ms FROM events WHERE org_no = ? AND seq = ?'),
      customAction: db.prepare<[number, string], ActionGroups>('SELECT key, product, category FROM actions WHERE org_no = ? AND key = ?'),
    };
    // Each group runs in its own savepoint (a nested better-sqlite3 transaction) inside one write transaction:
    // one fsync for all of them, and a group that throws is rolled back alone.
    const appendGroup = db.transaction((group: AppendGroup): AppendedEvent[] => this.#appendOne(group));
    this.#appendAll = db.transaction((groups: AppendGroup[]): WireResult[] => {
      const results = groups.map((group): WireResult => {
        const mark = this.#newAliases.length;
        const textMark = this.#texts.length;
        try {
          const events = appendGroup(group);
          this.#rollups.absorb(this.#groupRollups);
          return { ok: true, events };
        } catch (error) {
          this.#groupRollups.clear();
          this.#texts.length = textMark;
          // SQLITE_FULL, _IOERR or _NOMEM can roll back the whole transaction, not just the group's savepoint:
          // then no later group may run (it would commit on its own); the whole append fails.
          if (!this.#db.inTransaction) throw error;
          this.#newAliases.length = mark;
          return { ok: false, error: toWire(error) };
        }
      });
      // One upsert per distinct rollup row of the whole transaction, not one per event.
      writeRollups(this.#rollups, this.#stmt.upsertRollup);
      this.#writeTexts();
      return results;
    });
  }

  /** Appends every group in one IMMEDIATE transaction (one fsync); see Store.append. */
  append(groups: AppendGroup[]): WireResult[] {
    try {
      const results = this.#appendAll.immediate(groups);
      for (const k of this.#newAliases) this.#aliases.add(k);
      return results;
    } catch (error) {
      // The outer transaction itself failed (disk full, I/O error): nothing of it was committed.
      this.#rollups.clear();
      this.#groupRollups.clear();
      const wire = toWire(error);
      return groups.map(() => ({ ok: false, error: wire }));
    } finally {
      this.#newAliases = [];
      this.#texts = [];
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
    let processedMs = Math.max(Date.now(), head.last_processed_ms);
    let processedAt = iso(processedMs);
    /** The processing time of the last event stored: restored events must not go back before it. */
    let lastMs = head.last_processed_ms;
    const visit = (id: { level: number; index: number }, hash: Buffer) => {
      if (id.level > 0) s.insertNode.run(orgNo, id.level, id.index, hash);
    };
    const out: AppendedEvent[] = [];
    for (let index = 0; index < group.events.length; index++) {
      const pending = group.events[index];
      const key = pending.idempotencyKey;
      const seen = key === undefined ? undefined : s.idempotency.get(orgNo, key);
      if (pending.restored) {
        checkRestored(pending, seq, lastMs, seen !== undefined);
        processedMs = lastMs = pending.restored.processedMs;
        processedAt = iso(processedMs);
      }
      if (key !== undefined) {
        if (seen) {
          if (pending.fingerprint && seen.fingerprint && !Buffer.from(pending.fingerprint).equals(seen.fingerprint)) {
            throw new AnnalsError('ANN_ERR_IDEMPOTENCY_CONFLICT',
              `idempotency key '${key}' was already used for a different event`, { idempotencyKey: key, index });
          }
          const earlier = s.eventBySeq.get(orgNo, seen.seq)!;
          out.push({ id: earlier.id, seq: seen.seq, processedAt: iso(earlier.processed_ms), duplicate: true });
          continue;
        }
      }
      const leaf = leafFromParts(pending.leaf, group.org, processedAt, seq);
      const { hash, bytes } = this.#ledger ? leafHashAndBytes(leaf) : { hash: Buffer.alloc(HASH_SIZE), bytes: Buffer.from(leaf) };
      this.#store(orgNo, seq, processedMs, pending, bytes, hash);
      range?.append(hash, visit);
      if (key !== undefined) s.insertIdempotency.run(orgNo, key, seq, pending.fingerprint ?? null);
      this.#rememberActor(orgNo, pending.actorId, pending.actorEmail, pending.actorName);
      out.push({ id: pending.id, seq, processedAt, duplicate: false });
      seq++;
    }
    s.setHead.run(seq, processedMs, range ? Buffer.concat(range.hashes as Buffer[]) : head.frontier, orgNo);
    return out;
  }

  /** The event's row, its full-text row, its entities and its rollup counts. */
  #store(orgNo: number, seq: number, processedMs: number, p: PendingEvent, leaf: Uint8Array, hash: Buffer): void {
    const s = this.#stmt;
    const t = p.timeMs;
    // Crossing from another thread turns a Buffer into a plain Uint8Array: wrap it again, without copying.
    const ip = p.ip === undefined ? null : Buffer.from(p.ip.buffer, p.ip.byteOffset, p.ip.byteLength);
    const failed = p.outcome === 'failure';
    const outcome = failed ? OUTCOME_CODE.failure : OUTCOME_CODE.success;
    const day = Math.floor(t / DAY_MS);
    const full = () => new AnnalsError('ANN_ERR_EVENT_INVALID',
      `more than ${KEY_UNIT} events share the time ${iso(t)}; spread them over more than one millisecond`);
    let key: bigint;
    try {
      key = s.insertEvent.run(t, t, t, orgNo, seq, p.id, t, processedMs, p.action, p.actorId, ip,
        p.country ?? null, p.city ?? null, outcome, day, leaf, hash).lastInsertRowid as bigint;
    } catch (error) {
      // The millisecond's keys ran into the next millisecond's first one.
      if ((error as { code?: string }).code === 'SQLITE_CONSTRAINT_PRIMARYKEY') throw full();
      throw error;
    }
    if (key >> KEY_SHIFT !== BigInt(t)) throw full();
    this.#texts.push({ orgNo, rowid: ftsRowid(key), text: ftsDocument(p.text, { actor: p.actorId, action: this.#action(orgNo, p.action), country: p.country }) });
    // One statement for the event's entity rows (per-statement overhead was a part of what each row cost).
    const { entities } = p;
    for (let from = 0; from < entities.length; from += ENTITY_ROWS_MAX) {
      const to = Math.min(entities.length, from + ENTITY_ROWS_MAX);
      const params: unknown[] = [];
      for (let i = from; i < to; i++) {
        params.push(orgNo, day, entities[i].id, key, ROLE_CODE[entities[i].role], entities[i].type, t, p.action, p.actorId, p.country ?? null, outcome);
      }
      this.#entityRows(to - from).run(params);
    }
    this.#groupRollups.add(orgNo, t, p.action, p.actorId, p.country, failed);
  }

  /** An insert of `n` entity rows (at most ENTITY_ROWS_MAX), prepared once per row count. */
  #entityRows(n: number): Database.Statement {
    let stmt = this.#insertEntities.get(n);
    if (!stmt) {
      stmt = this.#db.prepare(`INSERT OR IGNORE INTO event_entities (org_no, day, id, k, role, type, time_ms, action, actor_id, country, outcome)
        VALUES ${new Array(n).fill('(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)').join(', ')}`);
      this.#insertEntities.set(n, stmt);
    }
    return stmt;
  }

  /**
   * An action's product and category, for its full-text tokens: built in, or the org's own (remembered: actions
   * never change). Ingest refuses an event whose action is neither, and copying a store copies its actions first;
   * an append that bypasses both (the store's own tests) has neither, and no product or category asks for it.
   */
  #action(orgNo: number, key: string): ActionGroups {
    const builtIn = builtInAction(key);
    if (builtIn) return builtIn;
    const known = `${orgNo}\u0000${key}`;
    let action = this.#customActions.get(known);
    if (!action) {
      action = this.#stmt.customAction.get(orgNo, key);
      if (!action) return { key };
      this.#customActions.set(known, action);
    }
    return action;
  }

  /**
   * The transaction's full-text rows, each org's in ascending rowid order (events mostly come oldest first: a run
   * sort reverses). They are written outside the groups' savepoints: an error here (a corrupt full-text table, the
   * disk) fails every group of the transaction, and nothing of it is committed.
   */
  #writeTexts(): void {
    this.#texts.sort((a, b) => a.orgNo - b.orgNo || compareKeys(a.rowid, b.rowid));
    for (const row of this.#texts) this.#text(row.orgNo).run(row.rowid, row.text);
  }

  #text(orgNo: number): Database.Statement {
    let stmt = this.#insertText.get(orgNo);
    if (!stmt) {
      stmt = this.#db.prepare(`INSERT INTO ${ftsTable(orgNo)} (rowid, text) VALUES (?, ?)`);
      this.#insertText.set(orgNo, stmt);
    }
    return stmt;
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
