// The embedded Store: one SQLite file through better-sqlite3 (synchronous; every call here is short and bounded).
import { randomBytes } from 'node:crypto';
import type Database from 'better-sqlite3';
import type { ActionDefinition } from '../../domain/action.js';
import { AnnalsError } from '../../domain/errors.js';
import type { StoredEvent } from '../../domain/event.js';
import type { ApiKey, Org } from '../../domain/org.js';
import type {
  AggregateRequest, Aggregates, AppendGroup, AppendResult, EntityRef, EventFilter, EventPage, IndexFinding, LeafPage, NewApiKey,
  PageKey, PageRequest, PublishedKey, Store, StoredApiKey, StoredCheckpoint, StoredLeaf, TimeRange,
} from '../store.js';
import { Tally } from '../tally.js';
import { HASH_SIZE } from '../../ledger/hasher.js';
import type { NodeID } from '../../ledger/node-id.js';
import { fromWire, InlineWriter, ThreadWriter, type WireResult, type Writer } from '../writer-thread.js';
import {
  actionFromRow, type ActionRow, checkpointFromRow, type CheckpointRow, countedWhole, eventPage, keyFromRow, type KeyRow, leafFromRow,
  type LeafRow, matchesNothing, newKeyRow, newOrgRow, orgFromRow, type OrgRow as NamedOrgRow, ROLE_OF_CODE, splitFrontier,
} from '../rows.js';
import { orgNumber, SqliteAppender } from './sqlite-append.js';
import { openDatabase, type Synchronous } from './sqlite-connection.js';
import { DAY_MS, DAY_OF_TIME, dayOfKey, HOUR_MS, KEY_SHIFT, KEY_TIME_SQL, keyAt } from './sqlite-keys.js';
import {
  AGGREGATE_COLUMNS, chooseDriver, COLUMNS, type CompileOptions, type Driver, type KeyRange, type ListField, needsCounts, type SeqRange,
  SqliteQueryCompiler,
} from './sqlite-query-compiler.js';
import { DAY, DIMS, floorTo, HOUR, rollupFinding, windowParts } from '../rollups.js';
import { ROLLUP_COUNTS } from './sqlite-rollups.js';
import { createFtsTable } from './sqlite-fts.js';
import { inPageOrder, joinRows, leafPage, packedSql, type PageRows, type Position, readPacked, readRows } from './sqlite-page-rows.js';
import { PageLeaves } from '../page-leaves.js';
import { lazyWindow, type WarmOptions, warmOptions, warmInTurn } from '../warm.js';
import { DERIVED_ENTITIES, MIGRATIONS, OUTCOME_CODE } from './sqlite-schema.js';

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
  /** Most rows one page or one count reads through its driver (default ROW_BUDGET; tests set a small one). */
  rowBudget?: number;
}

interface OrgRow extends NamedOrgRow { no: number }

/**
 * Where field tokens would drive a page: how many pages' worth of one list's rows are read first, and how many at
 * most when those rows held some matches but not a page (see queryLeaves).
 */
const DENSE_SCAN = 4;
const DENSE_SCAN_MAX = 32;
/** Candidate list drivers are counted up to this many rows (see sqlite-query-compiler.ts)... */
const COUNT_CAP = 20_000;
/** ...and one with fewer matches than this drives the query whatever else it holds. */
const SMALL_LIST = 1000;
/** The page size the daily-or-time estimate assumes. */
const DAILY_PAGE = 100;
/** Most days one statement of a daily list driver reads (see #selects). */
const DAILY_SPAN_MAX = 64;
/**
 * Most rows a page (or a count for facets and histograms) reads through its driver, whatever else the query asks:
 * what bounds the work one request can make (about 0.1-0.3 s), where a query whose other conditions reject nearly
 * every row (`city:` a place no event has, `-word` for a word every event has) would otherwise read the whole org.
 * A page cut short by it still carries a cursor, which resumes after the last row read.
 */
const ROW_BUDGET = 100_000;
/**
 * Index entries read alone (a covering index's) that cost about what one event's row costs its driver: a row is a
 * table page, warm 2-7 us an event at 10M and ~50 us the first time in a process, an index entry well under 1 us.
 */
const COVERED_PER_ROW = 10;
/** The head of a statement that counts another's rows (AGGREGATE_COLUMNS, in order) into #scan's tally. */
const TALLIED = `SELECT annals_tally(${AGGREGATE_COLUMNS.join(', ')}) FROM`;
/** The rollups' dim of each list they count. */
const ROLLUP_DIM = { actors: DIMS.actor, countries: DIMS.country, outcomes: DIMS.outcome } as const;
/**
 * A row probed in the full-text index (text that does not drive) costs about as much as this many plain rows for
 * each term of the probe (measured on 1M events: 40-100 µs a term, against 1-2 µs a plain row).
 */
const PROBE_TERM_ROWS = 40;

export class SqliteStore implements Store {
  readonly dialect = 'sqlite';
  /**
   * Two on a writer thread: the second append waits in the thread's queue and starts the moment the first
   * commits, instead of when the main thread, busy parsing the requests behind it, gets round to the first one's
   * result and sends the next (HTTP ingest 1.2-1.4x). One inline, where appends run one after another anyway.
   */
  readonly concurrentAppends: number;
  readonly #db: Database.Database;
  readonly #orgNo = new Map<string, number>();
  readonly #queries = new Map<string, Database.Statement>();
  readonly #stmt;
  readonly #writer: Writer;
  readonly #listeners = new Set<(org: string) => void>();
  readonly #rowBudget: number;
  /** The count #scan is making (annals_tally adds to it): `oldest`, the time of the last row added. */
  #counting: { tally: Tally; limit: number; read: number; oldest: number } | undefined;
  /** close() has begun. */
  #closing = false;

  constructor(config: SqliteStoreConfig) {
    this.#rowBudget = config.rowBudget ?? ROW_BUDGET;
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
      ? inlineWriter(new SqliteAppender(db, { ledger }))
      : new ThreadWriter(new URL('./sqlite-writer', import.meta.url), { path: config.path, synchronous: config.synchronous ?? 'FULL', ledger });
    this.concurrentAppends = this.#writer instanceof ThreadWriter ? 2 : 1;
    // What #scan counts: each row of its statement, up to its limit, into its tally. The rows must come newest first
    // (the one past the limit is the oldest, and is not counted): checked on each, as pages check their order.
    // (Its arguments are AGGREGATE_COLUMNS; better-sqlite3 takes their number from the function's.)
    const step = (_: null, timeMs: number, action: string, actor: string, country: string | null, outcome: number): null => {
      const counting = this.#counting;
      if (!counting) throw new AnnalsError('ANN_ERR_INTERNAL', 'annals_tally counts for #scan only');
      if (timeMs > counting.oldest) throw new AnnalsError('ANN_ERR_INTERNAL', 'a count read its rows out of order');
      counting.oldest = timeMs;
      if (counting.read++ < counting.limit) counting.tally.event(timeMs, action, actor, country, outcome === OUTCOME_CODE.failure ? 'failure' : 'success');
      return null;
    };
    db.aggregate('annals_tally', { start: null, safeIntegers: false, directOnly: true, step: step as (total: null, next: unknown) => null });

    this.#stmt = {
      orgById: db.prepare<[string], OrgRow>('SELECT no, id, name, created_ms FROM orgs WHERE id = ?'),
      orgs: db.prepare<[], OrgRow>('SELECT no, id, name, created_ms FROM orgs ORDER BY id'),
      insertOrg: db.prepare('INSERT INTO orgs (id, name, created_ms) VALUES (?, ?, ?)'),
      nextSeq: db.prepare<[number], { next_seq: number }>('SELECT next_seq FROM orgs WHERE no = ?'),
      eventById: db.prepare<[string, number], { body: string }>('SELECT body FROM events WHERE id = ? AND org_no = ?'),
      positionOf: db.prepare<[bigint], Position>('SELECT time_ms, processed_ms, seq FROM events WHERE rowid = ?'),
      // The first (last) time key of an org's events in one millisecond from (up to) a seq: see #afterKey.
      firstKeyFrom: db.prepare('SELECT min(rowid) AS k FROM events INDEXED BY events_by_org WHERE org_no = ? AND rowid >= ? AND rowid < ? AND seq >= ?').safeIntegers(true),
      lastKeyTo: db.prepare('SELECT max(rowid) AS k FROM events INDEXED BY events_by_org WHERE org_no = ? AND rowid >= ? AND rowid < ? AND seq <= ?').safeIntegers(true),
      processedAt: db.prepare<[number, number], { processed_ms: number }>('SELECT processed_ms FROM events WHERE org_no = ? AND seq = ?'),
      firstDay: db.prepare<[number], { bucket: number }>(`SELECT bucket FROM rollups WHERE org_no = ? AND dim = ${DIMS.total} AND grain = ${DAY} ORDER BY bucket LIMIT 1`),
      dayTotal: db.prepare<[number, number], { n: number }>(`SELECT n FROM rollups WHERE org_no = ? AND dim = ${DIMS.total} AND grain = ${DAY} AND bucket = ? AND value = ''`),
      entityInDays: db.prepare<[number, string, string], unknown>('SELECT 1 FROM event_entities WHERE org_no = ? AND day IN (SELECT value FROM json_each(?)) AND id = ? LIMIT 1'),
      actorInDays: db.prepare<[number, string, string], unknown>('SELECT 1 FROM events INDEXED BY events_by_actor WHERE org_no = ? AND day IN (SELECT value FROM json_each(?)) AND actor_id = ? LIMIT 1'),
      lastDay: db.prepare<[number], { bucket: number }>(`SELECT bucket FROM rollups WHERE org_no = ? AND dim = ${DIMS.total} AND grain = ${DAY} ORDER BY bucket DESC LIMIT 1`),
      insertKey: db.prepare(
        'INSERT INTO api_keys (id, org_no, name, scopes, hash, created_ms, revoked_ms) VALUES (?, ?, ?, ?, ?, ?, ?)'),
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
      // Rows in StoredLeaf's own shape, for a run that does not pack (see packedLeaves).
      leaves: db.prepare<[number, number, number, number], StoredLeaf>(
        'SELECT seq, id, CAST(body AS BLOB) AS leaf, leaf_hash AS leafHash FROM events WHERE org_no = ? AND seq >= ? AND seq > ? ORDER BY seq LIMIT ?'),
      // The same rows packed into one result row (see packedLeaves); `hashed` counts the rows with a hash of the
      // right size, so that the concatenated hashes split into one per row.
      packedLeaves: db.prepare<[number, number, number, number], PackedLeaves>(
        `SELECT count(*) AS n, sum(length(leaf_hash) = ${HASH_SIZE}) AS hashed,
                group_concat(seq) AS seqs, group_concat(id) AS ids, group_concat(octet_length(body)) AS sizes,
                CAST(group_concat(body, '') AS BLOB) AS bodies, CAST(group_concat(leaf_hash, '') AS BLOB) AS hashes
         FROM (SELECT seq, id, body, leaf_hash FROM events WHERE org_no = ? AND seq >= ? AND seq > ? ORDER BY seq LIMIT ?)`),
      leavesIndexed: db.prepare<[number, number, number], LeafRow>(
        `SELECT seq, id, CAST(body AS BLOB) AS body, leaf_hash, time_ms, action, actor_id, ip, country, city, outcome
         FROM events WHERE org_no = ? AND seq >= ? ORDER BY seq LIMIT ?`),
      insertCheckpoint: db.prepare('INSERT OR IGNORE INTO checkpoints (org_no, size, root, time_ms, note) VALUES (?, ?, ?, ?, ?)'),
      checkpoint: db.prepare<[number, number], CheckpointRow>('SELECT size, root, time_ms, note FROM checkpoints WHERE org_no = ? AND size = ?'),
      latestCheckpoint: db.prepare<[number], CheckpointRow>('SELECT size, root, time_ms, note FROM checkpoints WHERE org_no = ? ORDER BY size DESC LIMIT 1'),
      checkpoints: db.prepare<[number, number, number], CheckpointRow>(
        'SELECT size, root, time_ms, note FROM checkpoints WHERE org_no = ? AND size >= ? ORDER BY size LIMIT ?'),
      publishKey: db.prepare('INSERT OR IGNORE INTO checkpoint_keys (verifier_key, created_ms) VALUES (?, ?)'),
      publishedKeys: db.prepare<[], { verifierKey: string; createdMs: number }>(
        'SELECT verifier_key AS verifierKey, created_ms AS createdMs FROM checkpoint_keys ORDER BY created_ms, verifier_key'),
      getMeta: db.prepare<[string], { value: Buffer }>('SELECT value FROM meta WHERE name = ?'),
      insertMeta: db.prepare('INSERT OR IGNORE INTO meta (name, value) VALUES (?, ?)'),
      ping: db.prepare('SELECT 1'),
      newestKey: db.prepare<[number], { k: bigint | null }>('SELECT max(rowid) AS k FROM events INDEXED BY events_by_org WHERE org_no = ?').safeIntegers(true),
      // One slice of a warm-up: the next entries of the org's index below `hi`, newest first (see warm()).
      warmSlice: db.prepare<[number, bigint, bigint, number], { n: bigint; k: bigint | null }>(
        `SELECT count(*) AS n, min(k) AS k FROM (SELECT rowid AS k FROM events INDEXED BY events_by_org
         WHERE org_no = ? AND rowid >= ? AND rowid < ? ORDER BY rowid DESC LIMIT ?)`).safeIntegers(true),
      // (better-sqlite3's transaction: BEGIN, COMMIT, or ROLLBACK on an error; refuses a function that returns a promise.)
      read: db.transaction((read: () => unknown) => read()),
    };

  }

  #migrate(): void {
    const version = this.#db.pragma('user_version', { simple: true }) as number;
    if (version > MIGRATIONS.length) {
      throw new AnnalsError('ANN_ERR_INTERNAL', `the store is at schema ${version}, newer than this Annals knows (${MIGRATIONS.length}): upgrade Annals`);
    }
    for (let v = version; v < MIGRATIONS.length; v++) {
      this.#db.transaction(() => {
        MIGRATIONS[v].up(this.#db);
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
    this.#announce(groups, results);
    return results.map((r) => (r.ok ? r : { ok: false, error: fromWire(r.error) }));
  }

  /** Tells watchers of the orgs that got new events (this process's appends only: a file has no NOTIFY). */
  #announce(groups: AppendGroup[], results: WireResult[]): void {
    if (this.#listeners.size === 0) return;
    const orgs = new Set<string>();
    results.forEach((r, i) => {
      if (r.ok && r.events.some((e) => !e.duplicate)) orgs.add(groups[i].org);
    });
    for (const org of orgs) for (const listener of this.#listeners) listener(org);
  }

  async watch(listener: (org: string) => void): Promise<() => void> {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  async getEvent(org: string, id: string): Promise<StoredEvent | undefined> {
    const row = this.#stmt.eventById.get(id, this.#org(org));
    return row ? (JSON.parse(row.body) as StoredEvent) : undefined;
  }

  async queryEvents(org: string, filter: EventFilter, page: PageRequest): Promise<EventPage> {
    return eventPage(await this.queryLeaves(org, filter, page));
  }

  async queryLeaves(org: string, filter: EventFilter, page: PageRequest): Promise<LeafPage> {
    return this.#read(() => this.#leaves(org, filter, page));
  }

  #leaves(org: string, filter: EventFilter, page: PageRequest): LeafPage {
    const orgNo = this.#org(org);
    const f = this.#resolve(orgNo, filter);
    if (!f) return { leaves: PageLeaves.none };
    const compiler = new SqliteQueryCompiler(orgNo, f);
    const keys = timeKeys(f.time);
    let driver: Driver | undefined;
    let seqs: SeqRange | undefined;
    if (page.by === 'processed') {
      // processedAt never decreases along seq: its range is a seq range, and the page is read by seq.
      driver = { kind: 'seq' };
      seqs = this.#seqRange(orgNo, f.processed);
      if (page.after) {
        if (page.order === 'desc') seqs.hi = Math.min(seqs.hi ?? Infinity, page.after.seq);
        else seqs.lo = Math.max(seqs.lo ?? 0, page.after.seq + 1);
      }
    } else if (page.after) {
      this.#afterKey(orgNo, page.after, page.order, keys);
    }
    if (keys.lo !== undefined && keys.hi !== undefined && keys.lo >= keys.hi) return { leaves: PageLeaves.none };
    const days = page.by === 'time' ? this.#days(orgNo, keys) : [];
    driver ??= this.#driver(orgNo, compiler, keys, days);
    const options: CompileOptions = { columns: 'page', order: page.order, limit: page.limit + 1, keys, seqs, days };
    // Never less than a page: a page of rows that all match is always read whole.
    options.budget = Math.max(options.limit, this.#budget(compiler, driver, options));
    // Field tokens intersect lists well when the intersection is sparse; when it is dense, reading one list and
    // checking the others finds a page sooner. A few pages' worth of that list's rows tell which: a full page
    // from them is the page. Some matches but not a page tell how many of the list's rows a page takes at that
    // density: when that is within DENSE_SCAN_MAX pages (with a quarter more to spare), the list is read again with
    // that budget, every condition checked as each row comes and the read stopping at a page of matches, and a
    // full page from there is the page too. Only otherwise do the tokens drive.
    const alternative = driver.kind === 'text' ? compiler.tokenAlternative : undefined;
    let rows: PageRows | undefined;
    if (alternative !== undefined) {
      // Rows that are not in page order (which selectScanning relies on SQLite for) are not taken as the page.
      const scanning = (scan: number) => this.#packedRows(compiler.selectScanning(alternative, scan, options), page.by, options.order);
      const first = DENSE_SCAN * options.limit;
      rows = scanning(first);
      const found = rows?.ends.length ?? 0;
      const needed = found === 0 ? Infinity : Math.ceil((1.25 * first * options.limit) / found);
      if (rows && found < options.limit && needed <= DENSE_SCAN_MAX * options.limit) rows = scanning(needed);
      if (rows && rows.ends.length < options.limit) rows = undefined;
    }
    // A short page whose driver stopped at its budget goes on after the last row it read (its edge).
    const read: { rows: PageRows; edge?: Position } = rows ? { rows } : this.#page(compiler, driver, options, page.by);
    return leafPage(read.rows, page, read.edge);
  }

  /** The page rows `q` reads (COLUMNS.page, in page order): packed, or if they do not come so, one by one. */
  #pageRows(q: { text: string; params: unknown[] }, by: PageRequest['by'], order: 'asc' | 'desc'): PageRows {
    return this.#packedRows(q, by, order) ?? readRows(this.#query(q.text), q.params);
  }

  /**
   * The page rows `q` reads, read packed, if they unpack and come in page order (SQLite hands an aggregate the rows
   * of its subquery in the subquery's order; this checks).
   */
  #packedRows(q: { text: string; params: unknown[] }, by: PageRequest['by'], order: 'asc' | 'desc'): PageRows | undefined {
    const packed = readPacked(this.#query(packedSql(q.text)), q.params);
    return packed && inPageOrder(packed, by, order) ? packed : undefined;
  }

  /**
   * Up to `options.limit` page rows through `driver`, within its budget, and where the driver stopped when the
   * budget ran out first. Several ranges of a list are read one by one and merged here (see armSelect): their
   * rows count up to the first place one of them stopped at its budget.
   */
  #page(compiler: SqliteQueryCompiler, driver: Driver, options: CompileOptions, by: PageRequest['by']): { rows: PageRows; edge?: Position } {
    const { budget } = options;
    const rowsOf = (o: CompileOptions) => {
      const parts: PageRows[] = [];
      let found = 0;
      this.#selects(compiler, driver, o, (q) => {
        const part = this.#pageRows(q, by, o.order);
        parts.push(part);
        return (found += part.ends.length);
      });
      return joinRows(parts);
    };
    if (budget === undefined || driver.kind !== 'list' || driver.daily || compiler.armCount(driver.field) < 2) {
      const rows = rowsOf(options);
      return rows.ends.length < options.limit ? { rows, edge: this.#budgetEdge(compiler, driver, options) } : { rows };
    }
    // Ranges whose every row matches: no page reads more than a page of each, and SQLite merges them.
    if (!compiler.checksBeyond(driver.field, options)) return { rows: rowsOf({ ...options, budget: undefined }) };
    // Keys, compared as keys: a list drives only pages by event time, whose order is time-key order.
    const before = options.order === 'desc' ? (a: bigint, b: bigint) => a > b : (a: bigint, b: bigint) => a < b;
    const seen = new Set<bigint>();
    let edge: bigint | undefined;
    for (let arm = 0; arm < compiler.armCount(driver.field); arm++) {
      const q = compiler.armSelect(driver.field, arm, { ...options, budget });
      // Time keys exceed 2^53 (this statement's text is an arm's own).
      const keys = this.#query(q.text).safeIntegers(true).pluck(true).all(...q.params) as bigint[];
      for (const k of keys) seen.add(k);
      if (keys.length === options.limit) continue;
      const stop = this.#edgeKey(compiler.armEdge(driver.field, arm, { ...options, budget }));
      if (stop !== undefined && (edge === undefined || before(stop, edge))) edge = stop;
    }
    // Every arm's keys in page order, up to the first place an arm stopped at its budget (events past it may match
    // in that arm unseen); the page's rows are read by key.
    const merged = [...seen].sort((a, b) => (before(a, b) ? -1 : 1)).filter((k) => edge === undefined || !before(edge, k));
    // Keys as decimal strings in a JSON array (they exceed 2^53), cast back exactly.
    const rows = this.#pageRows({
      text: `SELECT ${COLUMNS.page} FROM events e WHERE e.rowid IN (SELECT CAST(value AS INTEGER) FROM json_each(?)) ORDER BY e.rowid ${options.order === 'desc' ? 'DESC' : 'ASC'}`,
      params: [JSON.stringify(merged.slice(0, options.limit).map(String))],
    }, 'time', options.order);
    return rows.ends.length < options.limit && edge !== undefined ? { rows, edge: this.#stmt.positionOf.get(edge) } : { rows };
  }

  /** The driver's row budget for a read of `compiler`'s filter (see ROW_BUDGET). */
  #budget(compiler: SqliteQueryCompiler, driver: Driver, options: Pick<CompileOptions, 'textSet'>): number {
    const terms = compiler.probedTerms(driver, options);
    return terms === 0 ? this.#rowBudget : Math.ceil(this.#rowBudget / (PROBE_TERM_ROWS * terms));
  }

  /** The last row a budgeted read took, when the read stopped at its budget with more to read. */
  #budgetEdge(compiler: SqliteQueryCompiler, driver: Driver, options: CompileOptions): Position | undefined {
    if (options.budget === undefined || (driver.kind === 'list' && driver.daily)) return undefined;
    const k = this.#edgeKey(compiler.budgetEdge(driver, { ...options, budget: options.budget }));
    return k === undefined ? undefined : this.#stmt.positionOf.get(k);
  }

  /** The key a budgetEdge or armEdge query names, when it names one (it found a key after it too). */
  #edgeKey(q: { text: string; params: unknown[] }): bigint | undefined {
    // Time keys exceed 2^53 (this statement is only ever an edge query: its text is its own).
    const keys = this.#query(q.text).safeIntegers(true).pluck(true).all(...q.params) as bigint[];
    return keys.length < 2 ? undefined : keys[0];
  }

  async aggregate(org: string, filter: EventFilter, request: AggregateRequest): Promise<Aggregates> {
    return this.#read(() => this.#aggregate(org, filter, request));
  }

  #aggregate(org: string, filter: EventFilter, request: AggregateRequest): Aggregates {
    const orgNo = this.#org(org);
    const f = this.#resolve(orgNo, filter);
    const tally = new Tally(request);
    if (!f) return tally.result(true);
    // Rollups count by time and by each field on its own: they answer a time window, and a time window with a
    // condition on the action alone when only action counts are asked for. Anything else is counted event by event.
    if (!countedWhole(f, request)) {
      // Counted one by one, newest first, up to the scan limit.
      const keys = timeKeys(f.time);
      const days = this.#days(orgNo, keys);
      const named = this.#present(orgNo, f, days);
      if (!named) return tally.result(true);
      const compiler = new SqliteQueryCompiler(orgNo, named);
      const scanned = this.#scan(compiler, this.#countingDriver(orgNo, named, compiler, keys, days), keys, days, request.scanLimit, tally);
      return tally.result(scanned.complete, scanned.coveredFrom);
    }
    // Whole days and hours from the rollups, the ragged ends from the events, newest first: a ragged end cut short
    // by a limit ends the counting there (nothing older is counted, so coveredFrom is true).
    const compiler = new SqliteQueryCompiler(orgNo, f.actions ? { actions: f.actions } : {});
    for (const { grain, span } of windowParts({ from: f.time?.from ?? -Infinity, to: f.time?.to ?? Infinity }, request.bounds)) {
      if (grain === undefined) {
        const keys: KeyRange = {};
        if (Number.isFinite(span.from)) keys.lo = keyAt(span.from);
        if (Number.isFinite(span.to)) keys.hi = keyAt(span.to);
        const days = this.#days(orgNo, keys);
        const scanned = this.#scan(compiler, this.#driver(orgNo, compiler, keys, days), keys, days, request.scanLimit, tally);
        if (!scanned.complete) return tally.result(false, scanned.coveredFrom);
        continue;
      }
      const range = ['org_no = ?', `grain = ${grain}`];
      const params: unknown[] = [orgNo];
      if (Number.isFinite(span.from)) { range.push('bucket >= ?'); params.push(span.from); }
      if (Number.isFinite(span.to)) { range.push('bucket < ?'); params.push(span.to); }
      // With an action condition, totals are the sums of the matching actions' rows.
      const actions: string[] = [];
      const actionParams: unknown[] = [];
      if (f.actions?.any) { actions.push(`value IN (${f.actions.any.map(() => '?').join(', ')})`); actionParams.push(...f.actions.any); }
      if (f.actions?.none) { actions.push(`value NOT IN (${f.actions.none.map(() => '?').join(', ')})`); actionParams.push(...f.actions.none); }
      const totals = actions.length === 0
        ? `SELECT bucket, n FROM rollups WHERE dim = ${DIMS.total} AND ${range.join(' AND ')}`
        : `SELECT bucket, sum(n) FROM rollups WHERE dim = ${DIMS.action} AND ${[...range, ...actions].join(' AND ')} GROUP BY bucket`;
      for (const [bucket, n] of this.#query(totals, true).all(...params, ...actionParams) as [number, number][]) tally.counted('total', bucket, '', n);
      // Per value, summed by SQLite: a 30-day window of a busy org is tens of thousands of rows, a few thousand values.
      for (const field of request.facets) {
        const where = [...range, ...(field === 'action' ? actions : [])];
        const sql = `SELECT value, sum(n) FROM rollups WHERE dim = ${DIMS[field]} AND ${where.join(' AND ')} GROUP BY value`;
        for (const [value, n] of this.#query(sql, true).all(...params, ...(field === 'action' ? actionParams : [])) as [string, number][]) {
          tally.counted(field, 0, value, n);
        }
      }
    }
    return tally.result(true);
  }

  /**
   * The statements that read up to `options.limit` rows through `driver`, each run by `read` (which says how many
   * rows have been read so far): one, or for a daily list driver one per run of days, in order, until there are
   * enough.
   */
  #selects(compiler: SqliteQueryCompiler, driver: Driver, options: CompileOptions, read: (q: { text: string; params: unknown[] }) => number): void {
    if (driver.kind !== 'list' || !driver.daily) {
      read(compiler.select(driver, options));
      return;
    }
    // A statement for each day cost ~0.1 ms at 10M events, and a sparse list (an address block's ~20 matches a day)
    // took five for a page: each statement reads as many days as the matches seen so far say the rest of the page
    // needs, a quarter more to spare (the newest day's count, sampled to choose this driver, is the first guess;
    // after days without any, twice as many as the last time), and sorts their matches.
    const days = options.order === 'desc' ? [...options.days].reverse() : options.days;
    const first = options.order === 'desc' ? driver.perDay : undefined;
    let found = 0;
    let at = 0;
    let step = 1;
    while (at < days.length && found < options.limit) {
      const rate = at > 0 ? found / at : first;
      step = rate === undefined ? 1 : rate > 0 ? Math.ceil((1.25 * (options.limit - found)) / rate) : 2 * step;
      step = Math.max(1, Math.min(step, DAILY_SPAN_MAX));
      found = read(compiler.select(driver, { ...options, days: days.slice(at, at + step), limit: options.limit - found }));
      at += step;
    }
  }

  /**
   * Counts up to `limit` events read through `driver`, newest first, into `tally`: whether that was all of them, and
   * if not, where the driver's budget ran out, when it did (else the tally's oldest event says how far back it got).
   */
  #scan(compiler: SqliteQueryCompiler, driver: Driver, keys: KeyRange, days: readonly number[], limit: number, tally: Tally): { complete: boolean; coveredFrom?: number } {
    // Counting reads every row of its window (up to the limits): text it does not drive is one set of matches,
    // except for a list read a few days at a time (each statement would make the set again).
    const daily = driver.kind === 'list' && driver.daily === true;
    const options: CompileOptions = { columns: 'aggregate', order: 'desc', limit: limit + 1, keys, days, textSet: !daily };
    options.budget = this.#budget(compiler, driver, options);
    // Each row is counted inside SQLite's loop, by the annals_tally aggregate (see the constructor): a call into
    // JavaScript a row costs about a third of what a row handed over as an array does (58,636 rows: 53 against
    // 90 ms at 10M, warm). The rows come in the statement's order: SQLite does not flatten a subquery with a LIMIT
    // into an aggregate, so it runs the statement as it is and feeds the aggregate its rows as they come.
    const counting = { tally, limit, read: 0, oldest: Infinity };
    const outer = this.#counting;
    this.#counting = counting;
    try {
      this.#selects(compiler, driver, options, (q) => {
        this.#query(`${TALLIED} (${q.text})`).get(...q.params);
        return counting.read;
      });
    } finally {
      this.#counting = outer;
    }
    const read = counting.read;
    if (read > limit) return { complete: false };
    // Fewer matches than the limit: all of them, unless the driver's budget ran out first (then back to its edge).
    // A list whose every row matches, read short of its budget, read all it had: no edge to look for.
    if (driver.kind === 'list' && read < options.budget && !compiler.checksBeyond(driver.field, options)) return { complete: true };
    const edge = this.#budgetEdge(compiler, driver, options);
    return edge ? { complete: false, coveredFrom: edge.time_ms } : { complete: true };
  }

  /**
   * The filter with actors named by id, or undefined when nothing can match (an empty `any`, an empty time range).
   */
  #resolve(orgNo: number, filter: EventFilter): EventFilter | undefined {
    const f: EventFilter = { ...filter };
    if (matchesNothing(f)) return undefined;
    if (f.actors) {
      f.actors = {
        any: f.actors.any && this.#actorIds(orgNo, f.actors.any),
        none: f.actors.none && this.#actorIds(orgNo, f.actors.none),
      };
    }
    return f;
  }

  /**
   * `f` without the id-alone readings of `type:id` that nothing in `days` names: no entity row holds the id (nor,
   * for `entity:`, is it an actor's). `container:projects:10001` reads as project 10001 and as an entity whose id
   * is `projects:10001` (see plan.ts); counting merges the readings' rows (with a sort of them all) even when one has
   * none. Undefined when nothing can match. (Pages read a page of each reading and keep them: no sort of them all.)
   * Only ids with a colon are looked for: any other is the only reading of what was asked, and reading its empty
   * range costs what looking for it would.
   */
  #present(orgNo: number, f: EventFilter, days: readonly number[]): EventFilter | undefined {
    const dayList = JSON.stringify(days);
    const named = (ref: EntityRef, field: 'contexts' | 'containers' | 'entities') => ref.type !== undefined || !ref.id.includes(':')
      || this.#stmt.entityInDays.get(orgNo, dayList, ref.id) !== undefined
      || (field === 'entities' && this.#stmt.actorInDays.get(orgNo, dayList, ref.id) !== undefined);
    let out = f;
    for (const field of ['contexts', 'containers', 'entities'] as const) {
      const match = f[field];
      if (!match) continue;
      const any = match.any?.filter((ref) => named(ref, field));
      const none = match.none?.filter((ref) => named(ref, field));
      if (any?.length === 0) return undefined;
      out = { ...out, [field]: { any, none } };
    }
    return out;
  }

  /** Narrows `keys` to what follows the cursor position `after` in `order` (see PageKey). */
  #afterKey(orgNo: number, after: PageKey, order: 'asc' | 'desc', keys: KeyRange): void {
    // The position (at, seq) sits just before the first event of that millisecond with seq >= seq (or after the
    // millisecond's last event): its time key bounds the page.
    const lo = keyAt(after.at);
    const hi = keyAt(after.at + 1);
    if (order === 'desc') {
      const k = (this.#stmt.firstKeyFrom.get(orgNo, lo, hi, after.seq) as { k: bigint | null }).k ?? hi;
      if (keys.hi === undefined || k < keys.hi) keys.hi = k;
    } else {
      const last = (this.#stmt.lastKeyTo.get(orgNo, lo, hi, after.seq) as { k: bigint | null }).k;
      const k = last === null ? lo : last + 1n;
      if (keys.lo === undefined || k > keys.lo) keys.lo = k;
    }
  }

  /**
   * The UTC days that may hold the org's events within time keys `keys`: what the day-led indexes are read over. The
   * org's first and last days come from its daily rollups.
   */
  #days(orgNo: number, keys: KeyRange): number[] {
    const first = this.#stmt.firstDay.get(orgNo);
    const last = this.#stmt.lastDay.get(orgNo);
    if (first === undefined || last === undefined) return [];
    const from = Math.max(first.bucket / DAY_MS, keys.lo === undefined ? -Infinity : dayOfKey(keys.lo));
    const to = Math.min(last.bucket / DAY_MS, keys.hi === undefined ? Infinity : dayOfKey(keys.hi - 1n));
    const days: number[] = [];
    for (let d = from; d <= to; d++) days.push(d);
    return days;
  }

  /** The seqs whose processedAt lies in `range` (binary searches: processedAt never decreases along seq). */
  #seqRange(orgNo: number, range: TimeRange | undefined): SeqRange {
    const seqs: SeqRange = {};
    if (range === undefined) return seqs;
    const size = this.#stmt.nextSeq.get(orgNo)!.next_seq;
    /** The first seq whose processedAt is at least `ms` (size if none). */
    const first = (ms: number) => {
      let lo = 0;
      let hi = size;
      while (lo < hi) {
        const mid = Math.floor((lo + hi) / 2);
        const row = this.#stmt.processedAt.get(orgNo, mid);
        // A missing row (only ever after tampering) reads as "not yet": the search stays within the log.
        if (row !== undefined && row.processed_ms >= ms) hi = mid;
        else lo = mid + 1;
      }
      return lo;
    };
    if (range.from !== undefined) seqs.lo = first(range.from);
    if (range.to !== undefined) seqs.hi = first(range.to);
    return seqs;
  }

  /**
   * The driver that counts the matches of `f`: the driver of its pages, unless a list whose index holds all that
   * counting needs (coveringLists) has few enough events: all within the row budget (then the count is complete),
   * and fewer than COVERED_PER_ROW for each row that driver would read (a list's count, the text's matches, the
   * whole budget for the time index). The list with the fewest drives. Its events are bounded from its rollups
   * (at least the window's), or counted from its index, so nothing is counted twice over.
   */
  #countingDriver(orgNo: number, f: EventFilter, compiler: SqliteQueryCompiler, keys: KeyRange, days: readonly number[]): Driver {
    const counts = new Map<ListField | 'text', number>();
    const driver = this.#driver(orgNo, compiler, keys, days, counts);
    const covering = compiler.coveringLists;
    if (covering.length === 0) return driver;
    // The page's own list, read in order, and nothing to choose between: it counts up to the budget whatever its size.
    if (driver.kind === 'list' && !driver.daily && covering.length === 1 && covering[0] === driver.field) return driver;
    let best: { field: ListField; n: number } | undefined;
    // (Lists bounded from the rollups come first: a list counted from its index is counted only up to the best so far.)
    for (const field of covering) {
      const n = this.#listEvents(orgNo, f, field, days, () => {
        const counted = counts.get(field);
        if (counted !== undefined && counted < COUNT_CAP) return counted;
        return this.#count(compiler.count(field, keys, days, Math.min(this.#rowBudget + 1, best?.n ?? Infinity)));
      });
      if (n <= this.#rowBudget && (best === undefined || n < best.n)) best = { field, n };
    }
    // A covering list the page would read anyway, past the budget (its count capped, or tied at the cap with one
    // that fits): the one that fits. (Both read their index alone.)
    if (driver.kind === 'list' && covering.includes(driver.field)) return best ? { kind: 'list', field: best.field } : driver;
    if (best === undefined) return driver;
    if (best.n === 0) return { kind: 'list', field: best.field };
    // The rows the page's driver would read, counted up to what makes the list the cheaper read.
    const enough = Math.ceil(best.n / COVERED_PER_ROW);
    const rows = driver.kind === 'list' ? counts.get(driver.field)
      : driver.kind === 'text' ? counts.get('text') ?? this.#count(compiler.countText(keys, enough)) : Infinity;
    return rows !== undefined && rows >= enough ? { kind: 'list', field: best.field } : driver;
  }

  /**
   * At most how many events of `f`'s values of `field` (actors, countries, failures) lie in its time window within
   * `days`, from the rollups: whole days, and the hours of the ragged ends (a window within a day, its hours).
   * Countries are compared in any case, which can only count more. A field the rollups do not count (addresses,
   * entities): `counted`, its index entries (or entity rows) counted.
   */
  #listEvents(orgNo: number, f: EventFilter, field: ListField, days: readonly number[], counted: () => number): number {
    if (field !== 'actors' && field !== 'countries' && field !== 'outcomes') return counted();
    const dim = ROLLUP_DIM[field];
    const values = f[field]?.any;
    if (!values?.length) return Infinity;
    if (days.length === 0) return 0;
    const lo = Math.max(f.time?.from ?? -Infinity, days[0] * DAY_MS);
    const hi = Math.min(f.time?.to ?? Infinity, (days[days.length - 1] + 1) * DAY_MS);
    if (!(lo < hi)) return 0;
    // The rollup buckets of the window's parts; a ragged end (less than an hour) counts its whole hour.
    const buckets: Record<number, number[]> = { [DAY]: [], [HOUR]: [] };
    for (const { span, grain = HOUR } of windowParts({ from: lo, to: hi })) {
      const ms = grain === DAY ? DAY_MS : HOUR_MS;
      for (let t = floorTo(span.from, ms); t < span.to; t += ms) buckets[grain].push(t);
    }
    // One lookup a bucket and value (a country's: a bucket's values, compared in any case).
    const value = field === 'countries' ? 'value COLLATE NOCASE' : 'value';
    const sum = (grain: number, starts: number[]) => starts.length === 0 ? 0 : this.#count({
      text: `SELECT coalesce(sum(n), 0) AS n FROM rollups WHERE org_no = ? AND dim = ${dim} AND grain = ${grain} `
        + `AND bucket IN (SELECT value FROM json_each(?)) AND ${value} IN (${values.map(() => '?').join(', ')})`,
      params: [orgNo, JSON.stringify(starts), ...values],
    });
    return sum(DAY, buckets[DAY]) + sum(HOUR, buckets[HOUR]);
  }

  /**
   * Chooses the driver, counting the candidate lists' matches when the choice depends on them (into `counts`, each
   * capped: see below).
   */
  #driver(orgNo: number, compiler: SqliteQueryCompiler, keys: KeyRange, days: readonly number[], counts = new Map<ListField | 'text', number>()): Driver {
    if (compiler.tokensSuffice) return { kind: 'text' };
    // Reading a day at a time sorts that day's m matches; scanning by time reads about a page / (m / the day's
    // events) rows to find a page of them. Sampled on the newest day: daily pays when m^2 < page * events.
    const sampled = new Map<ListField, number>();
    const daily = (field: ListField) => {
      const newest = days[days.length - 1];
      if (newest === undefined) return false;
      const m = this.#count(compiler.count(field, keys, [newest], COUNT_CAP));
      sampled.set(field, m);
      const events = this.#stmt.dayTotal.get(orgNo, newest * DAY_MS)?.n ?? 0;
      return m * m < DAILY_PAGE * events;
    };
    if (needsCounts(compiler)) {
      // Lists the text's MATCH asks for itself are never read whole: with text, only the others might drive.
      // A list that cannot be cut early drives only when it is small (or one day at a time, counted apart): it is
      // counted up to SMALL_LIST, and past that stands as large. (A long list of actions is such a list:
      // counting its matches to COUNT_CAP cost most of `product:jira actor:…` before products had tokens.)
      // So is every list when field tokens can drive instead (see chooseDriver). When each is one token, nothing
      // is counted (tokensSuffice, above).
      const tokens = compiler.tokensCanDrive;
      for (const { field, mergeable } of compiler.candidates()) {
        if (compiler.narrowedByText(field)) continue;
        const exact = mergeable && !tokens;
        const n = this.#count(compiler.count(field, keys, days, exact ? COUNT_CAP : SMALL_LIST));
        counts.set(field, exact || n < SMALL_LIST ? n : COUNT_CAP);
      }
      const smallest = Math.min(...counts.values());
      // The text's matches matter only when no list is small enough to drive anyway.
      if (compiler.hasText && smallest >= SMALL_LIST && smallest < COUNT_CAP) counts.set('text', this.#count(compiler.countText(keys, COUNT_CAP)));
    }
    const driver = chooseDriver(compiler, counts, SMALL_LIST, COUNT_CAP, daily);
    // (Sampled on the newest day: the first a read newest first takes.)
    if (driver.kind === 'list' && driver.daily) driver.perDay = sampled.get(driver.field);
    return driver;
  }

  /** What a count query (`n`) counts. */
  #count(q: { text: string; params: unknown[] }): number {
    return (this.#query(q.text).get(...q.params) as { n: number }).n;
  }

  /** The actor ids that `names` (ids, emails or names the actors used) stand for. */
  #actorIds(orgNo: number, names: readonly string[]): string[] {
    const lower = names.map((n) => n.toLowerCase());
    const sql = `SELECT DISTINCT actor_id FROM actor_aliases WHERE org_no = ? AND alias IN (${lower.map(() => '?').join(', ')})`;
    const ids = new Set(names);
    for (const row of this.#query(sql).all(orgNo, ...lower) as { actor_id: string }[]) ids.add(row.actor_id);
    return [...ids];
  }

  /**
   * `read`'s statements in one read transaction. A statement run on its own opens and ends a transaction of its own
   * (the WAL's read lock: system calls that took about 7 us on the project's VM, against under 1 us for a point
   * read in an open transaction), and one read may run many: a page of a day-led index reads one statement per day
   * of its window, a proof one per node. It also reads all of them from one snapshot. `read` must be synchronous
   * (a promise is refused): nothing else may run on this connection while the transaction is open.
   */
  #read<T>(read: () => T): T {
    return this.#stmt.read(read) as T;
  }

  /**
   * Prepared statements by SQL text; the shapes are few (one per filter combination, list length and org).
   * `raw`: rows as arrays (set on every use: statements are shared).
   */
  #query(sql: string, raw = false): Database.Statement {
    let stmt = this.#queries.get(sql);
    if (!stmt) {
      if (this.#queries.size >= 500) this.#queries.clear();
      stmt = this.#db.prepare(sql);
      this.#queries.set(sql, stmt);
    }
    return stmt.raw(raw && stmt.reader);
  }

  async countEvents(org: string): Promise<number> {
    return this.#stmt.nextSeq.get(this.#org(org))!.next_seq;
  }

  async createOrg(org: { id: string; name: string; createdAt?: string }): Promise<Org> {
    const row = newOrgRow(org);
    try {
      // The org and its full-text table, together.
      this.#db.transaction(() => {
        const no = Number(this.#stmt.insertOrg.run(row.id, row.name, row.created_ms).lastInsertRowid);
        createFtsTable(this.#db, no);
      }).immediate();
    } catch (error) {
      if ((error as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE') {
        throw new AnnalsError('ANN_ERR_ORG_EXISTS', `organization '${org.id}' already exists`, { pointer: '/id' });
      }
      throw error;
    }
    return orgFromRow(row);
  }

  async getOrg(id: string): Promise<Org | undefined> {
    const row = this.#stmt.orgById.get(id);
    return row && orgFromRow(row);
  }

  async listOrgs(): Promise<Org[]> {
    return this.#stmt.orgs.all().map(orgFromRow);
  }

  async createApiKey(key: NewApiKey): Promise<ApiKey> {
    const row = newKeyRow(key);
    const orgNo = key.org === null ? null : this.#org(key.org);
    this.#stmt.insertKey.run(row.id, orgNo, row.name, row.scopes, row.hash, row.created_ms, row.revoked_ms);
    return keyFromRow(row);
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
    return this.#read(() => ids.map((id) => {
      const row = id.level === 0 ? this.#stmt.leafHash.get(orgNo, id.index) : this.#stmt.node.get(orgNo, id.level, id.index);
      if (!row) throw new Error(`ledger node (level ${id.level}, index ${id.index}) of '${org}' is missing`);
      return 'hash' in row ? row.hash : row.leaf_hash;
    }));
  }

  async readLeaves(org: string, from: number, limit: number, indexed = false): Promise<StoredLeaf[]> {
    const orgNo = this.#org(org);
    return indexed ? this.#stmt.leavesIndexed.all(orgNo, from, limit).map(leafFromRow) : this.#read(() => this.#packedLeaves(orgNo, from, limit));
  }

  /**
   * readLeaves' rows, read PACKED_ROWS at a time as one result row each (every body in one blob, every hash in
   * another, seqs and ids as lists) and cut into StoredLeaf views: verification reads every leaf, and making a
   * Buffer per column per row cost more than hashing it. A run that does not unpack into one value of each per
   * row, in seq order (a NULL, a comma in an id, a hash of another size: only a store edited behind Annals' back
   * holds one), is read row by row instead.
   */
  #packedLeaves(orgNo: number, from: number, limit: number): StoredLeaf[] {
    const leaves: StoredLeaf[] = [];
    let after = from - 1;
    while (leaves.length < limit) {
      const want = Math.min(PACKED_ROWS, limit - leaves.length);
      const run = this.#stmt.packedLeaves.get(orgNo, from, after, want)!;
      const unpacked = run.n === 0 ? [] : run.hashed === run.n ? unpackLeaves(run) : undefined;
      leaves.push(...(unpacked ?? this.#stmt.leaves.all(orgNo, from, after, want)));
      if (run.n < want) break;
      after = leaves[leaves.length - 1].seq;
    }
    return leaves;
  }

  async checkIndexes(org: string, limit: number): Promise<IndexFinding[]> {
    const orgNo = this.#org(org);
    const findings: IndexFinding[] = [];
    // Entity rows: what the leaves name, against what is stored, both ways.
    const derived = `SELECT org_no, day, id, k, role, type FROM (${DERIVED_ENTITIES}) WHERE org_no = ?`;
    const stored = 'SELECT org_no, day, id, k, role, type FROM event_entities WHERE org_no = ?';
    const differ = (a: string, b: string) => this.#query(
      `SELECT d.id AS entity, d.role, e.seq, e.id FROM (${a} EXCEPT ${b}) d JOIN events e ON e.rowid = d.k LIMIT ?`,
    ).all(orgNo, orgNo, limit) as { entity: string; role: number; seq: number; id: string }[];
    const role = (code: number) => ROLE_OF_CODE[code];
    for (const r of differ(derived, stored)) {
      findings.push({ seq: r.seq, id: r.id, detail: `the entity index has lost ${role(r.role)} '${r.entity}': searches for it miss this event` });
    }
    for (const r of differ(stored, derived)) {
      findings.push({ seq: r.seq, id: r.id, detail: `the entity index names ${role(r.role)} '${r.entity}', which the event does not` });
    }
    const orphans = this.#query(`SELECT x.id FROM event_entities x WHERE x.org_no = ? AND NOT EXISTS (SELECT 1 FROM events e WHERE e.rowid = x.k) LIMIT ?`)
      .all(orgNo, limit) as { id: string }[];
    for (const r of orphans) findings.push({ detail: `the entity index names '${r.id}' in an event that is not stored` });
    // Entity rows' copies of their event's columns (schema 10), byte for byte.
    const differs = AGGREGATE_COLUMNS.map((c) => `x.${c} IS NOT e.${c} COLLATE BINARY`).join(' OR ');
    const copies = this.#query(`SELECT e.seq, e.id, x.id AS entity FROM event_entities x CROSS JOIN events e ON e.rowid = x.k
      WHERE x.org_no = ? AND (${differs}) LIMIT ?`).all(orgNo, limit) as { seq: number; id: string; entity: string }[];
    for (const r of copies) {
      findings.push({ seq: r.seq, id: r.id, detail: `the entity index's row for '${r.entity}' holds other copies of the event's columns: facets of searches for it count the event wrong` });
    }
    // Each event's time key and day: what the time index and the day-led indexes file it under.
    const misfiled = this.#query(`SELECT seq, id FROM events INDEXED BY events_by_seq WHERE org_no = ?
      AND ((rowid >> ${KEY_SHIFT}) <> ${KEY_TIME_SQL} OR day <> ${DAY_OF_TIME}) LIMIT ?`).all(orgNo, limit) as { seq: number; id: string }[];
    for (const r of misfiled) {
      findings.push({ seq: r.seq, id: r.id, detail: 'the event is filed under another time in the time index: searches by time miss or misplace it' });
    }
    // Rollups: recounted from the events, both ways (a count too low, too high, or of nothing at all).
    const recount = `SELECT dim, grain, bucket, value, n FROM (${ROLLUP_COUNTS}) WHERE org_no = ?`;
    const kept = 'SELECT dim, grain, bucket, value, n FROM rollups WHERE org_no = ?';
    for (const [a, b] of [[recount, kept], [kept, recount]]) {
      const rows = this.#query(`${a} EXCEPT ${b} LIMIT ?`).all(orgNo, orgNo, limit) as { grain: number; bucket: number; value: string; n: number }[];
      for (const r of rows) findings.push({ detail: rollupFinding(r, a === recount) });
    }
    return findings.slice(0, limit);
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

  async publishKeys(keys: readonly PublishedKey[]): Promise<void> {
    this.#db.transaction(() => { for (const k of keys) this.#stmt.publishKey.run(k.verifierKey, k.createdMs); })();
  }

  async publishedKeys(): Promise<PublishedKey[]> {
    return this.#stmt.publishedKeys.all();
  }

  async secret(name: string, initial?: Buffer): Promise<Buffer> {
    this.#stmt.insertMeta.run(`secret:${name}`, initial ?? randomBytes(32));
    return this.#stmt.getMeta.get(`secret:${name}`)!.value;
  }

  async fingerprints(org: string, keys: readonly string[]): Promise<Map<string, Buffer>> {
    const orgNo = this.#org(org);
    const found = new Map<string, Buffer>();
    for (let i = 0; i < keys.length; i += 500) {
      const chunk = keys.slice(i, i + 500);
      const rows = this.#query(`SELECT key, fingerprint FROM idempotency WHERE org_no = ? AND key IN (${chunk.map(() => '?').join(', ')}) AND fingerprint IS NOT NULL`)
        .all(orgNo, ...chunk) as { key: string; fingerprint: Buffer }[];
      for (const r of rows) found.set(r.key, r.fingerprint);
    }
    return found;
  }

  async warm(options: WarmOptions): Promise<number> {
    const checked = warmOptions(options);
    const { days } = checked;
    if (this.#closing) return 0;
    const windows = this.#stmt.orgs.all().map((org) => lazyWindow(
      () => {
        const newest = this.#stmt.newestKey.get(org.no)?.k ?? null;
        return newest === null ? null : { lo: keyAt(Number(newest >> KEY_SHIFT) - days * DAY_MS), hi: newest + 1n };
      },
      (window, entries) => {
        const { n, k } = this.#stmt.warmSlice.get(org.no, window.lo, window.hi, entries)!;
        if (k !== null) window.hi = k;
        return Number(n);
      },
    ));
    return warmInTurn(windows, checked, () => this.#closing);
  }

  async ping(): Promise<void> {
    this.#stmt.ping.get();
    if (this.#writer.failure) throw this.#writer.failure;
  }

  async close(): Promise<void> {
    if (!this.#db.open) return;
    // Said at once: a warm-up stops at its next slice rather than reading on while the writer thread ends.
    this.#closing = true;
    await this.#writer.close();
    this.#db.pragma('optimize');
    this.#db.close();
  }
}

/**
 * Leaves per packed read: at most LIMITS.eventBytes each (64 KiB), so a run stays far below SQLite's limit on one
 * value's size (1e9 bytes); about 1 MB in the usual case.
 */
const PACKED_ROWS = 1024;

/** One packed read of leaves (see packedLeaves): lists are comma-separated, bodies and hashes concatenated. */
interface PackedLeaves {
  n: number; hashed: number | null; seqs: string | null; ids: string | null; sizes: string | null; bodies: Buffer | null; hashes: Buffer | null;
}

/** A packed run's rows as StoredLeaf views into its two blobs, or undefined if it does not unpack in seq order. */
function unpackLeaves(run: PackedLeaves): StoredLeaf[] | undefined {
  const seqs = run.seqs!.split(',');
  const ids = run.ids!.split(',');
  const sizes = run.sizes!.split(',');
  const bodies = run.bodies ?? Buffer.alloc(0);
  const hashes = run.hashes!;
  if (seqs.length !== run.n || ids.length !== run.n || sizes.length !== run.n || hashes.length !== run.n * HASH_SIZE) return undefined;
  const leaves: StoredLeaf[] = new Array(run.n);
  let at = 0;
  let previous = -Infinity;
  for (let i = 0; i < run.n; i++) {
    const seq = Number(seqs[i]);
    const end = at + Number(sizes[i]);
    if (!(seq > previous) || end > bodies.length) return undefined;
    leaves[i] = { seq, id: ids[i], leaf: bodies.subarray(at, end), leafHash: hashes.subarray(i * HASH_SIZE, (i + 1) * HASH_SIZE) };
    previous = seq;
    at = end;
  }
  return at === bodies.length ? leaves : undefined;
}

function inlineWriter(appender: SqliteAppender): Writer {
  return new InlineWriter(async (groups) => appender.append(groups));
}

/** The time keys of an event-time range. */
function timeKeys(range: TimeRange | undefined): KeyRange {
  const keys: KeyRange = {};
  if (range?.from !== undefined) keys.lo = keyAt(range.from);
  if (range?.to !== undefined) keys.hi = keyAt(range.to);
  return keys;
}
