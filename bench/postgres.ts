// `npm run bench:postgres`: Annals on the PostgreSQL store, each figure beside a baseline measured in the same run on
// the same rows. BENCH_EVENTS (default 1,000,000) sets the size; BENCH_DATABASE_URL (default the test server,
// postgres://postgres@127.0.0.1:5432/test) where; each run works in schemas of its own and drops them afterwards.
//
//   ingest   baseline: a raw COPY of the same rows (made untimed from Annals' own pending events) into the same
//            schema (same partitions, indexes and generated full-text column): events, ledger and entity rows, one
//            transaction of three COPYs per 1000-row batch;
//            Annals: the ingest service in-process, and HTTP batches of 1000 against `annals serve --database-url`
//            in a child process (validation, canonical JSON, ids, idempotency, the org lock, the Merkle tree).
//   queries  baseline: the bare indexed SELECT for the same filter, in-process through pg;
//            Annals: GET /v1/orgs/{org}/events over HTTP with the filter and a cursor, 100 rows a page.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { openAnnals } from '../src/annals.js';
import type { EventInput } from '../src/domain/event.js';
import { words } from '../src/domain/words.js';
import { leafFromParts } from '../src/ledger/leaf.js';
import { type CopyValue, copyLine, copyLines } from '../src/store/postgres/postgres-copy.js';
import { createPartitions, monthOf, ROLE_CODE } from '../src/store/postgres/postgres-schema.js';
import { HttpClient, pageLatencies } from './http-client.js';
import { latencyRow, pageRow, printTable, ratio, type Row } from './report.js';
import { type BenchServer, startBenchServer } from './server.js';
import { timed } from './timing.js';
import { fresh, type IngestRun, ingestOverHttp, N, pool, timeIngest } from './workload.js';

const URL = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const tag = randomBytes(4).toString('hex');
const schemas: string[] = [];
/** A schema of this run, and the URL that puts a connection in it. */
function schema(name: string): { schema: string; url: string } {
  const s = `annals_bench_${name}_${tag}`;
  schemas.push(s);
  return { schema: s, url: `${URL}${URL.includes('?') ? '&' : '?'}options=${encodeURIComponent(`-c search_path=${s}`)}` };
}

async function withClient<T>(url: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

type Line = CopyValue[];
interface Batch { events: Line[]; ledger: Line[]; entities: Line[] }

/** The baseline: the same rows as Annals writes (events, ledger, entities) into the same schema by COPY, nothing else. */
async function rawCopy(): Promise<IngestRun> {
  const { schema: name, url } = schema('raw');
  // The schema as the store makes it (migrations, partitions ahead), then the store steps aside.
  const annals = await openAnnals({ dataDir: fresh('pg-raw'), databaseUrl: URL, databaseSchema: name });
  await annals.store.createOrg({ id: 'bench', name: 'bench' });
  const pool = new pg.Pool({ connectionString: url, max: 2 });
  const months = new Set<number>();
  let seq = 0;
  const noHash = Buffer.alloc(32);
  // The rows are made before the clock starts, from Annals' own pending events: only writing them is timed.
  const prepare = async (chunk: EventInput[][]): Promise<Batch[]> => Promise.all(chunk.map(async (batch) => {
    const now = Date.now();
    const rows: Batch = { events: [], ledger: [], entities: [] };
    for (const p of await annals.ingest.prepare('bench', batch)) {
      const leaf = leafFromParts(p.leaf, 'bench', new Date(now).toISOString(), seq);
      rows.events.push(['bench', p.timeMs, seq, p.id, now, p.action, p.actorId, p.ip ? Buffer.from(p.ip) : null, p.country ?? null, p.city ?? null,
        p.outcome === 'failure' ? 1 : 0, leaf, words(p.text).join(' ')]);
      rows.ledger.push(['bench', seq, p.id, p.timeMs, now, noHash]);
      for (const e of p.entities) rows.entities.push(['bench', e.id, ROLE_CODE[e.role], e.type, p.timeMs, seq]);
      seq++;
    }
    return rows;
  }));
  const run = await timeIngest('raw COPY', async (batches) => {
    const client = await pool.connect();
    try {
      const needed = [...new Set(batches.flatMap((b) => b.events.map((e) => monthOf(e[1] as number))))].filter((m) => !months.has(m));
      if (needed.length > 0) {
        await createPartitions(client, needed);
        for (const m of needed) months.add(m);
      }
      for (const b of batches) {
        await client.query('BEGIN');
        await copyLines(client, 'events (org_id, time_ms, seq, id, processed_ms, action, actor_id, ip, country, city, outcome, body, words)', b.events.map(copyLine));
        await copyLines(client, 'ledger (org_id, seq, id, time_ms, processed_ms, leaf_hash)', b.ledger.map(copyLine));
        if (b.entities.length > 0) await copyLines(client, 'event_entities (org_id, id, role, type, time_ms, seq)', b.entities.map(copyLine));
        await client.query('COMMIT');
      }
    } finally {
      client.release();
    }
  }, prepare);
  await pool.end();
  await annals.close();
  return run;
}

async function inProcess(): Promise<IngestRun> {
  const { schema: name } = schema('inproc');
  const annals = await openAnnals({ dataDir: fresh('pg-inproc'), databaseUrl: URL, databaseSchema: name });
  await annals.store.createOrg({ id: 'bench', name: 'bench' });
  const run = await timeIngest('annals in-process (postgres)', async (chunk) => {
    await pool(chunk, (b) => annals.ingest.ingest('bench', b));
  });
  await annals.close();
  return run;
}

interface Server extends BenchServer { dbUrl: string }

async function startServer(): Promise<Server> {
  const { schema: name, url: dbUrl } = schema('http');
  await withClient(URL, (c) => c.query(`CREATE SCHEMA ${name}`));
  return { ...await startBenchServer(fresh('pg-http'), ['--database-url', dbUrl]), dbUrl };
}

async function queries(server: Server): Promise<Row[]> {
  return withClient(server.dbUrl, async (db) => {
    await db.query('ANALYZE');
    const pick = (await db.query<{ actor_id: string; action: string; ip: Buffer; body: string }>(
      "SELECT actor_id, action, ip, body FROM events WHERE org_id = 'bench' AND ip IS NOT NULL ORDER BY time_ms DESC, seq DESC LIMIT 1")).rows[0];
    const ipText = (JSON.parse(pick.body) as { location: { ip: string } }).location.ip;
    const cases = [
      { name: 'newest page', params: '', where: '', args: [] as unknown[] },
      { name: 'actor', params: `actor=${encodeURIComponent(pick.actor_id)}`, where: 'AND actor_id = $1', args: [pick.actor_id] },
      { name: 'action', params: `action=${pick.action}`, where: 'AND action = $1', args: [pick.action] },
      { name: 'ip', params: `ip=${encodeURIComponent(ipText)}`, where: 'AND ip = $1', args: [pick.ip] },
      { name: 'free text', params: 'q=jira', where: "AND tsv @@ phraseto_tsquery('simple', 'jira')", args: [] },
    ];
    const rows: Row[] = [];
    const client = new HttpClient(server.url, server.token);
    const ROUNDS = 500;
    for (const c of cases) {
      const n = c.args.length;
      const first = `SELECT body, time_ms, seq FROM events WHERE org_id = 'bench' ${c.where} ORDER BY time_ms DESC, seq DESC LIMIT 100`;
      const deep = `SELECT body, time_ms, seq FROM events WHERE org_id = 'bench' ${c.where} AND (time_ms, seq) < ($${n + 1}, $${n + 2}) ORDER BY time_ms DESC, seq DESC LIMIT 100`;
      const base: number[] = [];
      for (let i = 0; i < ROUNDS; i++) {
        await timed(async () => {
          const page = (await db.query({ name: `first-${c.name}`, text: first, values: c.args })).rows as { time_ms: string; seq: string }[];
          const last = page[page.length - 1];
          if (last) await db.query({ name: `deep-${c.name}`, text: deep, values: [...c.args, last.time_ms, last.seq] });
        }, base, 2);
      }
      const http = await pageLatencies(client, `/v1/orgs/bench/events?limit=100&from=0${c.params ? `&${c.params}` : ''}`, ROUNDS);
      rows.push(pageRow(c.name, base, http, 'p50 / p99; baseline in-process SELECT through pg, Annals over HTTP'));
    }
    rows.push(...await counts(db, client));
    client.close();
    return rows;
  });
}

/**
 * Facets and a histogram over the newest 30 days (whole days, so that rollups answer them), beside the bare GROUP BY
 * over the window's events that PostgreSQL runs for them without rollups.
 */
async function counts(db: pg.Client, client: HttpClient): Promise<Row[]> {
  const DAY = 86_400_000;
  const newest = Number((await db.query("SELECT max(time_ms) AS t FROM events WHERE org_id = 'bench'")).rows[0].t);
  const to = newest - (newest % DAY) + DAY;
  const from = to - 30 * DAY;
  const inWindow = await db.query("SELECT count(*)::int AS n FROM events WHERE org_id = 'bench' AND time_ms >= $1 AND time_ms < $2", [from, to]);
  const k = "WITH k AS (SELECT action, actor_id, country, outcome, time_ms FROM events WHERE org_id = 'bench' AND time_ms >= $1 AND time_ms < $2)";
  const cases = [
    { what: 'facets, 30 days (all)', path: `/v1/orgs/bench/events/facets?from=${from}&to=${to}`,
      sql: `${k} SELECT 'total', NULL, count(*) FROM k UNION ALL SELECT 'action', action, count(*) FROM k GROUP BY 2 UNION ALL SELECT 'actor', actor_id, count(*) FROM k GROUP BY 2
            UNION ALL SELECT 'country', country, count(*) FROM k WHERE country IS NOT NULL GROUP BY 2 UNION ALL SELECT 'outcome', outcome::text, count(*) FROM k GROUP BY 2` },
    { what: 'histogram, 30 days (daily)', path: `/v1/orgs/bench/events/histogram?from=${from}&to=${to}&interval=day`,
      sql: `${k} SELECT time_ms / ${DAY}, count(*) FROM k GROUP BY 1` },
  ];
  const rows: Row[] = [];
  const ROUNDS = 20;
  for (const c of cases) {
    const base: number[] = [];
    for (let i = 0; i < ROUNDS; i++) await timed(() => db.query(c.sql, [from, to]), base);
    const http: number[] = [];
    for (let i = 0; i < ROUNDS; i++) await timed(() => client.get(c.path), http);
    rows.push(latencyRow(c.what, base, http, `p50 / p99 over ${inWindow.rows[0].n} events; baseline: the bare GROUP BY in-process, Annals (rollups) over HTTP`));
  }
  return rows;
}

async function main(): Promise<void> {
  process.stderr.write(`Annals bench on PostgreSQL: ${N} events, ingest beside a raw-COPY baseline, then page queries\n`);
  try {
    const raw = await rawCopy();
    const inproc = await inProcess();
    const server = await startServer();
    try {
      const http = await ingestOverHttp('annals HTTP (postgres)', server);
      printTable(`Annals bench on PostgreSQL, ${N} events`, [
        { what: 'ingest: raw COPY (baseline)', baseline: `${Math.round(raw.rate)}/s`, annals: '', ratio: '1.00', note: `last 10%: ${Math.round(raw.lastRate)}/s` },
        { what: 'ingest: Annals in-process', baseline: `${Math.round(raw.rate)}/s`, annals: `${Math.round(inproc.rate)}/s`, ratio: ratio(inproc.rate, raw.rate), note: `last 10%: ${Math.round(inproc.lastRate)}/s` },
        { what: 'ingest: Annals HTTP batches of 1000', baseline: `${Math.round(raw.rate)}/s`, annals: `${Math.round(http.rate)}/s`, ratio: ratio(http.rate, raw.rate), note: `last 10%: ${Math.round(http.lastRate)}/s` },
        ...(await queries(server)),
      ]);
    } finally {
      server.child.kill('SIGTERM');
    }
  } finally {
    if (process.env.BENCH_KEEP !== '1') await withClient(URL, async (c) => { for (const s of schemas) await c.query(`DROP SCHEMA IF EXISTS ${s} CASCADE`); });
  }
}

await main();
