// Rollups: how many events each org has per hour and per day (UTC), in total and by action, actor, country and
// outcome. The writer counts every appended event into them in the same transaction (so they are exact); facets and
// histograms over a time window read a few thousand rollup rows instead of every event in it.
import type Database from 'better-sqlite3';
import type { FacetField } from '../store.js';

export const HOUR_MS = 3_600_000;
export const DAY_MS = 86_400_000;

/** What a rollup row counts by: `total` has the value ''. */
export const DIMS = { total: 0, action: 1, actor: 2, country: 3, outcome: 4 } as const satisfies Record<'total' | FacetField, number>;
export const GRAINS = [{ code: 0, ms: HOUR_MS }, { code: 1, ms: DAY_MS }] as const;
export const HOUR = 0;
export const DAY = 1;

/** The start of the `ms`-long UTC bucket holding `t` (also for t < 0). */
export const floorTo = (t: number, ms: number) => t - (((t % ms) + ms) % ms);

interface Count {
  org: number;
  dim: number;
  grain: number;
  bucket: number;
  value: string;
  n: number;
}

/** Counts of one transaction (or one group of it), added up before they are written. */
export class RollupCounts {
  readonly #counts = new Map<string, Count>();

  #add(org: number, dim: number, grain: number, bucket: number, value: string, n: number): void {
    const key = `${org}|${dim}|${grain}|${bucket}|${value}`;
    const c = this.#counts.get(key);
    if (c) c.n += n;
    else this.#counts.set(key, { org, dim, grain, bucket, value, n });
  }

  /** One event. */
  add(org: number, timeMs: number, action: string, actorId: string, country: string | undefined, failed: boolean): void {
    for (const grain of GRAINS) {
      const bucket = floorTo(timeMs, grain.ms);
      this.#add(org, DIMS.total, grain.code, bucket, '', 1);
      this.#add(org, DIMS.action, grain.code, bucket, action, 1);
      this.#add(org, DIMS.actor, grain.code, bucket, actorId, 1);
      if (country !== undefined) this.#add(org, DIMS.country, grain.code, bucket, country, 1);
      this.#add(org, DIMS.outcome, grain.code, bucket, failed ? 'failure' : 'success', 1);
    }
  }

  /** Takes over another set of counts (a group that committed) and empties it. */
  absorb(other: RollupCounts): void {
    for (const c of other.#counts.values()) this.#add(c.org, c.dim, c.grain, c.bucket, c.value, c.n);
    other.clear();
  }

  clear(): void {
    this.#counts.clear();
  }

  /** Adds every count to the rollups table (one upsert per distinct row). */
  write(upsert: Database.Statement): void {
    for (const c of this.#counts.values()) upsert.run(c.org, c.dim, c.grain, c.bucket, c.value, c.n);
    this.clear();
  }
}

export const UPSERT_ROLLUP = `INSERT INTO rollups (org_no, dim, grain, bucket, value, n) VALUES (?, ?, ?, ?, ?, ?)
  ON CONFLICT (org_no, dim, grain, bucket, value) DO UPDATE SET n = n + excluded.n`;

/** Rollup dims by code. */
export const DIM_FIELDS = ['total', 'action', 'actor', 'country', 'outcome'] as const satisfies readonly ('total' | FacetField)[];

/**
 * Every rollup row (org_no, dim, grain, bucket, value, n), counted from the stored leaves (the time from time_ms,
 * which `verify --deep` checks against each leaf).
 */
export const ROLLUP_COUNTS = GRAINS.flatMap((grain) => {
  const bucket = `time_ms - (((time_ms % ${grain.ms}) + ${grain.ms}) % ${grain.ms})`;
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
