// Rollups: how many events each org has per hour and per day (UTC), in total and by action, actor, country and
// outcome. A store's writer counts every appended event into them in the same transaction (so they are exact);
// facets and histograms over a time window read a few thousand rollup rows instead of every event in it. Each store
// keeps them in a table of its own (sqlite-rollups.ts, postgres-schema.ts); what is counted, and how a window splits
// into days, hours and ragged ends, is here.
import { iso } from './rows.js';
import type { FacetField } from './store.js';

export const HOUR_MS = 3_600_000;
export const DAY_MS = 86_400_000;

/** An org as its store names it in rollup rows: the embedded store's org number, PostgreSQL's org id. */
type Org = number | string;

/** One rollup row: (org, dim, grain, bucket, value, n). */
export type RollupRow = [Org, number, number, number, string, number];

/** What a rollup row counts by: `total` has the value ''. */
export const DIMS = { total: 0, action: 1, actor: 2, country: 3, outcome: 4 } as const satisfies Record<'total' | FacetField, number>;
export const GRAINS = [{ code: 0, ms: HOUR_MS }, { code: 1, ms: DAY_MS }] as const;
export const HOUR = 0;
export const DAY = 1;

/** The start of the `ms`-long UTC bucket holding `t` (also for t < 0). */
export const floorTo = (t: number, ms: number) => t - (((t % ms) + ms) % ms);

/** One org's events in one hour: how many, and how many per value of each dim. */
interface Hour {
  org: Org;
  bucket: number;
  total: number;
  action: Map<string, number>;
  actor: Map<string, number>;
  country: Map<string, number>;
  outcome: Map<string, number>;
}

const increment = (m: Map<string, number>, value: string, n: number) => m.set(value, (m.get(value) ?? 0) + n);

/**
 * Counts of one transaction (or one group of it), added up before they are written. Events are counted per org and
 * hour only (four small map updates each; consecutive events usually share the hour); the day rows are summed
 * from the hours when the counts are written.
 */
export class RollupCounts {
  readonly #hours = new Map<string, Hour>();
  #last: Hour | undefined;

  #hour(org: Org, bucket: number): Hour {
    const last = this.#last;
    if (last && last.org === org && last.bucket === bucket) return last;
    const key = `${org}:${bucket}`;
    let hour = this.#hours.get(key);
    if (!hour) {
      hour = { org, bucket, total: 0, action: new Map(), actor: new Map(), country: new Map(), outcome: new Map() };
      this.#hours.set(key, hour);
    }
    this.#last = hour;
    return hour;
  }

  /** One event. */
  add(org: Org, timeMs: number, action: string, actorId: string, country: string | undefined, failed: boolean): void {
    const hour = this.#hour(org, floorTo(timeMs, HOUR_MS));
    hour.total++;
    increment(hour.action, action, 1);
    increment(hour.actor, actorId, 1);
    if (country !== undefined) increment(hour.country, country, 1);
    increment(hour.outcome, failed ? 'failure' : 'success', 1);
  }

  /** Takes over another set of counts (a group that committed) and empties it. */
  absorb(other: RollupCounts): void {
    for (const h of other.#hours.values()) {
      const mine = this.#hour(h.org, h.bucket);
      mine.total += h.total;
      for (const dim of ['action', 'actor', 'country', 'outcome'] as const) {
        for (const [value, n] of h[dim]) increment(mine[dim], value, n);
      }
    }
    other.clear();
  }

  clear(): void {
    this.#hours.clear();
    this.#last = undefined;
  }

  /**
   * Every count as a rollup row (org, dim, grain, bucket, value, n): one per distinct hour row and per distinct day
   * row, the day rows summed from the hours.
   */
  rows(): RollupRow[] {
    const out: RollupRow[] = [];
    const days = new Map<string, Hour>();
    for (const h of this.#hours.values()) {
      const dayBucket = floorTo(h.bucket, DAY_MS);
      const key = `${h.org}:${dayBucket}`;
      let day = days.get(key);
      if (!day) {
        day = { org: h.org, bucket: dayBucket, total: 0, action: new Map(), actor: new Map(), country: new Map(), outcome: new Map() };
        days.set(key, day);
      }
      day.total += h.total;
      rowsOf(out, HOUR, h);
      for (const dim of ['action', 'actor', 'country', 'outcome'] as const) {
        for (const [value, n] of h[dim]) increment(day[dim], value, n);
      }
    }
    for (const d of days.values()) rowsOf(out, DAY, d);
    return out;
  }
}

function rowsOf(out: RollupRow[], grain: number, b: Hour): void {
  out.push([b.org, DIMS.total, grain, b.bucket, '', b.total]);
  for (const dim of ['action', 'actor', 'country', 'outcome'] as const) {
    for (const [value, n] of b[dim]) out.push([b.org, DIMS[dim], grain, b.bucket, value, n]);
  }
}

/** A half-open span of event time; an open end is ±Infinity. */
export interface Span {
  from: number;
  to: number;
}

/**
 * How to count the events of [from, to) from rollups: whole days from day rows, whole hours from hour rows, and the
 * ragged ends (less than an hour each) from the events themselves. `coarsest` caps the grain used (a histogram
 * with hourly buckets may not use day rows).
 */
export function decompose(window: Span, coarsest: 'day' | 'hour' | 'raw'): { days?: Span; hours: Span[]; raw: Span[] } {
  const ceil = (t: number, ms: number) => (Number.isFinite(t) ? -floorTo(-t, ms) : t);
  const floor = (t: number, ms: number) => (Number.isFinite(t) ? floorTo(t, ms) : t);
  const nonEmpty = (s: Span) => s.from < s.to;
  if (coarsest === 'raw') return { hours: [], raw: [window].filter(nonEmpty) };
  const h = { from: ceil(window.from, HOUR_MS), to: floor(window.to, HOUR_MS) };
  if (h.from >= h.to) return { hours: [], raw: [window].filter(nonEmpty) };
  const raw = [{ from: window.from, to: h.from }, { from: h.to, to: window.to }].filter(nonEmpty);
  const d = { from: ceil(h.from, DAY_MS), to: floor(h.to, DAY_MS) };
  if (coarsest === 'hour' || d.from >= d.to) return { hours: [h], raw };
  return { days: d, hours: [{ from: h.from, to: d.from }, { from: d.to, to: h.to }].filter(nonEmpty), raw };
}

/**
 * What `verify --deep` says of a rollup row that a recount of the stored events does not give (`recounted`: the
 * recount's row, missing or other among the kept ones), or of a kept row the recount does not give.
 */
export function rollupFinding(r: { grain: number; bucket: number; value: string; n: number }, recounted: boolean): string {
  const what = `the ${r.grain === DAY ? 'daily' : 'hourly'} count from ${iso(r.bucket)}${r.value ? ` for '${r.value}'` : ''}`;
  return `${what} ${recounted ? `should be ${r.n}, as the events say` : `of ${r.n} is wrong: no such events were stored`}; facets and histograms over it are wrong`;
}

/** A part of a window: rollup rows of one grain over a span of buckets, or (no grain) a ragged end of raw events. */
export interface WindowPart {
  span: Span;
  grain?: number;
}

/**
 * How a store counts events of `window` from its rollups, newest part first (so that counting that stops at a
 * limit in a ragged end has counted everything after it, and nothing before). Day rows are used only when every
 * histogram bound is on a day, hour rows only when every one is on an hour.
 */
export function windowParts(window: Span, bounds: readonly number[] = []): WindowPart[] {
  const aligned = (ms: number) => bounds.every((b) => !Number.isFinite(b) || b % ms === 0);
  const parts = decompose(window, aligned(DAY_MS) ? 'day' : aligned(HOUR_MS) ? 'hour' : 'raw');
  const all: WindowPart[] = [...(parts.days ? [{ span: parts.days, grain: DAY }] : []), ...parts.hours.map((span) => ({ span, grain: HOUR })),
    ...parts.raw.map((span) => ({ span }))];
  // Disjoint and contiguous: the newest part ends last.
  return all.sort((a, b) => (a.span.to > b.span.to ? -1 : 1));
}
