// A server process killed while producers write to it (SIGKILL: no shutdown, no flush) loses nothing it acknowledged:
// after a restart every acknowledged event is there once, each batch that was in flight is there whole or not at all,
// the log has no gap, retries of what was in flight store it once, and `annals verify` finds the ledger intact.
// Runs on the embedded store and (with ANNALS_TEST_STORE=postgres) on PostgreSQL. (What the operating system had
// been handed survives a killed process: losing power is what the fsync before each acknowledgement is for, which
// this test cannot show.)
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { event, TEST_STORE } from '../support/annals.js';
import { createSchema, dropSchema, newSchema, schemaUrl } from '../support/postgres.js';
import { MAIN, serveAnnals } from '../support/serve.js';

let dir: string;
const schema = TEST_STORE === 'postgres' ? newSchema() : undefined;
const env = schema === undefined ? process.env : { ...process.env, ANNALS_DATABASE_URL: schemaUrl(schema) };

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'annals-crash-'));
  if (schema) await createSchema(schema);
});
after(async () => {
  rmSync(dir, { recursive: true, force: true });
  if (schema) await dropSchema(schema);
});

/** One POST of events, each with an idempotency key of its own; what became of it. */
interface Request { keys: string[]; body: string; status?: number; ids?: string[] }

test('a server killed mid-ingest loses nothing it acknowledged, and no batch is half-stored', { timeout: 180_000 }, async (t) => {
  const data = join(dir, 'data');
  const first = await serveAnnals(['--data-dir', data], { env });
  const token = /(ann_[a-z0-9]{16}_[A-Za-z0-9_-]{43})/.exec(first.output)![1];
  const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
  const created = await fetch(`${first.url}/v1/orgs`, { method: 'POST', headers, body: JSON.stringify({ id: 'acme' }) });
  assert.equal(created.status, 201);

  const post = async (url: string, r: Request) => {
    const res = await fetch(`${url}/v1/orgs/acme/events`, { method: 'POST', headers, body: r.body });
    const body = await res.json() as { data?: { id: string }[] };
    r.status = res.status;
    if (res.ok) r.ids = body.data!.map((e) => e.id);
  };

  // Producers: six sending one event at a time (the group commit), two sending batches of 40. They run until the
  // server is killed under them, with requests in flight.
  const requests: Request[] = [];
  const failures: unknown[] = [];
  let acknowledged = 0;
  let running = 0;
  let killed = false;
  const producer = async (name: string, size: number) => {
    running++;
    try {
      for (let n = 0; !killed; n++) {
        const keys = Array.from({ length: size }, (_, i) => `${name}-${n}-${i}`);
        const events = keys.map((idempotencyKey) => event({ idempotencyKey }));
        const r: Request = { keys, body: JSON.stringify(size === 1 ? events[0] : events) };
        requests.push(r);
        await post(first.url, r);
        if (r.status !== 201) return; // refused: named by the assertion on every answer below
        acknowledged += size;
      }
    } catch (error) {
      // fetch fails with a TypeError when the connection dies with the server: this request's fate is unknown.
      if (!(error instanceof TypeError) || !killed) failures.push(error);
    } finally {
      running--;
    }
  };
  const producers = [
    ...Array.from({ length: 6 }, (_, i) => producer(`one${i}`, 1)),
    ...Array.from({ length: 2 }, (_, i) => producer(`batch${i}`, 40)),
  ];
  while (acknowledged < 1500 && running === producers.length) await new Promise((resolve) => setTimeout(resolve, 5));
  const exited = new Promise((resolve) => first.child.once('exit', resolve));
  killed = true;
  first.child.kill('SIGKILL');
  await exited;
  await Promise.all(producers);
  assert.deepEqual(failures, [], 'no producer failed but by losing its connection to the killed server');
  assert.ok(acknowledged >= 1500, `1,500 events were acknowledged before any producer stopped (${acknowledged})`);

  const acked = requests.filter((r) => r.status === 201);
  const unknown = requests.filter((r) => r.status === undefined);
  assert.ok(requests.every((r) => r.status === undefined || r.status === 201), 'every answered request was stored');
  assert.ok(unknown.length > 0, 'the server was killed with requests in flight');
  t.diagnostic(`killed after ${acked.length} acknowledged requests (${acknowledged} events), with ${unknown.length} in flight`);

  // Restarted on the same data: every stored event, in log order.
  const second = await serveAnnals(['--data-dir', data], { env });
  try {
    const stored: { id: string; seq: number; key: string }[] = [];
    for (let next = `${second.url}/v1/orgs/acme/events-stream?limit=1000`; ;) {
      const page = await (await fetch(next, { headers })).json() as { data: { id: string; attributes: { seq: number; idempotencyKey: string } }[]; links: { next: string | null } };
      if (page.data.length === 0) break;
      stored.push(...page.data.map((e) => ({ id: e.id, seq: e.attributes.seq, key: e.attributes.idempotencyKey })));
      next = page.links.next!;
    }
    assert.deepEqual(stored.map((e) => e.seq), stored.map((_, i) => i), 'the log has no gap and no repeat');
    const byKey = new Map(stored.map((e) => [e.key, e.id]));
    assert.equal(byKey.size, stored.length, 'no event is stored twice');
    for (const r of acked) {
      assert.deepEqual(r.keys.map((k) => byKey.get(k)), r.ids, `acknowledged ${r.keys[0]}… is stored as acknowledged`);
    }
    for (const r of unknown) {
      const present = r.keys.filter((k) => byKey.has(k)).length;
      assert.ok(present === 0 || present === r.keys.length, `in-flight ${r.keys[0]}…: ${present} of ${r.keys.length} stored`);
    }
    t.diagnostic(`after the restart: ${stored.length} events, ${unknown.filter((r) => byKey.has(r.keys[0])).length} in-flight requests stored`);
    assert.equal(stored.length, [...acked, ...unknown].filter((r) => byKey.has(r.keys[0])).reduce((n, r) => n + r.keys.length, 0),
      'nothing is stored that was not sent');

    // The producers retry what they never heard back about: each is stored once.
    for (const r of unknown) await post(second.url, r);
    assert.ok(unknown.every((r) => r.status === 200 || r.status === 201), 'retries are accepted');
    const total = await (await fetch(`${second.url}/v1/orgs/acme`, { headers })).json() as { data: { events: number } };
    assert.equal(total.data.events, new Set(requests.flatMap((r) => r.keys)).size, 'every event sent is stored exactly once');
  } finally {
    const stopped = new Promise((resolve) => second.child.once('exit', resolve));
    second.child.kill('SIGTERM');
    await stopped;
  }

  // The ledger holds every stored event, checkpoints and all.
  const verify = spawnSync(process.execPath, ['--import', 'tsx', MAIN, '--data-dir', data, 'verify', '--org', 'acme', '--deep'], { encoding: 'utf8', env });
  assert.equal(verify.status, 0, verify.stdout + verify.stderr);
});
