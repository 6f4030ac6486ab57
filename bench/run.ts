// `npm run bench`: Annals' ingest, ledger and page-query figures, each beside a baseline measured in the same run on the
// same rows. BENCH_EVENTS (default 1,000,000) sets the size; BENCH_DIR (default .bench/) where the files go.
//
//   ingest   baseline: raw better-sqlite3 inserts of the same rows into the same schema (same indexes, same
//            full-text rows), one transaction per 1000-row batch, the same connection settings (openDatabase);
//            Annals: the ingest service in-process, and HTTP batches of 1000 against `annals serve` in a child
//            process (validation, canonical JSON, ids, idempotency, group commit, fsync per commit).
//   queries  baseline: the bare indexed SELECT for the same filter, in-process;
//            Annals: GET /v1/orgs/{org}/events over HTTP with the filter and a cursor, 100 rows a page.
//   costly   requests no index serves (bench/costly.ts): Annals within its row budget against the bare SELECT.
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { openAnnals } from '../src/annals.js';
import { builtInAction } from '../src/catalogue/catalogue.js';
import type { EventInput } from '../src/domain/event.js';
import { ParallelLeafReader } from '../src/integrity/leaf-reader.js';
import { verifyStore } from '../src/integrity/verify-store.js';
import { leafHash } from '../src/ledger/hasher.js';
import { openDatabase } from '../src/store/sqlite/sqlite-connection.js';
import { createFtsTable, ftsDocument, ftsRowid, ftsTable } from '../src/store/sqlite/sqlite-fts.js';
import { compareKeys } from '../src/store/sqlite/sqlite-keys.js';
import { MIGRATIONS } from '../src/store/sqlite/sqlite-schema.js';
import { ipBytes } from '../src/domain/ip.js';
import { costlyRequests } from './costly.js';
import { HttpClient, pageLatencies } from './http-client.js';
import { proofFigures } from './proofs.js';
import { machineNotes, pageRow, printTable, ratio, type Row } from './report.js';
import { type BenchServer, startBenchServer } from './server.js';
import { timedSync } from './timing.js';
import { fresh, type IngestRun, ingestOverHttp, N, pool, timeIngest } from './workload.js';

/** The baseline: the same rows into the same schema with prepared statements, nothing else. */
async function rawInsert(): Promise<IngestRun> {
  const db = openDatabase(join(fresh('raw'), 'raw.db'), 'FULL');
  for (const m of MIGRATIONS) m.up(db);
  db.prepare('INSERT INTO orgs (id, name, created_ms) VALUES (?, ?, ?)').run('bench', 'bench', Date.now());
  createFtsTable(db, 1);
  // The same rows as Annals writes: the time key, the index columns, the entity rows and a full-text row (keyed
  // and ordered as the store's writer keys and orders them: ftsRowid).
  const insert = db.prepare(`INSERT INTO events (rowid, org_no, seq, id, time_ms, processed_ms, action, actor_id, ip, country, city, outcome, day, body, leaf_hash)
    VALUES ((SELECT coalesce(max(rowid) + 1, ? * 1048576) FROM events WHERE rowid >= ? * 1048576 AND rowid < (? + 1) * 1048576),
            1, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`).safeIntegers(true);
  const entity = db.prepare('INSERT OR IGNORE INTO event_entities (org_no, day, id, k, role, type) VALUES (1, ?, ?, ?, ?, ?)');
  const noHash = Buffer.alloc(32);
  const text = db.prepare(`INSERT INTO ${ftsTable(1)} (rowid, text) VALUES (?, ?)`);
  let seq = 0;
  const tx = db.transaction((batch: EventInput[]) => {
    const now = Date.now();
    const texts: [bigint, string][] = [];
    for (const e of batch) {
      const body = JSON.stringify(e);
      const t = Date.parse(e.time);
      const day = Math.floor(t / 86_400_000);
      const ip = e.location?.ip === undefined ? null : Buffer.from(ipBytes(e.location.ip)!);
      const k = insert.run(t, t, t, seq, `id-${seq}`, t, now, e.action, e.actor.id, ip, e.location?.countryName ?? null,
        e.location?.city ?? null, e.outcome === 'failure' ? 1 : 0, day, body, noHash).lastInsertRowid as bigint;
      for (const c of e.context ?? []) entity.run(day, c.id, k, 0, c.type);
      for (const c of e.container ?? []) entity.run(day, c.id, k, 1, c.type);
      texts.push([ftsRowid(k), ftsDocument(`${e.actor.name ?? ''} ${e.actor.email ?? ''} ${e.message?.content ?? ''}`,
        { actor: e.actor.id, action: builtInAction(e.action)!, country: e.location?.countryName })]);
      seq++;
    }
    texts.sort((a, b) => compareKeys(a[0], b[0]));
    for (const [rowid, doc] of texts) text.run(rowid, doc);
  });
  const run = await timeIngest('raw insert', (chunk) => { for (const b of chunk) tx(b); });
  db.close();
  return run;
}

async function inProcess(ledger: boolean): Promise<IngestRun> {
  const annals = await openAnnals({ dataDir: fresh(ledger ? 'inproc' : 'inproc-noledger'), hashing: ledger });
  await annals.store.createOrg({ id: 'bench', name: 'bench' });
  const run = await timeIngest(`annals in-process${ledger ? '' : ', ledger off'}`, async (chunk) => {
    await pool(chunk, (b) => annals.ingest.ingest('bench', b));
  });
  await annals.close();
  return run;
}

type Server = BenchServer;

interface QueryCase { name: string; params: string; sql: string; args: unknown[] }

async function queries(server: Server): Promise<Row[]> {
  const db = new Database(join(server.dir, 'annals.db'), { readonly: true });
  db.pragma('mmap_size = 17179869184');
  const pick = db.prepare<[], { actor_id: string; action: string; ip: string }>(
    'SELECT actor_id, action, ip FROM events WHERE ip IS NOT NULL ORDER BY rowid DESC LIMIT 1').get()!;
  // The day-led indexes are read day by day, newest first (see sqlite-schema.ts): the bare SELECT does the same.
  const dayList = JSON.stringify(db.prepare('SELECT DISTINCT bucket / 86400000 AS d FROM rollups WHERE org_no = 1 AND dim = 0 AND grain = 1').raw().all().map((r) => (r as number[])[0]));
  const days = `day IN (SELECT value FROM json_each('${dayList}'))`;
  const newest = db.prepare<[], { body: string }>('SELECT body FROM events WHERE ip IS NOT NULL ORDER BY rowid DESC LIMIT 1').get()!;
  const ipText = (JSON.parse(newest.body) as { location: { ip: string } }).location.ip;
  const cases: QueryCase[] = [
    { name: 'newest page', params: '', sql: 'INDEXED BY events_by_org WHERE org_no = 1', args: [] },
    { name: 'actor', params: `actor=${encodeURIComponent(pick.actor_id)}`, sql: `INDEXED BY events_by_actor WHERE ${days} AND org_no = 1 AND actor_id = ?`, args: [pick.actor_id] },
    { name: 'action', params: `action=${pick.action}`, sql: `INDEXED BY events_by_action WHERE ${days} AND org_no = 1 AND action = ?`, args: [pick.action] },
    { name: 'ip', params: `ip=${encodeURIComponent(ipText)}`, sql: `INDEXED BY events_by_ip WHERE ${days} AND org_no = 1 AND ip = ?`, args: [pick.ip] },
  ];
  const rows: Row[] = [];
  const client = new HttpClient(server.url, server.token);
  const ROUNDS = 500;
  for (const c of cases) {
    // Baseline: the bare indexed SELECT, 100 rows, from a keyset position 10 pages deep.
    const order = c.sql.includes(' day IN ') ? 'ORDER BY day DESC, rowid DESC' : 'ORDER BY rowid DESC';
    const stmt = db.prepare(`SELECT body, rowid AS k FROM events ${c.sql} ${order} LIMIT 100`).safeIntegers(true);
    const deep = db.prepare(`SELECT body, rowid AS k FROM events ${c.sql} AND rowid < ? ${order} LIMIT 100`).safeIntegers(true);
    const base: number[] = [];
    for (let i = 0; i < ROUNDS; i++) {
      timedSync(() => {
        const first = stmt.all(...c.args) as { k: bigint }[];
        const last = first[first.length - 1];
        if (last) deep.all(...c.args, last.k);
      }, base, 2);
    }
    // Annals over HTTP: page 1, then follow the cursor (the same two pages each round).
    const http = await pageLatencies(client, `/v1/orgs/bench/events?limit=100${c.params ? `&${c.params}` : ''}`, ROUNDS);
    rows.push(pageRow(c.name, base, http, 'p50 / p99; baseline in-process SELECT, Annals over HTTP'));
  }
  rows.push(...await costlyRequests(db, client));
  db.close();
  client.close();
  return rows;
}

/** Proof latency (in-process and over HTTP) and full verification rate, on the HTTP run's store. */
async function ledgerFigures(server: Server): Promise<Row[]> {
  const headers = { authorization: `Bearer ${server.token}` };
  const cut = await (await fetch(`${server.url}/v1/orgs/bench/checkpoints`, { method: 'POST', headers })).json() as { data: { size: number } };
  const size = cut.data.size;
  const annals = await openAnnals({ dataDir: server.dir });
  const db = new Database(join(server.dir, 'annals.db'), { readonly: true });
  const rows: Row[] = [];
  try {
    rows.push(...await proofFigures(annals, 'bench', size, server));

    // Verification: Annals' full check against the bare work of reading every leaf and hashing it once.
    let t0 = performance.now();
    let n = 0;
    for (const r of db.prepare('SELECT body FROM events WHERE org_no = 1 ORDER BY seq').iterate() as Iterable<{ body: string }>) {
      leafHash(r.body);
      n++;
    }
    const bare = n / ((performance.now() - t0) / 1000);
    const reader = new ParallelLeafReader(annals.config);
    // Thread start-up (loading the code) is not the verification rate.
    await reader.ready;
    t0 = performance.now();
    const report = await verifyStore(annals.store, annals.ledger, 'bench', annals.ledger.keys.verifiers, { reader });
    const rate = report.events / ((performance.now() - t0) / 1000);
    await reader.close();
    if (!report.ok) throw new Error(`verification failed: ${JSON.stringify(report.findings.slice(0, 3))}`);
    rows.push({ what: `verify the whole log (${report.events} events)`, baseline: `${Math.round(bare)}/s`, annals: `${Math.round(rate)}/s`, ratio: ratio(rate, bare), note: 'baseline: read + hash every leaf on one thread, nothing else' });
  } finally {
    db.close();
    await annals.close();
  }
  return rows;
}

async function main(): Promise<void> {
  process.stderr.write(`Annals bench: ${N} events, 2 runs of ingest beside a raw-insert baseline, then page queries\n`);
  const raw = await rawInsert();
  const unhashed = await inProcess(false);
  const inproc = await inProcess(true);
  const server = await startBenchServer(fresh('http'));
  try {
    const http = await ingestOverHttp('annals HTTP', server);
    const rows: Row[] = [
      { what: 'ingest: raw better-sqlite3 (baseline)', baseline: `${Math.round(raw.rate)}/s`, annals: '', ratio: '1.00', note: `last 10%: ${Math.round(raw.lastRate)}/s` },
      { what: 'ingest: Annals in-process', baseline: `${Math.round(raw.rate)}/s`, annals: `${Math.round(inproc.rate)}/s`, ratio: ratio(inproc.rate, raw.rate), note: `last 10%: ${Math.round(inproc.lastRate)}/s` },
      { what: 'ingest: ledger on vs off (in-process)', baseline: `${Math.round(unhashed.rate)}/s`, annals: `${Math.round(inproc.rate)}/s`, ratio: ratio(inproc.rate, unhashed.rate), note: 'baseline: the same ingest with hashing switched off' },
      { what: 'ingest: Annals HTTP batches of 1000', baseline: `${Math.round(raw.rate)}/s`, annals: `${Math.round(http.rate)}/s`, ratio: ratio(http.rate, raw.rate), note: `last 10%: ${Math.round(http.lastRate)}/s` },
      ...(await queries(server)),
      ...(await ledgerFigures(server)),
    ];
    printTable(`Annals bench, ${N} events`, rows);
    for (const note of machineNotes()) process.stdout.write(`${note}\n`);
  } finally {
    server.child.kill('SIGTERM');
  }
}

// BENCH_STORE=postgres: the same figures on the PostgreSQL store (bench/postgres.ts, also `npm run bench:postgres`).
if (process.env.BENCH_STORE === 'postgres') await import('./postgres.js');
else await main();
