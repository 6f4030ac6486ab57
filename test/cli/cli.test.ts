import assert from 'node:assert/strict';
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { event, TEST_STORE } from '../support/annals.js';
import { MAIN, serveAnnals } from '../support/serve.js';
import { createSchema, dropSchema, newSchema, schemaUrl } from '../support/postgres.js';

let dir: string;

/** On PostgreSQL (ANNALS_TEST_STORE=postgres), each data directory of these tests gets a database schema of its own. */
const schemas = TEST_STORE === 'postgres' ? { data: newSchema(), served: newSchema() } : undefined;
const env = (which: 'data' | 'served') => (schemas ? { ...process.env, ANNALS_DATABASE_URL: schemaUrl(schemas[which]) } : process.env);

function annals(...args: string[]) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', MAIN, '--data-dir', join(dir, 'data'), ...args],
    { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, env: env('data') });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'annals-cli-'));
  if (schemas) for (const s of Object.values(schemas)) await createSchema(s);
});
after(async () => {
  rmSync(dir, { recursive: true, force: true });
  if (schemas) for (const s of Object.values(schemas)) await dropSchema(s);
});

describe('annals CLI', () => {
  test('the installed entry point runs as a program, through a link as npm makes it: Node itself, with Annals\' environment and flags', async () => {
    // bin/annals runs the compiled CLI (dist/, built by `npm ci`); a flag Node does not take would end it here.
    const link = join(dir, 'annals');
    symlinkSync(join(import.meta.dirname, '..', '..', 'bin', 'annals'), link);
    const r = spawnSync(link, ['--help'], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^Usage: annals/);
    if (process.platform !== 'linux') return;
    // The launcher hands over to Node (exec): the process it started is Node, with the environment and flags.
    const child = spawn(link, ['--data-dir', join(dir, 'launched'), 'serve', '--port', '0', '--log-level', 'warn'], { stdio: ['ignore', 'pipe', 'inherit'], env: env('data') });
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    try {
      await new Promise<void>((resolve, reject) => {
        child.stdout!.on('data', (chunk: Buffer) => { if (/listening on/.test(String(chunk))) resolve(); });
        void exited.then(() => reject(new Error(`the server exited (${child.exitCode ?? child.signalCode}) before it listened`)));
        setTimeout(() => reject(new Error('the server did not listen within 30 s')), 30_000).unref();
      });
      const environ = readFileSync(`/proc/${child.pid}/environ`, 'utf8').split('\0');
      const argv = readFileSync(`/proc/${child.pid}/cmdline`, 'utf8').split('\0');
      for (const v of ['GLIBC_TUNABLES=glibc.malloc.hugetlb=1', 'MALLOC_MMAP_THRESHOLD_=33554432', 'MALLOC_TRIM_THRESHOLD_=268435456']) assert.ok(environ.includes(v), v);
      assert.deepEqual([argv[0], argv[1]], ['node', '--max-semi-space-size=64']);
      assert.match(argv[2], /dist\/cli\/main\.js$/);
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    }
  });

  test('--help lists every command, and each command has its own help', () => {
    const help = annals('--help');
    assert.equal(help.code, 0);
    for (const c of ['serve', 'orgs', 'keys', 'ingest', 'query', 'tail', 'demo', 'ledger', 'export', 'verify']) assert.match(help.out, new RegExp(`\\b${c}\\b`));
    const keys = annals('keys', '--help');
    assert.match(keys.out, /create/);
    assert.match(annals('query', '--help').out, /--actor/);
  });

  test('orgs and keys', () => {
    assert.equal(annals('orgs', 'create', 'acme', '--name', 'Acme Corp').code, 0);
    const dup = annals('orgs', 'create', 'acme');
    assert.equal(dup.code, 1);
    assert.match(dup.err, /already exists/);
    const bad = annals('orgs', 'create', '../x');
    assert.equal(bad.code, 1);
    assert.match(bad.err, /org id/);
    assert.match(annals('orgs', 'list').out, /^acme\tAcme Corp\t0 events$/m);

    const created = annals('keys', 'create', '--org', 'acme', '--name', 'siem', '--scopes', 'read:events,write:events');
    assert.equal(created.code, 0, created.err);
    const token = created.out.trim();
    assert.match(token, /^ann_[a-z0-9]{16}_[A-Za-z0-9_-]{43}$/);
    const id = token.split('_')[1];
    const list = annals('keys', 'list', '--org', 'acme');
    assert.match(list.out, new RegExp(`^${id}\\tsiem\\tread:events write:events\\t.*\\tlive$`, 'm'));
    assert.ok(!list.out.includes(token));
    const badScope = annals('keys', 'create', '--org', 'acme', '--scopes', 'root');
    assert.equal(badScope.code, 1);
    assert.match(badScope.err, /unknown scope 'root'/);
    assert.equal(annals('keys', 'revoke', id, '--org', 'acme').code, 0);
    assert.match(annals('keys', 'list', '--org', 'acme').out, /revoked/);
    assert.equal(annals('keys', 'revoke', id, '--org', 'acme').code, 1);
  });

  test('ingest reads NDJSON and JSON arrays; a bad event anywhere stores nothing', () => {
    annals('orgs', 'create', 'ing');
    const ndjson = join(dir, 'events.ndjson');
    writeFileSync(ndjson, [event({ actor: { id: 'u-1', email: 'one@x.example' } }), event(), event()].map((e) => JSON.stringify(e)).join('\n') + '\n');
    const r = annals('ingest', ndjson, '--org', 'ing');
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /stored 3 events/);
    const array = join(dir, 'events.json');
    writeFileSync(array, JSON.stringify([event(), event()], null, 2));
    assert.match(annals('ingest', array, '--org', 'ing').out, /stored 2 events/);

    const bad = join(dir, 'bad.ndjson');
    writeFileSync(bad, [event(), event({ time: 'soon' }), event()].map((e) => JSON.stringify(e)).join('\n'));
    const refused = annals('ingest', bad, '--org', 'ing');
    assert.equal(refused.code, 1);
    assert.match(refused.err, /event 2 of the file/);
    assert.match(refused.err, /\/time/);
    const broken = join(dir, 'broken.ndjson');
    writeFileSync(broken, `${JSON.stringify(event())}\n{nope\n`);
    const malformed = annals('ingest', broken, '--org', 'ing');
    assert.equal(malformed.code, 1);
    assert.match(malformed.err, /line 2 is not valid JSON/);
    assert.match(annals('orgs', 'list').out, /^ing\ting\t5 events$/m);
    assert.equal(annals('ingest', ndjson, '--org', 'nowhere').code, 1);
  });

  test('ingest reads files that start with a byte order mark; a file of no events is an error, as in the API', () => {
    annals('orgs', 'create', 'bom');
    const array = join(dir, 'bom.json');
    writeFileSync(array, `\ufeff${JSON.stringify([event(), event()])}`);
    assert.match(annals('ingest', array, '--org', 'bom').out, /stored 2 events/);
    const ndjson = join(dir, 'bom.ndjson');
    writeFileSync(ndjson, `\ufeff${JSON.stringify(event())}\n${JSON.stringify(event())}\n`);
    assert.match(annals('ingest', ndjson, '--org', 'bom').out, /stored 2 events/);
    const one = join(dir, 'bom-one.json');
    writeFileSync(one, `\ufeff${JSON.stringify(event(), null, 2)}`);
    assert.match(annals('ingest', one, '--org', 'bom').out, /stored 1 events/);
    const empty = join(dir, 'empty.json');
    writeFileSync(empty, '[]');
    const refused = annals('ingest', empty, '--org', 'bom');
    assert.equal(refused.code, 1);
    assert.match(refused.err, /the file holds no events/);
    assert.match(annals('orgs', 'list').out, /^bom\tbom\t5 events$/m);
  });

  test('ingest stores nothing when an idempotency key is reused for other content, in the file or in the store', () => {
    annals('orgs', 'create', 'keyed');
    const ndjson = (events: object[]) => events.map((e) => JSON.stringify(e)).join('\n') + '\n';
    // One event over several lines is a file of one event.
    const one = join(dir, 'one.json');
    writeFileSync(one, JSON.stringify(event({ idempotencyKey: 'k-stored' }), null, 2));
    const stored = annals('ingest', one, '--org', 'keyed');
    assert.equal(stored.code, 0, stored.err);
    assert.match(stored.out, /stored 1 events/);
    const broken = join(dir, 'broken.json');
    writeFileSync(broken, JSON.stringify(event(), null, 2).replace(/\n}$/, ',\n}'));
    assert.match(annals('ingest', broken, '--org', 'keyed').err, /the file is not valid JSON/);
    // The second batch's last event reuses the first event's key for another event: refused before the first batch
    // is written.
    const twice = join(dir, 'twice.ndjson');
    writeFileSync(twice, ndjson([event({ idempotencyKey: 'k-1' }), ...Array.from({ length: 1099 }, () => event()),
      event({ idempotencyKey: 'k-1', message: { content: 'something else' } })]));
    const refused = annals('ingest', twice, '--org', 'keyed');
    assert.equal(refused.code, 1);
    assert.match(refused.err, /event 1101 of the file: idempotency key 'k-1' is also used by event 1 of the file/);
    // A key already stored with other content, at the end of a file of two batches.
    const again = join(dir, 'again.ndjson');
    writeFileSync(again, ndjson([...Array.from({ length: 1200 }, () => event()), event({ idempotencyKey: 'k-stored', message: { content: 'other' } })]));
    const clash = annals('ingest', again, '--org', 'keyed');
    assert.equal(clash.code, 1);
    assert.match(clash.err, /event 1201 of the file: idempotency key 'k-stored' is also used by an event already stored/);
    assert.match(annals('orgs', 'list').out, /^keyed\tkeyed\t1 events$/m);
    // The same key for the same content, in the file and in the store, is a retry: stored once.
    const retried = event({ idempotencyKey: 'k-2' });
    writeFileSync(again, ndjson([retried, retried]));
    assert.match(annals('ingest', again, '--org', 'keyed').out, /stored 1 events \(1 were already stored\)/);
    assert.match(annals('ingest', one, '--org', 'keyed').out, /stored 0 events \(1 were already stored\)/);
    assert.match(annals('orgs', 'list').out, /^keyed\tkeyed\t2 events$/m);
  });

  test('query prints a table or the API envelopes, with the same filters', () => {
    const table = annals('query', '--org', 'ing');
    assert.equal(table.code, 0, table.err);
    const lines = table.out.trim().split('\n');
    assert.match(lines[0], /^TIME\s+ACTION\s+ACTOR\s+IP\s+OUTCOME\s+CONTEXT$/);
    assert.equal(lines.length, 6);
    assert.equal(JSON.parse(annals('query', '--org', 'ing', '--format', 'json', '--location', 'KYIV').out).length, 5);
    assert.equal(JSON.parse(annals('query', '--org', 'ing', '--format', 'json', '--location', 'berlin').out).length, 0);
    const json = JSON.parse(annals('query', '--org', 'ing', '--format', 'json', '--actor', 'one@x.example').out);
    assert.equal(json.length, 1);
    assert.equal(json[0].type, 'events');
    assert.equal(json[0].attributes.actor.id, 'u-1');
    const ndjson = annals('query', '--org', 'ing', '--format', 'ndjson', '-n', '2').out.trim().split('\n');
    assert.equal(ndjson.length, 2);
    // A count is a whole number, in any spelling of one: 1e9 is a billion (here, all five), not 1.
    assert.equal(annals('query', '--org', 'ing', '--format', 'ndjson', '-n', '1e9').out.trim().split('\n').length, 5);
    for (const n of ['1.5', 'ten', '0', '12abc']) {
      const refused = annals('query', '--org', 'ing', '-n', n);
      assert.equal(refused.code, 1, n);
      assert.match(refused.err, /expected a whole number of at least 1/, n);
    }
    const interval = annals('tail', '--org', 'ing', '--no-follow', '--interval', '5');
    assert.equal(interval.code, 1);
    assert.match(interval.err, /expected a whole number of at least 10/);
    const bad = annals('query', '--org', 'ing', '--from', 'tuesday');
    assert.equal(bad.code, 1);
    assert.match(bad.err, /from 'tuesday'/);
    for (const [option, value] of [['--format', 'xml'], ['--sort-order', 'sideways']]) {
      const refused = annals('query', '--org', 'ing', option, value);
      assert.notEqual(refused.code, 0, `${option} ${value}`);
      assert.match(refused.err, new RegExp(`'${value}' is invalid. Allowed choices are`));
    }
  });

  test('demo fills an org with realistic events across every category', () => {
    const r = annals('demo', '--org', 'demo', '-n', '3000');
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /stored 3000 demo events/);
    const page = JSON.parse(annals('query', '--org', 'demo', '--format', 'json', '-n', '3000').out);
    assert.equal(page.length, 3000);
    assert.ok(new Set(page.map((e: any) => e.attributes.action.split('.')[0])).size >= 25);
  });

  test('query speaks the query language; a bad query shows where it went wrong', () => {
    const json = JSON.parse(annals('query', '--org', 'demo', '--format', 'json', '-n', '500', '-q', 'product:jira -outcome:success').out);
    assert.ok(json.length > 0);
    assert.ok(json.every((e: any) => e.attributes.action.startsWith('jira_') && e.attributes.outcome === 'failure'));
    const bad = annals('query', '--org', 'demo', '-q', 'jira acton:x');
    assert.equal(bad.code, 1);
    assert.match(bad.err, /Invalid search query: q, at position 5: unknown qualifier 'acton:'/);
    assert.match(bad.err, /\n {2}jira acton:x\n {7}\^/);
  });

  test('tail prints the newest events, then follows new ones, each once and in commit order', async () => {
    const child: ChildProcess = spawn(process.execPath,
      ['--import', 'tsx', MAIN, '--data-dir', join(dir, 'data'), 'tail', '--org', 'ing', '-n', '2', '--interval', '100', '--format', 'ndjson'],
      { stdio: ['ignore', 'pipe', 'pipe'], env: env('data') });
    let out = '';
    child.stdout!.on('data', (chunk) => { out += chunk; });
    const lines = () => out.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l).attributes);
    // (Up to a minute each: a CLI started under tsx on a loaded machine took over 10 s to print its first lines.)
    const waitFor = async (n: number) => {
      for (let i = 0; i < 1200 && lines().length < n; i++) await new Promise((r) => setTimeout(r, 50));
      return lines();
    };
    const exited = new Promise((resolve) => child.on('exit', resolve));
    let all: any[];
    try {
      const first = await waitFor(2);
      assert.equal(first.length, 2);
      // Late-stamped events, written by another process while tail follows.
      const file = join(dir, 'late.ndjson');
      writeFileSync(file, [event({ time: '2020-01-01T00:00:00.000Z' }), event(), event({ time: '2021-06-01T00:00:00.000Z' })].map((e) => JSON.stringify(e)).join('\n'));
      assert.equal(annals('ingest', file, '--org', 'ing').code, 0);
      all = await waitFor(5);
    } finally {
      // (A failed assertion must not leave tail following: the test file would never end.)
      child.kill('SIGINT');
      await exited;
    }
    assert.equal(all.length, 5, out);
    const seqs = all.map((e: any) => e.seq);
    assert.deepEqual(seqs, [...seqs].sort((a, b) => a - b));
    assert.equal(new Set(seqs).size, 5);
    assert.equal(all[2].time, '2020-01-01T00:00:00.000Z');
    const once = annals('tail', '--org', 'ing', '-n', '3', '--no-follow');
    assert.equal(once.code, 0, once.err);
    assert.equal(once.out.trim().split('\n').length, 4, 'a header and three rows');
    const none = annals('tail', '--org', 'ing', '-n', '0', '--no-follow');
    assert.deepEqual([none.code, none.out], [0, ''], '-n 0: only what comes from now on');
    assert.equal(annals('tail', '--org', 'ing', '-n', 'many').code, 1);
  });

  test('serve prints a bootstrap admin key on first start, warms its store, answers, and stops cleanly', async () => {
    const data = join(dir, 'served');
    const { url: address, output: out, child } = await serveAnnals(['--data-dir', data],
      { env: env('served'), args: ['--demo', '500', '--log-level', 'info'], stderr: 'pipe' });
    let logged = out;
    child.stdout!.on('data', (chunk) => { logged += chunk; });
    const warmed = /"entries":(\d+),"ms":\d+,"msg":"warmed: read each org's newest 30 days from its time index"/;
    for (let i = 0; i < 100 && !warmed.test(logged); i++) await sleep(50);
    assert.equal(warmed.exec(logged)?.[1], '500', 'the demo\'s 500 events, all within 30 days of its newest, read once listening');
    const token = /(ann_[a-z0-9]{16}_[A-Za-z0-9_-]{43})/.exec(out)![1];
    const res = await fetch(`${address}/admin/v1/orgs/demo/events?limit=10`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(res.status, 200);
    const body = await res.json() as any;
    assert.equal(body.data.length, 10);
    assert.deepEqual(await (await fetch(`${address}/readyz`)).json(), { status: 'ready', store: TEST_STORE, warming: false }, 'warmed: says so');
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    child.kill('SIGTERM');
    assert.equal(await exited, 0);
    // A second start prints no new key.
    const again = spawnSync(process.execPath, ['--import', 'tsx', MAIN, '--data-dir', data, 'keys', 'list'], { encoding: 'utf8', env: env('served') });
    assert.match(again.stdout, /bootstrap admin\tadmin/);
  });
});
