// Proof latency figures, shared by `npm run bench` (1M) and `npm run bench:ledger` (10M): in-process through the
// LedgerService and over HTTP, beside one bare point read of a stored node, after WARM_UP proofs of other leaves.
import { join } from 'node:path';
import type { Annals } from '../src/annals.js';
import { openDatabase } from '../src/store/sqlite/sqlite-connection.js';
import { HttpClient } from './http-client.js';
import { percentile, ratio, type Row } from './report.js';
import { collectAll, timed, timedSync } from './timing.js';

/** Proofs asked for (of random leaves) before the measured rounds, in-process and over HTTP. */
const WARM_UP = 500;

export async function proofFigures(annals: Annals, org: string, size: number, server: { url: string; token: string }, rounds = 2000): Promise<Row[]> {
  const random = (n: number) => Math.floor(Math.random() * n);
  const db = openDatabase(join(annals.config.dataDir, 'annals.db'));
  const point = db.prepare('SELECT hash FROM merkle_nodes WHERE org_no = 1 AND level = ? AND idx = ?');
  const levels = Math.max(1, Math.floor(Math.log2(size)) - 1);
  // The first proofs after opening pay for compiling the code and for the tree's upper levels, read once: they are
  // reported on their own row, and the measured rounds then ask for other random leaves.
  // (From a collected heap: the bench's ingest before this left its garbage, which V8 would otherwise collect
  // during the rounds.)
  collectAll();
  const cold: number[] = [];
  for (let i = 0; i < WARM_UP; i++) {
    await timed(() => annals.ledger.inclusion(org, random(size), size), cold);
    await annals.ledger.consistency(org, 1 + random(size - 1), size);
  }
  const base: number[] = [];
  const inclusion: number[] = [];
  const consistency: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const level = 1 + random(levels);
    const idx = random(Math.max(1, Math.floor(size / 2 ** level)));
    timedSync(() => point.get(level, idx), base);
    const index = random(size);
    await timed(() => annals.ledger.inclusion(org, index, size), inclusion);
    const from = 1 + random(size - 1);
    await timed(() => annals.ledger.consistency(org, from, size), consistency);
  }
  db.close();
  const http: number[] = [];
  const client = new HttpClient(server.url, server.token);
  for (let i = 0; i < WARM_UP; i++) await client.get(`/v1/orgs/${org}/proofs/inclusion?index=${random(size)}&treeSize=${size}`);
  for (let i = 0; i < rounds; i++) await timed(() => client.get(`/v1/orgs/${org}/proofs/inclusion?index=${random(size)}&treeSize=${size}`), http);
  client.close();
  const ms = (xs: number[]) => `${percentile(xs, 50).toFixed(3)} / ${percentile(xs, 99).toFixed(3)} ms`;
  const b99 = percentile(base, 99);
  return [
    { what: `inclusion proof at ${size}, first ${WARM_UP} (in-process)`, baseline: '', annals: ms(cold), ratio: '', note: `p50 / p99 of the first ${WARM_UP} after opening the store` },
    { what: `inclusion proof at ${size} (in-process)`, baseline: ms(base), annals: ms(inclusion), ratio: ratio(b99, percentile(inclusion, 99)), note: 'p50 / p99; baseline: one bare point read of a stored node' },
    { what: `consistency proof at ${size} (in-process)`, baseline: ms(base), annals: ms(consistency), ratio: ratio(b99, percentile(consistency, 99)), note: 'p50 / p99' },
    { what: `inclusion proof at ${size} (HTTP)`, baseline: ms(base), annals: ms(http), ratio: ratio(b99, percentile(http, 99)), note: 'p50 / p99, with its checkpoint' },
  ];
}
