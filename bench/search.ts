// `npm run bench:search`: search and investigation latency at scale (BENCH_SEARCH_EVENTS, default 10,000,000 demo
// events over a year, 2000 people), over HTTP, each beside a baseline measured in the same run: the bare SQL
// statement that reads the same rows in-process (for facets and histograms: the bare GROUP BY over the window's
// rows). The log is built once through Annals' own ingest (so every index is as production writes it) and reused.
// Beside each page case, its HTTP floor, timed in turn with Annals: a bare server that runs the case's bare statement
// and sends Annals' response (floor-server.ts). On a noisy VM a p99 over HTTP is the machine's before it is Annals'.
// Last, four cases again while a producer ingests into another org of the store (the org `ingest`, which grows by a
// few thousand events a run), against the same requests with none.
//
// Targets (issue 4): qualifier queries p99 <= 5 ms, free text p99 <= 50 ms, facets and histogram over a 30-day
// window <= 150 ms, page 1,000 no slower than page 1 (timed against page 2 too: every later page carries a cursor).
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { openAnnals } from '../src/annals.js';
import { demoEvents } from '../src/demo/demo-events.js';
import { ftsTable } from '../src/store/sqlite/sqlite-fts.js';
import { type FloorServer, startFloorServer } from './floor-server.js';
import { HttpClient } from './http-client.js';
import { type CpuTime, cpuTime, latency, latencyRow, machineNotes, printColumns, printTable, type Row } from './report.js';
import { spawnServer } from './server.js';
import { timed, timedSync } from './timing.js';

const N = Number(process.env.BENCH_SEARCH_EVENTS ?? 10_000_000);
const DIR = join(process.env.BENCH_DIR ?? '.bench', `search-${N}`);
const END = Date.UTC(2026, 10, 30);
const DAY = 86_400_000;
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 300);
/** Pages asked for before the measured cases. */
const WARM_UP = 200;
/** Rounds of each page case, on Annals and on its floor in turn, before the measured ones. */
const CASE_WARM_UP = 30;

async function build(): Promise<void> {
  if (existsSync(join(DIR, 'built'))) return;
  rmSync(DIR, { recursive: true, force: true });
  mkdirSync(DIR, { recursive: true });
  const annals = await openAnnals({ dataDir: DIR });
  await annals.store.createOrg({ id: 'bench', name: 'bench' });
  const t0 = performance.now();
  let done = 0;
  let inFlight: Promise<unknown>[] = [];
  for (const batch of demoEvents({ events: N, seed: 42, days: 365, users: 2000, end: END }, 1000)) {
    inFlight.push(annals.ingest.ingest('bench', batch));
    if (inFlight.length === 6) {
      await Promise.all(inFlight);
      inFlight = [];
    }
    done += batch.length;
    if (done % 100_000 === 0) process.stderr.write(`\rbuilding: ${done}/${N} events, ${Math.round(done / ((performance.now() - t0) / 1000))}/s   `);
  }
  await Promise.all(inFlight);
  await annals.close();
  process.stderr.write(`\nbuilt ${N} events in ${((performance.now() - t0) / 1000).toFixed(0)} s\n`);
  writeFileSync(join(DIR, 'built'), `${N} events, ${((performance.now() - t0) / 1000).toFixed(0)} s\n`);
}

interface Case {
  what: string;
  /** The API path (with query string). */
  path: string;
  /** The bare statement reading the same rows, and its parameters. */
  sql: string;
  args: unknown[];
  note: string;
  rounds?: number;
  /**
   * Aggregates: no HTTP floor. Their bare statement is a GROUP BY over every row of the window, which Annals answers
   * otherwise (from rollups, or counting a capped scan): a floor far above Annals says nothing.
   */
  aggregate?: true;
}

/**
 * Latencies of `a` and of `b`, `rounds` each, taken in turn (a, b, b, a, a, b, ...): a drift of the machine over the
 * run weighs on both alike, where two blocks of rounds one after the other differed by 0.2 ms either way from that
 * alone, and the tail of a noisy minute falls on both.
 */
async function alternated(rounds: number, a: () => Promise<unknown>, b: () => Promise<unknown>): Promise<[number[], number[]]> {
  const as: number[] = [];
  const bs: number[] = [];
  for (let i = 0; i < rounds; i++) {
    if (i % 2 === 0) {
      await timed(a, as);
      await timed(b, bs);
    } else {
      await timed(b, bs);
      await timed(a, as);
    }
  }
  return [as, bs];
}

/** POSTs a second of the producer in the cases under ingest (10 demo events each), into the org `ingest`. */
const INGEST_RATE = Number(process.env.BENCH_INGEST_RATE ?? 100);

/**
 * A producer posting 10-event batches into the org `ingest` at INGEST_RATE requests a second, on a connection of its
 * own, until stopped; `stop` resolves to the events a second it achieved, or throws what stopped it sooner.
 */
function produce(client: HttpClient): { stop: () => Promise<number> } {
  // (More than a run posts: the demo spreads its events over the day hour by hour, so its count sets the memory.)
  const batches = demoEvents({ events: 200_000, seed: 7, days: 1, users: 50 }, 10);
  const t0 = performance.now();
  let posted = 0;
  let running = true;
  let failure: unknown;
  const loop = (async () => {
    while (running) {
      const started = performance.now();
      const batch = batches.next();
      if (batch.done) throw new Error('the producer ran out of demo events: a lower BENCH_INGEST_RATE');
      const status = await client.post('/v1/orgs/ingest/events', JSON.stringify(batch.value));
      if (status >= 300) throw new Error(`ingest: ${status}`);
      posted += batch.value.length;
      const wait = 1000 / INGEST_RATE - (performance.now() - started);
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    }
  })().catch((error: unknown) => { failure = error; });
  return {
    async stop() {
      running = false;
      await loop;
      if (failure !== undefined) throw failure;
      return posted / ((performance.now() - t0) / 1000);
    },
  };
}

/**
 * The same requests with and without a producer writing into another org of the store, in blocks taken in turn
 * (quiet, busy, busy, quiet, ...). Every commit of the writer thread resets the page cache of the connection that
 * reads (SQLite in WAL mode drops a reader's cached pages once another connection has changed the file), so under
 * steady ingest a search reads its pages from the OS again, as a first one after a start does.
 */
async function underIngest(client: HttpClient, producer: HttpClient, cases: { what: string; path: string; rounds: number }[]): Promise<Row[]> {
  const quiet = cases.map((): number[] => []);
  const busy = cases.map((): number[] => []);
  const rates: number[] = [];
  for (let block = 0; block < 6; block++) {
    for (const ingesting of block % 2 === 0 ? [false, true] : [true, false]) {
      const running = ingesting ? produce(producer) : undefined;
      try {
        if (running) await new Promise((resolve) => setTimeout(resolve, 200));
        for (const [i, c] of cases.entries()) {
          for (let r = 0; r < c.rounds; r++) await timed(() => client.get(c.path), (ingesting ? busy : quiet)[i]);
        }
      } finally {
        if (running) rates.push(await running.stop());
      }
    }
  }
  const rate = Math.round(rates.reduce((a, b) => a + b, 0) / rates.length);
  return cases.map((c, i) => latencyRow(`${c.what}, while ingesting`, quiet[i], busy[i],
    `${rate.toLocaleString('en-US')} events/s into another org; baseline: the same request with none`));
}

/**
 * Servers and clients of one run: `floor` runs a case's bare statement and answers with Annals' bytes;
 * `serverPid` is Annals' server process; each page case's CPU times go to `cpu`.
 */
interface Http { client: HttpClient; floor: FloorServer; floorClient: HttpClient; serverPid: number; cpu: CaseCpu[] }

/**
 * The CPU time of the main threads over a page case's timed rounds, a round each: both servers' (a round is one
 * request to each) and the bench's own (both requests, and its collections between timed calls: timing.ts).
 */
interface CaseCpu { what: string; annals?: CpuTime; floor?: CpuTime; client?: CpuTime }

/** What each of `pids`' main threads took of a CPU while `work` ran, a round each (`rounds` of them). */
async function cpuOf<T>(pids: readonly number[], rounds: number, work: () => Promise<T>): Promise<[T, (CpuTime | undefined)[]]> {
  const before = pids.map(cpuTime);
  const result = await work();
  return [result, pids.map((pid, i) => {
    const [a, b] = [before[i], cpuTime(pid)];
    return a && b ? { running: (b.running - a.running) / rounds, waiting: (b.waiting - a.waiting) / rounds } : undefined;
  })];
}

/**
 * Each page case's CPU time a round of the servers' main threads and the bench's: time running, and time runnable
 * but waiting for a CPU. On the project's 2-core VMs a request is exposed to the machine's stalls for as long as
 * it runs (docs/performance.md, the twenty-fourth VM).
 */
function printCpu(cases: readonly CaseCpu[]): void {
  const ms = (t?: CpuTime) => (t ? `${t.running.toFixed(2)} / ${t.waiting.toFixed(2)}` : 'n/a');
  printColumns('Main threads over the timed rounds (/proc/<pid>/schedstat)',
    ['page case (ms a round: running / runnable, waiting for a CPU)', 'annals server', 'HTTP floor', 'bench client'],
    cases.map((c) => [c.what, ms(c.annals), ms(c.floor), ms(c.client)]));
}

async function measure(http: Http, db: Database.Database, c: Case): Promise<Row> {
  const rounds = c.rounds ?? ROUNDS;
  const stmt = db.prepare(c.sql);
  const base: number[] = [];
  // Timed without an await: the baseline pays for no microtask.
  for (let i = 0; i < rounds; i++) timedSync(() => stmt.all(...c.args), base);
  const get = () => http.client.get(c.path);
  if (c.aggregate) {
    const annals: number[] = [];
    for (let i = 0; i < rounds; i++) await timed(get, annals);
    return latencyRow(c.what, base, annals, c.note);
  }
  await http.floor.serve({ sql: c.sql, args: c.args, body: await get() });
  const floorGet = () => http.floorClient.get(c.path);
  // The case's first rounds, untimed, on both servers: a query of a new shape makes Annals' server compile its path
  // (the first ~25 rounds of a case held most of its slow samples when only one was untimed).
  await alternated(CASE_WARM_UP, get, floorGet);
  const [[annals, floor], [annalsCpu, floorCpu, clientCpu]] = await cpuOf([http.serverPid, http.floor.pid, process.pid], rounds, () => alternated(rounds, get, floorGet));
  http.cpu.push({ what: c.what, annals: annalsCpu, floor: floorCpu, client: clientCpu });
  return latencyRow(c.what, base, annals, c.note, floor);
}

async function main(): Promise<void> {
  await build();
  const annals = await openAnnals({ dataDir: DIR });
  const token = (await annals.keys.create(null, 'bench', ['admin'])).token;
  // The org the producer of the cases under ingest writes into (the searched org, `bench`, stays as built).
  if (!(await annals.store.getOrg('ingest'))) await annals.store.createOrg({ id: 'ingest', name: 'ingest' });
  // Values that occur in the data: a busy and a quiet actor, an address, a group, a rare country.
  const db = new Database(join(DIR, 'annals.db'), { readonly: true });
  db.pragma('mmap_size = 17179869184');
  db.defaultSafeIntegers(true);
  const pick = <T>(sql: string) => db.prepare(sql).get() as T;
  const busy = pick<{ actor_id: string }>("SELECT value AS actor_id FROM rollups WHERE org_no = 1 AND dim = 2 AND grain = 1 GROUP BY value ORDER BY sum(n) DESC LIMIT 1").actor_id;
  const quiet = pick<{ actor_id: string }>("SELECT value AS actor_id FROM rollups WHERE org_no = 1 AND dim = 2 AND grain = 1 GROUP BY value ORDER BY sum(n) ASC LIMIT 1").actor_id;
  const ip = pick<{ ip: Buffer; text: string }>('SELECT ip FROM events WHERE org_no = 1 AND ip IS NOT NULL ORDER BY rowid DESC LIMIT 1').ip;
  const ipText = JSON.parse(pick<{ body: string }>('SELECT body FROM events WHERE org_no = 1 AND ip IS NOT NULL ORDER BY rowid DESC LIMIT 1').body).location.ip as string;
  const rare = pick<{ value: string }>("SELECT value FROM rollups WHERE org_no = 1 AND dim = 3 AND grain = 1 GROUP BY value ORDER BY sum(n) ASC LIMIT 1").value;
  const group = pick<{ id: string }>("SELECT id FROM event_entities WHERE org_no = 1 AND role = 0 AND type = 'groups' LIMIT 1").id;
  const action = 'user_management.added_user_to_group';
  // A word from the busiest actor's newest event (its action's display name): text it does use.
  const busyAction = JSON.parse(pick<{ body: string }>(`SELECT body FROM events INDEXED BY events_by_org WHERE org_no = 1 AND actor_id = '${busy.replace(/'/g, "''")}' ORDER BY rowid DESC LIMIT 1`).body).action as string;
  const word = busyAction.split('.')[1].split('_')[0];
  const from30 = END - 30 * DAY;
  // A relative time that reaches back into the data's last 7 days (the data ends at END, before today).
  const recent = Math.ceil((Date.now() - END) / DAY) + 7;
  const k30 = BigInt(from30) << 20n;
  // The bare reads of the day-led indexes: day by day, newest first, as the index allows (sqlite-schema.ts).
  const days = JSON.stringify((db.prepare('SELECT bucket FROM rollups WHERE org_no = 1 AND dim = 0 AND grain = 1 ORDER BY bucket').raw().all() as bigint[][])
    .map(([b]) => Number(b) / DAY));
  const page = 'SELECT e.body FROM events e INDEXED BY';
  const order = 'ORDER BY e.rowid DESC LIMIT 100';
  const byDay = (index: string, where: string) => `${page} ${index} WHERE e.day IN (SELECT value FROM json_each('${days}')) AND e.org_no = 1 AND ${where} ORDER BY e.day DESC, e.rowid DESC LIMIT 100`;
  // (Full-text rowids are the time keys negated: newest first is ascending. See ftsRowid.)
  const t = ftsTable(1);
  const fts = `SELECT e.body FROM ${t} CROSS JOIN events e ON e.rowid = -${t}.rowid WHERE ${t} MATCH ? ORDER BY ${t}.rowid ASC LIMIT 100`;
  const q = (s: string) => `/v1/orgs/bench/events?limit=100&q=${encodeURIComponent(s)}`;
  const cases: Case[] = [
    { what: 'newest page (no filter)', path: '/v1/orgs/bench/events?limit=100', sql: `${page} events_by_org WHERE e.org_no = 1 ${order}`, args: [], note: 'qualifier target p99 <= 5 ms' },
    { what: 'actor: (busiest)', path: q(`actor:${busy}`), sql: byDay('events_by_actor', 'e.actor_id = ?'), args: [busy], note: '' },
    { what: 'actor: (quietest)', path: q(`actor:${quiet}`), sql: byDay('events_by_actor', 'e.actor_id = ?'), args: [quiet], note: '' },
    { what: 'action:', path: q(`action:${action}`), sql: byDay('events_by_action', 'e.action = ?'), args: [action], note: '' },
    { what: 'ip:', path: q(`ip:${ipText}`), sql: byDay('events_by_ip', 'e.ip = ?'), args: [ip], note: '' },
    { what: 'country: (rarest)', path: q(`country:"${rare}"`), sql: byDay('events_by_country', 'e.country = ?'), args: [rare], note: '' },
    { what: 'context: (a group)', path: q(`context:${group}`), sql: `SELECT e.body FROM event_entities x CROSS JOIN events e ON e.rowid = x.k WHERE x.day IN (SELECT value FROM json_each('${days}')) AND x.org_no = 1 AND x.id = ? ORDER BY x.day DESC, x.k DESC LIMIT 100`, args: [group], note: '' },
    { what: 'outcome:failure', path: q('outcome:failure'), sql: `${page} events_failed WHERE e.org_no = 1 AND e.outcome = 1 ${order}`, args: [], note: '' },
    { what: 'category: + -action: + time:>-Nd (7 days)', path: q(`category:"User management" -action:${action} time:>-${recent}d`), sql: `${page} events_by_org WHERE e.org_no = 1 AND e.rowid >= ? AND e.action LIKE 'user_management.%' AND e.action <> ? ${order}`, args: [BigInt(Date.now() - recent * DAY) << 20n, action], note: 'baseline: one LIKE filter on the time index' },
    { what: 'product:jira actor: (busiest)', path: q(`product:jira actor:${busy}`), sql: byDay('events_by_actor', "e.actor_id = ? AND e.action LIKE 'jira_%'"), args: [busy], note: '' },
    { what: 'ip: CIDR /16', path: q(`ip:${ipText.includes(':') ? `${ipText}/32` : `${ipText.split('.').slice(0, 2).join('.')}.0.0/16`}`), sql: byDay('events_by_ip', 'e.ip = ?'), args: [ip], note: 'baseline: the one address' },
    { what: 'free text: a common word (jira)', path: q('jira'), sql: fts, args: ['"jira"'], note: 'free-text target p99 <= 50 ms' },
    { what: 'free text: a phrase', path: q('"SAML configuration"'), sql: fts, args: ['"SAML configuration"'], note: '' },
    { what: 'free text: a word and an exclusion', path: q('confluence -viewed'), sql: fts, args: ['"confluence" NOT "viewed"'], note: '' },
    { what: 'free text + actor: (busiest), a word it uses', path: q(`${word} actor:${busy}`), sql: byDay('events_by_actor', 'e.actor_id = ?'), args: [busy], note: 'baseline: the actor alone' },
    { what: 'free text + actor: (busiest), a word it rarely uses', path: q(`page actor:${busy}`), sql: fts, args: ['"page"'], note: 'worst case: either side is read whole; baseline: the text alone' },
    { what: 'free text + country: (rarest)', path: q(`jira country:"${rare}"`), sql: byDay('events_by_country', 'e.country = ?'), args: [rare], note: 'baseline: the country alone' },
  ];
  const aggregate = (dim: string) => `SELECT ${dim}, count(*) FROM events INDEXED BY events_by_org WHERE org_no = 1 AND rowid >= ? GROUP BY ${dim}`;
  /** The bare count by action of one value's 30 days in a day-led index. */
  const byDayCount = (index: string, where: string) =>
    `SELECT action, count(*) FROM events INDEXED BY ${index} WHERE day IN (SELECT value FROM json_each('${days}')) AND org_no = 1 AND ${where} AND rowid >= ? GROUP BY action`;
  const window = `from=${from30}&to=${END}`;
  // The project that holds the most events of the window.
  const project = pick<{ id: string }>(`SELECT id FROM event_entities WHERE org_no = 1 AND day >= ${from30 / DAY} AND role = 1 AND type = 'projects' GROUP BY id ORDER BY count(*) DESC LIMIT 1`).id;
  const slow = Math.max(5, Math.floor(ROUNDS / 20));
  cases.push(
    { what: 'facets, 30-day window (all 7)', path: `/v1/orgs/bench/events/facets?${window}`, sql: aggregate('action, actor_id, country, outcome'), args: [k30], note: 'target <= 150 ms; baseline: GROUP BY over the rows', rounds: slow, aggregate: true },
    { what: 'histogram, 30-day window (auto: 12h)', path: `/v1/orgs/bench/events/histogram?${window}`, sql: aggregate('time_ms / 43200000'), args: [k30], note: 'baseline: GROUP BY over the rows', rounds: slow, aggregate: true },
    { what: 'facets, 30 days, actor: (busiest)', path: `/v1/orgs/bench/events/facets?${window}&q=actor:${busy}`, sql: byDayCount('events_by_actor', 'actor_id = ?'), args: [busy, k30], note: 'counted event by event, from its index (schema 7)', rounds: slow, aggregate: true },
    { what: 'facets, 30 days, country: (rarest)', path: `/v1/orgs/bench/events/facets?${window}&q=${encodeURIComponent(`country:"${rare}"`)}`, sql: byDayCount('events_by_country', 'country = ?'), args: [rare, k30], note: 'counted event by event, from its index (schema 8)', rounds: slow, aggregate: true },
    { what: 'facets, 30 days, outcome:failure', path: `/v1/orgs/bench/events/facets?${window}&q=outcome:failure`, sql: 'SELECT action, count(*) FROM events INDEXED BY events_failed WHERE org_no = 1 AND outcome = 1 AND rowid >= ? GROUP BY action', args: [k30], note: 'counted event by event, from its index (schema 8)', rounds: slow, aggregate: true },
    { what: 'facets, 30 days, ip:', path: `/v1/orgs/bench/events/facets?${window}&q=${encodeURIComponent(`ip:${ipText}`)}`, sql: byDayCount('events_by_ip', 'ip = ?'), args: [ip, k30], note: 'counted event by event, from its index (schema 9)', rounds: slow, aggregate: true },
    { what: 'facets, 30 days, container: (the busiest project)', path: `/v1/orgs/bench/events/facets?${window}&q=${encodeURIComponent(`container:projects:${project}`)}`,
      sql: `SELECT e.action, count(*) FROM event_entities x CROSS JOIN events e ON e.rowid = x.k WHERE x.day IN (SELECT value FROM json_each('${days}')) AND x.org_no = 1 AND x.id = ? AND x.role = 1 AND x.type = 'projects' AND x.k >= ? GROUP BY e.action`,
      args: [project, k30], note: 'counted event by event, from its entity rows (schema 10)', rounds: slow, aggregate: true },
    { what: 'facets, 30 days, free text: saml', path: `/v1/orgs/bench/events/facets?${window}&q=saml`,
      sql: `SELECT e.action, count(*) FROM ${t} CROSS JOIN events e INDEXED BY events_by_org ON e.org_no = 1 AND e.rowid = -${t}.rowid WHERE ${t} MATCH ? AND ${t}.rowid <= ? GROUP BY e.action`,
      args: ['"saml"', -k30], note: 'counted event by event, from the org\'s time index (schema 11)', rounds: slow, aggregate: true },
    { what: 'histogram, 30 days, product:jira', path: `/v1/orgs/bench/events/histogram?${window}&q=product:jira`, sql: `SELECT time_ms / 43200000, count(*) FROM events INDEXED BY events_by_org WHERE org_no = 1 AND rowid >= ? AND action LIKE 'jira_%' GROUP BY 1`, args: [k30], note: 'from the rollups: its actions\' hourly counts summed', rounds: slow, aggregate: true },
  );

  const { url, child } = await spawnServer(DIR);
  const client = new HttpClient(url, token);
  let floor: FloorServer | undefined;
  let floorClient: HttpClient | undefined;
  let producer: HttpClient | undefined;
  const rows: Row[] = [];
  const cpu: CaseCpu[] = [];
  try {
    floor = await startFloorServer(DIR);
    floorClient = new HttpClient(floor.url, token);
    // What a request that does no work costs here, p50 / p99.
    const healthz: number[] = [];
    for (let i = 0; i < ROUNDS * 2; i++) await timed(() => client.get('/healthz'), healthz);
    rows.push({ what: 'GET /healthz', baseline: '', annals: latency(healthz), ratio: '', note: 'what any request costs here, before its work' });
    // The server's first pages compile the page path: not any one case's latency. (Pages of other windows than
    // the cases read, so no case finds its rows read for it.)
    for (let i = 0; i < WARM_UP; i++) await client.get(`/v1/orgs/bench/events?limit=100&to=${END - (i + 1) * 86_400_000}`);
    // And the floor's first requests (as the first case).
    await floor.serve({ sql: cases[0].sql, args: cases[0].args, body: await client.get(cases[0].path) });
    for (let i = 0; i < WARM_UP; i++) await floorClient.get('/');
    for (const c of cases) {
      process.stderr.write(`\r${c.what}                              `);
      rows.push(await measure({ client, floor, floorClient, serverPid: child.pid!, cpu }, db, c));
    }
    // Deep pages: follow the cursor 999 times, then time page 1,000 against page 1 and against page 2. A page after
    // the first carries a cursor (its MAC checked, its filters compared, a way back made: ~45 us in-process at 10M),
    // so page 2 is where depth alone shows.
    for (const [what, first] of [['newest', '/v1/orgs/bench/events?limit=100'], ['free text (jira)', q('jira')], ['actor: (busiest)', q(`actor:${busy}`)]] as const) {
      let path: string = first;
      let second: string | undefined;
      let depth = 1;
      for (; depth < 1000; depth++) {
        const body = JSON.parse((await client.get(path)).toString('utf8')) as { meta: { next: string | null } };
        if (!body.meta.next) break;
        path = `${first}&cursor=${encodeURIComponent(body.meta.next)}`;
        second ??= path;
      }
      // (A small store may hold fewer pages: the row names the page reached.)
      for (const [name, shallow] of [['1', first], ['2', second]] as const) {
        if (shallow === undefined || shallow === path) continue;
        const [base, deep] = await alternated(ROUNDS, () => client.get(shallow), () => client.get(path));
        rows.push(latencyRow(`page ${depth.toLocaleString('en-US')} vs page ${name}: ${what}`, base, deep, `baseline: page ${name} over HTTP`));
      }
    }
    process.stderr.write('\rwhile ingesting                              ');
    producer = new HttpClient(url, token);
    rows.push(...await underIngest(client, producer, [
      { what: 'newest page', path: cases[0].path, rounds: 20 },
      { what: 'actor: (busiest)', path: cases[1].path, rounds: 20 },
      { what: 'free text: a common word (jira)', path: q('jira'), rounds: 20 },
      { what: 'facets, 30 days, free text: saml', path: `/v1/orgs/bench/events/facets?${window}&q=saml`, rounds: 3 },
    ]));
  } finally {
    process.stderr.write('\n');
    client.close();
    producer?.close();
    floorClient?.close();
    floor?.close();
    child.kill('SIGTERM');
    db.close();
    await annals.close();
  }
  printTable(`Annals search bench, ${N} events (p50 / p99; baseline in-process SQL unless noted, Annals over HTTP)`, rows);
  printCpu(cpu);
  for (const note of machineNotes()) process.stdout.write(`${note}\n`);
}

await main();
