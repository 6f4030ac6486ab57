// The PostgreSQL store's query compiler: an EventFilter (the dialect-neutral plan) into a parameterised WHERE clause
// over `events e`. Every value is a bound parameter ($n); the SQL text is made only of this file's own words and
// parameter numbers (test/unit/postgres-query-compiler.test.ts checks that). Unlike the embedded store, the plan
// is left to PostgreSQL's planner: its statistics see what the SQLite store has to count for itself.
import { asciiLower, words } from '../../domain/words.js';
import { DIMS, type Span } from '../rollups.js';
import type { AggregateRequest, EntityRef, EventFilter, FacetField, Match, PageRequest } from '../store.js';
import { countedWhole } from '../rows.js';
import { OUTCOME_CODE, ROLE_CODE, storable } from './postgres-schema.js';

/** Bound parameters, numbered in the order they are added. */
class Params {
  readonly values: unknown[] = [];

  /** The placeholder of a new parameter holding `value`. */
  add(value: unknown): string {
    this.values.push(value);
    return `$${this.values.length}`;
  }
}

export interface Sql {
  text: string;
  values: unknown[];
}

/**
 * A page of `org`'s events matching `f` (actors already named by id), as rows (body, at, seq): by event time from
 * the events table, or by processing time from the ledger (whose processedAt never decreases along seq).
 * undefined when nothing can match.
 */
export function pageSql(org: string, f: EventFilter, page: PageRequest): Sql | undefined {
  const p = new Params();
  const where = whereOf(f, p);
  if (!where) return undefined;
  const byTime = page.by === 'time';
  const key = byTime ? 'e.time_ms' : 'l.processed_ms';
  const seq = byTime ? 'e.seq' : 'l.seq';
  where.unshift(`${byTime ? 'e' : 'l'}.org_id = ${p.add(org)}`);
  ranges(f, p, where, byTime ? 'e' : 'l');
  if (page.after) {
    where.push(`(${key}, ${seq}) ${page.order === 'desc' ? '<' : '>'} (${p.add(page.after.at)}::bigint, ${p.add(page.after.seq)}::bigint)`);
  }
  const dir = page.order === 'desc' ? 'DESC' : 'ASC';
  const from = byTime ? 'events e' : 'ledger l JOIN events e ON e.org_id = l.org_id AND e.time_ms = l.time_ms AND e.seq = l.seq';
  return {
    text: `SELECT e.body, ${key} AS at, ${seq} AS seq FROM ${from} WHERE ${where.join(' AND ')}
      ORDER BY ${key} ${dir}, ${seq} ${dir} LIMIT ${p.add(page.limit + 1)}`,
    values: p.values,
  };
}

const FACET_COLUMN = { action: 'action', actor: 'actor_id', country: 'country', outcome: 'outcome::text' } as const;

/**
 * Counts of `org`'s events matching `f`, as rows (field, value, bucket, n, oldest, matched): `total` rows per
 * histogram bucket (width_bucket's numbering: 1 is [bounds[0], bounds[1]), 0 and bounds.length are outside), the
 * others per facet value. A time window, alone or with a condition on the action when only action counts are
 * asked for, is counted whole (what the embedded store answers from its rollups); anything else up to the newest
 * scanLimit matches, `matched` telling whether there were more.
 */
export function aggregateSql(org: string, f: EventFilter, request: AggregateRequest): Sql | undefined {
  const p = new Params();
  const where = whereOf(f, p);
  if (!where) return undefined;
  where.unshift(`e.org_id = ${p.add(org)}`);
  ranges(f, p, where, 'e');
  const whole = countedWhole(f, request);
  const bounds = request.bounds ?? [];
  const bucket = bounds.length >= 2 ? `width_bucket(time_ms, ${p.add(bounds)}::bigint[])` : '0';
  const parts = [`SELECT 'total' AS field, NULL AS value, ${bucket} AS bucket, count(*) AS n, min(time_ms) AS oldest FROM k GROUP BY 3`];
  for (const field of request.facets) {
    if (!Object.hasOwn(FACET_COLUMN, field)) throw new Error(`no facet '${String(field)}'`);
    parts.push(`SELECT '${field}', ${FACET_COLUMN[field]}, 0, count(*), NULL FROM k WHERE ${FACET_COLUMN[field]} IS NOT NULL GROUP BY 2`);
  }
  const matches = `SELECT e.time_ms, e.seq, e.action, e.actor_id, e.country, e.outcome FROM events e WHERE ${where.join(' AND ')}`;
  const text = whole
    ? `WITH k AS (${matches}) SELECT g.*, 0 AS matched FROM (${parts.join(' UNION ALL ')}) g`
    : `WITH m AS MATERIALIZED (${matches} ORDER BY e.time_ms DESC, e.seq DESC LIMIT ${p.add(request.scanLimit + 1)}),
       k AS MATERIALIZED (SELECT * FROM m ORDER BY time_ms DESC, seq DESC LIMIT ${p.add(request.scanLimit)})
       SELECT g.*, (SELECT count(*) FROM m) AS matched FROM (${parts.join(' UNION ALL ')}) g`;
  return { text, values: p.values };
}

/**
 * Counts from the rollup rows of one grain over `span`, as rows (field, value, n): `total` rows per bucket (the
 * bucket's start as the value), the others per facet value. With a condition on the action, the totals are the
 * sums of the matching actions' rows.
 */
export function rollupSql(org: string, grain: number, span: Span, actions: Match<string> | undefined, facets: readonly FacetField[]): Sql {
  const p = new Params();
  const range = [`org_id = ${p.add(org)}`, `grain = ${grain}`];
  if (Number.isFinite(span.from)) range.push(`bucket >= ${p.add(span.from)}::bigint`);
  if (Number.isFinite(span.to)) range.push(`bucket < ${p.add(span.to)}::bigint`);
  const byAction: string[] = [];
  if (actions?.any) byAction.push(`value = ANY(${p.add(actions.any.filter(storable))}::text[])`);
  if (actions?.none && actions.none.length > 0) byAction.push(`NOT (value = ANY(${p.add(actions.none.filter(storable))}::text[]))`);
  const parts = [byAction.length === 0
    ? `SELECT 'total' AS field, bucket::text AS value, n FROM rollups WHERE dim = ${DIMS.total} AND ${range.join(' AND ')}`
    : `SELECT 'total' AS field, bucket::text AS value, sum(n)::bigint AS n FROM rollups WHERE dim = ${DIMS.action} AND ${[...range, ...byAction].join(' AND ')} GROUP BY bucket`];
  for (const field of facets) {
    if (!Object.hasOwn(FACET_COLUMN, field)) throw new Error(`no facet '${String(field)}'`);
    const where = [...range, ...(field === 'action' ? byAction : [])];
    parts.push(`SELECT '${field}', value, sum(n)::bigint FROM rollups WHERE dim = ${DIMS[field]} AND ${where.join(' AND ')} GROUP BY value`);
  }
  return { text: parts.join(' UNION ALL '), values: p.values };
}

/** Event-time and processing-time bounds of `f` on alias `a` (events `e`, or the ledger `l` for processing time). */
function ranges(f: EventFilter, p: Params, where: string[], a: 'e' | 'l'): void {
  if (f.time?.from !== undefined) where.push(`e.time_ms >= ${p.add(f.time.from)}::bigint`);
  if (f.time?.to !== undefined) where.push(`e.time_ms < ${p.add(f.time.to)}::bigint`);
  if (f.processed?.from !== undefined) where.push(`${a}.processed_ms >= ${p.add(f.processed.from)}::bigint`);
  if (f.processed?.to !== undefined) where.push(`${a}.processed_ms < ${p.add(f.processed.to)}::bigint`);
}


/**
 * The conditions of `filter` on `e` (an events row), ANDed, or undefined when nothing can match. `filter.actors`
 * must already name actor ids. Time and processing-time ranges are left to the caller (they bound the scan).
 */
function whereOf(filter: EventFilter, p: Params): string[] | undefined {
  const where: string[] = [];
  const add = <T>(match: Match<T> | undefined, test: (values: T[]) => string | undefined): boolean => {
    if (!match) return true;
    if (match.any !== undefined) {
      const cond = test([...match.any]);
      if (cond === undefined) return false;
      where.push(cond);
    }
    if (match.none !== undefined && match.none.length > 0) {
      const cond = test([...match.none]);
      // NULL (a field the event lacks) is not one of the values: the event is kept.
      if (cond !== undefined) where.push(`NOT coalesce(${cond}, false)`);
    }
    return true;
  };
  const anyText = (column: string, values: string[], fold = false) => {
    const kept = [...new Set(values.filter(storable).map((v) => (fold ? asciiLower(v) : v)))];
    if (kept.length === 0) return undefined;
    // One value is an equality, which an index range returns in time order (the planner cannot know that of ANY).
    return kept.length === 1 ? `${column} = ${p.add(kept[0])}::text` : `${column} = ANY(${p.add(kept)}::text[])`;
  };
  const ok = add(filter.actions, (v) => anyText('e.action', v))
    && add(filter.actors, (v) => anyText('e.actor_id', v))
    && add(filter.countries, (v) => anyText('lower(e.country COLLATE "C")', v, true))
    && add(filter.cities, (v) => anyText('lower(e.city COLLATE "C")', v, true))
    && add(filter.locations, (v) => {
      const country = anyText('lower(e.country COLLATE "C")', v, true);
      return country && `(${country} OR ${anyText('lower(e.city COLLATE "C")', v, true)})`;
    })
    && add(filter.outcomes, (v) => `e.outcome = ANY(${p.add(v.map((o) => OUTCOME_CODE[o]))}::smallint[])`)
    // One address is an equality (in time order along the index), a block a range.
    && add(filter.ips, (ranges) => `(${ranges.map((r) => (Buffer.from(r.lo).equals(r.hi)
      ? `e.ip = ${p.add(Buffer.from(r.lo))}::bytea`
      : `e.ip BETWEEN ${p.add(Buffer.from(r.lo))}::bytea AND ${p.add(Buffer.from(r.hi))}::bytea`)).join(' OR ')})`)
    && add(filter.contexts, (refs) => entities(refs, p, ROLE_CODE.context))
    && add(filter.containers, (refs) => entities(refs, p, ROLE_CODE.container))
    && add(filter.entities, (refs) => entities(refs, p));
  if (!ok) return undefined;
  if (filter.text) {
    for (const term of filter.text.all ?? []) {
      // A term without words matches nothing (as no phrase of no words is in any document).
      if (words(term).length === 0) return undefined;
      where.push(`e.tsv @@ phraseto_tsquery('simple', ${p.add(words(term).join(' '))})`);
    }
    for (const term of filter.text.none ?? []) {
      if (words(term).length === 0) continue;
      where.push(`NOT e.tsv @@ phraseto_tsquery('simple', ${p.add(words(term).join(' '))})`);
    }
  }
  return where;
}

/**
 * Events that name one of `refs` in `role` (any role, and as the actor for refs without a type, when role is not
 * given). undefined when no ref can match.
 */
function entities(refs: EntityRef[], p: Params, role?: number): string | undefined {
  const kept = refs.filter((r) => storable(r.id) && (r.type === undefined || storable(r.type)));
  if (kept.length === 0) return undefined;
  const arms: string[] = [];
  const untyped = kept.filter((r) => r.type === undefined).map((r) => r.id);
  const typed = kept.filter((r) => r.type !== undefined);
  const inEvent = `x.org_id = e.org_id AND x.time_ms = e.time_ms AND x.seq = e.seq${role === undefined ? '' : ` AND x.role = ${role}`}`;
  if (untyped.length > 0) {
    const ids = p.add(untyped);
    if (role === undefined) arms.push(`e.actor_id = ANY(${ids}::text[])`);
    arms.push(`EXISTS (SELECT 1 FROM event_entities x WHERE ${inEvent} AND x.id = ANY(${ids}::text[]))`);
  }
  if (typed.length > 0) {
    arms.push(`EXISTS (SELECT 1 FROM event_entities x WHERE ${inEvent}
      AND (x.id, x.type) IN (SELECT * FROM unnest(${p.add(typed.map((r) => r.id))}::text[], ${p.add(typed.map((r) => r.type))}::text[])))`);
  }
  return `(${arms.join(' OR ')})`;
}
