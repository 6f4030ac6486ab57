// Rollups: how many events each org has per hour and per day (UTC), in total and by action, actor, country and
// outcome. The writer counts every appended event into them in the same transaction (so they are exact); facets and
// histograms over a time window read a few thousand rollup rows instead of every event in it.
import type Database from 'better-sqlite3';
import type { FacetField } from '../store.js';
import { DAY_MS, HOUR_MS, KEY_TIME_SQL } from './sqlite-keys.js';


/** What a rollup row counts by: `total` has the value ''. */
export const DIMS = { total: 0, action: 1, actor: 2, country: 3, outcome: 4 } as const satisfies Record<'total' | FacetField, number>;
export const GRAINS = [{ code: 0, ms: HOUR_MS }, { code: 1, ms: DAY_MS }] as const;
export const HOUR = 0;
export const DAY = 1;

/** The start of the `ms`-long UTC bucket holding `t` (also for t < 0). */
export const floorTo = (t: number, ms: number) => t - (((t % ms) + ms) % ms);

/** One org's events in one hour: how many, and how many per value of each dim. */
interface Hour {
  org: number;
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

  #hour(org: number, bucket: number): Hour {
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
  add(org: number, timeMs: number, action: string, actorId: string, country: string | undefined, failed: boolean): void {
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

  /** Adds every count to the rollups table: one upsert per distinct hour row and per distinct day row. */
  write(upsert: Database.Statement): void {
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
      writeRows(upsert, HOUR, h);
      for (const dim of ['action', 'actor', 'country', 'outcome'] as const) {
        for (const [value, n] of h[dim]) increment(day[dim], value, n);
      }
    }
    for (const d of days.values()) writeRows(upsert, DAY, d);
    this.clear();
  }
}

function writeRows(upsert: Database.Statement, grain: number, b: Hour): void {
  upsert.run(b.org, DIMS.total, grain, b.bucket, '', b.total);
  for (const dim of ['action', 'actor', 'country', 'outcome'] as const) {
    for (const [value, n] of b[dim]) upsert.run(b.org, DIMS[dim], grain, b.bucket, value, n);
  }
}

export const UPSERT_ROLLUP = `INSERT INTO rollups (org_no, dim, grain, bucket, value, n) VALUES (?, ?, ?, ?, ?, ?)
  ON CONFLICT (org_no, dim, grain, bucket, value) DO UPDATE SET n = n + excluded.n`;

/**
 * Every rollup row (org_no, dim, grain, bucket, value, n), counted from the stored leaves. The time is the one the
 * time index files the event under (KEY_TIME_SQL: time_ms, which `verify --deep` checks against each leaf, within
 * what time keys hold), so rollups and indexes agree on which day an event is in.
 */
export const ROLLUP_COUNTS = GRAINS.flatMap((grain) => {
  const bucket = `${KEY_TIME_SQL} - (${KEY_TIME_SQL} % ${grain.ms})`;
  const values: [number, string][] = [
    [DIMS.total, "''"], [DIMS.action, "json_extract(body, '$.action')"], [DIMS.actor, "json_extract(body, '$.actor.id')"],
    [DIMS.country, "json_extract(body, '$.location.countryName')"], [DIMS.outcome, "json_extract(body, '$.outcome')"],
  ];
  return values.map(([dim, value]) => `SELECT org_no, ${dim} AS dim, ${grain.code} AS grain, ${bucket} AS bucket, ${value} AS value, count(*) AS n
    FROM events WHERE ${value} IS NOT NULL GROUP BY org_no, bucket, ${value}`);
}).join(' UNION ALL ');

/** Recounts every rollup from the stored events (schema upgrades). */
export function rebuildRollups(db: Database.Database): void {
  db.exec(`DELETE FROM rollups; INSERT INTO rollups (org_no, dim, grain, bucket, value, n) ${ROLLUP_COUNTS}`);
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
