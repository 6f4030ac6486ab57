import assert from 'node:assert/strict';
import { createHash, createHmac, randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { brotliCompressSync, deflateSync, gzipSync } from 'node:zlib';
import { after, before, describe, test } from 'node:test';
import { Connection } from '../../bench/http-client.js';
import { buildApp } from '../../src/api/app.js';
import { bearer, event, startAnnals, TEST_STORE, type TestAnnals } from '../support/annals.js';

let t: TestAnnals;
let writer: string;
let reader: string;

before(async () => {
  t = await startAnnals({ maxBatch: 50, bodyLimit: 64 * 1024 });
  writer = await t.token('acme', ['write:events']);
  reader = await t.token('acme', ['read:events']);
});
after(() => t.close());

async function post(body: unknown, headers: Record<string, string> = {}, org = 'acme') {
  const payload = typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body);
  return t.app.inject({
    method: 'POST', url: `/v1/orgs/${org}/events`, payload,
    headers: { 'content-type': 'application/json', ...bearer(writer), ...headers },
  });
}

async function get(url: string, token = reader) {
  return t.app.inject({ method: 'GET', url, headers: bearer(token) });
}

async function count(org = 'acme'): Promise<number> {
  return t.annals.store.countEvents(org);
}

function assertProblem(res: { statusCode: number; headers: Record<string, unknown>; json(): any }, status: number, code: string) {
  assert.equal(res.statusCode, status, JSON.stringify(res.json()));
  assert.match(String(res.headers['content-type']), /^application\/problem\+json/);
  const body = res.json();
  assert.equal(body.status, status);
  assert.equal(body.code, code);
  assert.equal(typeof body.title, 'string');
  assert.equal(typeof body.detail, 'string');
  assert.equal(body.type, `tag:annals.dev,2026:${code}`);
  return body;
}

describe('recording events', () => {
  test('one event is stored, sequenced and served back in the Atlassian envelope', async () => {
    const before = await count();
    const res = await post(event({ metadata: { ticket: 'SEC-1' }, userAgent: 'curl/8.0', outcome: 'failure' }));
    assert.equal(res.statusCode, 201);
    const [ack] = res.json().data;
    assert.equal(ack.seq, before);
    assert.equal(ack.duplicate, false);
    assert.match(ack.id, /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-/);
    assert.ok(Date.parse(ack.processedAt) <= Date.now());

    for (const prefix of ['/v1/orgs/acme', '/admin/v1/orgs/acme']) {
      const one = await get(`${prefix}/events/${ack.id}`);
      assert.equal(one.statusCode, 200);
      const { data } = one.json();
      assert.equal(data.id, ack.id);
      assert.equal(data.type, 'events');
      assert.equal(data.attributes.action, 'user_management.added_user_to_group');
      assert.equal(data.attributes.processedAt, ack.processedAt);
      assert.equal(data.attributes.actor.email, 'ana.silva@acme.example');
      assert.equal(data.attributes.context[1].attributes.name, 'jira-admins');
      assert.equal(data.attributes.container[0].type, 'sites');
      assert.equal(data.attributes.location.city, 'Kyiv');
      assert.equal(data.attributes.outcome, 'failure');
      assert.equal(data.attributes.userAgent, 'curl/8.0');
      assert.deepEqual(data.attributes.metadata, { ticket: 'SEC-1' });
      assert.equal(data.attributes.seq, ack.seq);
      assert.equal(data.message.content, 'Added Bob Jones to jira-admins');
      assert.ok(data.links.self.endsWith(`${prefix}/events/${ack.id}`));
    }
  });

  test('a page of events written in many scripts comes back byte for byte', async () => {
    const w = await t.token('scripts', ['write:events']);
    const r = await t.token('scripts', ['read:events']);
    // Latin-1 only, two-byte (Cyrillic, CJK), and surrogate pairs (emoji, a rare CJK ideograph): V8 holds the first
    // as one-byte strings, the rest as two-byte ones, and UTF-8 takes 1 to 4 bytes for each character. The messages
    // are mostly CJK (3 bytes a character), so the page's body is over twice as many bytes as its text has characters.
    const names = ['Zoë Müller', 'Олена Коваль', '张伟', 'Ana 🙂 Silva', '𠀋 Tanaka', 'plain ascii'];
    const sent = names.map((name, i) => event({ actor: { id: `u-${i}`, name }, message: { content: `${name} → 𝄞 ${'张'.repeat(i * 600)}`, format: 'simple' } }));
    const res = await t.app.inject({ method: 'POST', url: '/v1/orgs/scripts/events', payload: sent, headers: { 'content-type': 'application/json', ...bearer(w) } });
    assert.equal(res.statusCode, 201, res.body);
    for (const prefix of ['/v1/orgs/scripts', '/admin/v1/orgs/scripts']) {
      const page = await get(`${prefix}/events?limit=100`, r);
      assert.equal(page.statusCode, 200);
      assert.equal(Number(page.headers['content-length']), page.rawPayload.length);
      const got = page.json().data as { attributes: { actor: { name: string } }; message: { content: string } }[];
      assert.deepEqual(got.map((e) => [e.attributes.actor.name, e.message.content]).sort(),
        sent.map((e) => [(e.actor as { name: string }).name, (e.message as { content: string }).content]).sort());
    }
  });

  test('time is normalised to UTC milliseconds; outcome defaults to success', async () => {
    const res = await post(event({ time: '2026-11-20T12:00:00+02:00' }));
    const { data } = (await get(`/v1/orgs/acme/events/${res.json().data[0].id}`)).json();
    assert.equal(data.attributes.time, '2026-11-20T10:00:00.000Z');
    assert.equal(data.attributes.outcome, 'success');
  });

  test('a JSON array and NDJSON are batches, stored in order', async () => {
    const before = await count();
    const res = await post([event(), event(), event()]);
    assert.equal(res.statusCode, 201);
    assert.deepEqual(res.json().data.map((e: any) => e.seq), [before, before + 1, before + 2]);
    const ndjson = [event(), event()].map((e) => JSON.stringify(e)).join('\n') + '\n';
    const res2 = await post(ndjson, { 'content-type': 'application/x-ndjson' });
    assert.equal(res2.statusCode, 201);
    assert.equal(res2.json().meta.stored, 2);
    assert.equal(await count(), before + 5);
  });

  test('concurrent single events are all acknowledged with distinct, gap-free sequence numbers', async () => {
    const before = await count();
    const results = await Promise.all(Array.from({ length: 100 }, () => post(event())));
    assert.ok(results.every((r) => r.statusCode === 201));
    const seqs = results.map((r) => r.json().data[0].seq).sort((a, b) => a - b);
    assert.deepEqual(seqs, Array.from({ length: 100 }, (_, i) => before + i));
    assert.equal(await count(), before + 100);
  });

  test('processedAt never decreases along the sequence', async () => {
    const res = await get('/v1/orgs/acme/events?limit=1000&sortOrder=asc');
    const events = res.json().data.map((e: any) => e.attributes).sort((a: any, b: any) => a.seq - b.seq);
    for (let i = 1; i < events.length; i++) assert.ok(events[i].processedAt >= events[i - 1].processedAt);
  });
});

describe('idempotency', () => {
  test('the same Idempotency-Key never stores twice and answers with the same events', async () => {
    const batch = [event(), event()];
    const first = await post(batch, { 'idempotency-key': 'req-1' });
    assert.equal(first.statusCode, 201);
    const before = await count();
    const again = await post(batch, { 'idempotency-key': 'req-1' });
    assert.equal(again.statusCode, 200);
    assert.deepEqual(again.json().data.map((e: any) => e.id), first.json().data.map((e: any) => e.id));
    assert.ok(again.json().data.every((e: any) => e.duplicate));
    assert.equal(await count(), before);
  });

  test('a per-event idempotencyKey dedupes that event only; reuse with other content is a 409', async () => {
    const e = event({ idempotencyKey: 'evt-42' });
    const first = await post(e);
    const before = await count();
    const retry = await post([e, event()]);
    assert.equal(retry.statusCode, 201);
    assert.equal(retry.json().data[0].id, first.json().data[0].id);
    assert.equal(retry.json().data[0].duplicate, true);
    assert.equal(await count(), before + 1);
    const reused = await post(event({ idempotencyKey: 'evt-42', action: 'user_management.created_group' }));
    const one = assertProblem(reused, 409, 'ANN_ERR_IDEMPOTENCY_CONFLICT');
    assert.equal(one.idempotencyKey, 'evt-42');
    assert.equal(one.index, undefined, 'a request of one event has no item index');
    assert.equal(one.pointer, '/idempotencyKey');
    // In a batch, the item that reused the key is named, as validation names one; nothing of the batch is stored.
    const inBatch = assertProblem(await post([event(), event({ idempotencyKey: 'evt-42', action: 'user_management.created_group' })]), 409, 'ANN_ERR_IDEMPOTENCY_CONFLICT');
    assert.equal(inBatch.index, 1);
    assert.equal(inBatch.pointer, '/1/idempotencyKey');
    assert.match(inBatch.detail, /^item 1: idempotency key 'evt-42'/);
    assert.equal(await count(), before + 1);
    // A key that came from the Idempotency-Key header: the header is named.
    assert.equal((await post([event(), event()], { 'idempotency-key': 'req-77' })).statusCode, 201);
    const byHeader = assertProblem(await post([event(), event()], { 'idempotency-key': 'req-77' }), 409, 'ANN_ERR_IDEMPOTENCY_CONFLICT');
    assert.deepEqual([byHeader.index, byHeader.parameter, byHeader.pointer], [0, 'Idempotency-Key', undefined]);
    assert.equal(await count(), before + 3);
    // One event, and NDJSON, alike; an item's own key is pointed at even when the header is sent too.
    assert.equal((await post(event(), { 'idempotency-key': 'req-78' })).statusCode, 201);
    const single = assertProblem(await post(event(), { 'idempotency-key': 'req-78' }), 409, 'ANN_ERR_IDEMPOTENCY_CONFLICT');
    assert.deepEqual([single.index, single.parameter, single.pointer], [undefined, 'Idempotency-Key', undefined]);
    const lines = (...events: object[]) => events.map((e) => JSON.stringify(e)).join('\n');
    const ndjson = { 'content-type': 'application/x-ndjson', 'idempotency-key': 'req-77' };
    const asLines = assertProblem(await post(lines(event(), event()), ndjson), 409, 'ANN_ERR_IDEMPOTENCY_CONFLICT');
    assert.deepEqual([asLines.index, asLines.parameter], [0, 'Idempotency-Key']);
    const own = assertProblem(await post(lines(event(), event({ idempotencyKey: 'evt-42', action: 'user_management.created_group' })), { ...ndjson, 'idempotency-key': 'req-79' }), 409, 'ANN_ERR_IDEMPOTENCY_CONFLICT');
    assert.deepEqual([own.index, own.pointer, own.parameter], [1, '/1/idempotencyKey', undefined]);
    assert.equal(await count(), before + 4);
  });

  test('routes that take no body do not care what type an empty body claims to be', async () => {
    for (const type of ['text/plain', 'application/json', 'application/json; charset=utf-8']) {
      const cut = await t.app.inject({ method: 'POST', url: '/v1/orgs/acme/checkpoints', headers: { ...bearer(t.admin), 'content-type': type }, payload: '' });
      assert.equal(cut.statusCode, 201, `${type}: ${cut.body}`);
    }
    // A route that reads JSON still says an empty body is not JSON, and stores nothing.
    const before = await count();
    const empty = assertProblem(await t.app.inject({ method: 'POST', url: '/v1/orgs/acme/events', headers: { ...bearer(t.admin), 'content-type': 'application/json' }, payload: '' }), 400, 'ANN_ERR_REQUEST_MALFORMED_JSON');
    assert.equal(empty.detail, 'the body is empty; send a JSON document');
    assertProblem(await t.app.inject({ method: 'POST', url: '/v1/orgs', headers: { ...bearer(t.admin), 'content-type': 'application/json' }, payload: '' }), 400, 'ANN_ERR_REQUEST_MALFORMED_JSON');
    // A body on a route that takes none is still JSON read and refused by the route's own rules.
    assertProblem(await t.app.inject({ method: 'POST', url: '/v1/orgs/acme/checkpoints', headers: { ...bearer(t.admin), 'content-type': 'application/json' }, payload: '{' }), 400, 'ANN_ERR_REQUEST_MALFORMED_JSON');
    assertProblem(await t.app.inject({ method: 'POST', url: '/v1/orgs/acme/events', headers: { ...bearer(t.admin), 'content-type': 'application/json' }, payload: '{"__proto__":{"x":1}}' }), 400, 'ANN_ERR_REQUEST_MALFORMED_JSON');
    assert.equal(await count(), before);
  });

  test('names that are not text (a NUL, a lone surrogate) are refused on every store, and nothing is created', async () => {
    const send = (url: string, payload: unknown) =>
      t.app.inject({ method: 'POST', url, headers: { ...bearer(t.admin), 'content-type': 'application/json' }, payload: JSON.stringify(payload) });
    for (const bad of ['a\u0000b', 'a\ud800b']) {
      const org = assertProblem(await send('/v1/orgs', { id: 'not-text', name: bad }), 400, 'ANN_ERR_ORG_INVALID');
      assert.equal(org.pointer, '/name');
      const key = assertProblem(await send('/v1/orgs/acme/keys', { name: bad, scopes: ['read:events'] }), 400, 'ANN_ERR_KEY_INVALID');
      assert.equal(key.pointer, '/name');
      for (const field of ['displayName', 'category']) {
        const action = assertProblem(await send('/v1/orgs/acme/event-actions', { key: 'custom.not_text', displayName: 'x', category: 'y', [field]: bad }), 400, 'ANN_ERR_ACTION_INVALID');
        assert.equal(action.pointer, `/${field}`);
      }
    }
    assert.equal((await t.app.inject({ method: 'GET', url: '/v1/orgs/not-text', headers: bearer(t.admin) })).statusCode, 404);
    assert.ok(!(await t.annals.store.listApiKeys('acme')).some((k) => /^a.b$/su.test(k.name)));
    assert.equal(await t.annals.store.getAction('acme', 'custom.not_text'), undefined);
  });

  test('a member named constructor is data in a JSON body as in NDJSON; __proto__ is refused in both', async () => {
    const withConstructor = { ...event(), metadata: { constructor: { prototype: { x: 1 } } } };
    for (const [type, payload] of [['application/json', JSON.stringify(withConstructor)], ['application/x-ndjson', `${JSON.stringify({ ...withConstructor, time: event().time })}\n`]]) {
      const res = await t.app.inject({ method: 'POST', url: '/v1/orgs/acme/events', headers: { ...bearer(writer), 'content-type': type }, payload });
      assert.equal(res.statusCode, 201, res.body);
      const stored = await get(`/v1/orgs/acme/events/${res.json().data[0].id}`);
      assert.deepEqual(stored.json().data.attributes.metadata, { constructor: { prototype: { x: 1 } } });
    }
    for (const type of ['application/json', 'application/x-ndjson']) {
      const res = await t.app.inject({ method: 'POST', url: '/v1/orgs/acme/events', headers: { ...bearer(writer), 'content-type': type }, payload: '{"__proto__":{"x":1}}\n' });
      assertProblem(res, 400, 'ANN_ERR_REQUEST_MALFORMED_JSON');
    }
  });

  test('every route refuses a body of a type it does not read with a 415 that says what it reads, and writes nothing', async () => {
    const send = (url: string, type: string, payload: string) =>
      t.app.inject({ method: 'POST', url, headers: { ...bearer(t.admin), 'content-type': type }, payload });
    const org = assertProblem(await send('/v1/orgs', 'text/plain', '{"id":"typed-as-text"}'), 415, 'ANN_ERR_REQUEST_MEDIA_TYPE');
    assert.equal(org.detail, 'send application/json');
    assert.equal((await t.app.inject({ method: 'GET', url: '/v1/orgs/typed-as-text/events', headers: bearer(t.admin) })).statusCode, 404);
    assertProblem(await send('/v1/orgs/acme/event-actions', 'application/x-www-form-urlencoded', 'key=custom.x'), 415, 'ANN_ERR_REQUEST_MEDIA_TYPE');
    assertProblem(await send('/v1/orgs/acme/keys', 'text/csv', 'name,scopes'), 415, 'ANN_ERR_REQUEST_MEDIA_TYPE');
    const cut = assertProblem(await send('/v1/orgs/acme/checkpoints', 'text/plain', 'now please'), 415, 'ANN_ERR_REQUEST_MEDIA_TYPE');
    assert.equal(cut.detail, 'this route takes no body: send none');
    // A Content-Type that does not parse at all is the wrong media type too; a path with no route is still a 404.
    assertProblem(await send('/v1/orgs/acme/checkpoints', ';;;', 'x'), 415, 'ANN_ERR_REQUEST_MEDIA_TYPE');
    assertProblem(await send('/v1/orgs/acme/no-such-thing', 'text/plain', 'hi'), 404, 'ANN_ERR_REQUEST_NOT_FOUND');
    // Without any Content-Type, a body is refused the same way.
    const untyped = assertProblem(await t.app.inject({ method: 'POST', url: '/v1/orgs/acme/events', headers: bearer(t.admin), payload: Buffer.from(JSON.stringify(event())) }), 415, 'ANN_ERR_REQUEST_MEDIA_TYPE');
    assert.match(untyped.detail, /application\/x-ndjson/);
    // A body in a coding the server does not decode (or in several) is refused as such, naming those it does.
    const before = await count();
    for (const [encoding, payload] of [['compress', Buffer.from(JSON.stringify(event()))], ['gzip, br', brotliCompressSync(gzipSync(JSON.stringify(event())))], ['zstd', Buffer.from('{}')]] as const) {
      const res = await post(payload, { 'content-encoding': encoding });
      const refused = assertProblem(res, 415, 'ANN_ERR_REQUEST_MEDIA_TYPE');
      assert.equal(refused.parameter, 'Content-Encoding');
      assert.match(refused.detail, /gzip, deflate, br/);
      assert.equal(res.headers['accept-encoding'], 'gzip, deflate, br');
    }
    assert.equal(await count(), before);
    assert.equal((await post(event(), { 'content-encoding': 'identity' })).statusCode, 201);
    // A request with no body says nothing by it; a path with no route is a 404 whatever its body.
    const read = await t.app.inject({ method: 'GET', url: '/v1/orgs/acme/events?limit=1', headers: { ...bearer(reader), 'content-encoding': 'gzip' } });
    assert.equal(read.statusCode, 200);
    assertProblem(await send('/v1/orgs/acme/no-such-thing', 'application/json', '{}'), 404, 'ANN_ERR_REQUEST_NOT_FOUND');
    assertProblem(await t.app.inject({ method: 'POST', url: '/v1/orgs/acme/no-such-thing', headers: { ...bearer(t.admin), 'content-type': 'application/json', 'content-encoding': 'gzip' }, payload: gzipSync('{}') }), 404, 'ANN_ERR_REQUEST_NOT_FOUND');
  });

  test('bodies in gzip, deflate or br are decoded as they arrive; one that does not decode is a 400, one that inflates past the limit a 413, and neither writes anything', async () => {
    const before = await count();
    const one = event({ message: { content: 'Läuft “gut” ✓', format: 'simple' } });
    for (const [encoding, encode] of [['gzip', gzipSync], ['x-gzip', gzipSync], ['deflate', deflateSync], ['br', brotliCompressSync]] as const) {
      const res = await post(encode(JSON.stringify(one)), { 'content-encoding': encoding.toUpperCase() });
      assert.equal(res.statusCode, 201, res.body);
      assert.equal(res.json().meta.stored, 1);
    }
    assert.equal(await count(), before + 4);
    const stored = (await get('/v1/orgs/acme/events?limit=1')).json().data[0];
    assert.equal(stored.message.content, 'Läuft “gut” ✓');
    // NDJSON too.
    const lines = gzipSync(`${JSON.stringify(event())}\n${JSON.stringify(event())}\n`);
    assert.equal((await post(lines, { 'content-type': 'application/x-ndjson', 'content-encoding': 'gzip' })).statusCode, 201);
    assert.equal(await count(), before + 6);
    // Not gzip, cut short, or more than the route takes once decoded (64 KiB here; the compressed body is ~1 KB).
    for (const [payload, status, code] of [
      [Buffer.from(JSON.stringify(event())), 400, 'ANN_ERR_REQUEST_INVALID'],
      [gzipSync(JSON.stringify(event())).subarray(0, 30), 400, 'ANN_ERR_REQUEST_INVALID'],
      [gzipSync(Buffer.alloc(1_000_000, 0x20)), 413, 'ANN_ERR_REQUEST_TOO_LARGE'],
      // (Past the limit, then not gzip: the server stops reading at the limit and is not ended by what follows.)
      [Buffer.concat([gzipSync(Buffer.alloc(1_000_000, 0x20)), Buffer.from('not gzip at all')]), 413, 'ANN_ERR_REQUEST_TOO_LARGE'],
    ] as const) {
      const refused = assertProblem(await post(payload, { 'content-encoding': 'gzip' }), status, code);
      if (status === 400) {
        assert.equal(refused.parameter, 'Content-Encoding');
        assert.match(refused.detail, /^the body is not valid gzip data: /);
      }
    }
    assert.equal(await count(), before + 6);
  });

  test('a compressed body no one reads is drained, so the next request on the connection is answered; a client that leaves mid-body stores nothing', async () => {
    const app = await buildApp(t.annals, { bodyLimit: 64 * 1024 });
    try {
      const { port } = new URL(await app.listen({ port: 0, host: '127.0.0.1' }));
      /** A kept-alive connection: `ask` sends a request on it and resolves with its response's status (in 5 s). */
      const open = async () => {
        const connection = new Connection('127.0.0.1', Number(port));
        await connection.ready;
        const ask = async (head: string, body: Buffer) => {
          let timer: NodeJS.Timeout | undefined;
          const late = new Promise<never>((_resolve, reject) => {
            timer = setTimeout(() => reject(new Error(`no response to ${head.split('\r\n')[0]}`)), 5000);
          });
          try {
            const sent = connection.request(`${head}\r\nHost: annals.test\r\nContent-Length: ${body.length}\r\n\r\n`, body);
            return (await Promise.race([sent, late])).status;
          } finally {
            clearTimeout(timer);
          }
        };
        return { connection, ask };
      };
      const auth = (token: string) => `Authorization: Bearer ${token}`;
      const before = await count();
      const kept = await open();
      // A GET reads no body: ~300 KB of gzip sent with one is read and dropped once it is answered.
      const noise = gzipSync(randomBytes(300_000).toString('base64'));
      assert.ok(noise.length > 200_000, String(noise.length));
      assert.equal(await kept.ask(`GET /v1/orgs/acme/events?limit=1 HTTP/1.1\r\n${auth(reader)}\r\nContent-Encoding: gzip`, noise), 200);
      assert.equal(await kept.ask(`POST /v1/orgs/acme/events HTTP/1.1\r\n${auth(writer)}\r\nContent-Type: application/json\r\nContent-Encoding:  Gzip `, gzipSync(JSON.stringify(event()))), 201);
      assert.equal(await count(), before + 1);
      // A bomb is read to the limit and refused (and the server closes that connection).
      const bombed = await open();
      assert.equal(await bombed.ask(`POST /v1/orgs/acme/events HTTP/1.1\r\n${auth(writer)}\r\nContent-Type: application/json\r\nContent-Encoding: gzip`, gzipSync(Buffer.alloc(80_000_000, 0x20))), 413);
      // A client that leaves halfway through a compressed body: nothing is stored, and the server goes on answering.
      const cut = connect(Number(port), '127.0.0.1');
      await new Promise((resolve) => cut.once('connect', resolve));
      const whole = gzipSync(JSON.stringify([event(), event()]));
      cut.write(`POST /v1/orgs/acme/events HTTP/1.1\r\nHost: annals.test\r\n${auth(writer)}\r\nContent-Type: application/json\r\nContent-Encoding: gzip\r\nContent-Length: ${whole.length}\r\n\r\n`);
      cut.write(whole.subarray(0, 20));
      await new Promise((resolve) => setTimeout(resolve, 50));
      cut.destroy();
      await new Promise((resolve) => setTimeout(resolve, 50));
      assert.equal(await kept.ask(`GET /v1/orgs/acme/events?limit=1 HTTP/1.1\r\n${auth(reader)}`, Buffer.alloc(0)), 200);
      assert.equal(await count(), before + 1);
      for (const c of [kept, bombed]) c.connection.close();
    } finally {
      await app.close();
    }
  });

  test('a Host header that is not a host is a 400 that stores nothing; links spell the host one way', async () => {
    const before = await count();
    for (const host of ['bad host', 'acme.example:99999', 'a/b']) {
      const stored = assertProblem(await post(event(), { host }), 400, 'ANN_ERR_REQUEST_INVALID');
      assert.equal(stored.parameter, 'Host');
      assertProblem(await t.app.inject({ method: 'GET', url: '/v1/orgs/acme/events?limit=1', headers: { ...bearer(t.admin), host } }), 400, 'ANN_ERR_REQUEST_INVALID');
    }
    assert.equal(await count(), before);
    // The default port is left out of every link alike: the page's own, its events', and one event's.
    const page = (await t.app.inject({ method: 'GET', url: '/admin/v1/orgs/acme/events?limit=1', headers: { ...bearer(t.admin), host: 'annals.example:80' } })).json();
    const self = page.data[0].links.self;
    assert.equal(self, `http://annals.example/admin/v1/orgs/acme/events/${page.data[0].id}`);
    assert.ok(page.links.self.startsWith('http://annals.example/admin/'));
    const one = (await t.app.inject({ method: 'GET', url: new URL(self).pathname, headers: { ...bearer(t.admin), host: 'annals.example:80' } })).json();
    assert.equal(one.data.links.self, self);
    const v6 = (await t.app.inject({ method: 'GET', url: '/v1/orgs/acme/events?limit=1', headers: { ...bearer(t.admin), host: '[::1]:8080' } })).json();
    assert.ok(v6.data[0].links.self.startsWith('http://[::1]:8080/v1/orgs/acme/events/'));
  });

  test('a request line in absolute form gets links on the Host it came with, never on the host it names', async () => {
    assert.equal((await post([event(), event()])).statusCode, 201);
    const app = await buildApp(t.annals);
    try {
      const { port } = new URL(await app.listen({ port: 0, host: '127.0.0.1' }));
      const ask = (target: string) => new Promise<any>((resolve, reject) => {
        let text = '';
        const socket = connect(Number(port), '127.0.0.1', () => socket.write(
          `GET ${target} HTTP/1.1\r\nHost: annals.internal:8080\r\nAuthorization: Bearer ${reader}\r\nConnection: close\r\n\r\n`));
        socket.on('data', (chunk) => { text += chunk; })
          .on('end', () => resolve(JSON.parse(text.slice(text.indexOf('\r\n\r\n') + 4)))).on('error', reject);
      });
      for (const prefix of ['/v1/orgs/acme', '/admin/v1/orgs/acme']) {
        const page = await ask(`http://elsewhere.example${prefix}/events?limit=1`);
        assert.equal(page.links.self, `http://annals.internal:8080${prefix}/events?limit=1`);
        assert.ok(page.links.next.startsWith(`http://annals.internal:8080${prefix}/events?limit=1&cursor=`), page.links.next);
        const id = page.data[0].id;
        assert.equal(page.data[0].links.self, `http://annals.internal:8080${prefix}/events/${id}`);
        const one = await ask(`http://elsewhere.example${prefix}/events/${id}`);
        assert.equal(one.data.links.self, `http://annals.internal:8080${prefix}/events/${id}`);
      }
    } finally {
      await app.close();
    }
  });

  test('an Idempotency-Key with spaces is refused', async () => {
    assertProblem(await post(event(), { 'idempotency-key': 'has space' }), 400, 'ANN_ERR_IDEMPOTENCY_KEY_INVALID');
  });
});

describe('bad input gets a 4xx problem and writes nothing', () => {
  const cases: [string, () => Promise<any>, number, string, string?][] = [
    ['malformed JSON', () => post('{"time": '), 400, 'ANN_ERR_REQUEST_MALFORMED_JSON'],
    ['a __proto__ member, in JSON', () => post('{"time":"2026-11-20T10:00:00Z","action":"user_management.created_group","actor":{"id":"u"},"metadata":{"__proto__":{"x":1}}}'), 400, 'ANN_ERR_REQUEST_MALFORMED_JSON'],
    ['a __proto__ member, in NDJSON', () => post('{"time":"2026-11-20T10:00:00Z","action":"user_management.created_group","actor":{"id":"u"},"metadata":{"__proto__":{"x":1}}}\n', { 'content-type': 'application/x-ndjson' }), 400, 'ANN_ERR_REQUEST_MALFORMED_JSON'],
    ['malformed NDJSON line', () => post(`${JSON.stringify(event())}\n{oops\n`, { 'content-type': 'application/x-ndjson' }), 400, 'ANN_ERR_REQUEST_MALFORMED_JSON'],
    ['a wrong content type', () => post('time=now', { 'content-type': 'application/x-www-form-urlencoded' }), 415, 'ANN_ERR_REQUEST_MEDIA_TYPE'],
    ['an event sent as text/plain', () => post(JSON.stringify(event()), { 'content-type': 'text/plain' }), 415, 'ANN_ERR_REQUEST_MEDIA_TYPE'],
    ['a body over the size limit', () => post(Array.from({ length: 40 }, () => event({ message: { content: 'x'.repeat(4000) } }))), 413, 'ANN_ERR_REQUEST_TOO_LARGE'],
    ['a batch over the item limit', () => post(Array.from({ length: 51 }, () => event())), 413, 'ANN_ERR_EVENT_BATCH_TOO_LARGE'],
    ['an empty batch', () => post([]), 400, 'ANN_ERR_EVENT_BATCH_EMPTY'],
    ['a body that is not an object', () => post('42'), 400, 'ANN_ERR_EVENT_INVALID'],
    ['an unknown action', () => post(event({ action: 'jira_user_actions.made_coffee' })), 422, 'ANN_ERR_EVENT_UNKNOWN_ACTION', '/action'],
    ['a missing actor', () => post(event({ actor: undefined })), 400, 'ANN_ERR_EVENT_INVALID', '/actor'],
    ['an actor without id', () => post(event({ actor: { name: 'x' } as any })), 400, 'ANN_ERR_EVENT_INVALID', '/actor/id'],
    ['a time that is not a time', () => post(event({ time: 'yesterday' })), 400, 'ANN_ERR_EVENT_INVALID', '/time'],
    ['a time without a zone', () => post(event({ time: '2026-11-20T10:00:00' })), 400, 'ANN_ERR_EVENT_INVALID', '/time'],
    ['a time far in the future', () => post(event({ time: '2099-01-01T00:00:00Z' })), 400, 'ANN_ERR_EVENT_INVALID', '/time'],
    ['an invalid IPv4', () => post(event({ location: { ip: '300.1.1.1' } })), 400, 'ANN_ERR_EVENT_INVALID', '/location/ip'],
    ['an invalid IPv6', () => post(event({ location: { ip: '2001:db8::g' } })), 400, 'ANN_ERR_EVENT_INVALID', '/location/ip'],
    ['an unknown field', () => post(event({ colour: 'red' })), 400, 'ANN_ERR_EVENT_INVALID', '/colour'],
    ['metadata over the size bound', () => post(event({ metadata: { blob: 'x'.repeat(9000) } })), 400, 'ANN_ERR_EVENT_INVALID', '/metadata'],
    ['a bad outcome', () => post(event({ outcome: 'maybe' as any })), 400, 'ANN_ERR_EVENT_INVALID', '/outcome'],
    ['a date that does not exist', () => post(event({ time: '2026-02-30T10:00:00Z' })), 400, 'ANN_ERR_EVENT_INVALID', '/time'],
    ['an hour that does not exist', () => post(event({ time: '2026-02-10T24:30:00Z' })), 400, 'ANN_ERR_EVENT_INVALID', '/time'],
    ['a time before 1970', () => post(event({ time: '1969-12-31T23:59:59Z' })), 400, 'ANN_ERR_EVENT_INVALID', '/time'],
    ['a NUL in a metadata value inside an array', () => post(event({ metadata: { tags: ['ok', 'a\u0000b'] } })), 400, 'ANN_ERR_EVENT_INVALID', '/metadata/tags/1'],
    ['a NUL under a name with / and ~', () => post(event({ metadata: { 'a/b~c': 'x\u0000' } })), 400, 'ANN_ERR_EVENT_INVALID', '/metadata/a~1b~0c'],
    ['a year before 100', () => post(event({ time: '0050-01-01T00:00:00Z' })), 400, 'ANN_ERR_EVENT_INVALID', '/time'],
    ['metadata nested 30,000 deep', () => post(`{"time":"2026-11-20T10:00:00Z","action":"user_management.created_group","actor":{"id":"u"},"metadata":{"a":${'['.repeat(30_000)}${']'.repeat(30_000)}}}`), 400, 'ANN_ERR_EVENT_INVALID', '/metadata'],
    ['a number too large for JSON in metadata', () => post(JSON.stringify(event({ metadata: { n: 1 } })).replace('"n":1', '"n":1e400')), 400, 'ANN_ERR_EVENT_INVALID', '/metadata/n'],
    ['a lone surrogate in the actor id', () => post(event({ actor: { id: 'u-\ud800' } })), 400, 'ANN_ERR_EVENT_INVALID', '/actor/id'],
    ['a NUL in the message', () => post(event({ message: { content: 'a\u0000b' } })), 400, 'ANN_ERR_EVENT_INVALID', '/message/content'],
    ['a lone surrogate in a metadata name, deep down', () => post(event({ metadata: { a: [{ 'k\udfff/x': 1 }] } })), 400, 'ANN_ERR_EVENT_INVALID', '/metadata/a/0/k\udfff~1x'],
    ['too many links on the actor', () => post(event({ actor: { id: 'u', links: Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`l${i}`, 'x'])) } })), 400, 'ANN_ERR_EVENT_INVALID', '/actor/links'],
    ['an unknown org', () => t.app.inject({ method: 'POST', url: '/v1/orgs/nope/events', payload: event(), headers: bearer(t.admin) }), 404, 'ANN_ERR_ORG_NOT_FOUND'],
  ];
  for (const [name, send, status, code, pointer] of cases) {
    test(name, async () => {
      const before = await count();
      const body = assertProblem(await send(), status, code);
      if (pointer) assert.equal(body.pointer, pointer, body.detail);
      assert.equal(await count(), before);
    });
  }

  test('a batch item that is not an object is named by its place in the batch', async () => {
    for (const body of [[event(), []], `${JSON.stringify(event())}\n[1,2]\n`]) {
      const headers: Record<string, string> = typeof body === 'string' ? { 'content-type': 'application/x-ndjson' } : {};
      const problem = assertProblem(await post(body, headers), 400, 'ANN_ERR_EVENT_INVALID');
      assert.deepEqual([problem.pointer, problem.index], ['/1', 1]);
      assert.match(problem.detail, /^item 1, the event: /);
    }
  });

  test('an event over 64 KiB is refused by the ingest service, naming its index', async () => {
    const big = event({ context: Array.from({ length: 40 }, (_, i) => ({ id: `c${i}`, type: 't', attributes: Object.fromEntries(Array.from({ length: 10 }, (_, j) => [`a${j}`, 'x'.repeat(500)])) })) });
    await assert.rejects(t.annals.ingest.prepare('acme', [event(), big]), (error: any) =>
      error.code === 'ANN_ERR_EVENT_INVALID' && error.details.index === 1 && /at most 65536/.test(error.message));
  });

  test('a bad item in a batch names its index and nothing of the batch is stored', async () => {
    const before = await count();
    const res = await post([event(), event(), event({ location: { ip: '1.2.3' } }), event()]);
    const body = assertProblem(res, 400, 'ANN_ERR_EVENT_INVALID');
    assert.equal(body.index, 2);
    assert.equal(body.pointer, '/2/location/ip');
    assert.match(body.detail, /item 2/);
    assert.equal(await count(), before);
  });

  test('an unknown action deep in a batch names its index', async () => {
    const body = assertProblem(await post([event(), event({ action: 'nope.nope' })]), 422, 'ANN_ERR_EVENT_UNKNOWN_ACTION');
    assert.equal(body.index, 1);
    assert.equal(body.pointer, '/1/action');
  });

  for (const [name, url, code, parameter] of [
    ['a tampered cursor', '/v1/orgs/acme/events?cursor=eyJ4IjoxfQ.AAAAAAAAAAAAAAAAAAAAAA', 'ANN_ERR_QUERY_CURSOR', 'cursor'],
    ['a garbage cursor', '/v1/orgs/acme/events?cursor=%F0%9F%92%A9', 'ANN_ERR_QUERY_CURSOR', 'cursor'],
    ['a limit out of range', '/v1/orgs/acme/events?limit=5000', 'ANN_ERR_REQUEST_INVALID', 'limit'],
    ['a limit that is not a number', '/v1/orgs/acme/events?limit=ten', 'ANN_ERR_REQUEST_INVALID', 'limit'],
    ['a from that is not a time', '/v1/orgs/acme/events?from=tuesday', 'ANN_ERR_QUERY_INVALID', 'from'],
    ['from after to', '/v1/orgs/acme/events?from=2000&to=1000', 'ANN_ERR_QUERY_INVALID', 'from'],
    ['an unknown category', '/v1/orgs/acme/events?category=Cooking', 'ANN_ERR_QUERY_INVALID', 'category'],
    ['an unknown query parameter', '/v1/orgs/acme/events?colour=red', 'ANN_ERR_REQUEST_INVALID', 'colour'],
    // Numbers too large for a double read as Infinity, which passes `integer` and `maximum` as ajv checks them.
    ['a long-poll wait too large to be a number', '/v1/orgs/acme/events-stream?wait=1e309', 'ANN_ERR_REQUEST_INVALID', 'wait'],
    ['a checkpoint limit too large to be a number', '/v1/orgs/acme/checkpoints?limit=1e309', 'ANN_ERR_REQUEST_INVALID', 'limit'],
    ['a checkpoint size too small to be a number', '/v1/orgs/acme/checkpoints?from=-1e309', 'ANN_ERR_REQUEST_INVALID', 'from'],
    ['a checkpoint size in the path too large to be a number', '/v1/orgs/acme/checkpoints/1e309', 'ANN_ERR_REQUEST_INVALID', 'size'],
    ['a proof tree size too small to be a number', '/v1/orgs/acme/proofs/inclusion?index=0&treeSize=-1e309', 'ANN_ERR_REQUEST_INVALID', 'treeSize'],
    ['a checkpoint size in the path of 400 digits', `/v1/orgs/acme/checkpoints/${'9'.repeat(400)}`, 'ANN_ERR_REQUEST_INVALID', 'size'],
    // Whole numbers are written in decimal digits: ajv would read these as 16, 100, 5 and 10.
    ['a limit in hexadecimal', '/v1/orgs/acme/events?limit=0x10', 'ANN_ERR_REQUEST_INVALID', 'limit'],
    ['a limit with an exponent', '/v1/orgs/acme/events?limit=1e2', 'ANN_ERR_REQUEST_INVALID', 'limit'],
    ['a limit after a space', '/v1/orgs/acme/events?limit=%205', 'ANN_ERR_REQUEST_INVALID', 'limit'],
    ['a facet size with a decimal point', '/v1/orgs/acme/events/facets?size=10.0', 'ANN_ERR_REQUEST_INVALID', 'size'],
    ['a checkpoint size in the path in hexadecimal', '/v1/orgs/acme/checkpoints/0x10', 'ANN_ERR_REQUEST_INVALID', 'size'],
  ] as const) {
    test(name, async () => {
      const body = assertProblem(await get(url), 400, code);
      assert.equal(body.parameter, parameter, body.detail);
    });
  }

  test('a value outside a closed set is refused with the set', async () => {
    const body = assertProblem(await get('/v1/orgs/acme/events?sortOrder=up'), 400, 'ANN_ERR_REQUEST_INVALID');
    assert.equal(body.parameter, 'sortOrder');
    assert.match(body.detail, /'sortOrder' must be one of ("asc", "desc"|"desc", "asc")$/);
  });

  test('a body over the size limit is told the limit', async () => {
    const body = assertProblem(await post(Array.from({ length: 40 }, () => event({ message: { content: 'x'.repeat(4000) } }))), 413, 'ANN_ERR_REQUEST_TOO_LARGE');
    assert.match(body.detail, /over the \d+ bytes this route takes/);
  });

  test('a request line and headers over what the server reads is a problem too, as are bytes that are not HTTP', async () => {
    const app = await buildApp(t.annals);
    try {
      const address = await app.listen({ port: 0, host: '127.0.0.1' });
      const res = await fetch(`${address}/v1/orgs/acme/events?q=${'x'.repeat(20_000)}`, { headers: bearer(t.admin) });
      assert.equal(res.status, 431);
      assert.match(String(res.headers.get('content-type')), /^application\/problem\+json/);
      const body = await res.json() as { code: string; status: number; detail: string };
      assert.deepEqual([body.code, body.status], ['ANN_ERR_REQUEST_HEADERS_TOO_LARGE', 431]);
      assert.match(body.detail, /shorten the URL/);
      const { port } = new URL(address);
      const raw = (...requests: string[]) => new Promise<string>((resolve, reject) => {
        let text = '';
        const socket = connect(Number(port), '127.0.0.1', () => socket.write(requests.shift()!));
        // Each next request once the previous response is in: one connection serving them in turn.
        socket.on('data', (chunk) => {
          text += chunk;
          if (requests.length > 0 && /\r\n\r\n\{.*\}$/s.test(text)) socket.write(requests.shift()!);
        }).on('end', () => resolve(text)).on('error', reject);
      });
      const notHttp = await raw('NOT HTTP AT ALL\r\n\r\n');
      assert.match(notHttp, /^HTTP\/1\.1 400 /);
      assert.match(notHttp, /"code":"ANN_ERR_REQUEST_INVALID"/);
      // On a connection that has already served a request (keep-alive), the second gets its answer too.
      const second = await raw('GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n', `GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ${'x'.repeat(20_000)}\r\n\r\n`);
      assert.match(second, /^HTTP\/1\.1 200 [\s\S]*HTTP\/1\.1 431 [\s\S]*"code":"ANN_ERR_REQUEST_HEADERS_TOO_LARGE"/);
      // An expectation other than 100-continue: a 417 problem, not Node's bare one.
      const expect = await raw('GET /healthz HTTP/1.1\r\nHost: x\r\nExpect: bogus\r\n\r\n');
      assert.match(expect, /^HTTP\/1\.1 417 [\s\S]*application\/problem\+json[\s\S]*"code":"ANN_ERR_REQUEST_EXPECTATION"/);
      assert.match(expect, /"parameter":"Expect"/);
    } finally {
      await app.close();
    }
  });

  test('a path Fastify cannot decode is a problem too; an entity id as long as the schema allows is served', async () => {
    assertProblem(await get('/v1/orgs/acme/events/%ED%A0%80'), 400, 'ANN_ERR_REQUEST_INVALID');
    assertProblem(await get('/v1/orgs/acme/events/%'), 400, 'ANN_ERR_REQUEST_INVALID');
    const long = await get(`/v1/orgs/acme/entities/${'e'.repeat(256)}/events`);
    assert.equal(long.statusCode, 200, long.body);
    assertProblem(await get(`/v1/orgs/acme/entities/${'e'.repeat(257)}/events`), 400, 'ANN_ERR_REQUEST_INVALID');
  });

  test('an unknown event id and an unknown route are 404 problems', async () => {
    assertProblem(await get('/v1/orgs/acme/events/0190a3b4-0000-7000-8000-000000000000'), 404, 'ANN_ERR_EVENT_NOT_FOUND');
    assertProblem(await get('/v1/nothing-here'), 404, 'ANN_ERR_REQUEST_NOT_FOUND');
  });
});

describe('auth', () => {
  test('a missing or bad key is 401', async () => {
    assertProblem(await t.app.inject({ method: 'GET', url: '/v1/orgs/acme/events' }), 401, 'ANN_ERR_AUTH_MISSING');
    assertProblem(await get('/v1/orgs/acme/events', 'ann_0000000000000000_' + 'A'.repeat(43)), 401, 'ANN_ERR_AUTH_INVALID');
    assertProblem(await get('/v1/orgs/acme/events', 'not-a-key'), 401, 'ANN_ERR_AUTH_INVALID');
    // A real key id with a wrong secret.
    const forged = reader.slice(0, 21) + (reader[21] === 'A' ? 'B' : 'A') + reader.slice(22);
    assertProblem(await get('/v1/orgs/acme/events', forged), 401, 'ANN_ERR_AUTH_INVALID');
  });

  test('a key without the scope is 403, and writes nothing', async () => {
    const before = await count();
    const res = await t.app.inject({ method: 'POST', url: '/v1/orgs/acme/events', payload: event(), headers: bearer(reader) });
    assertProblem(res, 403, 'ANN_ERR_AUTH_SCOPE');
    assertProblem(await get('/v1/orgs/acme/events', writer), 403, 'ANN_ERR_AUTH_SCOPE');
    assert.equal(await count(), before);
  });

  test("a key never sees another org's data", async () => {
    const other = await t.token('globex', ['read:events', 'write:events']);
    const mine = (await post(event())).json().data[0].id;
    for (const url of ['/v1/orgs/acme/events', `/v1/orgs/acme/events/${mine}`, '/admin/v1/orgs/acme/events', '/v1/orgs/acme']) {
      const res = await get(url, other);
      assertProblem(res, 403, 'ANN_ERR_AUTH_ORG');
      assert.ok(!res.body.includes('ana.silva'));
    }
    // Its own org is empty, and an event id of acme is not found there.
    assert.equal((await get('/v1/orgs/globex/events', other)).json().data.length, 0);
    assertProblem(await get(`/v1/orgs/globex/events/${mine}`, other), 404, 'ANN_ERR_EVENT_NOT_FOUND');
  });

  test("a cursor issued for one org's events is refused on another org's path", async () => {
    const other = await t.token('globex', ['read:events', 'write:events']);
    await post([event(), event()]);
    await post([event(), event()], { ...bearer(other) }, 'globex');
    for (const base of ['/v1/orgs/{org}/events?limit=1', '/admin/v1/orgs/{org}/events?limit=1']) {
      const next = (await get(base.replace('{org}', 'acme'))).json().meta.next as string;
      assert.equal(typeof next, 'string');
      // Good for acme's own next page; on globex's path, where it would be a position only, a clear 400.
      assert.equal((await get(`${base.replace('{org}', 'acme')}&cursor=${encodeURIComponent(next)}`)).statusCode, 200);
      const body = assertProblem(await get(`${base.replace('{org}', 'globex')}&cursor=${encodeURIComponent(next)}`, other), 400, 'ANN_ERR_QUERY_CURSOR');
      assert.match(body.detail, /for this organization/);
    }
    // A cursor as releases before this one issued them (its MAC over the payload alone) still pages.
    const next = (await get('/v1/orgs/acme/events?limit=1')).json().meta.next as string;
    const payload = Buffer.from(next.split('.')[0], 'base64url');
    const mac = createHmac('sha256', await t.annals.store.secret('cursor')).update(payload).digest().subarray(0, 16);
    const legacy = `${next.split('.')[0]}.${mac.toString('base64url')}`;
    const res = await get(`/v1/orgs/acme/events?limit=1&cursor=${encodeURIComponent(legacy)}`);
    assert.equal(res.statusCode, 200);
    assert.equal(res.json().data.length, 1);
    // One from before cursors carried their filters (five fields) goes on with whatever filters come with it.
    const secret = await t.annals.store.secret('cursor');
    const fields = (JSON.parse(payload.toString('utf8')) as unknown[]).slice(0, 5);
    const bare = Buffer.from(JSON.stringify(fields));
    const oldMac = createHmac('sha256', secret).update('acme').update('\0').update(bare).digest().subarray(0, 16);
    const old = `${bare.toString('base64url')}.${oldMac.toString('base64url')}`;
    const filtered = await get(`/v1/orgs/acme/events?limit=5&actor=u-ana&q=jira-admins&cursor=${encodeURIComponent(old)}`);
    assert.equal(filtered.statusCode, 200, filtered.body);
    assert.ok(filtered.json().data.length > 0 && filtered.json().data.every((e: any) => e.attributes.actor.id === 'u-ana'));
    // The org-less MAC of a cursor's `org NUL payload` is the org-bound MAC of its payload: that message re-encoded as
    // a payload passes the org-less check, and is no cursor.
    const spliced = `${Buffer.concat([Buffer.from('acme\0'), payload]).toString('base64url')}.${next.split('.')[1]}`;
    const refused = assertProblem(await get(`/v1/orgs/acme/events?limit=1&cursor=${encodeURIComponent(spliced)}`), 400, 'ANN_ERR_QUERY_CURSOR');
    assert.equal(refused.parameter, 'cursor');
  });

  test('a key is kept as its SHA-256 hash: the secret part of its token is nowhere in the store', async () => {
    const admin = await t.token('acme', ['admin']);
    const res = await t.app.inject({ method: 'POST', url: '/v1/orgs/acme/keys', headers: bearer(admin), payload: { name: 'hashed', scopes: ['read:events'] } });
    assert.equal(res.statusCode, 201, res.body);
    const { id, token } = res.json().data as { id: string; token: string };
    const secret = token.slice(`ann_${id}_`.length);
    assert.ok(secret.length >= 40, token);
    const stored = (await t.annals.store.getApiKey(id))!;
    assert.deepEqual(stored.hash, createHash('sha256').update(token).digest());
    assert.ok(!JSON.stringify(stored).includes(secret));
    if (TEST_STORE === 'sqlite') {
      for (const file of ['annals.db', 'annals.db-wal'].map((f) => join(t.dir, f)).filter((f) => existsSync(f))) {
        assert.ok(!readFileSync(file).includes(secret), `${file} holds the secret`);
      }
    }
  });

  test('a revoked key is refused at once', async () => {
    const token = await t.token('acme', ['read:events']);
    assert.equal((await get('/v1/orgs/acme/events?limit=1', token)).statusCode, 200);
    const keyId = token.split('_')[1];
    const admin = await t.token('acme', ['admin']);
    const del = await t.app.inject({ method: 'DELETE', url: `/v1/orgs/acme/keys/${keyId}`, headers: bearer(admin) });
    assert.equal(del.statusCode, 204);
    assertProblem(await get('/v1/orgs/acme/events?limit=1', token), 401, 'ANN_ERR_AUTH_INVALID');
  });
});
