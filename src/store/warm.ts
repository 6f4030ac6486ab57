// Warming a store after a start (Store.warm): each org's newest events read through the time index that searches,
// facets and histograms start from, a slice at a time, the orgs in turn, so that the first searches after a restart
// find those index pages in memory. The same loop for every adapter; each reads its own slices.
import { setImmediate as yieldToRequests } from 'node:timers/promises';

export interface WarmOptions {
  /** Days of each org's events to read, back from its newest event. */
  days: number;
  /** Index entries read between two yields to the event loop (requests wait at most one slice). */
  sliceEntries?: number;
  /** Most index entries read in all. */
  maxEntries?: number;
}

/**
 * About 40 pages of SQLite's org index (~130 entries to a 16 KiB page): ~3 ms the first time at 10M on the project's
 * VMs (30 days, 788,330 entries, took ~500 ms in slices of 20,000), the longest a request arriving meanwhile waits.
 */
export const WARM_SLICE = 5_000;
/**
 * ~7,700 of those pages, 120 MiB: under half of SQLite's 256 MiB page cache (sqlite-connection.ts), so that what a
 * warm-up reads leaves room for the pages requests read. 10M events over a year are ~820,000 in 30 days.
 */
export const WARM_MAX = 1_000_000;
/** The most days a warm-up reads back (about 2,700 years: every event a store can hold). */
const MAX_DAYS = 1_000_000;

/**
 * One org's window: reads up to `entries` more of its index entries, newest first, from where the previous call
 * stopped (the first call finds where the window is), and returns how many it read (fewer than asked once the window
 * is done).
 */
export type WarmSlice = (entries: number) => Promise<number> | number;

/**
 * A WarmSlice over a window found by its first call (`find`: null when the org has nothing to read), so that a
 * warm-up of many orgs does not look for every window before its first yield; `read` then reads slices of it.
 */
export function lazyWindow<W>(find: () => W | null | Promise<W | null>, read: (window: W, entries: number) => number | Promise<number>): WarmSlice {
  let window: W | null | undefined;
  return async (entries) => {
    if (window === undefined) window = await find();
    return window === null ? 0 : read(window, entries);
  };
}

/** `options` checked (whole numbers: days up to MAX_DAYS, slices of at least 1), with their defaults. */
export function warmOptions(options: WarmOptions): Required<WarmOptions> {
  const checked = { days: options.days, sliceEntries: options.sliceEntries ?? WARM_SLICE, maxEntries: options.maxEntries ?? WARM_MAX };
  for (const [name, min, max] of [['days', 0, MAX_DAYS], ['sliceEntries', 1, Infinity], ['maxEntries', 0, Infinity]] as const) {
    const value = checked[name];
    if (!Number.isSafeInteger(value) || value < min || value > max) {
      throw new RangeError(`warm: ${name} must be a whole number from ${min}${max === Infinity ? '' : ` to ${max}`} (got ${value})`);
    }
  }
  return checked;
}

/**
 * Reads the windows a slice at a time, one slice of each in turn (every org's newest days first), yielding to the
 * event loop before each; stops when every window is read, at `maxEntries`, or once `stopped()` (the store closed:
 * a slice that fails then is the close, not an error). Returns the entries read.
 */
export async function warmInTurn(windows: readonly WarmSlice[], options: Required<WarmOptions>, stopped: () => boolean): Promise<number> {
  let live = windows;
  let read = 0;
  while (live.length > 0 && read < options.maxEntries) {
    const unfinished: WarmSlice[] = [];
    for (const window of live) {
      if (read >= options.maxEntries) break;
      await yieldToRequests();
      if (stopped()) return read;
      const asked = Math.min(options.sliceEntries, options.maxEntries - read);
      let n: number;
      try {
        n = await window(asked);
      } catch (error) {
        if (stopped()) return read;
        throw error;
      }
      read += n;
      if (n === asked) unfinished.push(window);
    }
    live = unfinished;
  }
  return read;
}
