// Investigation over HTTP: facets, histograms, entity timelines, the events around an event, and the query
// language's errors (and that no query string, however odd, is ever a 5xx).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import { bearer, startAnnals, type TestAnnals } from '../support/annals.js';

let t: TestAnnals;
let reader: string;

const H = 3_600_000;
const T0 = Date.UTC(2026, 9, 5); // a Monday
const PEOPLE = [
  { id: 'u-ana', name: 'Ana Silva', email: 'ana@acme.example', ip: '91.225.122.155', countryName: 'Ukraine', city: 'Kyiv' },
  { id: 'u-bob', name: 'Bob Jones', email: 'bob@acme.example', ip: '2001:db8::7', countryName: 'Germany', city: 'Berlin' },
  { id: 'svc', name: 'Deploy Bot', ip: '10.1.2.3', countryName: 'Germany', city: 'Berlin' },
];
const ACTIONS = ['jira_user_actions.viewed_jira_issue', 'user_management.added_user_to_group', 'confluence_user_actions.created_confluence_page'];

interface Sent { time: number; action: string; actor: string; ip: string; country: string; failed: boolean; group: string; token?: string }
const sent: Sent[] = [];

before(async () => {
  t = await startAnnals();
  reader = await t.token('acme', ['read:events']);
  const writer = await t.token('acme', ['write:events']);
  const batch = [];
  // Ten days, an event every 50 minutes.
  for (let i = 0; i < 288; i++) {
    const p = PEOPLE[i % 3];
    const action = ACTIONS[(i >> 1) % 3];
    const time = T0 + i * 50 * 60_000;
    const group = `g-${i % 4}`;
    const token = p.id === 'svc' ? 'tok-deploy' : undefined;
    sent.push({ time, action, actor: p.id, ip: p.ip, country: p.countryName, failed: i % 9 === 0, group, token });
    batch.push({
      time: new Date(time).toISOString(), action, outcome: i % 9 === 0 ? 'failure' : 'success',
      actor: { id: p.id, name: p.name, ...(p.email ? { email: p.email } : {}), ...(token ? { auth: { authType: 'api-token', tokenId: token } } : {}) },
      context: [{ id: group, type: 'groups', attributes: { name: `group ${group}` } }],
      container: [{ id: 'site-1', type: 'sites', attributes: { siteName: 'acme' } }],
      location: { ip: p.ip, countryName: p.countryName, city: p.city },
    });
  }
  const res = await t.app.inject({ method: 'POST', url: '/v1/orgs/acme/events', payload: batch, headers: bearer(writer) });
  assert.equal(res.statusCode, 201, res.body);
});
after(() => t.close());

async function get(url: string, status = 200) {
  const res = await t.app.inject({ method: 'GET', url, headers: bearer(reader) });
  assert.equal(res.statusCode, status, res.body);
  return res.json();
}

const window = `from=${T0}&to=${T0 + 10 * 24 * H}`;
const count = <K extends string>(xs: Sent[], key: (s: Sent) => K) => {
  const m = new Map<K, number>();
  for (const s of xs) m.set(key(s), (m.get(key(s)) ?? 0) + 1);
  return m;
};

describe('facets', () => {
  test('every facet over a window, with labels, most frequent first', async () => {
    const body = await get(`/v1/orgs/acme/events/facets?${window}`);
    assert.equal(body.data.total, sent.length);
    assert.equal(body.meta.complete, true);
    assert.equal(body.meta.from, new Date(T0).toISOString());
    const { facets } = body.data;
    const actions = count(sent, (s) => s.action);
    assert.deepEqual(facets.action.map((v: any) => [v.value, v.count]), [...actions].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)));
    assert.equal(facets.action.find((v: any) => v.value === ACTIONS[1]).label, 'Added user to group');
    assert.deepEqual(Object.fromEntries(facets.product.map((v: any) => [v.value, v.count])), { jira: actions.get(ACTIONS[0]), admin: actions.get(ACTIONS[1]), confluence: actions.get(ACTIONS[2]) });
    assert.deepEqual(Object.fromEntries(facets.category.map((v: any) => [v.value, v.count])),
      { 'Jira user actions': actions.get(ACTIONS[0]), 'User management': actions.get(ACTIONS[1]), 'Confluence user actions': actions.get(ACTIONS[2]) });
    assert.ok(facets.operation.every((v: any) => ['read', 'update', 'create'].includes(v.value)));
    const actors = Object.fromEntries(facets.actor.map((v: any) => [v.value, [v.count, v.label]]));
    assert.deepEqual(actors, { 'u-ana': [96, 'ana@acme.example'], 'u-bob': [96, 'bob@acme.example'], svc: [96, 'Deploy Bot'] });
    assert.deepEqual(Object.fromEntries(facets.country.map((v: any) => [v.value, v.count])), { Germany: 192, Ukraine: 96 });
    assert.deepEqual(Object.fromEntries(facets.outcome.map((v: any) => [v.value, v.count])), { success: 256, failure: 32 });
  });

  test('for any query; facets= and size= choose what comes back', async () => {
    const body = await get(`/v1/orgs/acme/events/facets?${window}&q=${encodeURIComponent('country:germany -outcome:failure')}&facets=actor,action&size=2`);
    const expected = sent.filter((s) => s.country === 'Germany' && !s.failed);
    assert.equal(body.data.total, expected.length);
    assert.deepEqual(Object.keys(body.data.facets).sort(), ['action', 'actor']);
    assert.equal(body.data.facets.action.length, 2);
    const byActor = count(expected, (s) => s.actor);
    for (const v of body.data.facets.actor) assert.equal(v.count, byActor.get(v.value));
  });

  test('an unknown facet, or a size out of range, is a 400 naming the parameter', async () => {
    assert.equal((await get('/v1/orgs/acme/events/facets?facets=action,colour', 400)).parameter, 'facets');
    assert.equal((await get('/v1/orgs/acme/events/facets?size=0', 400)).code, 'ANN_ERR_REQUEST_INVALID');
  });
});

describe('histogram', () => {
  test('automatic buckets over the window, and chosen ones; counts add up', async () => {
    const auto = await get(`/v1/orgs/acme/events/histogram?${window}`);
    assert.equal(auto.data.interval, '3h', '10 days in at most 120 buckets');
    assert.equal(auto.data.buckets.length, 80);
    assert.equal(auto.data.total, sent.length);
    assert.equal(auto.data.buckets.reduce((n: number, b: any) => n + b.count, 0), sent.length);
    const day = await get(`/v1/orgs/acme/events/histogram?${window}&interval=day&q=actor:u-ana`);
    assert.equal(day.data.buckets.length, 10);
    const ana = sent.filter((s) => s.actor === 'u-ana');
    day.data.buckets.forEach((b: any, i: number) => {
      assert.equal(b.start, new Date(T0 + i * 24 * H).toISOString());
      assert.equal(b.count, ana.filter((s) => s.time >= T0 + i * 24 * H && s.time < T0 + (i + 1) * 24 * H).length);
    });
    const week = await get(`/v1/orgs/acme/events/histogram?${window}&interval=week`);
    assert.deepEqual(week.data.buckets.map((b: any) => b.start), [new Date(T0).toISOString(), new Date(T0 + 7 * 24 * H).toISOString()], 'weeks start on Monday');
    const month = await get(`/v1/orgs/acme/events/histogram?${window}&interval=month`);
    assert.deepEqual(month.data.buckets.map((b: any) => [b.start, b.count]), [['2026-10-01T00:00:00.000Z', sent.length]]);
    const minute = await get(`/v1/orgs/acme/events/histogram?from=${T0}&to=${T0 + 2 * H}`);
    assert.equal(minute.data.interval, 'minute');
    assert.equal(minute.data.buckets.reduce((n: number, b: any) => n + b.count, 0), 3);
  });

  test('without a time range: the last 30 days', async () => {
    const body = await get('/v1/orgs/acme/events/histogram');
    assert.ok(Date.parse(body.meta.to) - Date.parse(body.meta.from) >= 30 * 24 * H);
  });
});

describe('entity timelines and around this event', () => {
  test('every event an entity appears in: as actor, token, context or container', async () => {
    const walk = async (url: string) => {
      const seqs: number[] = [];
      for (let page = await get(url); ; page = await get(new URL(page.links.next).pathname + new URL(page.links.next).search)) {
        seqs.push(...page.data.map((e: any) => e.attributes.seq));
        if (page.meta.next === null) return seqs;
      }
    };
    const seqsOf = (pred: (s: Sent) => boolean) => sent.map((s, i) => [s, i] as const).filter(([s]) => pred(s)).map(([, i]) => i).reverse();
    assert.deepEqual(await walk('/v1/orgs/acme/entities/g-2/events?limit=20'), seqsOf((s) => s.group === 'g-2'));
    assert.deepEqual(await walk('/v1/orgs/acme/entities/u-bob/events?limit=50'), seqsOf((s) => s.actor === 'u-bob'));
    assert.deepEqual(await walk('/v1/orgs/acme/entities/tok-deploy/events?type=token&limit=50'), seqsOf((s) => s.token === 'tok-deploy'));
    assert.deepEqual(await walk('/v1/orgs/acme/entities/g-2/events?type=users'), [], 'the type must match when given');
    assert.deepEqual(await walk(`/v1/orgs/acme/entities/g-1/events?q=${encodeURIComponent('outcome:failure')}`), seqsOf((s) => s.group === 'g-1' && s.failed));
    assert.deepEqual(await walk(`/v1/orgs/acme/entities/svc/events?q=${encodeURIComponent('-entity:g-1')}&limit=50`), seqsOf((s) => s.actor === 'svc' && s.group !== 'g-1'),
      'exclusions in q narrow the timeline');
    const both = await get(`/v1/orgs/acme/entities/svc/events?q=${encodeURIComponent('entity:g-1')}`, 400);
    assert.equal(both.parameter, 'q');
  });

  test('around an event: the same actor, the same address and the same context, nearest first on each side', async () => {
    const page = await get(`/v1/orgs/acme/events?q=actor:u-ana&${window}&limit=1&sortOrder=asc`);
    const middle = await get(`/v1/orgs/acme/events?q=${encodeURIComponent('actor:u-ana context:g-0')}&limit=5`);
    const pick = middle.data[2];
    const at = Date.parse(pick.attributes.time);
    const body = await get(`/v1/orgs/acme/events/${pick.id}/around?minutes=600&limit=4`);
    assert.equal(body.data.event.id, pick.id);
    const near = (pred: (s: Sent) => boolean) => sent.map((s, i) => ({ ...s, seq: i }))
      .filter((s) => pred(s) && s.seq !== pick.attributes.seq && Math.abs(s.time - at) <= 600 * 60_000);
    const expectList = (pred: (s: Sent) => boolean) => {
      const all = near(pred);
      const before = all.filter((s) => s.time < at).slice(-2);
      const after = all.filter((s) => s.time > at).slice(0, 2);
      return [...before, ...after].map((s) => s.seq);
    };
    assert.deepEqual(body.data.actor.map((e: any) => e.attributes.seq), expectList((s) => s.actor === 'u-ana'));
    assert.deepEqual(body.data.ip.map((e: any) => e.attributes.seq), expectList((s) => s.ip === '91.225.122.155'));
    assert.deepEqual(body.data.context.map((e: any) => e.attributes.seq), expectList((s) => s.group === 'g-0'));
    // Whether the window holds more than each list shows (two a side here).
    const more = (pred: (s: Sent) => boolean, side: number) => {
      const all = near(pred);
      return all.filter((s) => s.time < at).length > side || all.filter((s) => s.time > at).length > side;
    };
    const expectMore = (side: number) => ({
      actor: more((s) => s.actor === 'u-ana', side), ip: more((s) => s.ip === '91.225.122.155', side), context: more((s) => s.group === 'g-0', side),
    });
    assert.deepEqual(body.meta.more, expectMore(2));
    assert.ok(Object.values(body.meta.more).includes(true), 'the case shows a list cut short');
    const wide = await get(`/v1/orgs/acme/events/${pick.id}/around?minutes=600&limit=100`);
    assert.deepEqual(wide.meta.more, expectMore(50));
    assert.ok(Object.values(wide.meta.more).includes(false), 'and one shown whole');
    assert.ok(page.data.length === 1);
    await get(`/v1/orgs/acme/events/${pick.id}/around?minutes=0`, 400);
    await get('/v1/orgs/acme/events/00000000-0000-7000-8000-000000000000/around', 404);
  });
});

describe('the query language over HTTP', () => {
  test('a bad query is a 400 that points at the character and says what was expected', async () => {
    const body = await get(`/v1/orgs/acme/events?q=${encodeURIComponent('jira time:>=tomorrow')}`, 400);
    assert.equal(body.code, 'ANN_ERR_QUERY_SYNTAX');
    assert.equal(body.parameter, 'q');
    assert.equal(body.position, 12);
    assert.match(body.expected, /date/);
    assert.equal(body.status, 400);
  });

  test('qualifiers, exclusions and text together', async () => {
    const q = 'product:jira product:confluence -actor:u-bob outcome:failure ip:91.225.0.0/16';
    const body = await get(`/v1/orgs/acme/events?q=${encodeURIComponent(q)}&limit=1000`);
    const expected = sent.filter((s) => s.action !== ACTIONS[1] && s.actor !== 'u-bob' && s.failed && s.ip.startsWith('91.225.'));
    assert.equal(body.data.length, expected.length);
    assert.ok(expected.length > 0);
  });

  test('times far outside what events can have are empty answers, never errors', async () => {
    for (const url of [
      `/v1/orgs/acme/events?q=${encodeURIComponent('time:>=9999')}`, `/v1/orgs/acme/events?q=${encodeURIComponent('time:>=999999999999999')}`,
      `/v1/orgs/acme/events?q=${encodeURIComponent('time:>-999999w')}&limit=1`, '/v1/orgs/acme/events?from=8796093022208',
      `/admin/v1/orgs/acme/events-stream?q=${encodeURIComponent('time:>=9999')}`, `/v1/orgs/acme/events/facets?q=${encodeURIComponent('time:-999999w')}`,
      `/v1/orgs/acme/events/histogram?q=${encodeURIComponent('time:0050..0060')}`, `/v1/orgs/acme/events/facets?q=${encodeURIComponent('time:>=9999')}`,
    ]) {
      const res = await t.app.inject({ method: 'GET', url, headers: bearer(reader) });
      assert.equal(res.statusCode, 200, `${url}: ${res.body}`);
    }
    assert.equal((await get(`/v1/orgs/acme/events?q=${encodeURIComponent('time:>-999999w')}&limit=1000`)).data.length, sent.length, 'since before 1970: everything');
    assert.equal((await get(`/v1/orgs/acme/events?q=${encodeURIComponent('time:>=9999')}`)).data.length, 0);
  });

  test('no query string, however odd, is ever a 5xx', async () => {
    const chars = ' \t"\\:-*.,;()\'`%_/0123456789aAjirz<>=@\u0000\u00e9'.split('');
    const words = ['action:', 'actor:', 'ip:', 'time:', 'context:', 'product:', 'category:', '-', '"', 'NEAR(', 'OR', '..', '*',
      'time:>=9999', 'time:>-999999w', 'time:0001', 'entity:', '::ffff:'];
    await fc.assert(fc.asyncProperty(
      // Hostile fragments, and any ASCII at all (control characters included).
      fc.array(fc.oneof(fc.string({ unit: fc.constantFrom(...chars), maxLength: 12 }), fc.constantFrom(...words),
        fc.string({ unit: 'binary-ascii', maxLength: 12 })), { maxLength: 8 }).map((p) => p.join('')),
      async (q) => {
        for (const path of ['/v1/orgs/acme/events', '/v1/orgs/acme/events/facets', '/v1/orgs/acme/events/histogram', '/admin/v1/orgs/acme/events-stream', '/admin/v1/orgs/acme/events']) {
          const res = await t.app.inject({ method: 'GET', url: `${path}?q=${encodeURIComponent(q)}`, headers: bearer(reader) });
          assert.ok(res.statusCode === 200 || res.statusCode === 400, `${path} q=${JSON.stringify(q)}: ${res.statusCode} ${res.body}`);
          // On the Atlassian search path q is a literal term: never a syntax error.
          if (path === '/admin/v1/orgs/acme/events') assert.equal(res.statusCode, 200, `${path} q=${JSON.stringify(q)}: ${res.body}`);
          if (res.statusCode === 400) assert.ok(['ANN_ERR_QUERY_SYNTAX', 'ANN_ERR_QUERY_INVALID', 'ANN_ERR_REQUEST_INVALID'].includes(res.json().code), res.body);
        }
      },
    ), { numRuns: 250 });
  });

  test('no value of any search parameter, however odd, is ever a 5xx', async () => {
    const params = ['from', 'to', 'action', 'category', 'product', 'actor', 'ip', 'location', 'limit', 'cursor', 'sortOrder'];
    await fc.assert(fc.asyncProperty(
      fc.array(fc.tuple(fc.constantFrom(...params), fc.string({ unit: 'binary-ascii', maxLength: 30 })), { minLength: 1, maxLength: 4 }),
      async (pairs) => {
        const search = new URLSearchParams(pairs).toString();
        for (const path of ['/v1/orgs/acme/events', '/admin/v1/orgs/acme/events', '/v1/orgs/acme/events/facets', '/v1/orgs/acme/entities/u-ana/events']) {
          const res = await t.app.inject({ method: 'GET', url: `${path}?${search}`, headers: bearer(reader) });
          assert.ok(res.statusCode === 200 || res.statusCode === 400, `${path}?${search}: ${res.statusCode} ${res.body}`);
        }
      },
    ), { numRuns: 150 });
  });
});
