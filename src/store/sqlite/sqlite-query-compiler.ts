// The embedded store's query compiler: an EventFilter (the dialect-neutral plan) and a page into parameterised
// SQL. Every value is a bound parameter; the SQL text is made only of this file's own words, the org's integer
// table number and integer literals of its own (test/unit/sqlite-query-compiler.test.ts checks that).
//
// One *driver* reads rows in sort order and every other condition is checked on each row it reads (a residual):
//   time   the org's events by time key (events_by_org, which also holds what aggregates count), newest or oldest
//          first;
//   seq    the org's events by seq, for the processing-time (events-stream) order;
//   text   the org's full-text index, whose rowids are time keys negated (sqlite-fts.ts, ftsRowid): matches come
//          out in time order, newest first in FTS5's ascending order, and a cursor is a rowid bound it seeks to;
//   list   one index range per value of one field (action, actor, ip, country, failures, entities), each cut at the
//          page size and merged (a k-way merge: a page costs at most values × limit index entries, whatever their
//          frequencies), or one IN range for long lists. These indexes lead with the event's day (sqlite-schema.ts):
//          a range is read one day at a time through a list of the days in question, in order, so the LIMIT still
//          stops it early.
// Which driver is cheapest depends on the data: the store counts each list's matches (up to a cap) and asks
// `chooseDriver`. Plans are pinned with INDEXED BY and CROSS JOIN, so SQLite runs exactly the plan chosen here.
import { disjointRanges, type IpRange } from '../../domain/ip.js';
import { asciiLower } from '../../domain/words.js';
import type { EntityRef, EventFilter, Match } from '../store.js';
import { ftsAnyOf, ftsRowid, ftsTable, ftsTerms, type TokenField } from './sqlite-fts.js';
import { OUTCOME_CODE, ROLE_CODE } from './sqlite-schema.js';

interface Sql {
  text: string;
  params: unknown[];
}

const sql = (text: string, params: unknown[] = []): Sql => ({ text, params });

function join(parts: Sql[], separator: string): Sql {
  return { text: parts.map((p) => p.text).join(separator), params: parts.flatMap((p) => p.params) };
}

const placeholders = (values: readonly unknown[]) => values.map(() => '?').join(', ');

/** Lists up to this long are merged one index range per value; longer ones are one IN range. */
export const MERGE_MAX = 32;
/** Lists up to this long are asked of the full-text index through their tokens (a product's actions fit). */
export const TOKEN_OR_MAX = 64;

/** The lists that full-text rows carry tokens for (sqlite-fts.ts), and their token fields. */
const TOKEN_FIELDS = { actors: 'actor', actions: 'action', countries: 'country' } as const satisfies Partial<Record<ListField, TokenField>>;
type TokenList = keyof typeof TOKEN_FIELDS;
/** In the order a MATCH asks for them. */
const TOKEN_LISTS: readonly TokenList[] = ['actors', 'actions', 'countries'];
/**
 * The lists whose indexes (or entity rows) also hold the columns aggregates count (schemas 7-10), in the order tried:
 * those the rollups count first (the store bounds their events from the rollups, the others by counting them).
 */
const COVERING_LISTS = ['actors', 'countries', 'outcomes', 'ips', 'contexts', 'containers', 'entities'] as const satisfies readonly ListField[];
/** The filter keys every covering index holds the columns of (the lists': see #holds for a list's own; the org's time index). */
const HELD_KEYS: ReadonlySet<string> = new Set(['time', 'actors', 'actions', 'actionsWithin', 'countries', 'outcomes']);
/** Lists whose ranges may share an event (an event names several entities, or one entity twice). */
const ENTITY_LISTS: readonly ListField[] = ['contexts', 'containers', 'entities'];
/** What aggregates count of each event: the events' columns, and the copies of them that covering indexes and entity rows hold. */
export const AGGREGATE_COLUMNS = ['time_ms', 'action', 'actor_id', 'country', 'outcome'] as const;
const isTokenList = (field: ListField): field is TokenList => (TOKEN_LISTS as readonly string[]).includes(field);

/** Time keys [lo, hi): event times converted, and a cursor's bound. */
export interface KeyRange {
  lo?: bigint;
  hi?: bigint;
}

/** Seqs [lo, hi), for the processing-time order. */
export interface SeqRange {
  lo?: number;
  hi?: number;
}

export type ListField = 'actions' | 'actors' | 'ips' | 'countries' | 'outcomes' | 'contexts' | 'containers' | 'entities';

export type Driver =
  | { kind: 'time' }
  | { kind: 'seq' }
  | { kind: 'text' }
  /**
   * `daily`: the caller runs the query over a few days at a time, newest (or oldest) first, until the page is full
   * (for lists that do not merge); `perDay`: the matches found on the first day it reads, when they were counted.
   */
  | { kind: 'list'; field: ListField; daily?: boolean; perDay?: number };

/**
 * One index range a list driver reads: `ordered` when it comes out in time-key order (so a LIMIT cuts it early);
 * `byDay` when its index leads with the day (it then reads the days of CompileOptions.days).
 */
interface Arm {
  /** events: an index of the events table; entities: event_entities. */
  from: 'events' | 'entities';
  index?: string;
  where: Sql;
  ordered: boolean;
  byDay: boolean;
}

export const COLUMNS = {
  page: 'e.body, e.time_ms, e.processed_ms, e.seq',
  aggregate: AGGREGATE_COLUMNS.map((c) => `e.${c}`).join(', '),
} as const;

/** `alias`'s copies of what aggregates count, named as the events' own columns (for conditions and counts after). */
const aggregateCopies = (alias: string) => AGGREGATE_COLUMNS.map((c) => `${alias}.${c} AS ${c}`);

export interface CompileOptions {
  columns: keyof typeof COLUMNS;
  order: 'asc' | 'desc';
  limit: number;
  /** Time-key bounds (event time and, for the time-ordered drivers, the cursor). */
  keys: KeyRange;
  /** Seq bounds: the processing-time range and, for the seq driver, the cursor. */
  seqs?: SeqRange;
  /** The UTC days (days since the epoch) that may hold matching events: what list drivers read. */
  days: readonly number[];
  /**
   * Most rows the driver reads (a daily list driver aside): every other condition is checked on those only, so the
   * answer may hold fewer than `limit` rows although more match further on (see the store's row budget).
   */
  budget?: number;
  /**
   * Text the driver does not read checked as membership of one set, the full-text matches within `keys`, rather
   * than by a probe of the full-text index per row: for counts over a window, which read every row of it.
   */
  textSet?: boolean;
}

/** The `budget`-th of `keys` (rows of `k`, at least budget + 1 of them) and the one after it, when there are. */
function edgeOf(keys: Sql, budget: number): Sql {
  return join([sql('SELECT k FROM ('), keys, sql(') LIMIT 2 OFFSET ?', [budget - 1])], '');
}

/**
 * A compiler for one org and one filter. `filter.actors` must already name actor ids (the store resolves emails
 * and names first), and `processed` ranges must already be seq ranges when the seq driver is used.
 */
export class SqliteQueryCompiler {
  readonly #orgNo: number;
  readonly #filter: EventFilter;
  readonly #fts: string;

  constructor(orgNo: number, filter: EventFilter) {
    this.#orgNo = orgNo;
    this.#filter = filter;
    this.#fts = ftsTable(orgNo);
  }

  /** Fields whose `any` values can drive the query, with whether they merge in order (see Driver). */
  candidates(): { field: ListField; mergeable: boolean }[] {
    const out: { field: ListField; mergeable: boolean }[] = [];
    for (const field of ['actions', 'actors', 'ips', 'countries', 'outcomes', 'contexts', 'containers', 'entities'] as const) {
      const arms = this.#arms(field);
      if (arms) out.push({ field, mergeable: arms.length <= MERGE_MAX && arms.every((a) => a.ordered) });
    }
    return out;
  }

  get hasText(): boolean {
    return (this.#filter.text?.all?.length ?? 0) > 0;
  }

  /**
   * Whether the text driver's MATCH already asks for this list (through the field tokens, sqlite-fts.ts): the
   * full-text index then yields only rows that have one of its values (or, through a category's or product's
   * token, of that category or product), so the list never needs to drive.
   */
  narrowedByText(field: ListField): boolean {
    return this.hasText && this.#tokens(field) !== undefined;
  }

  /**
   * Whether the full-text index can drive on field tokens alone (no text): two or more of actors, actions and
   * countries are asked for, so a MATCH of their tokens is an intersection FTS5 computes by skipping through the
   * posting lists together, where a list driver reads every event of one side to check the other.
   */
  get tokensCanDrive(): boolean {
    return !this.hasText && TOKEN_LISTS.filter((field) => this.#tokens(field) !== undefined).length >= 2;
  }

  /**
   * The tokens through which a MATCH asks for `field`'s values (1 to TOKEN_OR_MAX of them), if it can. Actions
   * asked for by category or product are asked for by those: one posting list each, rather than one per action
   * (the columns are checked on every row, so a category or product that holds more than the actions asked for
   * still gives the right answer).
   */
  #tokens(field: ListField): { token: TokenField; values: readonly string[] } | undefined {
    if (!isTokenList(field)) return undefined;
    const list = field;
    const values = this.#filter[list]?.any;
    if (values === undefined || values.length === 0) return undefined;
    if (list === 'actions' && values.length > 1) {
      const { categories, products } = this.#filter.actionsWithin ?? {};
      const groups = categories?.length ? { token: 'category' as const, values: categories }
        : products?.length ? { token: 'product' as const, values: products } : undefined;
      if (groups && groups.values.length < values.length && groups.values.length <= TOKEN_OR_MAX) return groups;
    }
    return values.length <= TOKEN_OR_MAX ? { token: TOKEN_FIELDS[list], values } : undefined;
  }

  /**
   * When field tokens can drive: the list that might drive instead, if its matches turn out dense (the first one of
   * actors, actions and countries that merges). See the store's page path. Not when every field is one token: FTS5
   * steps through single posting lists together quickly however dense their intersection; merging an OR of many
   * is what a dense intersection makes costly.
   */
  get tokenAlternative(): ListField | undefined {
    if (!this.tokensCanDrive || this.#singleTokens) return undefined;
    return this.candidates().find((l) => l.mergeable && isTokenList(l.field))?.field;
  }

  /**
   * Whether the full-text index drives whatever the counts: field tokens can drive, every list asked for is one
   * token in the MATCH, and no list without tokens could drive instead. FTS5 steps through the posting lists
   * leapfrogging, so a MATCH of single tokens reads about as much as the sparsest list's matches in the window,
   * which is what a small list would read.
   */
  get tokensSuffice(): boolean {
    return this.tokensCanDrive && this.#singleTokens && this.candidates().every((l) => isTokenList(l.field));
  }

  /** Whether every list of actors, actions and countries asked for is one token in the MATCH (none too long for it). */
  get #singleTokens(): boolean {
    return TOKEN_LISTS.every((field) => !this.#filter[field]?.any?.length || this.#tokens(field)?.values.length === 1);
  }

  /**
   * A page through the list driver on `field` that reads at most `scan` rows of its index ranges, checking the other
   * conditions only on those: a full page from it is the page, anything less says only that the matches are sparse.
   * The rows come in page order without an ORDER BY of their own: the ranges' first `scan` keys (sorted, merged) are
   * the outer loop of a CROSS JOIN, whose order SQLite keeps, so the LIMIT stops at a page of matches having read no
   * more of the budget than it took. Sorting the matches again would first read every row of the budget. (The store
   * checks the order of what comes back.)
   */
  selectScanning(field: ListField, scan: number, options: CompileOptions): Sql {
    return this.#listSelect(field, options, scan);
  }

  /**
   * The list driver's query: one index range per arm, merged in time-key order. The other conditions are checked
   * inside each range, so that LIMIT stops at a page of matches; or, given a `scan` budget, on the first `scan`
   * rows of the ranges, after them (see selectScanning).
   */
  #listSelect(field: ListField, options: CompileOptions, scan?: number): Sql {
    const dir = options.order === 'desc' ? 'DESC' : 'ASC';
    const columns = COLUMNS[options.columns];
    const residuals = this.#residuals(options, field);
    const read = scan ?? options.limit;
    const [only, ...more] = this.#arms(field)!;
    // One range of an index of the events in page order, every condition checked in it: its rows, straight from the
    // range. (A range that must be sorted, such as an address block's, sorts its keys alone and then reads a page.)
    if (scan === undefined && more.length === 0 && only.from === 'events' && only.ordered) return this.#armRange(only, columns, options, read, residuals);
    // An index that holds every column the read checks and returns is read alone: each range brings its columns
    // (named as the events' own, so that the conditions checked after the ranges read them as they are).
    const held = options.columns === 'aggregate' && this.coveringLists.includes(field);
    const arms = this.#orderedArms(field, options, read, scan === undefined ? residuals : [], held);
    // One arm comes in time-key order already (by day, then key): only several need merging, each sorted by key
    // first. (The ranges of an actor's, a country's or an address's index never share an event: one actor, country
    // and address an event, and an address's ranges are disjoint. Held rows of one event are the same row.)
    const union = held && !ENTITY_LISTS.includes(field) ? ' UNION ALL ' : ' UNION ';
    const inOrder = arms.length === 1 ? arms[0] : join([join(arms, union), sql(` ORDER BY k ${dir} LIMIT ?`, [read])], '');
    const parts = held ? [sql(`SELECT ${columns} FROM (`), inOrder, sql(') e')]
      : [sql(`SELECT ${columns} FROM (`), inOrder, sql(') u CROSS JOIN events e ON e.rowid = u.k')];
    if (scan === undefined) return join([...parts, sql(` ORDER BY ${held ? 'e' : 'u'}.k ${dir}`)], '');
    const where = residuals.length > 0 ? [sql(' WHERE '), join(residuals, ' AND ')] : [];
    return join([...parts, ...where, sql(' LIMIT ?', [options.limit])], '');
  }

  /**
   * The lists whose indexes hold every column this filter checks and that aggregates count (the actor's, the
   * country's, the failures' and the address's indexes and the entity rows, schemas 7-10), for a filter of those and
   * at most time, actions, actors, countries and outcomes (and the list's own values: #holds): counting the matches
   * of one of them reads its index alone, where a page needs each event's row anyway (and tokens may find them
   * sooner).
   */
  get coveringLists(): ListField[] {
    const keys = Object.entries(this.#filter).filter(([, value]) => value !== undefined).map(([key]) => key);
    return COVERING_LISTS.filter((field) => this.#arms(field) !== undefined && keys.every((key) => this.#holds(field, key)));
  }

  /**
   * Whether a read of `options.columns` finds each event's columns in the org's time index (schema 11), looked up by
   * (org, key), instead of the event's table row: a count (a page needs the row), of a filter of at most time,
   * text (checked through the full-text index, by key) and what every covering index holds. A word's matches are
   * scattered over the window, a table page each; the index holds ~130 events a page (at 10M), the table ~10.
   */
  #countsFromOrgIndex(options: CompileOptions): boolean {
    return options.columns === 'aggregate'
      && Object.entries(this.#filter).every(([key, value]) => value === undefined || key === 'text' || HELD_KEYS.has(key));
  }

  /** Whether the index (or the entity rows) of covering list `field` holds what the filter's condition on `key` checks. */
  #holds(field: ListField, key: string): boolean {
    if (HELD_KEYS.has(key)) return true;
    if (key !== field) return false;
    // The address's index holds the address; an entity's rows hold that the event names it, not what else it names
    // (an exclusion of this list asks that).
    return field === 'ips' || !this.#filter[field as 'contexts' | 'containers' | 'entities']?.none?.length;
  }

  /**
   * Each arm's first `read` keys in page order (and, `held`, the columns aggregates count from its index or entity
   * rows, named as the events'), `inner` checked inside the arm.
   */
  #orderedArms(field: ListField, options: CompileOptions, read: number, inner: Sql[], held = false): Sql[] {
    return this.#arms(field)!.map((arm) => {
      const k = arm.from === 'events' ? 'e.rowid AS k' : 'x.k AS k';
      // (An address's exclusions are checked on its ranges' rows after them: the address comes along.)
      const columns = !held ? k : arm.from === 'entities' ? [k, ...aggregateCopies('x')].join(', ')
        : `${k}, ${COLUMNS.aggregate}${field === 'ips' ? ', e.ip' : ''}`;
      return join([sql(held ? 'SELECT * FROM (' : 'SELECT k FROM ('), this.#armRange(arm, columns, options, read, inner), sql(')')], '');
    });
  }

  /**
   * `columns` of the first `read` rows of `arm`'s range in page order, `inner` checked inside the range. An entity
   * range reads its events' rows only to check `inner` (its own rows hold keys and what aggregates count).
   */
  #armRange(arm: Arm, columns: string, options: CompileOptions, read: number, inner: Sql[]): Sql {
    const dir = options.order === 'desc' ? 'DESC' : 'ASC';
    const k = arm.from === 'events' ? 'e.rowid' : 'x.k';
    const from = arm.from === 'events' ? `events e INDEXED BY ${arm.index}` : inner.length === 0 ? 'event_entities x' : 'event_entities x CROSS JOIN events e ON e.rowid = x.k';
    const where = join([...dayBound(arm, JSON.stringify(options.days)), arm.where, ...keyBounds(k, options.keys), ...inner], ' AND ');
    // Day by day, in time-key order within each day: the index order, so nothing is sorted and LIMIT stops early.
    const order = arm.byDay ? `${arm.from === 'events' ? 'e' : 'x'}.day ${dir}, ${k} ${dir}` : `${k} ${dir}`;
    // One event may name the same entity twice (as context and container, or under two types): one row an event
    // before the LIMIT, grouped in the index's order (its rows of one event are next to each other; a DISTINCT
    // would check each against a temporary b-tree of those seen: 100 against 60 ms for 58,636 rows).
    const group = arm.from === 'entities' ? ' GROUP BY x.day, x.k' : '';
    return join([sql(`SELECT ${columns} FROM ${from} WHERE `), where, sql(`${group} ORDER BY ${order} LIMIT ?`, [read])], '');
  }

  /** How many rows (at most `cap`) a list driver would read, ignoring every other condition. */
  count(field: ListField, keys: KeyRange, days: readonly number[], cap: number): Sql {
    const dayList = JSON.stringify(days);
    const arms = this.#arms(field)!.map((arm) => {
      const k = arm.from === 'events' ? 'e.rowid' : 'x.k';
      const table = arm.from === 'events' ? `events e INDEXED BY ${arm.index}` : 'event_entities x';
      return join([sql(`SELECT ${k} FROM ${table} WHERE `), join([...dayBound(arm, dayList), arm.where, ...keyBounds(k, keys)], ' AND ')], '');
    });
    return join([sql('SELECT count(*) AS n FROM (SELECT 1 FROM ('), join(arms, ' UNION ALL '), sql(') LIMIT ?)', [cap])], '');
  }

  /** How many rows (at most `cap`) the text driver would read, ignoring every other condition. */
  countText(keys: KeyRange, cap: number): Sql {
    const fts = this.#fts;
    return join([sql(`SELECT count(*) AS n FROM (SELECT 1 FROM ${fts} WHERE `),
      join([sql(`${fts} MATCH ?`, [this.#match(true)]), ...textKeyBounds(fts, keys)], ' AND '), sql(' LIMIT ?)', [cap])], '');
  }

  /** The query that reads a page (or, for aggregates, up to `limit` rows) through `driver`. */
  select(driver: Driver, options: CompileOptions): Sql {
    const dir = options.order === 'desc' ? 'DESC' : 'ASC';
    const columns = COLUMNS[options.columns];
    const { budget } = options;
    const budgeted = budget !== undefined && !(driver.kind === 'list' && driver.daily);
    const residuals = budgeted ? this.#residuals(options, driver.kind === 'list' ? driver.field : driver.kind === 'text' ? 'text' : undefined) : [];
    // A read whose every row matches (nothing is left to check) stops at `limit` rows, and within a budget of at
    // least as many the budget changes nothing: the plain form reads the same rows for less.
    if (budgeted && (residuals.length > 0 || options.limit > budget)) {
      if (driver.kind === 'list') return this.#listSelect(driver.field, options, budget);
      // A count whose filter the org's time index holds (#countsFromOrgIndex) reads it alone: by time, its first
      // `budget` entries with their columns (named as the events' own, `rowid` too), each condition checked on
      // them, nothing read twice; through the full-text index, each key looked up there rather than in the table.
      // (Counts never read by seq: see the store's #scan.) The rows come in the index's order, as the count needs
      // (its tally checks).
      const byOrg = driver.kind !== 'seq' && this.#countsFromOrgIndex(options);
      if (byOrg && driver.kind === 'time') {
        const entries = ['e.rowid AS rowid', ...aggregateCopies('e')].join(', ');
        const range = join([sql('e.org_no = ?', [this.#orgNo]), ...keyBounds('e.rowid', options.keys)], ' AND ');
        return join([sql(`SELECT ${columns} FROM (SELECT ${entries} FROM events e INDEXED BY events_by_org WHERE `), range,
          sql(` ORDER BY e.rowid ${dir} LIMIT ?) e`, [budget]), ...(residuals.length > 0 ? [sql(' WHERE '), join(residuals, ' AND ')] : []),
          sql(' LIMIT ?', [options.limit])], '');
      }
      // The driver's first `budget` keys in page order are the outer loop of a CROSS JOIN: the LIMIT stops at a
      // page of matches, and no more than the budget is ever read. The ORDER BY names the order the keys come in
      // (SQLite sorts nothing for it: the test of the compiler checks the plan).
      if (driver.kind === 'text') residuals.unshift(sql('e.org_no = ?', [this.#orgNo]));
      return join([sql(`SELECT ${columns} FROM (`), this.#keys(driver, options, sql(' LIMIT ?', [budget])),
        sql(`) u CROSS JOIN events e${byOrg ? ' INDEXED BY events_by_org' : ''} ON e.rowid = u.k`), ...(residuals.length > 0 ? [sql(' WHERE '), join(residuals, ' AND ')] : []),
        sql(` ORDER BY ${keyOrder(driver, options.order)} LIMIT ?`, [options.limit])], '');
    }
    switch (driver.kind) {
      case 'time': {
        const where = [sql('e.org_no = ?', [this.#orgNo]), ...keyBounds('e.rowid', options.keys), ...this.#residuals(options, undefined)];
        return join([sql(`SELECT ${columns} FROM events e INDEXED BY events_by_org WHERE `), join(where, ' AND '),
          sql(` ORDER BY e.rowid ${dir} LIMIT ?`, [options.limit])], '');
      }
      case 'seq': {
        const where = [sql('e.org_no = ?', [this.#orgNo]), ...seqBounds(options.seqs ?? {}), ...keyBounds('e.rowid', options.keys),
          ...this.#residuals(options, undefined)];
        return join([sql(`SELECT ${columns} FROM events e INDEXED BY events_by_seq WHERE `), join(where, ' AND '),
          sql(` ORDER BY e.seq ${dir} LIMIT ?`, [options.limit])], '');
      }
      case 'text': {
        const fts = this.#fts;
        const where = [sql(`${fts} MATCH ?`, [this.#match(true)]), ...textKeyBounds(fts, options.keys),
          sql('e.org_no = ?', [this.#orgNo]), ...this.#residuals(options, 'text')];
        const byOrg = this.#countsFromOrgIndex(options);
        return join([sql(`SELECT ${columns} FROM ${fts} CROSS JOIN events e${byOrg ? ' INDEXED BY events_by_org' : ''} ON e.rowid = -${fts}.rowid WHERE `), join(where, ' AND '),
          sql(` ORDER BY ${fts}.rowid ${textOrder(options.order)} LIMIT ?`, [options.limit])], '');
      }
      case 'list':
        return this.#listSelect(driver.field, options);
    }
  }

  /**
   * The `budget`-th key a budgeted read through `driver` reads and the one after it (rows of `k`): two rows say the
   * read stopped at its budget with more to read, after the first of them. (For a list driver, its arms merged.)
   */
  budgetEdge(driver: Driver, options: CompileOptions & { budget: number }): Sql {
    const read = options.budget + 1;
    const keys = driver.kind !== 'list' ? this.#keys(driver, options, sql(' LIMIT ?', [read]))
      : join([join(this.#orderedArms(driver.field, options, read, []), ' UNION '), sql(` ORDER BY k ${options.order === 'desc' ? 'DESC' : 'ASC'} LIMIT ?`, [read])], '');
    return edgeOf(keys, options.budget);
  }

  /** How many index ranges (arms) the list driver on `field` reads. */
  armCount(field: ListField): number {
    return this.#arms(field)?.length ?? 0;
  }

  /** Whether rows the list driver on `field` reads are checked for anything else (else every one matches). */
  checksBeyond(field: ListField, options: CompileOptions): boolean {
    return this.#residuals(options, field).length > 0;
  }

  /**
   * A budgeted page through one arm of the list driver on `field` alone: its first `budget` keys, every other
   * condition (there are some: see checksBeyond) checked on them, up to `limit` of them (`k`), in page order (a list drives only pages by event time,
   * whose order is key order). The store merges the arms' keys itself (merged by SQLite, every arm's budget would
   * be sorted first) and reads the rows of the page's keys.
   */
  armSelect(field: ListField, arm: number, options: CompileOptions & { budget: number }): Sql {
    const keys = this.#orderedArms(field, options, options.budget, [])[arm];
    return join([sql('SELECT u.k FROM ('), keys, sql(') u CROSS JOIN events e ON e.rowid = u.k WHERE '), join(this.#residuals(options, field), ' AND '),
      sql(' LIMIT ?', [options.limit])], '');
  }

  /** As budgetEdge, for one arm of the list driver on `field` (see armSelect). */
  armEdge(field: ListField, arm: number, options: CompileOptions & { budget: number }): Sql {
    return edgeOf(this.#orderedArms(field, options, options.budget + 1, [])[arm], options.budget);
  }

  /** The keys (`k`) the time, seq or text driver reads, in page order, within the options' bounds; `limit` closes it. */
  #keys(driver: Driver, options: CompileOptions, limit: Sql): Sql {
    const dir = options.order === 'desc' ? 'DESC' : 'ASC';
    switch (driver.kind) {
      case 'time':
        return join([sql('SELECT e.rowid AS k FROM events e INDEXED BY events_by_org WHERE '),
          join([sql('e.org_no = ?', [this.#orgNo]), ...keyBounds('e.rowid', options.keys)], ' AND '), sql(` ORDER BY e.rowid ${dir}`), limit], '');
      case 'seq':
        return join([sql('SELECT e.rowid AS k, e.seq AS seq FROM events e INDEXED BY events_by_seq WHERE '),
          join([sql('e.org_no = ?', [this.#orgNo]), ...seqBounds(options.seqs ?? {}), ...keyBounds('e.rowid', options.keys)], ' AND '),
          sql(` ORDER BY e.seq ${dir}`), limit], '');
      case 'text': {
        const fts = this.#fts;
        return join([sql(`SELECT -${fts}.rowid AS k, ${fts}.rowid AS f FROM ${fts} WHERE `),
          join([sql(`${fts} MATCH ?`, [this.#match(true)]), ...textKeyBounds(fts, options.keys)], ' AND '),
          sql(` ORDER BY ${fts}.rowid ${textOrder(options.order)}`), limit], '');
      }
      case 'list':
        throw new Error('list drivers read their arms (#orderedArms)');
    }
  }

  /**
   * How many text terms reading through `driver` probes the full-text index for on each row (text it does not
   * drive, unless checked as a set: CompileOptions.textSet).
   */
  probedTerms(driver: Driver, options: Pick<CompileOptions, 'textSet'>): number {
    if (driver.kind === 'text' || options.textSet) return 0;
    return (this.#filter.text?.all?.length ?? 0) + (this.#filter.text?.none?.length ?? 0);
  }

  /**
   * The FTS5 expression of the filter's text: every `all` term, and none of the `none` terms. `narrowed` also asks
   * for the filter's actors, actions and countries through their tokens (sqlite-fts.ts), so the full-text index
   * yields only rows that have them: what the text driver reads. (A probe of one row already knows its row.)
   */
  #match(narrowed: boolean): string {
    const f = this.#filter;
    const text = f.text ?? {};
    const parts = text.all?.length ? [ftsTerms(text.all)] : [];
    for (const field of TOKEN_LISTS) {
      const tokens = narrowed ? this.#tokens(field) : undefined;
      if (tokens) parts.push(ftsAnyOf(tokens.token, tokens.values));
    }
    if (parts.length === 0) throw new Error('a full-text MATCH needs at least one term that must match');
    const all = parts.length === 1 ? parts[0] : parts.map((p) => `(${p})`).join(' AND ');
    return text.none?.length ? `(${all}) NOT (${ftsTerms(text.none, ' OR ')})` : all;
  }

  /** The index ranges a list driver on `field` reads, or undefined if the field cannot drive. */
  #arms(field: ListField): Arm[] | undefined {
    const f = this.#filter;
    const org = this.#orgNo;
    const byValue = (index: string, column: string, values: readonly unknown[] | undefined): Arm[] | undefined => {
      if (!values?.length) return undefined;
      if (values.length > MERGE_MAX) {
        return [{ from: 'events', index, where: sql(`e.org_no = ? AND ${column} IN (${placeholders(values)})`, [org, ...values]), ordered: false, byDay: true }];
      }
      return values.map((v) => ({ from: 'events', index, where: sql(`e.org_no = ? AND ${column} = ?`, [org, v]), ordered: true, byDay: true }));
    };
    switch (field) {
      case 'actions': return byValue('events_by_action', 'e.action', f.actions?.any);
      case 'actors': return byValue('events_by_actor', 'e.actor_id', f.actors?.any);
      // Countries compare in any (ASCII) case, as NOCASE does: one range a country, however it is spelled.
      case 'countries': return byValue('events_by_country', 'e.country', f.countries?.any && [...new Map(f.countries.any.map((c) => [asciiLower(c), c])).values()]);
      case 'ips': {
        // Ranges that share no address: an event is in one arm at most.
        const ranges = f.ips?.any && disjointRanges(f.ips.any);
        if (!ranges?.length || ranges.length > MERGE_MAX) return undefined;
        return ranges.map((r) => (sameBytes(r.lo, r.hi)
          ? { from: 'events', index: 'events_by_ip', where: sql('e.org_no = ? AND e.ip = ?', [org, bytes(r.lo)]), ordered: true, byDay: true }
          : { from: 'events', index: 'events_by_ip', where: sql('e.org_no = ? AND e.ip BETWEEN ? AND ?', [org, bytes(r.lo), bytes(r.hi)]), ordered: false, byDay: true }));
      }
      case 'outcomes': {
        // Only failures have an index of their own (a partial one): successes are most events.
        const any = f.outcomes?.any;
        if (!any || any.length !== 1 || any[0] !== 'failure') return undefined;
        return [{ from: 'events', index: 'events_failed', where: sql(`e.org_no = ? AND e.outcome = ${OUTCOME_CODE.failure}`, [org]), ordered: true, byDay: false }];
      }
      case 'contexts':
      case 'containers':
      case 'entities': {
        const refs = f[field]?.any;
        if (!refs?.length || refs.length > MERGE_MAX) return undefined;
        const role = field === 'entities' ? undefined : ROLE_CODE[field === 'contexts' ? 'context' : 'container'];
        return refs.flatMap((ref): Arm[] => {
          const arms: Arm[] = [{ from: 'entities', where: entityRow('x', org, ref, role), ordered: true, byDay: true }];
          if (field === 'entities' && ref.type === undefined) {
            arms.push({ from: 'events', index: 'events_by_actor', where: sql('e.org_no = ? AND e.actor_id = ?', [org, ref.id]), ordered: true, byDay: true });
          }
          return arms;
        });
      }
    }
  }

  /** Every condition of the filter that the driver does not already apply. */
  #residuals(options: CompileOptions, driven: ListField | 'text' | undefined): Sql[] {
    const f = this.#filter;
    const out: Sql[] = [];
    // On an optional column (`nullable`), an event without the value never has one of `any`, and always has none
    // of `none`.
    const list = (field: ListField | 'cities', column: string, match: Match<string> | undefined, nullable: boolean) => {
      if (match?.any?.length && driven !== field) out.push(sql(`${column} IN (${placeholders(match.any)})`, [...match.any]));
      if (match?.none?.length) {
        const notIn = `${column} NOT IN (${placeholders(match.none)})`;
        out.push(sql(nullable ? `(${column} IS NULL OR ${notIn})` : notIn, [...match.none]));
      }
    };
    list('actions', 'e.action', f.actions, false);
    list('actors', 'e.actor_id', f.actors, false);
    list('countries', 'e.country', f.countries, true);
    list('cities', 'e.city', f.cities, true);
    // A place is a country or a city (both columns compare NOCASE). Excluding one excludes it from both.
    const places = f.locations?.any;
    if (places?.length) out.push(sql(`(e.country IN (${placeholders(places)}) OR e.city IN (${placeholders(places)}))`, [...places, ...places]));
    if (f.locations?.none?.length) {
      list('countries', 'e.country', { none: f.locations.none }, true);
      list('cities', 'e.city', { none: f.locations.none }, true);
    }
    if (f.ips) {
      const ranges = (rs: readonly IpRange[]) => join(rs.map((r) => sql('e.ip BETWEEN ? AND ?', [bytes(r.lo), bytes(r.hi)])), ' OR ');
      if (f.ips.any?.length && driven !== 'ips') out.push(join([sql('('), ranges(f.ips.any), sql(')')], ''));
      if (f.ips.none?.length) out.push(join([sql('(e.ip IS NULL OR NOT ('), ranges(f.ips.none), sql('))')], ''));
    }
    if (f.outcomes) {
      const codes = (os: readonly ('success' | 'failure')[]) => os.map((o) => OUTCOME_CODE[o]).join(', ');
      if (f.outcomes.any?.length && driven !== 'outcomes') out.push(sql(`e.outcome IN (${codes(f.outcomes.any)})`));
      if (f.outcomes.none?.length) out.push(sql(`e.outcome NOT IN (${codes(f.outcomes.none)})`));
    }
    for (const field of ['contexts', 'containers', 'entities'] as const) {
      const match = f[field];
      if (!match) continue;
      const role = field === 'entities' ? undefined : ROLE_CODE[field === 'contexts' ? 'context' : 'container'];
      const names = (refs: readonly EntityRef[]) => join(refs.map((ref) => {
        const exists = join([sql('EXISTS (SELECT 1 FROM event_entities x WHERE '), entityRow('x', this.#orgNo, ref, role), sql(' AND x.day = e.day AND x.k = e.rowid)')], '');
        return field === 'entities' && ref.type === undefined ? join([sql('e.actor_id = ? OR ', [ref.id]), exists], '') : exists;
      }), ' OR ');
      if (match.any?.length && driven !== field) out.push(join([sql('('), names(match.any), sql(')')], ''));
      if (match.none?.length) out.push(join([sql('NOT ('), names(match.none), sql(')')], ''));
    }
    if (f.processed && options.seqs === undefined) {
      if (f.processed.from !== undefined) out.push(sql('e.processed_ms >= ?', [f.processed.from]));
      if (f.processed.to !== undefined) out.push(sql('e.processed_ms < ?', [f.processed.to]));
    }
    if (driven !== 'text' && (f.text?.all?.length || f.text?.none?.length)) {
      const fts = this.#fts;
      const match = f.text.all?.length ? this.#match(false) : ftsTerms(f.text.none!, ' OR ');
      const yes = f.text.all?.length ? '' : 'NOT ';
      if (options.textSet) {
        // The matches within the window, once (SQLite keeps them as a set), instead of a probe per row. The set holds
        // full-text rowids as FTS5 reads them forward, ascending: a b-tree built in order (keys negated in the
        // SELECT, the set came in descending order, and building it cost 15% more).
        const within = [sql(`${fts} MATCH ?`, [match]), ...textKeyBounds(fts, options.keys)];
        out.push(join([sql(`-e.rowid ${yes}IN (SELECT ${fts}.rowid FROM ${fts} WHERE `), join(within, ' AND '), sql(')')], ''));
      } else {
        // A probe of the org's full-text index for this one row.
        out.push(sql(`${yes}EXISTS (SELECT 1 FROM ${fts} WHERE ${fts} MATCH ? AND rowid = -e.rowid)`, [match]));
      }
    }
    return out;
  }
}

/**
 * A full-text probe of one row costs about this many times what reading one row through the full-text index does
 * (measured: ~13 µs against ~2 µs).
 */
export const PROBE_COST = 6.5;

/**
 * The driver for a filter, given how many rows each driver would read (`counts`: per list field, and `text`;
 * capped at `cap`; absent when it was not worth counting, and for lists the text narrows by itself). A list that
 * is small (under `small` rows) drives whatever else the filter has: reading it costs little, and its rows are
 * checked against the rest (a full-text probe per row, at most). With text, a list still drives when its rows, each probed, cost less than the text's
 * rows would (both read until the page is full, so each in proportion to its count); otherwise the full-text index
 * drives (it yields only rows that match it, in order). Without text: the smallest list that merges in order, else
 * the time index.
 */
export function chooseDriver(
  compiler: SqliteQueryCompiler, counts: ReadonlyMap<ListField | 'text', number>, small: number, cap = Infinity,
  /** Whether reading `field` by days (each day's matches sorted) beats the time index (see the store's #dailyPays). */
  daily: (field: ListField) => boolean = () => false,
): Driver {
  const lists = compiler.candidates();
  const counted = lists.filter((l) => counts.has(l.field)).sort((a, b) => counts.get(a.field)! - counts.get(b.field)!);
  const smallest = counted[0];
  if (smallest && counts.get(smallest.field)! < small) return { kind: 'list', field: smallest.field };
  if (compiler.tokensCanDrive) return { kind: 'text' };
  if (compiler.hasText) {
    const list = smallest && counts.get(smallest.field)!;
    const text = counts.get('text');
    const cheaper = list !== undefined && list < cap && text !== undefined && list * PROBE_COST < text;
    return cheaper && smallest.mergeable ? { kind: 'list', field: smallest.field } : { kind: 'text' };
  }
  const merging = (counted.length > 0 ? counted : lists).find((l) => l.mergeable);
  if (merging) return { kind: 'list', field: merging.field };
  // A list that cannot be cut early (address blocks, long lists) still drives, read by days, when its matches
  // are rare enough that sorting a day of them costs less than scanning by time past the others.
  const unordered = counted.find((l) => daily(l.field));
  return unordered ? { kind: 'list', field: unordered.field, daily: true } : { kind: 'time' };
}

/** Whether choosing a driver needs counts: more than one way in, or a list that cannot be cut early. */
export function needsCounts(compiler: SqliteQueryCompiler): boolean {
  const lists = compiler.candidates();
  return lists.length + (compiler.hasText ? 1 : 0) > 1 || lists.some((l) => !l.mergeable);
}

function entityRow(alias: string, orgNo: number, ref: EntityRef, role: number | undefined): Sql {
  const parts = [sql(`${alias}.org_no = ? AND ${alias}.id = ?`, [orgNo, ref.id])];
  if (role !== undefined) parts.push(sql(`${alias}.role = ${role}`));
  if (ref.type !== undefined) parts.push(sql(`${alias}.type = ?`, [ref.type]));
  return join(parts, ' AND ');
}

/** The day list a day-led index range reads (`day IN` a JSON array: SQLite walks it in order). */
function dayBound(arm: Arm, dayList: string): Sql[] {
  return arm.byDay ? [sql(`${arm.from === 'events' ? 'e' : 'x'}.day IN (SELECT value FROM json_each(?))`, [dayList])] : [];
}

function keyBounds(column: string, keys: KeyRange): Sql[] {
  const out: Sql[] = [];
  if (keys.lo !== undefined) out.push(sql(`${column} >= ?`, [keys.lo]));
  if (keys.hi !== undefined) out.push(sql(`${column} < ?`, [keys.hi]));
  return out;
}

/** keyBounds on the full-text table's rowids, the keys negated (ftsRowid): lo <= key < hi is -hi < rowid <= -lo. */
function textKeyBounds(fts: string, keys: KeyRange): Sql[] {
  const out: Sql[] = [];
  if (keys.hi !== undefined) out.push(sql(`${fts}.rowid > ?`, [ftsRowid(keys.hi)]));
  if (keys.lo !== undefined) out.push(sql(`${fts}.rowid <= ?`, [ftsRowid(keys.lo)]));
  return out;
}

/** The full-text rowid order that reads keys in `order` (ftsRowid: newest first is ascending). */
const textOrder = (order: 'asc' | 'desc') => (order === 'desc' ? 'ASC' : 'DESC');

/** The ORDER BY of a page read from `driver`'s keys (u: see SqliteQueryCompiler.select): the order they come in. */
function keyOrder(driver: Driver, order: 'asc' | 'desc'): string {
  if (driver.kind === 'text') return `u.f ${textOrder(order)}`;
  return `u.${driver.kind === 'seq' ? 'seq' : 'k'} ${order === 'desc' ? 'DESC' : 'ASC'}`;
}

function seqBounds(seqs: SeqRange): Sql[] {
  const out: Sql[] = [];
  if (seqs.lo !== undefined) out.push(sql('e.seq >= ?', [seqs.lo]));
  if (seqs.hi !== undefined) out.push(sql('e.seq < ?', [seqs.hi]));
  return out;
}


const bytes = (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.byteLength);

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}
