// The PostgreSQL Store: the same port as the embedded store, on a database server through `pg`, for several
// stateless Annals processes in front of one database (see postgres-schema.ts for the layout and Citus, and
// postgres-append.ts for how many writers keep one ledger).
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import type { ActionDefinition } from '../../domain/action.js';
import { AnnalsError, unavailableForNow } from '../../domain/errors.js';
import type { StoredEvent } from '../../domain/event.js';
import type { ApiKey, Org } from '../../domain/org.js';
import type { NodeID } from '../../ledger/node-id.js';
import type {
  AggregateRequest, Aggregates, AppendGroup, FacetField, AppendResult, EventFilter, EventPage, IndexFinding, LeafPage, NewApiKey,
  PageRequest, PublishedKey, Store, StoredApiKey, StoredCheckpoint, StoredLeaf,
} from '../store.js';
import { DAY_MS, rollupFinding, windowParts } from '../rollups.js';
import { lazyWindow, type WarmOptions, warmOptions, warmInTurn } from '../warm.js';
import { Tally } from '../tally.js';
import { PageLeaves } from '../page-leaves.js';
import { fromWire, InlineWriter, ThreadWriter, toWireResults, type Writer } from '../writer-thread.js';
import {
  actionFromRow, type ActionRow, checkpointFromRow, type CheckpointRow, eventPage, keyFromRow, type KeyRow, leafFromRow, type LeafRow,
  countedWhole, matchesNothing, newKeyRow, newOrgRow, orgFromRow, type OrgRow, ROLE_OF_CODE, splitFrontier,
} from '../rows.js';
import { APPEND_CHANNEL, PostgresWriter } from './postgres-append.js';
import { openPool, SCHEMA_NAME } from './postgres-pool.js';
import { aggregateSql, pageSql, rollupSql } from './postgres-query-compiler.js';
import { migrate, monthOf, OUTCOME_CODE, Partitions, rollupCountsSql, storable } from './postgres-schema.js';

export interface PostgresStoreConfig {
  /** A `postgres://` connection string. */
  url: string;
  /** The schema Annals keeps its tables in (created if missing); default: the connection's search_path. */
  schema?: string;
  /** Most connections this process opens for each of its pools, reads that search and all else (default 10). */
  poolSize?: number;
  /**
   * The longest one page or one count may run in the database (default 10 s; see READ_TIMEOUT_MS): a read that
   * would scan an organization's every event ends as ANN_ERR_QUERY_TOO_COSTLY instead of holding a connection.
   */
  readTimeoutMs?: number;
  /** false leaves the Merkle tree alone (benchmarks only). */
  ledger?: boolean;
  /**
   * `thread` (default) appends on a writer thread with connections of its own; `inline` on the main thread (for
   * processes that only read, such as verification threads).
   */
  writer?: 'thread' | 'inline';
}

/** How long a page or a count may run in the database, unless configured (the embedded store's bound is ROW_BUDGET). */
export const READ_TIMEOUT_MS = 10_000;

/** Months ahead of the current one whose partitions exist before any event needs them. */
const MONTHS_AHEAD = 3;

export class PostgresStore implements Store {
  readonly dialect = 'postgres';
  /** Two: the next commit's rows are computed while the current one is in the database (PostgresAppender). */
  readonly concurrentAppends = 2;
  readonly #pool: pg.Pool;
  /** Connections for pages and counts, each statement on them bounded by the read timeout. */
  readonly #reads: pg.Pool;
  readonly #readTimeoutMs: number;
  readonly #ledger: boolean;
  readonly #config: PostgresStoreConfig;
  #writer: Writer | undefined;
  readonly #ready: Promise<void>;
  readonly #partitions: Partitions;
  readonly #orgs = new Set<string>();
  readonly #listeners = new Set<(org: string) => void>();
  #listener: pg.PoolClient | undefined;
  #listening: Promise<void> | undefined;
  #ahead: NodeJS.Timeout | undefined;
  #closed = false;

  constructor(config: PostgresStoreConfig) {
    if (config.schema !== undefined && !SCHEMA_NAME.test(config.schema)) {
      throw new AnnalsError('ANN_ERR_INTERNAL', `schema '${config.schema}' is not a plain lower-case identifier`);
    }
    this.#config = config;
    this.#ledger = config.ledger ?? true;
    this.#readTimeoutMs = config.readTimeoutMs ?? READ_TIMEOUT_MS;
    // statement_timeout takes whole milliseconds up to 2^31 - 1; 0 would switch it off.
    if (!Number.isFinite(this.#readTimeoutMs) || this.#readTimeoutMs < 1 || this.#readTimeoutMs > 2 ** 31 - 1) {
      throw new AnnalsError('ANN_ERR_REQUEST_INVALID', `the read timeout must be from 1 ms to ${2 ** 31 - 1} ms, not ${this.#readTimeoutMs}`);
    }
    this.#pool = openPool({ url: config.url, schema: config.schema, max: config.poolSize });
    this.#reads = openPool({ url: config.url, schema: config.schema, max: config.poolSize, statementTimeoutMs: this.#readTimeoutMs });
    this.#partitions = new Partitions(this.#pool);
    this.#ready = this.#init(config.schema);
    this.#ready.catch(() => {});
  }

  async #init(schema: string | undefined): Promise<void> {
    const client = await this.#pool.connect();
    try {
      await migrate(client, schema);
      const mode = this.#ledger ? 'on' : 'off';
      await client.query('INSERT INTO annals_meta (name, value) VALUES ($1, $2) ON CONFLICT DO NOTHING', ['ledger', Buffer.from(mode)]);
      const kept = (await client.query<{ value: Buffer }>('SELECT value FROM annals_meta WHERE name = $1', ['ledger'])).rows[0].value.toString();
      if (kept !== mode) throw new AnnalsError('ANN_ERR_INTERNAL', `this store was created with its ledger ${kept} and cannot be opened with it ${mode}`);
    } finally {
      client.release();
    }
    await this.#createAhead();
    // The schema exists from here on: the writer may start.
    const pool = { url: this.#config.url, schema: this.#config.schema, max: this.#config.poolSize };
    if (this.#config.writer === 'inline') {
      const writer = new PostgresWriter(this.#pool, this.#ledger);
      this.#writer = new InlineWriter(async (groups) => toWireResults(await writer.append(groups)));
    } else {
      this.#writer = new ThreadWriter(new URL('./postgres-writer', import.meta.url), { pool, ledger: this.#ledger });
    }
    this.#ahead = setInterval(() => void this.#createAhead().catch(() => {}), 24 * 3600_000);
    this.#ahead.unref();
  }

  /** This month's partition and the next few. */
  async #createAhead(): Promise<void> {
    const now = monthOf(Date.now());
    await this.#partitions.ensure(Array.from({ length: MONTHS_AHEAD + 1 }, (_, i) => now + i));
  }

  async #q<R extends pg.QueryResultRow>(text: string, values: unknown[] = []): Promise<R[]> {
    return (await this.#run<R>(text, values)).rows;
  }

  /** One statement; a database that cannot be reached (or is shutting down) is a 503, not a 500. */
  async #run<R extends pg.QueryResultRow>(text: string, values: unknown[]): Promise<pg.QueryResult<R>> {
    try {
      await this.#ready;
      return await this.#pool.query<R>(text, values);
    } catch (error) {
      throw unavailable(error);
    }
  }

  /**
   * One page or count, on a connection whose statements stop at the read timeout: a read that does not finish in
   * time is ANN_ERR_QUERY_TOO_COSTLY (a 422: the same query would not finish the next time either).
   */
  async #read<R extends pg.QueryResultRow>(text: string, values: unknown[]): Promise<R[]> {
    await this.#ready.catch((error: unknown) => { throw unavailable(error); });
    const started = Date.now();
    try {
      return (await this.#reads.query<R>(text, values)).rows;
    } catch (error) {
      // A cancelled statement (57014) that ran its whole time was stopped by the timeout (whatever language the
      // server's messages are in); one cancelled sooner was cancelled by someone (an administrator, a shutdown).
      if (error instanceof pg.DatabaseError && error.code === '57014' && Date.now() - started >= this.#readTimeoutMs - 50) {
        throw new AnnalsError('ANN_ERR_QUERY_TOO_COSTLY', `the query read for ${this.#readTimeoutMs / 1000} s without finishing; `
          + 'narrow its time window, or add a condition on a field (action:, actor:, ip:, entity:) instead of text alone', {}, { cause: error });
      }
      throw unavailable(error);
    }
  }

  /** Throws ANN_ERR_ORG_NOT_FOUND unless the org exists (orgs are never deleted: a yes is remembered). */
  async #org(id: string): Promise<string> {
    if (this.#orgs.has(id)) return id;
    const rows = storable(id) ? await this.#q('SELECT 1 FROM orgs WHERE id = $1', [id]) : [];
    if (rows.length === 0) throw new AnnalsError('ANN_ERR_ORG_NOT_FOUND', `organization '${id}' does not exist`, { parameter: 'orgId' });
    this.#orgs.add(id);
    return id;
  }

  async append(groups: AppendGroup[]): Promise<AppendResult[]> {
    if (groups.length === 0) return [];
    try {
      await this.#ready.catch((error: unknown) => { throw unavailable(error); });
      const results = await this.#writer!.append(groups);
      return results.map((r) => (r.ok ? r : { ok: false, error: fromWire(r.error) }));
    } catch (error) {
      return groups.map(() => ({ ok: false, error: error as Error }));
    }
  }

  async getEvent(org: string, id: string): Promise<StoredEvent | undefined> {
    if (!storable(id)) return (await this.#org(org), undefined);
    const rows = await this.#q<{ body: string }>(
      `SELECT e.body FROM ledger l JOIN events e ON e.org_id = l.org_id AND e.time_ms = l.time_ms AND e.seq = l.seq
       WHERE l.org_id = $1 AND l.id = $2`, [await this.#org(org), id]);
    return rows[0] ? (JSON.parse(rows[0].body) as StoredEvent) : undefined;
  }

  async queryEvents(org: string, filter: EventFilter, page: PageRequest): Promise<EventPage> {
    return eventPage(await this.queryLeaves(org, filter, page));
  }

  async queryLeaves(org: string, filter: EventFilter, page: PageRequest): Promise<LeafPage> {
    const f = await this.#resolve(await this.#org(org), filter);
    if (!f) return { leaves: PageLeaves.none };
    const q = pageSql(org, f, page);
    if (!q) return { leaves: PageLeaves.none };
    const rows = await this.#read<{ body: string; at: number; seq: number }>(q.text, q.values);
    const more = rows.length > page.limit;
    if (more) rows.pop();
    if (rows.length === 0) return { leaves: PageLeaves.none };
    const [first, last] = [rows[0], rows[rows.length - 1]].map((r) => ({ at: r.at, seq: r.seq }));
    const read: LeafPage = { leaves: PageLeaves.fromTexts(rows.map((r) => r.body)), first, last };
    if (more) read.next = last;
    return read;
  }

  async aggregate(org: string, filter: EventFilter, request: AggregateRequest): Promise<Aggregates> {
    const tally = new Tally(request);
    const f = await this.#resolve(await this.#org(org), filter);
    if (!f) return tally.result(true);
    if (!countedWhole(f, request)) return this.#count(org, f, request, tally);
    // Whole days and hours from the rollups, the ragged ends from the events (each counted whole: see aggregateSql).
    for (const { grain, span } of windowParts({ from: f.time?.from ?? -Infinity, to: f.time?.to ?? Infinity }, request.bounds)) {
      if (grain === undefined) {
        const time: EventFilter['time'] = {};
        if (Number.isFinite(span.from)) time.from = span.from;
        if (Number.isFinite(span.to)) time.to = span.to;
        await this.#count(org, { ...f, time }, request, tally);
        continue;
      }
      const q = rollupSql(org, grain, span, f.actions, request.facets);
      for (const r of await this.#read<{ field: FacetField | 'total'; value: string; n: number }>(q.text, q.values)) {
        tally.counted(r.field, r.field === 'total' ? Number(r.value) : 0, r.field === 'total' ? '' : r.value, r.n);
      }
    }
    return tally.result(true);
  }

  /** Counts the events matching `f` into `tally`, whole or up to the scan limit (see aggregateSql). */
  async #count(org: string, f: EventFilter, request: AggregateRequest, tally: Tally): Promise<Aggregates> {
    const q = aggregateSql(org, f, request);
    if (!q) return tally.result(true);
    const bounds = request.bounds ?? [];
    const rows = await this.#read<{ field: FacetField | 'total'; value: string | null; bucket: number; n: number; oldest: number | null; matched: number }>(q.text, q.values);
    // `matched` is the same on every row: how many events the scan found (0 when counted whole).
    const complete = (rows[0]?.matched ?? 0) <= request.scanLimit;
    let oldest = Infinity;
    for (const r of rows) {
      if (r.field === 'total') {
        const at = r.bucket >= 1 && r.bucket < bounds.length ? bounds[r.bucket - 1] : -Infinity;
        tally.counted('total', at, '', r.n);
        if (r.oldest !== null) oldest = Math.min(oldest, r.oldest);
      } else {
        const value = r.field === 'outcome' ? (Number(r.value) === OUTCOME_CODE.failure ? 'failure' : 'success') : r.value!;
        tally.counted(r.field, 0, value, r.n);
      }
    }
    const result = tally.result(complete);
    if (!complete && Number.isFinite(oldest)) result.coveredFrom = oldest;
    return result;
  }

  /** The filter with actors named by id, or undefined when nothing can match (an empty `any`, an empty time range). */
  async #resolve(org: string, filter: EventFilter): Promise<EventFilter | undefined> {
    const f: EventFilter = { ...filter };
    if (matchesNothing(f)) return undefined;
    if (f.actors) {
      f.actors = {
        any: f.actors.any && await this.#actorIds(org, f.actors.any),
        none: f.actors.none && await this.#actorIds(org, f.actors.none),
      };
    }
    return f;
  }

  /**
   * The actor ids that `names` (ids, emails or names the actors used) stand for: a name is kept as an id if the
   * org has events by an actor of that id, and adds the ids of the actors that used it as an email or name.
   */
  async #actorIds(org: string, names: readonly string[]): Promise<string[]> {
    const usable = names.filter(storable);
    if (usable.length === 0) return [];
    const rows = await this.#q<{ actor_id: string }>(
      `SELECT actor_id FROM actor_aliases WHERE org_id = $1 AND alias = ANY($2::text[])
       UNION SELECT n FROM unnest($3::text[]) AS n WHERE EXISTS (SELECT 1 FROM events WHERE org_id = $1 AND actor_id = n)`,
      [org, usable.map((n) => n.toLowerCase()), usable]);
    return rows.map((r) => r.actor_id);
  }

  async countEvents(org: string): Promise<number> {
    const rows = await this.#q<{ next_seq: number }>('SELECT next_seq FROM orgs WHERE id = $1', [await this.#org(org)]);
    return rows[0].next_seq;
  }

  async createOrg(org: { id: string; name: string; createdAt?: string }): Promise<Org> {
    const row = newOrgRow(org);
    try {
      await this.#q('INSERT INTO orgs (id, name, created_ms) VALUES ($1, $2, $3)', [row.id, row.name, row.created_ms]);
    } catch (error) {
      if ((error as { code?: string }).code === '23505') {
        throw new AnnalsError('ANN_ERR_ORG_EXISTS', `organization '${org.id}' already exists`, { pointer: '/id' });
      }
      throw error;
    }
    return orgFromRow(row);
  }

  async getOrg(id: string): Promise<Org | undefined> {
    if (!storable(id)) return undefined;
    const rows = await this.#q<OrgRow>('SELECT id, name, created_ms FROM orgs WHERE id = $1', [id]);
    return rows[0] && orgFromRow(rows[0]);
  }

  async listOrgs(): Promise<Org[]> {
    return (await this.#q<OrgRow>('SELECT id, name, created_ms FROM orgs ORDER BY id COLLATE "C"')).map(orgFromRow);
  }

  async createApiKey(key: NewApiKey): Promise<ApiKey> {
    const row = newKeyRow(key);
    if (key.org !== null) await this.#org(key.org);
    await this.#q('INSERT INTO api_keys (id, org_id, name, scopes, hash, created_ms, revoked_ms) VALUES ($1, $2, $3, $4, $5, $6, $7)',
      [row.id, row.org_id, row.name, row.scopes, row.hash, row.created_ms, row.revoked_ms]);
    return keyFromRow(row);
  }

  async getApiKey(id: string): Promise<StoredApiKey | undefined> {
    if (!storable(id)) return undefined;
    const rows = await this.#q<KeyRow>('SELECT id, org_id, name, scopes, hash, created_ms, revoked_ms FROM api_keys WHERE id = $1', [id]);
    return rows[0] && { ...keyFromRow(rows[0]), hash: rows[0].hash };
  }

  async listApiKeys(org: string | null): Promise<ApiKey[]> {
    const rows = org === null
      ? await this.#q<KeyRow>('SELECT id, org_id, name, scopes, hash, created_ms, revoked_ms FROM api_keys WHERE org_id IS NULL ORDER BY created_ms, id COLLATE "C"')
      : await this.#q<KeyRow>('SELECT id, org_id, name, scopes, hash, created_ms, revoked_ms FROM api_keys WHERE org_id = $1 ORDER BY created_ms, id COLLATE "C"', [await this.#org(org)]);
    return rows.map(keyFromRow);
  }

  async revokeApiKey(id: string): Promise<boolean> {
    const result = await this.#run('UPDATE api_keys SET revoked_ms = $1 WHERE id = $2 AND revoked_ms IS NULL', [Date.now(), id]);
    return result.rowCount === 1;
  }

  async countApiKeys(): Promise<number> {
    return (await this.#q<{ n: number }>('SELECT count(*) AS n FROM api_keys'))[0].n;
  }

  async registerAction(org: string, action: Omit<ActionDefinition, 'builtIn'>): Promise<ActionDefinition> {
    await this.#org(org);
    try {
      await this.#q(`INSERT INTO actions (org_id, key, display_name, category, product, operation, created_ms)
        VALUES ($1, $2, $3, $4, $5, $6, $7)`, [org, action.key, action.displayName, action.category, action.product, action.operation, Date.now()]);
    } catch (error) {
      if ((error as { code?: string }).code === '23505') {
        throw new AnnalsError('ANN_ERR_ACTION_EXISTS', `action '${action.key}' is already registered`, { pointer: '/key' });
      }
      throw error;
    }
    return { ...action, builtIn: false };
  }

  async getAction(org: string, key: string): Promise<ActionDefinition | undefined> {
    if (!storable(key)) return (await this.#org(org), undefined);
    const rows = await this.#q<ActionRow>('SELECT key, display_name, category, product, operation FROM actions WHERE org_id = $1 AND key = $2',
      [await this.#org(org), key]);
    return rows[0] && actionFromRow(rows[0]);
  }

  async listActions(org: string): Promise<ActionDefinition[]> {
    const rows = await this.#q<ActionRow>('SELECT key, display_name, category, product, operation FROM actions WHERE org_id = $1 ORDER BY key COLLATE "C"',
      [await this.#org(org)]);
    return rows.map(actionFromRow);
  }

  async ledgerHead(org: string): Promise<{ size: number; hashes: Buffer[] }> {
    const rows = await this.#q<{ next_seq: number; frontier: Buffer }>('SELECT next_seq, frontier FROM orgs WHERE id = $1', [await this.#org(org)]);
    return { size: rows[0].next_seq, hashes: splitFrontier(rows[0].frontier) };
  }

  async ledgerNodes(org: string, ids: readonly NodeID[]): Promise<Buffer[]> {
    await this.#org(org);
    const leaves = ids.filter((id) => id.level === 0).map((id) => id.index);
    const inner = ids.filter((id) => id.level > 0);
    const [leafRows, nodeRows] = await Promise.all([
      leaves.length === 0 ? [] : this.#q<{ seq: number; leaf_hash: Buffer }>(
        'SELECT seq, leaf_hash FROM ledger WHERE org_id = $1 AND seq = ANY($2::bigint[])', [org, leaves]),
      inner.length === 0 ? [] : this.#q<{ level: number; idx: number; hash: Buffer }>(
        `SELECT n.level, n.idx, n.hash FROM merkle_nodes n
         JOIN unnest($2::smallint[], $3::bigint[]) AS w (level, idx) ON n.level = w.level AND n.idx = w.idx WHERE n.org_id = $1`,
        [org, inner.map((id) => id.level), inner.map((id) => id.index)]),
    ]);
    const found = new Map<string, Buffer>();
    for (const r of leafRows) found.set(`0/${r.seq}`, r.leaf_hash);
    for (const r of nodeRows) found.set(`${r.level}/${r.idx}`, r.hash);
    return ids.map((id) => {
      const hash = found.get(`${id.level}/${id.index}`);
      if (!hash) throw new Error(`ledger node (level ${id.level}, index ${id.index}) of '${org}' is missing`);
      return hash;
    });
  }

  async readLeaves(org: string, from: number, limit: number, indexed = false): Promise<StoredLeaf[]> {
    const copies = indexed ? ', e.time_ms, e.action, e.actor_id, e.ip, e.country, e.city, e.outcome' : '';
    const rows = await this.#q<LeafRow>(
      `SELECT l.seq, l.id, convert_to(e.body, 'UTF8') AS body, l.leaf_hash${copies}
       FROM ledger l JOIN events e ON e.org_id = l.org_id AND e.time_ms = l.time_ms AND e.seq = l.seq
       WHERE l.org_id = $1 AND l.seq >= $2 ORDER BY l.seq LIMIT $3`, [await this.#org(org), from, limit]);
    return rows.map(leafFromRow);
  }

  async checkIndexes(org: string, limit: number): Promise<IndexFinding[]> {
    await this.#org(org);
    const findings: IndexFinding[] = [];
    // The ledger and the events table: one row each per event, agreeing on id and processing time.
    const unpaired = await this.#q<{ l_seq: number | null; e_seq: number | null; id: string }>(
      `SELECT l.seq AS l_seq, e.seq AS e_seq, coalesce(l.id, e.id) AS id
       FROM (SELECT * FROM ledger WHERE org_id = $1) l
       FULL JOIN (SELECT org_id, time_ms, seq, id, processed_ms FROM events WHERE org_id = $1) e
         ON e.time_ms = l.time_ms AND e.seq = l.seq
       WHERE l.seq IS NULL OR e.seq IS NULL OR l.id <> e.id OR l.processed_ms <> e.processed_ms LIMIT $2`, [org, limit]);
    for (const r of unpaired) {
      const detail = r.e_seq === null ? 'the ledger names an event that the events table does not hold at its time'
        : r.l_seq === null ? 'the events table holds an event that the ledger does not name at its time and seq'
          : 'the ledger and the events table disagree on the event\'s id or processing time';
      findings.push({ seq: r.l_seq ?? r.e_seq ?? undefined, id: r.id, detail });
    }
    // Entity rows: what the leaves name, against what is stored, both ways.
    const diff = await this.#q<{ lost: boolean; entity: string; role: number; seq: number; id: string | null }>(
      `WITH b AS (SELECT time_ms, seq, body::jsonb AS j FROM events WHERE org_id = $1),
       derived AS (
         SELECT c->>'id' AS id, 0 AS role, c->>'type' AS type, time_ms, seq FROM b, jsonb_array_elements(j->'context') c
         UNION ALL SELECT c->>'id', 1, c->>'type', time_ms, seq FROM b, jsonb_array_elements(j->'container') c
         UNION ALL SELECT j->'actor'->'auth'->>'tokenId', 2, 'token', time_ms, seq FROM b
           WHERE jsonb_typeof(j->'actor'->'auth'->'tokenId') = 'string' AND j->'actor'->'auth'->>'tokenId' <> ''),
       stored AS (SELECT id, role::int AS role, type, time_ms, seq FROM event_entities WHERE org_id = $1),
       d AS ((SELECT true AS lost, * FROM derived EXCEPT SELECT true, * FROM stored)
             UNION ALL (SELECT false, * FROM stored EXCEPT SELECT false, * FROM derived))
       SELECT d.lost, d.id AS entity, d.role, d.seq, e.id FROM d
       LEFT JOIN events e ON e.org_id = $1 AND e.time_ms = d.time_ms AND e.seq = d.seq LIMIT $2`, [org, limit]);
    const role = (code: number) => ROLE_OF_CODE[code];
    for (const r of diff) {
      if (r.id === null) findings.push({ detail: `the entity index names '${r.entity}' in an event that is not stored` });
      else if (r.lost) findings.push({ seq: r.seq, id: r.id, detail: `the entity index has lost ${role(r.role)} '${r.entity}': searches for it miss this event` });
      else findings.push({ seq: r.seq, id: r.id, detail: `the entity index names ${role(r.role)} '${r.entity}', which the event does not` });
    }
    // Rollups: recounted from the event bodies, both ways (a count too low, too high, or of nothing at all).
    const recount = `SELECT dim, grain, bucket, value, n FROM (${rollupCountsSql('body', '$1')}) r`;
    const kept = 'SELECT dim, grain, bucket, value, n FROM rollups WHERE org_id = $1';
    for (const [a, b] of [[recount, kept], [kept, recount]]) {
      const rows = await this.#q<{ grain: number; bucket: number; value: string; n: number }>(`(${a} EXCEPT ${b}) LIMIT $2`, [org, limit]);
      for (const r of rows) findings.push({ detail: rollupFinding(r, a === recount) });
    }
    return findings.slice(0, limit);
  }

  async addCheckpoint(org: string, checkpoint: StoredCheckpoint): Promise<boolean> {
    const result = await this.#run(
      'INSERT INTO checkpoints (org_id, size, root, time_ms, note) VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING',
      [await this.#org(org), checkpoint.size, checkpoint.rootHash, checkpoint.timeMs, checkpoint.note]);
    return result.rowCount === 1;
  }

  async getCheckpoint(org: string, size: number): Promise<StoredCheckpoint | undefined> {
    const rows = await this.#q<CheckpointRow>('SELECT size, root, time_ms, note FROM checkpoints WHERE org_id = $1 AND size = $2', [await this.#org(org), size]);
    return rows[0] && checkpointFromRow(rows[0]);
  }

  async latestCheckpoint(org: string): Promise<StoredCheckpoint | undefined> {
    const rows = await this.#q<CheckpointRow>('SELECT size, root, time_ms, note FROM checkpoints WHERE org_id = $1 ORDER BY size DESC LIMIT 1', [await this.#org(org)]);
    return rows[0] && checkpointFromRow(rows[0]);
  }

  async listCheckpoints(org: string, fromSize: number, limit: number): Promise<StoredCheckpoint[]> {
    const rows = await this.#q<CheckpointRow>('SELECT size, root, time_ms, note FROM checkpoints WHERE org_id = $1 AND size >= $2 ORDER BY size LIMIT $3',
      [await this.#org(org), fromSize, limit]);
    return rows.map(checkpointFromRow);
  }

  async publishKeys(keys: readonly PublishedKey[]): Promise<void> {
    await this.#q(`INSERT INTO checkpoint_keys (verifier_key, created_ms) SELECT * FROM unnest($1::text[], $2::bigint[])
      ON CONFLICT DO NOTHING`, [keys.map((k) => k.verifierKey), keys.map((k) => k.createdMs)]);
  }

  async publishedKeys(): Promise<PublishedKey[]> {
    const rows = await this.#q<{ verifier_key: string; created_ms: string }>(
      'SELECT verifier_key, created_ms FROM checkpoint_keys ORDER BY created_ms, verifier_key');
    return rows.map((r) => ({ verifierKey: r.verifier_key, createdMs: Number(r.created_ms) }));
  }

  async secret(name: string, initial?: Buffer): Promise<Buffer> {
    await this.#q('INSERT INTO annals_meta (name, value) VALUES ($1, $2) ON CONFLICT DO NOTHING', [`secret:${name}`, initial ?? randomBytes(32)]);
    return (await this.#q<{ value: Buffer }>('SELECT value FROM annals_meta WHERE name = $1', [`secret:${name}`]))[0].value;
  }

  async fingerprints(org: string, keys: readonly string[]): Promise<Map<string, Buffer>> {
    const usable = keys.filter(storable);
    const rows = await this.#q<{ key: string; fingerprint: Buffer }>(
      'SELECT key, fingerprint FROM idempotency WHERE org_id = $1 AND key = ANY($2::text[]) AND fingerprint IS NOT NULL', [await this.#org(org), usable]);
    return new Map(rows.map((r) => [r.key, r.fingerprint]));
  }

  /** See Store.watch: LISTEN on the channel every process's append NOTIFYs at commit. */
  async watch(listener: (org: string) => void): Promise<() => void> {
    try {
      await this.#ready;
      await (this.#listening ??= this.#listen());
    } catch (error) {
      throw unavailable(error);
    }
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /**
   * One connection of the pool kept for LISTEN. If it is lost, every watcher is woken (what was committed meanwhile
   * went unheard) and, while anyone watches, it is opened again (once a second until it works).
   */
  #listen(): Promise<void> {
    const listening = (async () => {
      const client = await this.#pool.connect();
      if (this.#closed) {
        client.release(true);
        return;
      }
      const lost = () => {
        if (this.#listener !== client) return;
        this.#listener = undefined;
        this.#listening = undefined;
        client.release(true);
        this.#wakeAll();
        this.#relisten();
      };
      client.on('error', lost);
      client.on('end', lost);
      client.on('notification', (n) => {
        if (n.channel === APPEND_CHANNEL && n.payload) for (const l of this.#listeners) l(n.payload);
      });
      try {
        await client.query(`LISTEN ${APPEND_CHANNEL}`);
      } catch (error) {
        client.release(true);
        throw error;
      }
      this.#listener = client;
    })();
    // A failure is not remembered: the next watch (or the retry) tries again.
    listening.catch(() => {
      if (this.#listening === listening) this.#listening = undefined;
    });
    return listening;
  }

  #relisten(): void {
    if (this.#closed || this.#listeners.size === 0 || this.#listening) return;
    const retry = setTimeout(() => {
      if (this.#closed || this.#listeners.size === 0 || this.#listening) return;
      this.#listening = this.#listen();
      this.#listening.then(() => this.#wakeAll(), () => this.#relisten());
    }, 1000);
    retry.unref();
  }

  /** Wakes every watcher for every org this process knows: they look again. */
  #wakeAll(): void {
    for (const org of this.#orgs) for (const l of this.#listeners) l(org);
  }

  async warm(options: WarmOptions): Promise<number> {
    const checked = warmOptions(options);
    const { days } = checked;
    let orgs: { id: string }[];
    try {
      orgs = await this.#q<{ id: string }>('SELECT id FROM orgs');
    } catch (error) {
      if (this.#closed) return 0;
      throw error;
    }
    // `below`: the (time, seq) the next slice starts under, exclusive.
    const windows = orgs.map(({ id }) => lazyWindow(
      async (): Promise<{ lo: number; below: [number, number] } | null> => {
        const [newest] = await this.#q<{ time_ms: number; seq: number }>(
          'SELECT time_ms, seq FROM events WHERE org_id = $1 ORDER BY time_ms DESC, seq DESC LIMIT 1', [id]);
        // (Kept a safe integer: pg writes a larger number with an exponent, which is no bigint.)
        return newest ? { lo: Math.max(newest.time_ms - days * DAY_MS, -Number.MAX_SAFE_INTEGER), below: [newest.time_ms, newest.seq + 1] } : null;
      },
      async (window, entries) => {
        const [last] = await this.#q<{ n: number; time_ms: number; seq: number }>(
          `WITH s AS MATERIALIZED (SELECT time_ms, seq FROM events WHERE org_id = $1 AND time_ms >= $2
             AND (time_ms, seq) < ($3, $4) ORDER BY time_ms DESC, seq DESC LIMIT $5)
           SELECT (SELECT count(*) FROM s)::int AS n, time_ms, seq FROM s ORDER BY time_ms, seq LIMIT 1`,
          [id, window.lo, window.below[0], window.below[1], entries]);
        if (!last) return 0;
        window.below = [last.time_ms, last.seq];
        return last.n;
      },
    ));
    return warmInTurn(windows, checked, () => this.#closed);
  }

  async ping(): Promise<void> {
    await this.#q('SELECT 1');
    if (this.#writer?.failure) throw this.#writer.failure;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#ready.catch(() => {});
    if (this.#ahead) clearInterval(this.#ahead);
    await this.#writer?.close();
    // A LISTEN connection being opened is released once it is (or as soon as it is, if connect is still pending).
    await this.#listening?.catch(() => {});
    const listener = this.#listener;
    this.#listener = undefined;
    listener?.release(true);
    await Promise.all([this.#pool.end(), this.#reads.end()]);
  }
}

/**
 * A server that is shutting down, out of resources or refusing connections (SQLSTATE classes 08, 53, 57), or a
 * connection that failed (refused, reset, timed out, terminated), as ANN_ERR_SERVICE_UNAVAILABLE; anything else as
 * it is.
 */
function unavailable(error: unknown): unknown {
  const { code, message } = error as { code?: unknown; message?: unknown };
  const down = error instanceof pg.DatabaseError
    ? typeof code === 'string' && /^(08|53|57)/.test(code)
    : (typeof code === 'string' && /^E[A-Z]+$/.test(code)) || /connection|timeout/i.test(String(message));
  if (!down) return error;
  return unavailableForNow(`the database is not available (${String(message)})`, error);
}



