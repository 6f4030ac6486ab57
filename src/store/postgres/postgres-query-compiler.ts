// The PostgreSQL store's query compiler: an EventFilter (the dialect-neutral plan) into a parameterised WHERE clause
// over `events e`. Every value is a bound parameter ($n); the SQL text is made only of this file's own words and
// parameter numbers (test/unit/postgres-query-compiler.test.ts checks that). Unlike the embedded store, the plan
// is left to PostgreSQL's planner: its statistics see what the SQLite store has to count for itself.
import { words } from '../../domain/words.js';
import type { EntityRef, EventFilter, Match } from '../store.js';
import { OUTCOME_CODE, ROLE_CODE } from './postgres-schema.js';

/** Bound parameters, numbered in the order they are added. */
export class Params {
  readonly values: unknown[] = [];

  /** The placeholder of a new parameter holding `value`. */
  add(value: unknown): string {
    this.values.push(value);
    return `$${this.values.length}`;
  }
}

/** ASCII case folding: what `lower(x COLLATE "C")` does, and what the embedded store's NOCASE compares. */
export const foldAscii = (s: string) => s.replace(/[A-Z]/g, (c) => c.toLowerCase());

/** PostgreSQL text cannot hold NUL: a value with one is never stored, so it matches nothing. */
const storable = (s: string) => !s.includes('\u0000');

/**
 * The conditions of `filter` on `e` (an events row), ANDed, or undefined when nothing can match. `filter.actors`
 * must already name actor ids. Time and processing-time ranges are left to the caller (they bound the scan).
 */
export function whereOf(filter: EventFilter, p: Params): string[] | undefined {
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
    const kept = values.filter(storable).map((v) => (fold ? foldAscii(v) : v));
    return kept.length === 0 ? undefined : `${column} = ANY(${p.add(kept)}::text[])`;
  };
  const ok = add(filter.actions, (v) => anyText('e.action', v))
    && add(filter.actors, (v) => anyText('e.actor_id', v))
    && add(filter.countries, (v) => anyText('lower(e.country COLLATE "C")', v, true))
    && add(filter.cities, (v) => anyText('lower(e.city COLLATE "C")', v, true))
    && add(filter.outcomes, (v) => `e.outcome = ANY(${p.add(v.map((o) => OUTCOME_CODE[o]))}::smallint[])`)
    && add(filter.ips, (ranges) => `(${ranges.map((r) =>
      `e.ip BETWEEN ${p.add(Buffer.from(r.lo))}::bytea AND ${p.add(Buffer.from(r.hi))}::bytea`).join(' OR ')})`)
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
