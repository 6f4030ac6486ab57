// Several Annals processes on one PostgreSQL database: one gap-free sequence and one ledger per org, whichever node
// took each event, and nothing a node acknowledged lost when that node is killed mid-ingest.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { event } from '../support/annals.js';
import { MAIN, type Served, serveAnnals } from '../support/serve.js';
import { createSchema, dropSchema, newSchema, postgresReachable, schemaUrl } from '../support/postgres.js';

type Node = Served;

const reachable = await postgresReachable();

describe('several Annals nodes on one PostgreSQL database', { skip: !reachable && 'PostgreSQL is not reachable' }, () => {
  const schema = newSchema();
  // The schema rides in the URL (libpq's `options`), as an operator would give it.
  const url = schemaUrl(schema);
  // One keys directory for every node: they sign checkpoints with the same key (the data dir holds nothing else).
  const dir = mkdtempSync(join(tmpdir(), 'annals-nodes-'));
  const nodes: Node[] = [];
  let admin = '';
  let writer = '';
  const org = 'acme';

  const cli = (...args: string[]) => spawnSync(process.execPath, ['--import', 'tsx', MAIN, '--data-dir', dir, '--database-url', url, ...args],
    { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });

  async function startNode(): Promise<Node> {
    const node = await serveAnnals(['--data-dir', dir, '--database-url', url], { env: { ...process.env, ANNALS_CHECKPOINT_SECONDS: '1' } });
    nodes.push(node);
    return node;
  }

  async function call(node: Node, method: string, path: string, token: string, body?: unknown) {
    const res = await fetch(`${node.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, json: (await res.json()) as Record<string, unknown> };
  }

  /** Every event id of the org through `node`, paging to the end; with each event's seq. */
  async function allEvents(node: Node): Promise<Map<string, number>> {
    const seen = new Map<string, number>();
    let cursor: string | undefined;
    for (;;) {
      const page = await call(node, 'GET', `/v1/orgs/${org}/events?limit=1000&from=0${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`, admin);
      assert.equal(page.status, 200, JSON.stringify(page.json));
      for (const e of page.json.data as { id: string; attributes: { seq: number } }[]) {
        assert.ok(!seen.has(e.id), `event ${e.id} listed twice`);
        seen.set(e.id, e.attributes.seq);
      }
      const next = (page.json.meta as { next?: string }).next;
      if (!next) return seen;
      cursor = next;
    }
  }

  before(async () => {
    if (!reachable) return;
    await createSchema(schema);
    const first = await startNode();
    admin = /\n\s+(\S+)\n/.exec(first.output.split('admin API key')[1] ?? '')?.[1] ?? '';
    assert.ok(admin, `the first node printed the bootstrap admin key: ${first.output}`);
    await startNode();
    assert.equal((await call(first, 'POST', '/v1/orgs', admin, { id: org })).status, 201);
    const key = await call(nodes[1], 'POST', `/v1/orgs/${org}/keys`, admin, { name: 'producer', scopes: ['write:events', 'read:events'] });
    assert.equal(key.status, 201, JSON.stringify(key.json));
    writer = (key.json.data as { token: string }).token;
  });

  after(async () => {
    for (const n of nodes) n.child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
    if (reachable) await dropSchema(schema);
  });

  const acked = new Map<string, number>();

  async function ingest(node: Node, requests: number, batch: number): Promise<void> {
    await Promise.all(Array.from({ length: requests }, async () => {
      const body = batch === 1 ? event() : Array.from({ length: batch }, () => event());
      const res = await call(node, 'POST', `/v1/orgs/${org}/events`, writer, body);
      assert.equal(res.status, 201, JSON.stringify(res.json));
      for (const e of res.json.data as { id: string; seq: number }[]) {
        assert.ok(!acked.has(e.id), 'each id acknowledged once');
        acked.set(e.id, e.seq);
      }
    }));
  }

  test('concurrent ingest through two nodes: one gap-free sequence, every event once, seen through either node; the ledger verifies', async () => {
    const [a, b] = nodes;
    await Promise.all([ingest(a, 30, 20), ingest(b, 30, 20), ingest(a, 60, 1), ingest(b, 60, 1)]);
    assert.equal(acked.size, 2 * (30 * 20 + 60));
    const seqs = [...acked.values()].sort((x, y) => x - y);
    assert.deepEqual(seqs, seqs.map((_, i) => i), 'seqs are 0..n-1, each once');
    for (const node of [a, b]) {
      const listed = await allEvents(node);
      assert.deepEqual(new Map([...listed].sort()), new Map([...acked].sort()), `node ${node.url} lists every acknowledged event with its seq`);
    }
    // A checkpoint cut by one node, the log checked by a third process.
    assert.equal((await call(b, 'POST', `/v1/orgs/${org}/checkpoints`, admin)).status < 300, true);
    const verify = cli('verify', '--org', org, '--deep', '--json');
    assert.equal(verify.status, 0, verify.stdout + verify.stderr);
  });

  test('a long poll on one node wakes when another node commits (LISTEN/NOTIFY)', async () => {
    const [a, b] = nodes;
    const reader = (await call(a, 'POST', `/v1/orgs/${org}/keys`, admin, { name: 'siem', scopes: ['read:events'] })).json.data as { token: string };
    // Follow the stream to its end on node b, then wait there for what node a stores.
    let cursor: string | undefined;
    for (;;) {
      const page = await call(b, 'GET', `/admin/v1/orgs/${org}/events-stream?limit=1000${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`, reader.token);
      const next = (page.json.meta as { next: string | null }).next;
      if (next === null) break;
      cursor = next;
    }
    assert.ok(cursor);
    const started = Date.now();
    const polled = call(b, 'GET', `/admin/v1/orgs/${org}/events-stream?cursor=${encodeURIComponent(cursor)}&wait=30`, reader.token);
    let answered = false;
    void polled.then(() => { answered = true; });
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(answered, false, 'with nothing new, the poll on node b waits');
    const stored = await call(a, 'POST', `/v1/orgs/${org}/events`, writer, event());
    assert.equal(stored.status, 201);
    const id = (stored.json.data as { id: string; seq: number }[])[0];
    acked.set(id.id, id.seq);
    const page = await polled;
    assert.deepEqual((page.json.data as { id: string }[]).map((e) => e.id), [id.id]);
    assert.ok(Date.now() - started < 20_000, 'node b answered on node a\'s commit, not at the end of the wait');
  });

  test('a node killed mid-ingest loses nothing it acknowledged; the ledger still verifies', async () => {
    const victim = await startNode();
    const before = acked.size;
    let stop = false;
    const fire = async () => {
      while (!stop) {
        try {
          await ingest(victim, 1, 5);
        } catch (error) {
          // The node is gone (the request failed on its socket); anything else is a failure of the test.
          if (error instanceof TypeError && stop) return;
          throw error;
        }
      }
    };
    const firing = Promise.all([fire(), fire(), fire(), fire(), ingest(nodes[0], 20, 10)]);
    let failed = false;
    firing.catch(() => { failed = true; });
    while (!failed && acked.size < before + 300) await new Promise((r) => setTimeout(r, 5));
    victim.child.kill('SIGKILL');
    stop = true;
    await firing;
    const listed = await allEvents(nodes[0]);
    for (const [id, seq] of acked) assert.equal(listed.get(id), seq, `acknowledged event ${id} (seq ${seq}) is stored`);
    const seqs = [...listed.values()].sort((x, y) => x - y);
    assert.deepEqual(seqs, seqs.map((_, i) => i), 'still gap-free');
    const verify = cli('verify', '--org', org, '--json');
    assert.equal(verify.status, 0, verify.stdout + verify.stderr);
  });
});
