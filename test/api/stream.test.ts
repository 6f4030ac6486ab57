// The events-stream tail (GET /admin/v1/orgs/{orgId}/events-stream): pollers that keep the cursor, pollers that
// start late, and Elastic-style pollers that restart from the last processedAt, all while producers keep writing
// events with late `time` values. None may miss an acknowledged event; cursor keepers see each exactly once.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { bearer, event, startAnnals, type TestAnnals } from '../support/annals.js';

let t: TestAnnals;
let reader: string;
let writer: string;

before(async () => {
  t = await startAnnals();
  reader = await t.token('acme', ['read:events']);
  writer = await t.token('acme', ['write:events']);
});
after(() => t.close());

interface Item { id: string; attributes: { processedAt: string; time: string; seq: number } }
interface Page { data: Item[]; meta: { next: string | null; page_size: number }; links: { next: string | null } }

async function get(url: string): Promise<Page> {
  const res = await t.app.inject({ method: 'GET', url, headers: bearer(reader) });
  assert.equal(res.statusCode, 200, res.body);
  return res.json();
}

const STREAM = '/admin/v1/orgs/acme/events-stream';

/** Keeps the last cursor it got: on an empty page (meta.next null) it asks the same cursor again later. */
class CursorPoller {
  readonly seen: Item[] = [];
  #cursor: string | undefined;
  constructor(readonly first: string) {}
  async poll(): Promise<void> {
    for (;;) {
      const page = await get(this.#cursor === undefined ? this.first : `${STREAM}?cursor=${encodeURIComponent(this.#cursor)}`);
      this.seen.push(...page.data);
      if (page.data.length > 0) assert.notEqual(page.meta.next, null, 'a non-empty page always carries meta.next');
      else assert.equal(page.meta.next, null, 'an empty page says meta.next: null');
      if (page.meta.next === null) return;
      this.#cursor = page.meta.next;
    }
  }
}

/**
 * Elastic's atlassian_cloud integration: each interval from = the last item's processedAt (ms), to = now; after the
 * first page it sends only the cursor (and limit), which carries the rest.
 */
class RestartingPoller {
  readonly seen = new Map<string, Item>();
  #from = 0;
  async poll(): Promise<void> {
    const to = Date.now();
    let url: string | null = `${STREAM}?limit=7&sortOrder=asc&from=${this.#from}&to=${to}`;
    let last: Item | undefined;
    while (url !== null) {
      const page: Page = await get(url);
      for (const item of page.data) this.seen.set(item.id, item);
      last = page.data[page.data.length - 1] ?? last;
      url = page.meta.next === null ? null : `${STREAM}?cursor=${encodeURIComponent(page.meta.next)}&limit=7`;
      if (page.data.length === 0) break;
    }
    if (last) this.#from = Date.parse(last.attributes.processedAt);
  }
}

describe('the events-stream', () => {
  test('pollers that interleave with late-stamped writes miss nothing; cursor keepers see each event once', async () => {
    const acked: { id: string; seq: number; processedAt: string }[] = [];
    const keeper = new CursorPoller(`${STREAM}?limit=5`);
    const restarting = new RestartingPoller();
    let late: CursorPoller | undefined;
    let lateFrom = 0;
    const now = Date.now();
    for (let round = 0; round < 25; round++) {
      // A batch, some single events in flight at once, with times up to a week in the past (late arrivals).
      const batch = Array.from({ length: 1 + (round % 4) }, (_, i) => event({ time: new Date(now - ((round * 7 + i) % 11) * 86_400_000 - i).toISOString() }));
      const writes = [
        t.app.inject({ method: 'POST', url: '/v1/orgs/acme/events', payload: batch, headers: bearer(writer) }),
        ...Array.from({ length: round % 3 }, (_, i) => t.app.inject({
          method: 'POST', url: '/v1/orgs/acme/events', payload: event({ time: new Date(now - i * 3_600_000 * 30).toISOString() }), headers: bearer(writer),
        })),
      ];
      // Poll while the writes are in flight.
      const polls = [keeper.poll(), restarting.poll(), late?.poll()];
      for (const res of await Promise.all(writes)) {
        assert.equal(res.statusCode, 201, res.body);
        acked.push(...res.json().data);
      }
      await Promise.all(polls);
      if (round === 12) {
        // A poller that starts now: from = now, on processing time.
        await sleep(2);
        lateFrom = Date.now();
        late = new CursorPoller(`${STREAM}?limit=3&from=${lateFrom}`);
      }
      await sleep(round % 2);
    }
    await sleep(5);
    await Promise.all([keeper.poll(), late!.poll(), restarting.poll()]);

    const bySeq = [...acked].sort((a, b) => a.seq - b.seq);
    assert.deepEqual(bySeq.map((a) => a.seq), bySeq.map((_, i) => i), 'the acknowledged events are gap-free');
    assert.deepEqual(keeper.seen.map((i) => i.id), bySeq.map((a) => a.id), 'in commit order, each once');
    const afterStart = bySeq.filter((a) => Date.parse(a.processedAt) >= lateFrom);
    assert.ok(afterStart.length > 10 && afterStart.length < bySeq.length);
    assert.deepEqual(late!.seen.map((i) => i.id), afterStart.map((a) => a.id), 'a late starter sees everything processed since it started, once');
    assert.deepEqual([...restarting.seen.keys()].sort(), bySeq.map((a) => a.id).sort(), 'the restarting poller misses nothing');
    assert.ok(keeper.seen.some((i, n) => n > 0 && Date.parse(i.attributes.time) < Date.parse(keeper.seen[n - 1].attributes.time)),
      'late-stamped events arrive out of event-time order');
  });

  test('sortOrder=desc walks back in processing order; every item has processedAt', async () => {
    const all: Item[] = [];
    for (let url: string | null = `${STREAM}?sortOrder=desc&limit=9`; url !== null;) {
      const page: Page = await get(url);
      all.push(...page.data);
      url = page.meta.next === null ? null : new URL(page.links.next!).pathname + new URL(page.links.next!).search;
      if (page.data.length === 0) break;
    }
    const seqs = all.map((i) => i.attributes.seq);
    assert.deepEqual(seqs, [...seqs].sort((a, b) => b - a));
    assert.equal(new Set(seqs).size, seqs.length);
    assert.ok(all.every((i) => typeof i.attributes.processedAt === 'string'));
  });

  test('a filtered poll that finds nothing still moves on: its cursor resumes after the newest event it looked at', async () => {
    const q = encodeURIComponent('actor:nobody-yet');
    const first = await get(`${STREAM}?q=${q}`);
    assert.equal(first.data.length, 0);
    assert.notEqual(first.meta.next, null);
    const newest = await get(`${STREAM}?sortOrder=desc&limit=1`);
    const res = await t.app.inject({ method: 'POST', url: '/v1/orgs/acme/events', payload: [event(), event({ actor: { id: 'nobody-yet' } })], headers: bearer(writer) });
    assert.equal(res.statusCode, 201);
    const next = await get(`${STREAM}?q=${q}&cursor=${encodeURIComponent(first.meta.next!)}`);
    assert.deepEqual(next.data.map((i) => i.attributes.seq), [res.json().data[1].seq]);
    assert.ok(next.data[0].attributes.seq > newest.data[0].attributes.seq);
    const again = await get(`${STREAM}?q=${q}&cursor=${encodeURIComponent(next.meta.next!)}`);
    assert.equal(again.data.length, 0);
    const unfiltered = await get(`${STREAM}?from=${Date.now() + 3_600_000}`);
    assert.deepEqual([unfiltered.data.length, unfiltered.meta.next], [0, null], 'unfiltered, an empty page says meta.next: null');
  });

  test('a stream cursor sent alone keeps its q; from and to bound only the request they come with', async () => {
    const res = await t.app.inject({ method: 'POST', url: '/v1/orgs/acme/events', headers: bearer(writer),
      payload: ['u-window', 'u-other', 'u-window', 'u-other', 'u-window'].map((id) => event({ actor: { id } })) });
    assert.equal(res.statusCode, 201);
    const mine = res.json().data.filter((_: unknown, i: number) => i % 2 === 0).map((e: { seq: number }) => e.seq);
    const q = encodeURIComponent('actor:u-window');
    const seen: number[] = [];
    let page = await get(`${STREAM}?q=${q}&limit=1`);
    const firstNext = page.meta.next!;
    while (page.data.length > 0) {
      seen.push(...page.data.map((i) => i.attributes.seq));
      page = await get(`${STREAM}?cursor=${encodeURIComponent(page.meta.next!)}&limit=1`);
    }
    assert.deepEqual(seen, mine, 'the cursor alone goes on with its q');
    const other = await t.app.inject({ method: 'GET', url: `${STREAM}?cursor=${encodeURIComponent(firstNext)}&q=jira`, headers: bearer(reader) });
    assert.deepEqual([other.statusCode, other.json().code, other.json().parameter], [400, 'ANN_ERR_QUERY_CURSOR', 'q']);
    // A window on the first request does not bind its cursor: it polls on past `to` for what comes later.
    const all = (await get(`${STREAM}?limit=1000`)).data;
    const to = Date.parse(all[5].attributes.processedAt);
    let windowed = await get(`${STREAM}?limit=3&to=${to}`);
    const walked = [...windowed.data];
    while (windowed.meta.next !== null) {
      windowed = await get(`${STREAM}?cursor=${encodeURIComponent(windowed.meta.next)}&limit=50`);
      walked.push(...windowed.data);
    }
    assert.deepEqual(walked.map((i) => i.attributes.seq), all.map((i) => i.attributes.seq));
  });

  test('the same stream at /v1, with q; a search cursor is refused here', async () => {
    const page = await get('/v1/orgs/acme/events-stream?limit=2&q=jira');
    assert.ok(Array.isArray(page.data));
    const search = await get('/v1/orgs/acme/events?limit=1');
    const res = await t.app.inject({ method: 'GET', url: `${STREAM}?cursor=${encodeURIComponent(search.meta.next!)}`, headers: bearer(reader) });
    assert.equal(res.statusCode, 400);
    assert.equal(res.json().code, 'ANN_ERR_QUERY_CURSOR');
  });
});

describe('long polls (wait=, an Annals extension)', () => {
  /** The cursor after everything stored so far. */
  async function cursorAtEnd(): Promise<string> {
    const newest = await get(`${STREAM}?sortOrder=desc&limit=1`);
    assert.equal(newest.data.length, 1);
    const from = Date.parse(newest.data[0].attributes.processedAt);
    let cursor: string | undefined;
    let url = `${STREAM}?from=${from}&limit=100`;
    for (;;) {
      const page = await get(url);
      if (page.meta.next === null) break;
      cursor = page.meta.next;
      url = `${STREAM}?cursor=${encodeURIComponent(cursor)}&limit=100`;
    }
    assert.ok(cursor);
    return cursor;
  }

  test('an empty page waits for the next commit and answers with it, well before the wait is over', async () => {
    await t.app.inject({ method: 'POST', url: '/v1/orgs/acme/events', headers: bearer(writer), payload: event() });
    const cursor = await cursorAtEnd();
    const started = Date.now();
    const polled = get(`${STREAM}?cursor=${encodeURIComponent(cursor)}&wait=30`);
    let answered = false;
    void polled.then(() => { answered = true; });
    await sleep(200);
    assert.equal(answered, false, 'with nothing new, the poll waits');
    const posted = await t.app.inject({ method: 'POST', url: '/v1/orgs/acme/events', headers: bearer(writer), payload: event({ time: '2020-01-01T00:00:00.000Z' }) });
    assert.equal(posted.statusCode, 201);
    const page = await polled;
    assert.deepEqual(page.data.map((e) => e.id), [posted.json().data[0].id]);
    assert.ok(Date.now() - started < 20_000, 'it answered on the commit, not at the end of the wait');
  });

  test('with nothing new it answers, empty, once the wait is over; wait out of range is a 400', async () => {
    const cursor = await cursorAtEnd();
    const started = Date.now();
    const page = await get(`${STREAM}?cursor=${encodeURIComponent(cursor)}&wait=1`);
    assert.deepEqual(page.data, []);
    assert.ok(Date.now() - started >= 900, 'it waited');
    const bad = await t.app.inject({ method: 'GET', url: `${STREAM}?wait=61`, headers: bearer(reader) });
    assert.equal(bad.statusCode, 400);
    assert.match(bad.json().detail ?? bad.body, /wait/);
  });
});
