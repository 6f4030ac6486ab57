// The PostgreSQL store's write path: sequencing, the ledger and the indexes of appended events, in one transaction.
//
// One ledger, many writers: every Annals process appending to an org first locks the org's row
// (SELECT … FOR NO KEY UPDATE, orgs in id order so two transactions never wait on each other in a cycle). The row holds
// the org's next seq, its last processedAt and its Merkle frontier: whoever holds the lock extends the tree from
// exactly where the last commit left it, and the lock is released by COMMIT, when the rows are durable. So any
// number of processes produce one gap-free sequence and one tree per org, and a transaction that dies (a process
// killed mid-append) rolls back whole: nothing it did not acknowledge is half-stored, nothing acknowledged is lost.
//
// Groups are checked in memory before anything is written (unknown org, idempotency, values the database cannot
// hold); then all rows of all good groups go in with one COPY per table (a multi-row INSERT of arrays for the two
// small tables that need ON CONFLICT or are rare).
import type { Pool, PoolClient } from 'pg';
import { AnnalsError, unavailableForNow } from '../../domain/errors.js';
import { words } from '../../domain/words.js';
import { CompactRange } from '../../ledger/compact-range.js';
import { HASH_SIZE, leafHash } from '../../ledger/hasher.js';
import { leafFromParts } from '../../ledger/leaf.js';
import { checkRestored } from '../restored.js';
import { RollupCounts } from '../rollups.js';
import { iso, splitFrontier } from '../rows.js';
import type { AppendGroup, AppendedEvent, AppendResult, PendingEvent } from '../store.js';
import { copyLine, copyLines } from './postgres-copy.js';
import { monthOf, OUTCOME_CODE, Partitions, ROLE_CODE, storable } from './postgres-schema.js';

/** The channel NOTIFY announces appends on; the payload is the org id. */
export const APPEND_CHANNEL = 'annals_appended';

interface Head {
  nextSeq: number;
  lastProcessedMs: number;
  frontier: Buffer;
}

/** Rows of one table as columns (what unnest takes). */
class Columns<T extends unknown[]> {
  readonly cols: unknown[][];
  length = 0;

  constructor(width: number) {
    this.cols = Array.from({ length: width }, () => []);
  }

  push(...row: T): void {
    for (let i = 0; i < row.length; i++) this.cols[i].push(row[i]);
    this.length++;
  }

  truncate(length: number): void {
    for (const col of this.cols) col.length = length;
    this.length = length;
  }
}

/**
 * A transaction's rows: COPY lines for the big tables, columns for the two that need ON CONFLICT or are rare. A
 * group writes straight into them; one that fails is cut off again (mark, then back to it).
 */
class Rows {
  events: string[] = [];
  ledger: string[] = [];
  entities: string[] = [];
  nodes: string[] = [];
  idempotency = new Columns<[string, string, number, Buffer | null]>(4);
  aliases = new Columns<[string, string, string]>(3);
  /** The rollup counts of the groups that went in, and of the group going in (absorbed when it does). */
  rollups = new RollupCounts();
  group = new RollupCounts();

  mark(): number[] {
    return [this.events.length, this.ledger.length, this.entities.length, this.nodes.length, this.idempotency.length, this.aliases.length];
  }

  backTo([events, ledger, entities, nodes, idempotency, aliases]: number[]): void {
    this.events.length = events;
    this.ledger.length = ledger;
    this.entities.length = entities;
    this.nodes.length = nodes;
    this.idempotency.truncate(idempotency);
    this.aliases.truncate(aliases);
    this.group.clear();
  }
}

/** The tables loaded by COPY, and their columns in line order. */
const COPIES = [
  { rows: 'events', target: 'events (org_id, time_ms, seq, id, processed_ms, action, actor_id, ip, country, city, outcome, body, words)' },
  { rows: 'ledger', target: 'ledger (org_id, seq, id, time_ms, processed_ms, leaf_hash)' },
  { rows: 'entities', target: 'event_entities (org_id, id, role, type, time_ms, seq)' },
  { rows: 'nodes', target: 'merkle_nodes (org_id, level, idx, hash)' },
] as const;

const INSERTS = {
  idempotency: `INSERT INTO idempotency (org_id, key, seq, fingerprint) SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[], $4::bytea[])`,
  aliases: `INSERT INTO actor_aliases (org_id, alias, actor_id) SELECT * FROM unnest($1::text[], $2::text[], $3::text[]) ON CONFLICT DO NOTHING`,
  // Only appends to an org, which hold its lock, touch its rollup rows: no two transactions wait on each other here.
  rollups: `INSERT INTO rollups (org_id, dim, grain, bucket, value, n)
    SELECT * FROM unnest($1::text[], $2::smallint[], $3::smallint[], $4::bigint[], $5::text[], $6::bigint[])
    ON CONFLICT (org_id, dim, grain, bucket, value) DO UPDATE SET n = rollups.n + excluded.n`,
} as const;

/** The first text field of `p` that PostgreSQL cannot store (text holds no NUL), if any. */
function unstorable(p: PendingEvent): string | undefined {
  const bad = (v: string | undefined) => v !== undefined && !storable(v);
  if (bad(p.actorId)) return 'actor.id';
  if (bad(p.actorEmail)) return 'actor.email';
  if (bad(p.actorName)) return 'actor.name';
  if (bad(p.country)) return 'location.countryName';
  if (bad(p.city)) return 'location.city';
  if (bad(p.idempotencyKey)) return 'idempotencyKey';
  for (const e of p.entities) {
    if (bad(e.id)) return `${e.role}.id`;
    if (bad(e.type)) return `${e.role}.type`;
  }
  return undefined;
}

/** Appends through a pool: the partitions the events need, a connection, one PostgresAppender transaction. */
export class PostgresWriter {
  readonly #pool: Pool;
  readonly #partitions: Partitions;
  readonly #appender: PostgresAppender;

  constructor(pool: Pool, ledger: boolean) {
    this.#pool = pool;
    this.#partitions = new Partitions(pool);
    this.#appender = new PostgresAppender(ledger);
  }

  /** See Store.append; when the database fails, every group fails with ANN_ERR_SERVICE_UNAVAILABLE. */
  async append(groups: AppendGroup[]): Promise<AppendResult[]> {
    try {
      await this.#partitions.ensure(groups.flatMap((g) => g.events.map((e) => monthOf(e.timeMs))));
      const client = await this.#pool.connect();
      try {
        return await this.#appender.append(client, groups);
      } finally {
        client.release();
      }
    } catch (error) {
      const failure = error instanceof AnnalsError ? error
        : unavailableForNow(`the database did not take the events (${(error as Error).message}); nothing was stored`, error);
      return groups.map(() => ({ ok: false, error: failure }));
    }
  }
}

type Seen = Map<string, AppendedEvent & { fingerprint: Buffer | null }>;

/** What a transaction will write: computed from `from` (each org's head), it leaves each org at `heads`. */
interface Plan {
  from: Map<string, Head>;
  heads: Map<string, Head>;
  rows: Rows;
  results: AppendResult[];
  /** Orgs that got new events. */
  changed: string[];
}

const sameHead = (a: Head | undefined, b: Head | undefined) => a !== undefined && b !== undefined
  && a.nextSeq === b.nextSeq && a.lastProcessedMs === b.lastProcessedMs && a.frontier.equals(b.frontier);

/**
 * The write path of one process (see the top of this file). Appends are pipelined: while one transaction is in the
 * database, the next one's rows (seqs, leaves, hashes) are computed in advance from the heads the first will leave,
 * its guess checked under the org lock: if another process wrote in between (or the first failed), the guess
 * is thrown away and the rows computed again from what the lock shows.
 */
export class PostgresAppender {
  readonly #ledger: boolean;
  /** Each org's head after the last append this process started, assuming it commits. */
  readonly #expected = new Map<string, Head>();
  /** Settles once the last append started holds its locks: appends take the org locks in the order they start. */
  #turn: Promise<void> = Promise.resolve();
  /** (org, alias, actor) triples known to be in actor_aliases (as the embedded store keeps them). */
  readonly #aliases = new Set<string>();

  constructor(ledger: boolean) {
    this.#ledger = ledger;
  }

  /** Appends every group in one transaction on `client` (which must not be in one); see Store.append. */
  async append(client: PoolClient, groups: AppendGroup[]): Promise<AppendResult[]> {
    const orgs = [...new Set(groups.map((g) => g.org))].sort();
    let plan: Plan | undefined;
    // Idempotency keys are looked up under the lock only: the commit in flight may be storing the same key.
    const keyed = groups.some((g) => g.events.some((e) => e.idempotencyKey !== undefined || e.restored !== undefined));
    if (!keyed && orgs.every((o) => this.#expected.has(o))) {
      const guess = new Map(orgs.map((o) => [o, this.#expected.get(o)!]));
      plan = this.#plan(groups, guess, new Map());
      for (const [o, h] of plan.heads) this.#expected.set(o, h);
    }
    const previous = this.#turn;
    let release = () => {};
    this.#turn = new Promise((resolve) => { release = resolve; });
    try {
      await previous;
      await client.query('BEGIN');
      const heads = new Map<string, Head>();
      try {
        const locked = await client.query<{ id: string; next_seq: number; last_processed_ms: number; frontier: Buffer }>(
          // NO KEY UPDATE: the id is never changed; the weakest row lock that still serialises appends to the org.
          'SELECT id, next_seq, last_processed_ms, frontier FROM orgs WHERE id = ANY($1::text[]) ORDER BY id FOR NO KEY UPDATE', [orgs]);
        for (const r of locked.rows) heads.set(r.id, { nextSeq: r.next_seq, lastProcessedMs: r.last_processed_ms, frontier: r.frontier });
      } finally {
        release();
      }
      if (!plan || orgs.some((o) => !sameHead(plan!.from.get(o), heads.get(o)))) {
        plan = this.#plan(groups, heads, await seenKeys(client, groups, heads));
        for (const [o, h] of plan.heads) this.#expected.set(o, h);
      }
      await write(client, plan);
      try {
        await client.query('COMMIT');
      } catch (error) {
        // The commit may or may not have happened: say so, so that producers retry with their idempotency keys.
        for (const o of orgs) this.#expected.delete(o);
        throw unavailableForNow(
          `the database did not confirm the commit (${(error as Error).message}): the events may or may not be stored; retry with the same idempotency keys`);
      }
      this.#committed(plan);
      return plan.results;
    } catch (error) {
      release();
      // What was guessed on top of this append is wrong now: later appends find out under the lock.
      for (const o of orgs) this.#expected.delete(o);
      await client.query('ROLLBACK').catch(() => {});
      throw error;
    }
  }

  #plan(groups: AppendGroup[], from: Map<string, Head>, seen: Seen): Plan {
    const heads = new Map(from);
    const rows = new Rows();
    const changed = new Set<string>();
    const results = groups.map((group): AppendResult => {
      const head = heads.get(group.org);
      if (!head) {
        return { ok: false, error: new AnnalsError('ANN_ERR_ORG_NOT_FOUND', `organization '${group.org}' does not exist`, { parameter: 'orgId' }) };
      }
      const mark = rows.mark();
      const newKeys: Seen = new Map();
      try {
        const next = sequence(group, head, rows, seen, newKeys, this.#aliases, this.#ledger);
        rows.rollups.absorb(rows.group);
        heads.set(group.org, next.head);
        for (const [k, v] of newKeys) seen.set(k, v);
        if (next.head.nextSeq !== head.nextSeq) changed.add(group.org);
        return { ok: true, events: next.events };
      } catch (error) {
        rows.backTo(mark);
        return { ok: false, error: error as Error };
      }
    });
    return { from, heads, rows, results, changed: [...changed].sort() };
  }

  /** Remembers the aliases a committed plan wrote: later appends need not write them again. */
  #committed(plan: Plan): void {
    const [orgs, aliases, actors] = plan.rows.aliases.cols as string[][];
    for (let i = 0; i < orgs.length; i++) this.#aliases.add(aliasKey(orgs[i], aliases[i], actors[i]));
  }
}

/** The idempotency keys of `groups` (of orgs in `heads`) stored before, with the event each one stored. */
async function seenKeys(client: PoolClient, groups: AppendGroup[], heads: Map<string, Head>): Promise<Seen> {
  const keyOrgs: string[] = [];
  const keys: string[] = [];
  for (const g of groups) {
    for (const e of g.events) {
      if (e.idempotencyKey !== undefined && heads.has(g.org) && storable(e.idempotencyKey)) {
        keyOrgs.push(g.org);
        keys.push(e.idempotencyKey);
      }
    }
  }
  const seen: Seen = new Map();
  if (keys.length === 0) return seen;
  const found = await client.query<{ org_id: string; key: string; seq: number; fingerprint: Buffer | null; id: string; processed_ms: number }>(
    `SELECT i.org_id, i.key, i.seq, i.fingerprint, l.id, l.processed_ms
     FROM idempotency i JOIN ledger l ON l.org_id = i.org_id AND l.seq = i.seq
     WHERE (i.org_id, i.key) IN (SELECT * FROM unnest($1::text[], $2::text[]))`, [keyOrgs, keys]);
  for (const r of found.rows) {
    seen.set(`${r.org_id}\u0000${r.key}`, { id: r.id, seq: r.seq, processedAt: iso(r.processed_ms), duplicate: true, fingerprint: r.fingerprint });
  }
  return seen;
}

/** A plan's rows, the orgs' new heads and the NOTIFY, inside the transaction that holds the org locks. */
async function write(client: PoolClient, plan: Plan): Promise<void> {
  const { rows, changed } = plan;
  for (const table of COPIES) if (rows[table.rows].length > 0) await copyLines(client, table.target, rows[table.rows]);
  for (const table of ['idempotency', 'aliases'] as const) {
    if (rows[table].length > 0) await client.query(INSERTS[table], rows[table].cols);
  }
  const rollups = rows.rollups.rows();
  if (rollups.length > 0) await client.query(INSERTS.rollups, [0, 1, 2, 3, 4, 5].map((i) => rollups.map((r) => r[i])));
  if (changed.length === 0) return;
  const hs = changed.map((o) => plan.heads.get(o)!);
  await client.query(
    `UPDATE orgs o SET next_seq = h.next_seq, last_processed_ms = h.last_processed_ms, frontier = h.frontier
     FROM unnest($1::text[], $2::bigint[], $3::bigint[], $4::bytea[]) AS h (id, next_seq, last_processed_ms, frontier)
     WHERE o.id = h.id`,
    [changed, hs.map((h) => h.nextSeq), hs.map((h) => h.lastProcessedMs), hs.map((h) => h.frontier)]);
  // Delivered at COMMIT, to every listening Annals process.
  await client.query(`SELECT pg_notify('${APPEND_CHANNEL}', o) FROM unnest($1::text[]) AS o`, [changed]);
}

/** One group's rows and results, from `head` on; throws (and the caller drops `rows`) if the group cannot be stored. */
const aliasKey = (org: string, alias: string, actor: string) => `${org}\u0000${alias}\u0000${actor}`;

function sequence(group: AppendGroup, head: Head, rows: Rows, seen: Seen, newKeys: Seen, known: ReadonlySet<string>, ledger: boolean): { head: Head; events: AppendedEvent[] } {
  const org = group.org;
  let seq = head.nextSeq;
  const range = ledger ? CompactRange.from(seq, splitFrontier(head.frontier)) : undefined;
  // processedAt never goes backwards within an org, even if one process's clock is behind another's.
  let processedMs = Math.max(Date.now(), head.lastProcessedMs);
  let processedAt = iso(processedMs);
  /** The processing time of the last event stored: restored events must not go back before it. */
  let lastMs = head.lastProcessedMs;
  const visit = (id: { level: number; index: number }, hash: Buffer) => {
    if (id.level > 0) rows.nodes.push(copyLine([org, id.level, id.index, hash]));
  };
  const aliases = new Set<string>();
  const events: AppendedEvent[] = [];
  for (let index = 0; index < group.events.length; index++) {
    const p = group.events[index];
    const field = unstorable(p);
    if (field !== undefined) {
      throw new AnnalsError('ANN_ERR_EVENT_INVALID', `${field} contains a NUL character, which this store cannot keep`, { pointer: `/${field.replace('.', '/')}` });
    }
    const key = p.idempotencyKey;
    const k = `${org}\u0000${key}`;
    const earlier = key === undefined ? undefined : newKeys.get(k) ?? seen.get(k);
    if (p.restored) {
      checkRestored(p, seq, lastMs, earlier !== undefined);
      processedMs = lastMs = p.restored.processedMs;
      processedAt = iso(processedMs);
    }
    if (key !== undefined) {
      if (earlier) {
        if (p.fingerprint && earlier.fingerprint && !Buffer.from(p.fingerprint).equals(earlier.fingerprint)) {
          throw new AnnalsError('ANN_ERR_IDEMPOTENCY_CONFLICT', `idempotency key '${key}' was already used for a different event`, { idempotencyKey: key, index });
        }
        events.push({ id: earlier.id, seq: earlier.seq, processedAt: earlier.processedAt, duplicate: true });
        continue;
      }
      const fingerprint = p.fingerprint ? Buffer.from(p.fingerprint) : null;
      newKeys.set(k, { id: p.id, seq, processedAt, duplicate: true, fingerprint });
      rows.idempotency.push(org, key, seq, fingerprint);
    }
    const leaf = leafFromParts(p.leaf, org, processedAt, seq);
    const hash = ledger ? leafHash(leaf) : Buffer.alloc(HASH_SIZE);
    // Crossing from another thread turns a Buffer into a plain Uint8Array: wrap it again, without copying.
    const ip = p.ip === undefined ? null : Buffer.from(p.ip.buffer, p.ip.byteOffset, p.ip.byteLength);
    rows.events.push(copyLine([org, p.timeMs, seq, p.id, processedMs, p.action, p.actorId, ip, p.country ?? null, p.city ?? null,
      p.outcome === 'failure' ? OUTCOME_CODE.failure : OUTCOME_CODE.success, leaf, words(p.text).join(' ')]));
    rows.ledger.push(copyLine([org, seq, p.id, p.timeMs, processedMs, hash]));
    // An entity named twice in one role is one row (COPY has no ON CONFLICT).
    const named = new Set<string>();
    for (const e of p.entities) {
      const k = `${e.role}\u0000${e.type}\u0000${e.id}`;
      if (named.has(k)) continue;
      named.add(k);
      rows.entities.push(copyLine([org, e.id, ROLE_CODE[e.role], e.type, p.timeMs, seq]));
    }
    for (const alias of [p.actorEmail, p.actorName]) {
      if (alias === undefined || alias === '') continue;
      const lower = alias.toLowerCase();
      const a = aliasKey(org, lower, p.actorId);
      if (known.has(a) || aliases.has(a)) continue;
      aliases.add(a);
      rows.aliases.push(org, lower, p.actorId);
    }
    rows.group.add(org, p.timeMs, p.action, p.actorId, p.country, p.outcome === 'failure');
    range?.append(hash, visit);
    events.push({ id: p.id, seq, processedAt, duplicate: false });
    seq++;
  }
  // Nothing new (only duplicates): the head is as it was.
  if (seq === head.nextSeq) return { head, events };
  const frontier = range ? Buffer.concat(range.hashes as Buffer[]) : head.frontier;
  return { head: { nextSeq: seq, lastProcessedMs: processedMs, frontier }, events };
}
