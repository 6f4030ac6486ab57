// What every ingest bench shares: the demo workload in chunks, producers kept in flight, and the timing of a run.
// BENCH_EVENTS (default 1,000,000) sets the size; BENCH_DIR (default .bench/) where the files go.
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { demoEvents } from '../src/demo/demo-events.js';
import type { EventInput } from '../src/domain/event.js';
import { HttpClient } from './http-client.js';

export const N = Number(process.env.BENCH_EVENTS ?? 1_000_000);
export const DIR = process.env.BENCH_DIR ?? '.bench';
export const BATCH = 1000;
/** Events generated (untimed) before each timed stretch: bounds memory at 1M events. */
const CHUNK = 50_000;
/** Requests kept in flight, as several producers would: lets parsing and committing overlap. */
export const IN_FLIGHT = 6;

/** Runs `send` over every item with at most IN_FLIGHT at once (a sliding window, not rounds). */
export async function pool<T>(items: T[], send: (item: T) => Promise<unknown>): Promise<void> {
  let next = 0;
  const lane = async () => {
    while (next < items.length) await send(items[next++]);
  };
  await Promise.all(Array.from({ length: IN_FLIGHT }, lane));
}

export function* chunks(): Generator<EventInput[][]> {
  let chunk: EventInput[][] = [];
  let n = 0;
  for (const batch of demoEvents({ events: N, seed: 7 }, BATCH)) {
    chunk.push(batch);
    n += batch.length;
    if (n >= CHUNK) {
      yield chunk;
      chunk = [];
      n = 0;
    }
  }
  if (chunk.length > 0) yield chunk;
}

export function fresh(name: string): string {
  const dir = join(DIR, name);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  return dir;
}

export interface IngestRun { rate: number; lastRate: number }

/** Times `insert` over every chunk (generation and `prepare` are not timed) and returns events/s overall and over the last 10%. */
export async function timeIngest<T = EventInput[][]>(
  label: string, insert: (chunk: T) => Promise<void> | void, prepare: (chunk: EventInput[][]) => T | Promise<T> = (c) => c as T,
): Promise<IngestRun> {
  let total = 0;
  let done = 0;
  let lastMs = 0;
  let lastN = 0;
  for (const chunk of chunks()) {
    const n = chunk.reduce((s, b) => s + b.length, 0);
    // What producers do before sending (generating, serialising) is not Annals' work: not timed.
    const ready = await prepare(chunk);
    const t0 = performance.now();
    await insert(ready);
    const ms = performance.now() - t0;
    total += ms;
    done += n;
    if (done > N * 0.9) { lastMs += ms; lastN += n; }
    process.stderr.write(`\r${label}: ${done}/${N} events, ${Math.round(done / (total / 1000))}/s   `);
  }
  process.stderr.write('\n');
  return { rate: done / (total / 1000), lastRate: lastN / (lastMs / 1000) };
}


/** HTTP batches of BATCH events, IN_FLIGHT at a time, into the org `bench` of the server at `url`. */
export async function ingestOverHttp(label: string, server: { url: string; token: string }): Promise<IngestRun> {
  const client = new HttpClient(server.url, server.token, IN_FLIGHT);
  const post = async (body: string) => {
    const status = await client.post('/v1/orgs/bench/events', body);
    if (status !== 201) throw new Error(`ingest: ${status}`);
  };
  const run = await timeIngest<string[]>(label, (bodies) => pool(bodies, post), (chunk) => chunk.map((b) => JSON.stringify(b)));
  client.close();
  return run;
}
