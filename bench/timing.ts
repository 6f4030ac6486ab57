// Timing one call at a time, with the bench's own garbage collected between calls rather than inside one.
//
// Each page a bench reads over HTTP leaves ~230 KB of Buffers in the bench's process (the socket's chunks and the
// joined body of a ~115 KB page). Left to V8, that garbage was collected by a full mark-compact every ~70 rounds, which stopped the
// bench's process for several milliseconds while a request was in flight: at 10M events, the slowest samples of
// bench:search fell on the same round numbers for Annals and for the bare floor server timed in turn with it (rounds
// 72-73, 143-147, 216-221, 289-295 of every case), and set the p99 of both. A young-generation collection every
// few calls, outside the timed span, frees those Buffers before they add up: in runs one after the other
// on the same store, the floor's qualifier p99s went from 2.7-10.0 ms to 0.7-5.1 (docs/performance.md, the
// twenty-third VM). The bench scripts run with --expose-gc.

/**
 * Calls between two collections: ~3.5 MB of pages' garbage, well short of what V8 would collect itself. Odd, so that
 * a collection does not always come just before the same one of two requests timed in turn (a, b, b, a, ...).
 */
const COLLECT_EVERY = 15;

type Gc = (options?: { type: 'minor' | 'major' }) => void;
const gc = (globalThis as { gc?: Gc }).gc;
let calls = 0;

function collector(): Gc {
  if (gc === undefined) throw new Error('the benches collect their own garbage between timed calls: run them with node --expose-gc (npm run bench does)');
  return gc;
}

function between(): void {
  const collect = collector();
  if (++calls % COLLECT_EVERY === 0) collect({ type: 'minor' });
}

/** A full collection, before a block of rounds that follows work leaving much garbage (an ingest of 1M events). */
export function collectAll(): void {
  collector()({ type: 'major' });
}

/**
 * Adds the milliseconds `f` takes to `xs`, and returns what it returned; `reads`: how many reads `f` makes (a
 * baseline of page 1 and the next, timed together), when the figure wanted is one read's.
 */
export async function timed<T>(f: () => Promise<T>, xs: number[], reads = 1): Promise<T> {
  between();
  const t0 = performance.now();
  const out = await f();
  xs.push((performance.now() - t0) / reads);
  return out;
}

/** `timed` for a synchronous call (a baseline statement run in-process: timed without an await). */
export function timedSync<T>(f: () => T, xs: number[], reads = 1): T {
  between();
  const t0 = performance.now();
  const out = f();
  xs.push((performance.now() - t0) / reads);
  return out;
}
