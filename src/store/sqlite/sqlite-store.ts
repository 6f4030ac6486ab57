// The embedded Store: one SQLite file through better-sqlite3 (synchronous; every call here is short and bounded).
import { randomBytes } from 'node:crypto';
import type Database from 'better-sqlite3';
import type { ActionDefinition, Operation, Product } from '../../domain/action.js';
import { AnnalsError } from '../../domain/errors.js';
import type { StoredEvent } from '../../domain/event.js';
import { type ApiKey, ORG_ID_PATTERN, type Org, type Scope } from '../../domain/org.js';
import type {
  AppendGroup, AppendResult, EventFilter, EventPage, NewApiKey, PageRequest, Store, StoredApiKey, StoredCheckpoint,
  StoredLeaf,
} from '../store.js';
import type { NodeID } from '../../ledger/node-id.js';
import { fromWire, iso, orgNumber, splitFrontier, type WireResult } from './sqlite-append.js';
import { openDatabase, type Synchronous } from './sqlite-connection.js';
import { MIGRATIONS } from './sqlite-schema.js';
import { InlineWriter, ThreadWriter, type Writer } from './sqlite-writers.js';

export interface SqliteStoreConfig {
  /** Path of the database file; `:memory:` for a throw-away store. */
  path: string;
  /**
   * FULL (default) fsyncs the WAL on every commit, so an acknowledged event survives power loss; NORMAL survives a
   * process crash only. Group commit amortises the fsync over every event waiting at that moment.
   */
  synchronous?: Synchronous;
  /**
   * `thread` (default for files) appends on a writer thread with its own connection; `inline` on the main
   * connection (always for `:memory:`).
   */
  writer?: 'thread' | 'inline';
  /** false leaves the Merkle tree alone (benchmarks only). */
  ledger?: boolean;
}

interface OrgRow { no: number; id: string; name: string; created_ms: number }
interface KeyRow { id: string; org_id: string | null; name: string; scopes: string; hash: Buffer; created_ms: number; revoked_ms: number | null }
interface LeafRow { seq: number; id: string; body: Buffer; leaf_hash: Buffer; time_ms: number; action: string; actor_id: string; ip: string | null }
interface CheckpointRow { size: number; root: Buffer; time_ms: number; note: string }
interface ActionRow { key: string; display_name: string; category: string; product: string; operation: string }


/** Lists up to this long are read as a k-way merge of index ranges; longer ones as one IN filter. */
const MERGE_MAX = 32;

export class SqliteStore implements Store {
  readonly dialect = 'sqlite';
  readonly #db: Database.Database;
  readonly #orgNo = new Map<string, number>();
  readonly #queries = new Map<string, Database.Statement>();
  readonly #stmt;
  readonly #writer: Writer;

  constructor(config: SqliteStoreConfig) {
    const db = openDatabase(config.path, config.synchronous);
    this.#db = db;
    this.#migrate();
    const ledger = config.ledger ?? true;
    // A store written with the ledger off (benchmarks) has events outside any tree: it can never take the ledger
    // back. The first open decides, and the mode is kept.
    db.prepare('INSERT OR IGNORE INTO meta (name, value) VALUES (?, ?)').run('ledger', ledger ? 'on' : 'off');
    const kept = String((db.prepare('SELECT value FROM meta WHERE name = ?').get('ledger') as { value: string }).value);
    if (kept !== (ledger ? 'on' : 'off')) {
      db.close();
      throw new AnnalsError('ANN_ERR_INTERNAL', `this store was created with its ledger ${kept} and cannot be opened with it ${ledger ? 'on' : 'off'}`);
    }
    this.#writer = config.path === ':memory:' || config.writer === 'inline'
      ? new InlineWriter(db, ledger)
      : new ThreadWriter(config.path, config.synchronous ?? 'FULL', ledger);

    this.#stmt = {
      orgById: db.prepare<[string], OrgRow>('SELECT no, id, name, created_ms FROM orgs WHERE id = ?'),
      orgs: db.prepare<[], OrgRow>('SELECT no, id, name, created_ms FROM orgs ORDER BY id'),
      insertOrg: db.prepare('INSERT INTO orgs (id, name, created_ms) VALUES (?, ?, ?)'),
      nextSeq: db.prepare<[number], { next_seq: number }>('SELECT next_seq FROM orgs WHERE no = ?'),
      eventById: db.prepare<[string, number], { body: string }>('SELECT body FROM events WHERE id = ? AND org_no = ?'),
      insertKey: db.prepare(
        'INSERT INTO api_keys (id, org_no, name, scopes, hash, created_ms) VALUES (?, ?, ?, ?, ?, ?)'),
      key: db.prepare<[string], KeyRow>(
        `SELECT k.id, o.id AS org_id, k.name, k.scopes, k.hash, k.created_ms, k.revoked_ms
         FROM api_keys k LEFT JOIN orgs o ON o.no = k.org_no WHERE k.id = ?`),
      keysOfOrg: db.prepare<[string], KeyRow>(
        `SELECT k.id, o.id AS org_id, k.name, k.scopes, k.hash, k.created_ms, k.revoked_ms
         FROM api_keys k JOIN orgs o ON o.no = k.org_no WHERE o.id = ? ORDER BY k.created_ms, k.id`),
      keysInstance: db.prepare<[], KeyRow>(
        `SELECT k.id, NULL AS org_id, k.name, k.scopes, k.hash, k.created_ms, k.revoked_ms
         FROM api_keys k WHERE k.org_no IS NULL ORDER BY k.created_ms, k.id`),
      revokeKey: db.prepare('UPDATE api_keys SET revoked_ms = ? WHERE id = ? AND revoked_ms IS NULL'),
      countKeys: db.prepare<[], { n: number }>('SELECT count(*) AS n FROM api_keys'),
      insertAction: db.prepare(
        `INSERT INTO actions (org_no, key, display_name, category, product, operation, created_ms)
         VALUES (?, ?, ?, ?, ?, ?, ?)`),
      action: db.prepare<[number, string], ActionRow>(
        'SELECT key, display_name, category, product, operation FROM actions WHERE org_no = ? AND key = ?'),
      actions: db.prepare<[number], ActionRow>(
        'SELECT key, display_name, category, product, operation FROM actions WHERE org_no = ? ORDER BY key'),
      frontier: db.prepare<[number], { next_seq: number; frontier: Buffer }>('SELECT next_seq, frontier FROM orgs WHERE no = ?'),
      leafHash: db.prepare<[number, number], { leaf_hash: Buffer }>('SELECT leaf_hash FROM events WHERE org_no = ? AND seq = ?'),
      node: db.prepare<[number, number, number], { hash: Buffer }>('SELECT hash FROM merkle_nodes WHERE org_no = ? AND level = ? AND idx = ?'),
      // CAST AS BLOB hands back the stored UTF-8 bytes as they are: hashing them needs no decoding to a JS string.
      leaves: db.prepare<[number, number, number], LeafRow>(
        `SELECT seq, id, CAST(body AS BLOB) AS body, leaf_hash, time_ms, action, actor_id, ip
         FROM events WHERE org_no = ? AND seq >= ? ORDER BY seq LIMIT ?`),
      insertCheckpoint: db.prepare('INSERT OR IGNORE INTO checkpoints (org_no, size, root, time_ms, note) VALUES (?, ?, ?, ?, ?)'),
      checkpoint: db.prepare<[number, number], CheckpointRow>('SELECT size, root, time_ms, note FROM checkpoints WHERE org_no = ? AND size = ?'),
      latestCheckpoint: db.prepare<[number], CheckpointRow>('SELECT size, root, time_ms, note FROM checkpoints WHERE org_no = ? ORDER BY size DESC LIMIT 1'),
      checkpoints: db.prepare<[number, number, number], CheckpointRow>(
        'SELECT size, root, time_ms, note FROM checkpoints WHERE org_no = ? AND size >= ? ORDER BY size LIMIT ?'),
      getMeta: db.prepare<[string], { value: Buffer }>('SELECT value FROM meta WHERE name = ?'),
      insertMeta: db.prepare('INSERT OR IGNORE INTO meta (name, value) VALUES (?, ?)'),
      ping: db.prepare('SELECT 1'),
    };

  }

  #migrate(): void {
    const version = this.#db.pragma('user_version', { simple: true }) as number;
    for (let v = version; v < MIGRATIONS.length; v++) {
      this.#db.transaction(() => {
        this.#db.exec(MIGRATIONS[v]);
        this.#db.pragma(`user_version = ${v + 1}`);
      }).immediate();
    }
  }

  #org(id: string): number {
    return orgNumber(this.#orgNo, this.#stmt.orgById, id);
  }

  async append(groups: AppendGroup[]): Promise<AppendResult[]> {
    if (groups.length === 0) return [];
    let results: WireResult[];
    try {
      results = await this.#writer.append(groups);
    } catch (error) {
      return groups.map(() => ({ ok: false, error: error as Error }));
    }
    return results.map((r) => (r.ok ? r : { ok: false, error: fromWire(r.error) }));
  }

  async getEvent(org: string, id: string): Promise<StoredEvent | undefined> {
    const row = this.#stmt.eventById.get(id, this.#org(org));
    return row ? (JSON.parse(row.body) as StoredEvent) : undefined;
  }

  async queryEvents(org: string, filter: EventFilter, page: PageRequest): Promise<EventPage> {
    const orgNo = this.#org(org);
    const column = page.by === 'processed' ? 'processed_ms' : 'time_ms';
    const where = ['org_no = ?'];
    const params: unknown[] = [orgNo];
    if (filter.from !== undefined) { where.push(`${column} >= ?`); params.push(filter.from); }
    if (filter.to !== undefined) { where.push(`${column} < ?`); params.push(filter.to); }
    if (page.after) {
      where.push(`(${column}, seq) ${page.order === 'desc' ? '<' : '>'} (?, ?)`);
      params.push(page.after.at, page.after.seq);
    }
    if (filter.terms?.length) {
      where.push('rowid IN (SELECT rowid FROM events_fts WHERE events_fts MATCH ?)');
      params.push(ftsQuery(filter.terms));
    }
    // Every list filter becomes explicit placeholders (the planner sees each value). The shortest list drives the
    // query: its values are read one index range each and merged (see below); the others are plain IN filters.
    const lists: [string, unknown[]][] = [];
    // A list that is present but empty matches nothing.
    if (filter.actors) lists.push(['actor_id', filter.actors.length ? this.#actorIds(orgNo, filter.actors) : []]);
    if (filter.ips) lists.push(['ip', filter.ips]);
    if (filter.actions) lists.push(['action', filter.actions]);
    lists.sort((a, b) => a[1].length - b[1].length);
    if (lists.some(([, values]) => values.length === 0)) return { events: [] };
    for (const [name, values] of lists.slice(1)) {
      where.push(`${name} IN (${values.map(() => '?').join(', ')})`);
      params.push(...values);
    }
    const dir = page.order === 'desc' ? 'DESC' : 'ASC';
    const order = `ORDER BY at ${dir}, seq ${dir} LIMIT ?`;
    const limit = page.limit + 1;
    const driving = lists[0];
    let sql: string;
    const args: unknown[] = [];
    if (driving === undefined || driving[1].length === 1 || driving[1].length > MERGE_MAX) {
      if (driving) {
        where.push(driving[1].length === 1 ? `${driving[0]} = ?` : `${driving[0]} IN (${driving[1].map(() => '?').join(', ')})`);
        params.push(...driving[1]);
      }
      sql = `SELECT body, ${column} AS at, seq FROM events WHERE ${where.join(' AND ')} ${order}`;
      args.push(...params, limit);
    } else {
      // k-way merge: each value is one ordered index range cut at the page size, so a page costs at most k * limit
      // index entries whatever the values' frequencies (an IN list would read and sort every matching row).
      const arm = `SELECT * FROM (SELECT rowid AS r, ${column} AS at, seq FROM events WHERE ${where.join(' AND ')} AND ${driving[0]} = ? ${order})`;
      sql = `SELECT e.body, x.at, x.seq FROM (${driving[1].map(() => arm).join(' UNION ALL ')} ${order}) x
        JOIN events e ON e.rowid = x.r ORDER BY x.at ${dir}, x.seq ${dir}`;
      for (const value of driving[1]) args.push(...params, value, limit);
      args.push(limit);
    }
    const rows = this.#query(sql).all(...args) as { body: string; at: number; seq: number }[];
    const more = rows.length > page.limit;
    if (more) rows.pop();
    const events = rows.map((r) => JSON.parse(r.body) as StoredEvent);
    const last = rows[rows.length - 1];
    return more ? { events, next: { at: last.at, seq: last.seq } } : { events };
  }

  /** The actor ids that `names` (ids, emails or names the actors used) stand for. */
  #actorIds(orgNo: number, names: string[]): string[] {
    const lower = names.map((n) => n.toLowerCase());
    const sql = `SELECT DISTINCT actor_id FROM actor_aliases WHERE org_no = ? AND alias IN (${lower.map(() => '?').join(', ')})`;
    const ids = new Set(names);
    for (const row of this.#query(sql).all(orgNo, ...lower) as { actor_id: string }[]) ids.add(row.actor_id);
    return [...ids];
  }

  /** Prepared statements by SQL text; the shapes are few (one per filter combination and list length). */
  #query(sql: string): Database.Statement {
    let stmt = this.#queries.get(sql);
    if (!stmt) {
      if (this.#queries.size >= 500) this.#queries.clear();
      stmt = this.#db.prepare(sql);
      this.#queries.set(sql, stmt);
    }
    return stmt;
  }

  async countEvents(org: string): Promise<number> {
    return this.#stmt.nextSeq.get(this.#org(org))!.next_seq;
  }

  async createOrg(org: { id: string; name: string }): Promise<Org> {
    if (!ORG_ID_PATTERN.test(org.id)) {
      throw new AnnalsError('ANN_ERR_ORG_INVALID', 'an org id is 1-64 letters, digits, - and _, starting with a letter or digit', { pointer: '/id' });
    }
    const created = Date.now();
    try {
      this.#stmt.insertOrg.run(org.id, org.name, created);
    } catch (error) {
      if ((error as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE') {
        throw new AnnalsError('ANN_ERR_ORG_EXISTS', `organization '${org.id}' already exists`, { pointer: '/id' });
      }
      throw error;
    }
    return { id: org.id, name: org.name, createdAt: iso(created) };
  }

  async getOrg(id: string): Promise<Org | undefined> {
    const row = this.#stmt.orgById.get(id);
    return row ? { id: row.id, name: row.name, createdAt: iso(row.created_ms) } : undefined;
  }

  async listOrgs(): Promise<Org[]> {
    return this.#stmt.orgs.all().map((row) => ({ id: row.id, name: row.name, createdAt: iso(row.created_ms) }));
  }

  async createApiKey(key: NewApiKey): Promise<ApiKey> {
    const created = Date.now();
    const orgNo = key.org === null ? null : this.#org(key.org);
    this.#stmt.insertKey.run(key.id, orgNo, key.name, key.scopes.join(' '), key.hash, created);
    return { id: key.id, org: key.org, name: key.name, scopes: [...key.scopes], createdAt: iso(created) };
  }

  async getApiKey(id: string): Promise<StoredApiKey | undefined> {
    const row = this.#stmt.key.get(id);
    return row ? { ...keyFromRow(row), hash: row.hash } : undefined;
  }

  async listApiKeys(org: string | null): Promise<ApiKey[]> {
    const rows = org === null ? this.#stmt.keysInstance.all() : (this.#org(org), this.#stmt.keysOfOrg.all(org));
    return rows.map(keyFromRow);
  }

  async revokeApiKey(id: string): Promise<boolean> {
    return this.#stmt.revokeKey.run(Date.now(), id).changes === 1;
  }

  async countApiKeys(): Promise<number> {
    return this.#stmt.countKeys.get()!.n;
  }

  async registerAction(org: string, action: Omit<ActionDefinition, 'builtIn'>): Promise<ActionDefinition> {
    const orgNo = this.#org(org);
    try {
      this.#stmt.insertAction.run(orgNo, action.key, action.displayName, action.category, action.product,
        action.operation, Date.now());
    } catch (error) {
      if ((error as { code?: string }).code === 'SQLITE_CONSTRAINT_PRIMARYKEY') {
        throw new AnnalsError('ANN_ERR_ACTION_EXISTS', `action '${action.key}' is already registered`, { pointer: '/key' });
      }
      throw error;
    }
    return { ...action, builtIn: false };
  }

  async getAction(org: string, key: string): Promise<ActionDefinition | undefined> {
    const row = this.#stmt.action.get(this.#org(org), key);
    return row ? actionFromRow(row) : undefined;
  }

  async listActions(org: string): Promise<ActionDefinition[]> {
    return this.#stmt.actions.all(this.#org(org)).map(actionFromRow);
  }

  async ledgerHead(org: string): Promise<{ size: number; hashes: Buffer[] }> {
    const row = this.#stmt.frontier.get(this.#org(org))!;
    return { size: row.next_seq, hashes: splitFrontier(row.frontier) };
  }

  async ledgerNodes(org: string, ids: readonly NodeID[]): Promise<Buffer[]> {
    const orgNo = this.#org(org);
    return ids.map((id) => {
      const row = id.level === 0 ? this.#stmt.leafHash.get(orgNo, id.index) : this.#stmt.node.get(orgNo, id.level, id.index);
      if (!row) throw new Error(`ledger node (level ${id.level}, index ${id.index}) of '${org}' is missing`);
      return 'hash' in row ? row.hash : row.leaf_hash;
    });
  }

  async readLeaves(org: string, from: number, limit: number): Promise<StoredLeaf[]> {
    return this.#stmt.leaves.all(this.#org(org), from, limit)
      .map((r) => ({
        seq: r.seq, id: r.id, leaf: r.body, leafHash: r.leaf_hash,
        indexed: { timeMs: r.time_ms, action: r.action, actorId: r.actor_id, ip: r.ip },
      }));
  }

  async addCheckpoint(org: string, checkpoint: StoredCheckpoint): Promise<boolean> {
    const info = this.#stmt.insertCheckpoint.run(this.#org(org), checkpoint.size, checkpoint.rootHash, checkpoint.timeMs, checkpoint.note);
    return info.changes === 1;
  }

  async getCheckpoint(org: string, size: number): Promise<StoredCheckpoint | undefined> {
    const row = this.#stmt.checkpoint.get(this.#org(org), size);
    return row && checkpointFromRow(row);
  }

  async latestCheckpoint(org: string): Promise<StoredCheckpoint | undefined> {
    const row = this.#stmt.latestCheckpoint.get(this.#org(org));
    return row && checkpointFromRow(row);
  }

  async listCheckpoints(org: string, fromSize: number, limit: number): Promise<StoredCheckpoint[]> {
    return this.#stmt.checkpoints.all(this.#org(org), fromSize, limit).map(checkpointFromRow);
  }

  async secret(name: string): Promise<Buffer> {
    this.#stmt.insertMeta.run(`secret:${name}`, randomBytes(32));
    return this.#stmt.getMeta.get(`secret:${name}`)!.value;
  }

  async ping(): Promise<void> {
    this.#stmt.ping.get();
    if (this.#writer.failure) throw this.#writer.failure;
  }

  async close(): Promise<void> {
    if (!this.#db.open) return;
    await this.#writer.close();
    this.#db.pragma('optimize');
    this.#db.close();
  }
}

/**
 * FTS5 query for "every term, as a literal": each term becomes a quoted string (an FTS5 phrase), so no user input
 * is ever read as FTS5 syntax (operators, column filters, NEAR).
 */
export function ftsQuery(terms: string[]): string {
  // Control characters are never part of a token, and a NUL would end the FTS5 query string early.
  return terms.map((t) => `"${t.replace(/[\u0000-\u001f\u007f]/g, ' ').replaceAll('"', '""')}"`).join(' ');
}

function checkpointFromRow(row: CheckpointRow): StoredCheckpoint {
  return { size: row.size, rootHash: row.root, timeMs: row.time_ms, note: row.note };
}

function keyFromRow(row: KeyRow): ApiKey {
  const key: ApiKey = {
    id: row.id, org: row.org_id, name: row.name, scopes: row.scopes.split(' ') as Scope[], createdAt: iso(row.created_ms),
  };
  if (row.revoked_ms !== null) key.revokedAt = iso(row.revoked_ms);
  return key;
}

function actionFromRow(row: ActionRow): ActionDefinition {
  return {
    key: row.key, displayName: row.display_name, category: row.category,
    product: row.product as Product, operation: row.operation as Operation, builtIn: false,
  };
}
