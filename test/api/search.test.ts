import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import Schema from 'typebox/schema';
import { BUILT_IN_ACTIONS } from '../../src/catalogue/catalogue.js';
import { bearer, startAnnals, TEST_STORE, type TestAnnals } from '../support/annals.js';

let t: TestAnnals;
let reader: string;
let admin: string;

const PEOPLE = [
  { id: 'u-ana', name: 'Ana Silva', email: 'Ana.Silva@acme.example', ip: '91.225.122.155', place: { countryName: 'Ukraine', city: 'Kyiv' } },
  { id: 'u-bob', name: 'Bob Jones', email: 'bob.jones@acme.example', ip: '2001:db8::7', place: { countryName: 'Germany', city: 'Berlin' } },
  { id: 'u-cy', name: 'Cy Twombly', email: 'cy@acme.example', ip: '203.0.113.9', place: { city: 'Washington, D.C.' } },
];
const ACTIONS = [
  'jira_user_actions.viewed_jira_issue',
  'confluence_user_actions.created_confluence_page',
  'user_management.added_user_to_group',
  'security_policies.updated_saml_configuration',
];
const T0 = Date.UTC(2026, 9, 1);

interface Sent { time: number; action: string; actor: (typeof PEOPLE)[number]; word: string }
const sent: Sent[] = [];

before(async () => {
  t = await startAnnals();
  reader = await t.token('acme', ['read:events']);
  admin = await t.token('acme', ['admin']);
  const writer = await t.token('acme', ['write:events']);
  // 120 events; some share a timestamp so the seq tie-break matters.
  const batch = [];
  for (let i = 0; i < 120; i++) {
    const actor = PEOPLE[i % 3];
    const action = ACTIONS[i % 4];
    const time = T0 + Math.floor(i / 2) * 60_000;
    const word = i % 5 === 0 ? 'quarterly-report' : 'routine';
    sent.push({ time, action, actor, word });
    batch.push({
      time: new Date(time).toISOString(), action,
      actor: { id: actor.id, name: actor.name, email: actor.email },
      context: [{ id: `c-${i}`, type: 'pages', attributes: { title: `Page ${word} ${i}` } }],
      location: { ip: actor.ip, ...actor.place },
      message: { content: `${action} by ${actor.name}` },
    });
  }
  const res = await t.app.inject({ method: 'POST', url: '/v1/orgs/acme/events', payload: batch, headers: bearer(writer) });
  assert.equal(res.statusCode, 201);
});
after(() => t.close());

async function get(url: string) {
  const res = await t.app.inject({ method: 'GET', url, headers: bearer(reader) });
  assert.equal(res.statusCode, 200, res.body);
  return res.json();
}

/** Follows meta.next to the end, returning every item's time and seq in order. */
async function walk(url: string): Promise<{ time: string; seq: number; actor: any; action: string }[]> {
  const out = [];
  let page = await get(url);
  for (;;) {
    out.push(...page.data.map((e: any) => e.attributes));
    if (page.meta.next === null) break;
    assert.ok(page.links.next.includes('cursor='));
    page = await get(new URL(page.links.next).pathname + new URL(page.links.next).search);
  }
  return out;
}

function expected(filter: (s: Sent) => boolean, order: 'desc' | 'asc' = 'desc'): number[] {
  const seqs = sent.map((s, seq) => ({ ...s, seq })).filter(filter);
  seqs.sort((a, b) => (a.time - b.time) || (a.seq - b.seq));
  if (order === 'desc') seqs.reverse();
  return seqs.map((s) => s.seq);
}

describe('searching events', () => {
  test('pages newest first by event time, every event exactly once, for several page sizes', async () => {
    for (const limit of [1, 7, 50, 1000]) {
      const all = await walk(`/v1/orgs/acme/events?limit=${limit}`);
      assert.deepEqual(all.map((e) => e.seq), expected(() => true), `limit ${limit}`);
    }
  });

  test('sortOrder=asc pages oldest first', async () => {
    const all = await walk('/v1/orgs/acme/events?limit=13&sortOrder=asc');
    assert.deepEqual(all.map((e) => e.seq), expected(() => true, 'asc'));
  });

  test('links.prev leads back to the previous page', async () => {
    const first = await get('/v1/orgs/acme/events?limit=10');
    assert.equal(first.links.prev, null);
    const second = await get(new URL(first.links.next).pathname + new URL(first.links.next).search);
    assert.ok(second.links.prev);
    const back = await get(new URL(second.links.prev).pathname + new URL(second.links.prev).search);
    assert.deepEqual(back.data.map((e: any) => e.id), first.data.map((e: any) => e.id));
    // And from the page gone back to, links.next leads forward to where the way back started.
    const forward = await get(new URL(back.links.next).pathname + new URL(back.links.next).search);
    assert.deepEqual(forward.data.map((e: any) => e.id), second.data.map((e: any) => e.id));
  });

  test('from (inclusive) and to (exclusive), as epoch ms or ISO-8601', async () => {
    const from = T0 + 10 * 60_000;
    const to = T0 + 20 * 60_000;
    const want = expected((s) => s.time >= from && s.time < to);
    assert.deepEqual((await walk(`/v1/orgs/acme/events?from=${from}&to=${to}&limit=7`)).map((e) => e.seq), want);
    const iso = `/v1/orgs/acme/events?from=${new Date(from).toISOString()}&to=${new Date(to).toISOString()}`;
    assert.deepEqual((await walk(iso)).map((e) => e.seq), want);
  });

  test('action: repeated and comma-separated values mean any of them', async () => {
    const want = expected((s) => s.action === ACTIONS[0] || s.action === ACTIONS[2]);
    assert.deepEqual((await walk(`/v1/orgs/acme/events?action=${ACTIONS[0]}&action=${ACTIONS[2]}`)).map((e) => e.seq), want);
    assert.deepEqual((await walk(`/v1/orgs/acme/events?action=${ACTIONS[0]},${ACTIONS[2]}&limit=5`)).map((e) => e.seq), want);
  });

  test('category and product select the actions they hold', async () => {
    const byCategory = await walk('/v1/orgs/acme/events?category=Security%20policies');
    assert.deepEqual(byCategory.map((e) => e.seq), expected((s) => s.action.startsWith('security_policies.')));
    const bySlug = await walk('/v1/orgs/acme/events?category=user_management');
    assert.deepEqual(bySlug.map((e) => e.seq), expected((s) => s.action.startsWith('user_management.')));
    const jira = await walk('/v1/orgs/acme/events?product=jira');
    assert.deepEqual(jira.map((e) => e.seq), expected((s) => s.action.startsWith('jira_')));
    const admin = await walk('/v1/orgs/acme/events?product=admin');
    assert.deepEqual(admin.map((e) => e.seq), expected((s) => s.action.startsWith('user_management.') || s.action.startsWith('security_policies.')));
    const both = await walk('/v1/orgs/acme/events?product=admin&action=user_management.added_user_to_group');
    assert.deepEqual(both.map((e) => e.seq), expected((s) => s.action === 'user_management.added_user_to_group'));
  });

  test('actor by id, email (any case) or name', async () => {
    const want = expected((s) => s.actor.id === 'u-ana');
    for (const actor of ['u-ana', 'ana.silva@acme.example', 'ANA.SILVA@ACME.EXAMPLE', 'Ana Silva']) {
      assert.deepEqual((await walk(`/v1/orgs/acme/events?actor=${encodeURIComponent(actor)}`)).map((e) => e.seq), want, actor);
    }
    const two = await walk('/v1/orgs/acme/events?actor=u-ana&actor=bob.jones@acme.example');
    assert.deepEqual(two.map((e) => e.seq), expected((s) => s.actor.id !== 'u-cy'));
  });

  test('a value given twice is read once', async () => {
    const twice = await walk('/v1/orgs/acme/events?ip=203.0.113.9&ip=203.0.113.9,::ffff:203.0.113.9&limit=7');
    assert.deepEqual(twice.map((e) => e.seq), expected((s) => s.actor.id === 'u-cy'));
    const actors = await walk('/v1/orgs/acme/events?actor=u-ana&actor=u-ana');
    assert.deepEqual(actors.map((e) => e.seq), expected((s) => s.actor.id === 'u-ana'));
    const none = await get('/v1/orgs/acme/events?product=jira&action=security_policies.updated_saml_configuration');
    assert.equal(none.data.length, 0);
  });

  test('ip, v4 and v6', async () => {
    assert.deepEqual((await walk('/v1/orgs/acme/events?ip=203.0.113.9')).map((e) => e.seq), expected((s) => s.actor.id === 'u-cy'));
    assert.deepEqual((await walk('/v1/orgs/acme/events?ip=2001:DB8::7')).map((e) => e.seq), expected((s) => s.actor.id === 'u-bob'));
  });

  test('q: free text over names, emails, messages and context; every word must match', async () => {
    const report = await walk('/v1/orgs/acme/events?q=quarterly-report');
    assert.deepEqual(report.map((e) => e.seq), expected((s) => s.word === 'quarterly-report'));
    const reportByBob = await walk(`/v1/orgs/acme/events?q=${encodeURIComponent('"quarterly report" bob')}`);
    assert.deepEqual(reportByBob.map((e) => e.seq), expected((s) => s.word === 'quarterly-report' && s.actor.id === 'u-bob'));
    const byEmail = await walk(`/v1/orgs/acme/events?q=${encodeURIComponent('cy@acme.example')}`);
    assert.deepEqual(byEmail.map((e) => e.seq), expected((s) => s.actor.id === 'u-cy'));
    const displayName = await walk(`/v1/orgs/acme/events?q=${encodeURIComponent('SAML configuration')}`);
    assert.deepEqual(displayName.map((e) => e.seq), expected((s) => s.action === ACTIONS[3]));
    for (const hostile of ['ana\u0000silva', 'AND', 'OR NOT', 'NEAR(a b)', '*', "'; DROP TABLE events; --", '^a', '(((']) {
      const res = await t.app.inject({ method: 'GET', url: `/v1/orgs/acme/events?q=${encodeURIComponent(hostile)}`, headers: bearer(reader) });
      assert.equal(res.statusCode, 200, `${hostile}: ${res.body}`);
    }
    // What is query syntax gets a 400 that points at it.
    for (const [bad, position] of [['"', 0], ['title:x', 0], ['ana "x', 4]] as const) {
      const res = await t.app.inject({ method: 'GET', url: `/v1/orgs/acme/events?q=${encodeURIComponent(bad)}`, headers: bearer(reader) });
      assert.equal(res.statusCode, 400, `${bad}: ${res.body}`);
      assert.equal(res.json().code, 'ANN_ERR_QUERY_SYNTAX');
      assert.equal(res.json().position, position, bad);
    }
  });

  test('filters combine (AND across parameters)', async () => {
    const from = T0 + 30 * 60_000;
    const all = await walk(`/v1/orgs/acme/events?actor=u-bob&product=jira,confluence&q=routine&from=${from}&limit=3`);
    assert.deepEqual(all.map((e) => e.seq), expected((s) =>
      s.actor.id === 'u-bob' && (s.action.startsWith('jira') || s.action.startsWith('confluence')) && s.word === 'routine' && s.time >= from));
  });
});

describe('the Atlassian Organizations API shape', () => {
  test('GET /admin/v1/orgs/{orgId}/events answers with data, meta.next, meta.page_size and links', async () => {
    const page = await get('/admin/v1/orgs/acme/events?limit=25');
    assert.deepEqual(Object.keys(page).sort(), ['data', 'links', 'meta']);
    assert.equal(page.data.length, 25);
    assert.equal(page.meta.page_size, 25);
    assert.equal(typeof page.meta.next, 'string');
    assert.ok(page.links.self.includes('/admin/v1/orgs/acme/events?limit=25'));
    assert.ok(page.links.next.includes('/admin/v1/orgs/acme/events?'));
    assert.equal(page.links.prev, null);
    const e = page.data[0];
    assert.equal(e.type, 'events');
    assert.deepEqual(Object.keys(e).sort(), ['attributes', 'id', 'links', 'message', 'type']);
    for (const field of ['time', 'processedAt', 'action', 'actor', 'context', 'container', 'location']) assert.ok(field in e.attributes, field);
    assert.ok(e.links.self.endsWith(`/admin/v1/orgs/acme/events/${e.id}`));
    // A connector follows the cursor it was given: the whole log, once.
    const all = await walk('/admin/v1/orgs/acme/events?limit=40');
    assert.equal(new Set(all.map((x) => x.seq)).size, sent.length);
  });

  test('a cursor carries the filters of its query: sent alone it goes on with them, sent with others it is refused', async () => {
    const first = await get('/v1/orgs/acme/events?limit=7&actor=u-ana&q=quarterly-report');
    const byLink = await get(new URL(first.links.next).pathname + new URL(first.links.next).search);
    const alone = await get(`/v1/orgs/acme/events?cursor=${encodeURIComponent(first.meta.next)}&limit=7`);
    assert.deepEqual(alone.data, byLink.data);
    assert.ok(alone.data.length > 0 && alone.data.every((e: any) => e.attributes.actor.id === 'u-ana'));
    const all = await walk('/v1/orgs/acme/events?limit=1000&actor=u-ana&q=quarterly-report');
    assert.deepEqual([...first.data, ...alone.data].map((e: any) => e.attributes.seq), all.slice(0, 7 + alone.data.length).map((e) => e.seq));
    // The same filters again (in another order or spelling of a list) go on too; other ones are refused by name.
    const again = await get(`/v1/orgs/acme/events?cursor=${encodeURIComponent(first.meta.next)}&limit=7&q=quarterly-report&actor=u-ana&actor=u-ana`);
    assert.deepEqual(again.data, alone.data);
    for (const [extra, name] of [['&actor=u-bob', 'actor'], ['&product=jira', 'product'], ['&q=routine', 'q']]) {
      const res = await t.app.inject({ method: 'GET', url: `/v1/orgs/acme/events?cursor=${encodeURIComponent(first.meta.next)}${extra}`, headers: bearer(reader) });
      assert.equal(res.statusCode, 400, extra);
      assert.deepEqual([res.json().code, res.json().parameter], ['ANN_ERR_QUERY_CURSOR', name]);
    }
    // On the Atlassian path too, where q is one literal term (and named q when it differs).
    const atl = await get('/admin/v1/orgs/acme/events?limit=3&q=quarterly-report');
    const atlNext = await get(`/admin/v1/orgs/acme/events?cursor=${encodeURIComponent(atl.meta.next)}&limit=3`);
    assert.ok(atlNext.data.length > 0 && atlNext.data.every((e: any) => JSON.stringify(e).includes('quarterly-report')));
    const atlOther = await t.app.inject({ method: 'GET', url: `/admin/v1/orgs/acme/events?cursor=${encodeURIComponent(atl.meta.next)}&q=routine`, headers: bearer(reader) });
    assert.deepEqual([atlOther.statusCode, atlOther.json().parameter], [400, 'q']);
    // A timeline's cursor is a place among one entity's events: not a search's, nor another entity's.
    const timeline = await get('/v1/orgs/acme/entities/u-ana/events?limit=2');
    const onward = await get(`/v1/orgs/acme/entities/u-ana/events?cursor=${encodeURIComponent(timeline.meta.next)}&limit=2`);
    assert.ok(onward.data.every((e: any) => e.attributes.actor.id === 'u-ana'));
    for (const url of [`/v1/orgs/acme/events?cursor=${encodeURIComponent(timeline.meta.next)}`, `/v1/orgs/acme/entities/u-bob/events?cursor=${encodeURIComponent(timeline.meta.next)}`,
      `/v1/orgs/acme/entities/u-ana/events?cursor=${encodeURIComponent(first.meta.next)}`]) {
      const res = await t.app.inject({ method: 'GET', url, headers: bearer(reader) });
      assert.deepEqual([res.statusCode, res.json().code, res.json().parameter], [400, 'ANN_ERR_QUERY_CURSOR', 'cursor'], url);
    }
    // A stream's cursor on a search is named as such, whatever filters come with it.
    const stream = await get('/v1/orgs/acme/events-stream?limit=2');
    const onSearch = await t.app.inject({ method: 'GET', url: `/v1/orgs/acme/events?cursor=${encodeURIComponent(stream.meta.next)}&actor=u-ana`, headers: bearer(reader) });
    assert.match(onSearch.json().detail, /pages the events-stream/);
    // Filters too long to carry travel as a digest: the cursor must then come with them.
    const actors = Array.from({ length: 40 }, (_, i) => `actor=${`u-${i}-`.padEnd(80, 'x')}`).join('&');
    const long = await get(`/v1/orgs/acme/events?limit=2&${actors}&actor=u-ana`);
    assert.ok(long.meta.next.length < 300, 'the digest, not the filters');
    assert.equal((await get(`/v1/orgs/acme/events?cursor=${encodeURIComponent(long.meta.next)}&limit=2&${actors}&actor=u-ana`)).data.length, 2);
    const res = await t.app.inject({ method: 'GET', url: `/v1/orgs/acme/events?cursor=${encodeURIComponent(long.meta.next)}&limit=2`, headers: bearer(reader) });
    assert.deepEqual([res.statusCode, res.json().code], [400, 'ANN_ERR_QUERY_CURSOR']);
    // Just under the bound in characters, but over it in bytes (three each): a digest too, so every cursor issued is taken back.
    const wide = Array.from({ length: 7 }, (_, i) => `actor=${encodeURIComponent(`${i}`.padEnd(100, '界'))}`).join('&');
    const widePage = await get(`/v1/orgs/acme/events?limit=2&${wide}&actor=u-ana`);
    assert.ok(widePage.meta.next.length < 300);
    assert.equal((await get(`/v1/orgs/acme/events?cursor=${encodeURIComponent(widePage.meta.next)}&limit=2&${wide}&actor=u-ana`)).data.length, 2);
  });

  test("a search's cursor reads relative times from its first page's moment: the window does not move while it is paged", async () => {
    // An org of its own: the others' tests count this one's events.
    const [writer, reading] = [await t.token('recent', ['write:events']), await t.token('recent', ['read:events'])];
    const stamp = new Date(Date.now() - 500).toISOString();
    const res = await t.app.inject({ method: 'POST', url: '/v1/orgs/recent/events', headers: bearer(writer),
      payload: [1, 2, 3].map((n) => ({ time: stamp, action: ACTIONS[0], actor: { id: `u-recent-${n}` } })) });
    assert.equal(res.statusCode, 201);
    const read = async (url: string) => (await t.app.inject({ method: 'GET', url, headers: bearer(reading) })).json();
    const first = await read('/v1/orgs/recent/events?limit=1&from=-3s');
    assert.equal(first.data.length, 1);
    // Later than the window's three seconds: read afresh, -3s would now be past every one of them.
    await new Promise((resolve) => setTimeout(resolve, 3200));
    const rest = await read(`/v1/orgs/recent/events?cursor=${encodeURIComponent(first.meta.next)}&limit=10`);
    assert.deepEqual(rest.data.map((e: any) => e.attributes.actor.id), ['u-recent-2', 'u-recent-1']);
    assert.equal((await read('/v1/orgs/recent/events?limit=1&from=-3s')).data.length, 0);
  });

  test('the Atlassian paths take a parameter given twice with the same value once; /v1 refuses it', async () => {
    // A client that adds its own parameters to links.next, which holds them already.
    const first = await get('/admin/v1/orgs/acme/events?limit=7&location=kyiv');
    const next = new URL(first.links.next);
    const again = await get(`${next.pathname}${next.search}&limit=7&location=kyiv`);
    assert.equal(again.data.length, 7);
    assert.ok(again.data.every((e: any) => e.attributes.location.city === 'Kyiv'));
    assert.deepEqual(again.data, (await get(`${next.pathname}${next.search}`)).data, 'the next page, as links.next alone gives it');
    const stream = await get('/admin/v1/orgs/acme/events-stream?limit=3&limit=3&sortOrder=desc&sortOrder=desc');
    assert.deepEqual(stream.data.map((e: any) => e.attributes.seq), [119, 118, 117]);
    for (const url of ['/admin/v1/orgs/acme/events?limit=7&limit=8', '/admin/v1/orgs/acme/events-stream?sortOrder=asc&sortOrder=desc', '/v1/orgs/acme/events?limit=7&limit=7']) {
      const res = await t.app.inject({ method: 'GET', url, headers: bearer(reader) });
      assert.equal(res.statusCode, 400, url);
    }
  });

  test("their request parameters: q is one literal search term, location a country or city, an unknown product matches nothing", async () => {
    const seqs = (items: { seq: number }[]) => items.map((x) => x.seq);
    const ana = expected((s) => s.actor.id === 'u-ana');
    const bob = expected((s) => s.actor.id === 'u-bob');
    assert.deepEqual(seqs(await walk('/admin/v1/orgs/acme/events?location=kyiv&limit=15')), ana);
    assert.deepEqual(seqs(await walk('/admin/v1/orgs/acme/events?location=GERMANY&limit=15')), bob);
    assert.deepEqual(seqs(await walk('/admin/v1/orgs/acme/events?location=Germany&location=kyiv&limit=15')).sort((a, b) => a - b),
      [...ana, ...bob].sort((a, b) => a - b));
    assert.deepEqual(seqs(await walk('/v1/orgs/acme/events?q=-location:berlin')), expected((s) => s.actor.id !== 'u-bob'));
    // A place may hold a comma; an empty one narrows nothing.
    assert.deepEqual(seqs(await walk(`/admin/v1/orgs/acme/events?location=${encodeURIComponent('washington, d.c.')}`)), expected((s) => s.actor.id === 'u-cy'));
    assert.equal(seqs(await walk('/admin/v1/orgs/acme/events?location=&limit=1000')).length, sent.length);
    // Atlassian's products include some Annals does not know: a filter that matches nothing, not a 400.
    const unknown = await get('/admin/v1/orgs/acme/events?product=guard_detect');
    assert.deepEqual([unknown.data.length, unknown.meta.next], [0, null]);
    assert.equal(seqs(await walk('/admin/v1/orgs/acme/events?product=guard_detect&product=jira')).length, 30);
    // q is matched as text: never read as the query language, never a syntax error.
    assert.deepEqual(seqs(await walk('/admin/v1/orgs/acme/events?q=quarterly-report&limit=10')), expected((s) => s.word === 'quarterly-report'));
    assert.equal((await get('/admin/v1/orgs/acme/events?q=actor:u-ana')).data.length, 0);
    assert.equal((await get('/v1/orgs/acme/events?q=actor:u-ana&limit=1000')).data.length, 40);
    assert.equal((await get(`/admin/v1/orgs/acme/events?q=${encodeURIComponent('https://example.com "(')}`)).data.length, 0);
    // Their events-stream has no q: there it is Annals' query language, as on /v1.
    const stream = await get('/admin/v1/orgs/acme/events-stream?q=actor:u-ana&limit=1000');
    assert.equal(stream.data.length, 40);
    // Their parameters only: a name they do not have is still refused.
    const res = await t.app.inject({ method: 'GET', url: '/admin/v1/orgs/acme/events?colour=red', headers: bearer(reader) });
    assert.equal(res.statusCode, 400);
  });

  test('the last page says meta.next: null', async () => {
    const page = await get('/admin/v1/orgs/acme/events?limit=1000');
    assert.equal(page.meta.next, null);
    assert.equal(page.links.next, null);
  });

  test('GET /admin/v1/orgs/{orgId}/event-actions lists the catalogue in their shape', async () => {
    const { data } = await get('/admin/v1/orgs/acme/event-actions');
    assert.equal(data.length, BUILT_IN_ACTIONS.length);
    const one = data.find((a: any) => a.id === 'user_management.added_user_to_group');
    assert.deepEqual(one, { id: 'user_management.added_user_to_group', type: 'event-actions', attributes: { displayName: 'Added user to group', groupDisplayName: 'User management' } });
  });
});

describe('custom actions', () => {
  test('an org registers its own action, then events may use it; other orgs may not', async () => {
    const writer = await t.token('acme', ['write:events']);
    const send = (org: string, token: string) => t.app.inject({
      method: 'POST', url: `/v1/orgs/${org}/events`, headers: bearer(token),
      payload: { time: new Date().toISOString(), action: 'payroll.exported_payslips', actor: { id: 'u-ana' } },
    });
    assert.equal((await send('acme', writer)).statusCode, 422);
    const reg = await t.app.inject({
      method: 'POST', url: '/v1/orgs/acme/event-actions', headers: bearer(admin),
      payload: { key: 'payroll.exported_payslips', displayName: 'Exported payslips', category: 'Payroll', operation: 'read' },
    });
    assert.equal(reg.statusCode, 201, reg.body);
    assert.deepEqual(reg.json().data, { key: 'payroll.exported_payslips', displayName: 'Exported payslips', category: 'Payroll', product: 'custom', operation: 'read', builtIn: false });
    assert.equal((await send('acme', writer)).statusCode, 201);
    const other = await t.token('initech', ['write:events']);
    assert.equal((await send('initech', other)).statusCode, 422);

    const { data } = await get('/v1/orgs/acme/event-actions');
    assert.ok(data.some((a: any) => a.key === 'payroll.exported_payslips' && a.builtIn === false));
    assert.deepEqual((await walk('/v1/orgs/acme/events?category=Payroll')).map((e) => e.action), ['payroll.exported_payslips']);

    const dup = await t.app.inject({ method: 'POST', url: '/v1/orgs/acme/event-actions', headers: bearer(admin), payload: { key: 'payroll.exported_payslips', displayName: 'x', category: 'Payroll' } });
    assert.equal(dup.statusCode, 409);
    const builtIn = await t.app.inject({ method: 'POST', url: '/v1/orgs/acme/event-actions', headers: bearer(admin), payload: { key: 'user_management.created_group', displayName: 'x', category: 'x' } });
    assert.equal(builtIn.statusCode, 409);
    const bad = await t.app.inject({ method: 'POST', url: '/v1/orgs/acme/event-actions', headers: bearer(admin), payload: { key: 'Not A Key', displayName: 'x', category: 'x' } });
    assert.equal(bad.statusCode, 400);
    assert.equal(bad.json().pointer, '/key');
    const forbidden = await t.app.inject({ method: 'POST', url: '/v1/orgs/acme/event-actions', headers: bearer(reader), payload: { key: 'a.b', displayName: 'x', category: 'x' } });
    assert.equal(forbidden.statusCode, 403);
  });
});

describe('organizations, keys, docs and health', () => {
  test('an instance admin creates an org and a key for it; the key works on that org only', async () => {
    const created = await t.app.inject({ method: 'POST', url: '/v1/orgs', headers: bearer(t.admin), payload: { id: 'umbrella', name: 'Umbrella Corp' } });
    assert.equal(created.statusCode, 201);
    assert.equal((await t.app.inject({ method: 'POST', url: '/v1/orgs', headers: bearer(t.admin), payload: { id: 'umbrella' } })).statusCode, 409);
    assert.equal((await t.app.inject({ method: 'POST', url: '/v1/orgs', headers: bearer(t.admin), payload: { id: '../etc' } })).statusCode, 400);
    // An org admin cannot create orgs.
    assert.equal((await t.app.inject({ method: 'POST', url: '/v1/orgs', headers: bearer(admin), payload: { id: 'x' } })).statusCode, 403);
    const key = await t.app.inject({ method: 'POST', url: '/v1/orgs/umbrella/keys', headers: bearer(t.admin), payload: { name: 'siem', scopes: ['read:events'] } });
    assert.equal(key.statusCode, 201);
    const { token, id, scopes } = key.json().data;
    assert.deepEqual(scopes, ['read:events']);
    assert.equal((await t.app.inject({ method: 'GET', url: '/v1/orgs/umbrella/events', headers: bearer(token) })).statusCode, 200);
    assert.equal((await t.app.inject({ method: 'GET', url: '/v1/orgs/acme/events', headers: bearer(token) })).statusCode, 403);
    const list = await t.app.inject({ method: 'GET', url: '/v1/orgs/umbrella/keys', headers: bearer(t.admin) });
    assert.deepEqual(list.json().data.map((k: any) => k.id), [id]);
    assert.ok(!list.body.includes(token.split('_').slice(2).join('_')));
    const org = await t.app.inject({ method: 'GET', url: '/v1/orgs/umbrella', headers: bearer(token) });
    assert.equal(org.json().data.events, 0);
  });

  test('GET /openapi.json documents the routes; /docs is a browsable reference', async () => {
    const doc = (await t.app.inject({ method: 'GET', url: '/openapi.json' })).json();
    assert.equal(doc.openapi, '3.1.0');
    for (const path of ['/v1/orgs/{orgId}/events', '/v1/orgs/{orgId}/events/{eventId}', '/admin/v1/orgs/{orgId}/events', '/admin/v1/orgs/{orgId}/event-actions', '/v1/orgs/{orgId}/event-actions']) {
      assert.ok(doc.paths[path], path);
    }
    assert.deepEqual(Object.keys(doc.paths['/v1/orgs/{orgId}/events'].post.requestBody.content).sort(), ['application/json', 'application/x-ndjson']);
    const html = await t.app.inject({ method: 'GET', url: '/docs/' });
    assert.equal(html.statusCode, 200);
    assert.match(html.headers['content-type'] as string, /text\/html/);
  });

  test('the reads answer with exactly the bodies /openapi.json documents for them', async () => {
    const doc = (await t.app.inject({ method: 'GET', url: '/openapi.json' })).json();
    const first = (await get('/v1/orgs/acme/events?limit=1')).data[0];
    const reads: [string, string][] = [
      ['/v1/orgs/{orgId}/events', '/v1/orgs/acme/events?limit=3'],
      ['/admin/v1/orgs/{orgId}/events', '/admin/v1/orgs/acme/events?limit=3'],
      ['/v1/orgs/{orgId}/events/{eventId}', `/v1/orgs/acme/events/${first.id}`],
      ['/admin/v1/orgs/{orgId}/events/{eventId}', `/admin/v1/orgs/acme/events/${first.id}`],
      ['/admin/v1/orgs/{orgId}/events-stream', '/admin/v1/orgs/acme/events-stream?limit=3'],
      ['/v1/orgs/{orgId}/events-stream', '/v1/orgs/acme/events-stream?limit=3'],
      ['/v1/orgs/{orgId}/entities/{entityId}/events', '/v1/orgs/acme/entities/u-ana/events?limit=3'],
      ['/v1/orgs/{orgId}/event-actions', '/v1/orgs/acme/event-actions'],
      ['/admin/v1/orgs/{orgId}/event-actions', '/admin/v1/orgs/acme/event-actions'],
    ];
    for (const [path, url] of reads) {
      const schema = doc.paths[path]?.get?.responses?.['200']?.content?.['application/json']?.schema;
      assert.ok(schema, `${path} documents its 200 body`);
      const check = Schema.Compile(schema);
      const body = await get(url);
      assert.ok(body.data.length === undefined || body.data.length > 0, url);
      assert.ok(check.Check(body), `${url}: ${JSON.stringify(check.Errors(body)[1].slice(0, 3))}`);
      // Not a schema that takes anything: a body missing a field, or with one more, does not fit it.
      const item = (b: any) => (Array.isArray(b.data) ? b.data[0] : b.data);
      const without = structuredClone(body);
      delete item(without)[path === '/v1/orgs/{orgId}/event-actions' ? 'key' : 'id'];
      assert.equal(check.Check(without), false, `${path} without a field`);
      const extra = structuredClone(body);
      item(extra).undocumented = 1;
      assert.equal(check.Check(extra), false, `${path} with a field more`);
    }
  });

  test('health and readiness', async () => {
    assert.deepEqual((await t.app.inject({ method: 'GET', url: '/healthz' })).json(), { status: 'ok' });
    assert.deepEqual((await t.app.inject({ method: 'GET', url: '/readyz' })).json(), { status: 'ready', store: TEST_STORE, warming: false });
    // A store that does not answer: not ready, and a client that backs off is told for how long.
    const down = await startAnnals({ warming: () => true });
    assert.deepEqual((await down.app.inject({ method: 'GET', url: '/readyz' })).json(), { status: 'ready', store: TEST_STORE, warming: true }, 'a store still warming up is ready, and says it is warming');
    try {
      await down.annals.store.close();
      const res = await down.app.inject({ method: 'GET', url: '/readyz' });
      assert.equal(res.statusCode, 503);
      assert.equal(res.json().code, 'ANN_ERR_SERVICE_UNAVAILABLE');
      assert.equal(res.headers['retry-after'], '5');
      assert.equal((await t.app.inject({ method: 'GET', url: '/readyz' })).headers['retry-after'], undefined);
    } finally {
      await down.close();
    }
  });
});
