// When people work: a weekly activity profile in local time (weekdays 8-19 heavy, evenings light, nights and weekends
// quiet) and the schedule that spreads N events over a time window following it, hour by hour.

import type { Rng } from './random.js';

export const HOUR_MS = 3_600_000;
export const DAY_MS = 86_400_000;

/** Relative activity by local weekday (0 = Sunday) and hour: index weekday * 24 + hour. Peak is 1. */
export const WEEKLY_PROFILE: Float64Array = (() => {
  const weekday = [
    0.02, 0.015, 0.015, 0.015, 0.02, 0.03, 0.06, 0.22, // 00-07
    0.75, 1, 1, 1, 0.8, 0.95, 1, 1, 0.95, 0.85, 0.65, // 08-18
    0.28, 0.16, 0.11, 0.06, 0.035, // 19-23
  ];
  const weekend = [
    0.01, 0.008, 0.006, 0.006, 0.006, 0.008, 0.012, 0.02,
    0.035, 0.05, 0.065, 0.07, 0.07, 0.07, 0.065, 0.06, 0.055, 0.05, 0.045,
    0.045, 0.04, 0.035, 0.025, 0.015,
  ];
  const profile = new Float64Array(7 * 24);
  for (let d = 0; d < 7; d++) {
    for (let h = 0; h < 24; h++) {
      let p = d === 0 || d === 6 ? weekend[h] : weekday[h];
      if (d === 5 && h >= 15) p *= 0.8; // Friday afternoons wind down
      profile[d * 24 + h] = p;
    }
  }
  return profile;
})();

/** The activity level at epoch ms `t` for someone whose local time is UTC + `offsetMs`. */
export function activityAt(t: number, offsetMs: number): number {
  const hours = Math.floor((t + offsetMs) / HOUR_MS);
  const days = Math.floor(hours / 24);
  const weekday = (((days + 4) % 7) + 7) % 7; // 1970-01-01 was a Thursday
  return WEEKLY_PROFILE[weekday * 24 + (hours - days * 24)];
}

/** Local weekday (0 = Sunday) and hour of epoch ms `t` at UTC + `offsetMs`. */
export function localWeekdayHour(t: number, offsetMs: number): { weekday: number; hour: number } {
  const hours = Math.floor((t + offsetMs) / HOUR_MS);
  const days = Math.floor(hours / 24);
  return { weekday: (((days + 4) % 7) + 7) % 7, hour: hours - days * 24 };
}

export interface Zone {
  offsetMs: number;
  /** Summed activity of the people living at this offset. */
  weight: number;
}

/** Hour-aligned slices of the window and how many events fall in each. */
export interface Schedule {
  starts: Float64Array;
  lengths: Float64Array;
  counts: Int32Array;
  /** The largest count (to size scratch buffers). */
  maxCount: number;
}

/**
 * Splits [start, end) into UTC-hour slices and gives each a share of `total` proportional to how many people are at
 * work then (with some day-to-day and hour-to-hour noise, and a small floor for automation running around the clock).
 * The counts sum to exactly `total`.
 */
export function schedule(start: number, end: number, total: number, zones: readonly Zone[], rng: Rng): Schedule {
  const startsList: number[] = [];
  const lengthsList: number[] = [];
  let s = start;
  while (s < end) {
    const next = Math.min(end, (Math.floor(s / HOUR_MS) + 1) * HOUR_MS);
    startsList.push(s);
    lengthsList.push(next - s);
    s = next;
  }
  const n = startsList.length;
  const weights = new Float64Array(n);
  const dayNoise = new Map<number, number>();
  let sum = 0;
  for (let b = 0; b < n; b++) {
    const mid = startsList[b] + lengthsList[b] / 2;
    let w = 0;
    for (const z of zones) w += z.weight * activityAt(mid, z.offsetMs);
    const day = Math.floor(mid / DAY_MS);
    let dn = dayNoise.get(day);
    if (dn === undefined) {
      dn = 0.8 + 0.4 * rng.next();
      dayNoise.set(day, dn);
    }
    w *= dn * (0.85 + 0.3 * rng.next()) * (lengthsList[b] / HOUR_MS);
    weights[b] = w;
    sum += w;
  }
  // Automation (syncs, backups, apps) runs at all hours: a floor of 2% of the mean hourly weight.
  const floor = n > 0 ? (0.02 * sum) / n : 0;
  let total2 = 0;
  for (let b = 0; b < n; b++) {
    weights[b] += floor * (lengthsList[b] / HOUR_MS);
    total2 += weights[b];
  }
  const counts = new Int32Array(n);
  let cumulative = 0;
  let assigned = 0;
  let maxCount = 0;
  for (let b = 0; b < n; b++) {
    cumulative += weights[b];
    const upTo = b === n - 1 ? total : Math.round((total * cumulative) / total2);
    counts[b] = upTo - assigned;
    assigned = upTo;
    if (counts[b] > maxCount) maxCount = counts[b];
  }
  return { starts: Float64Array.from(startsList), lengths: Float64Array.from(lengthsList), counts, maxCount };
}
