// The embedded store's row budget (ROW_BUDGET in sqlite-store.ts): a page reads at most that many rows through its
// driver, so a query whose other conditions reject nearly every row cannot make one request read the whole org.
// Here the budget is a handful of rows: pages come short, and walking their cursors must still give exactly what a
// brute-force filter gives, in order, for every driver; facets and histograms stop early and say so.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import Database from 'better-sqlite3';
import { openAnnals } from '../../src/annals.js';
import { builtInAction } from '../../src/catalogue/catalogue.js';
import { demoEvents } from '../../src/demo/demo-events.js';
import type { StoredEvent } from '../../src/domain/event.js';
import { ipRange, type IpRange } from '../../src/domain/ip.js';
import { searchText } from '../../src/domain/search-text.js';
import { ActionRegistry } from '../../src/catalogue/registry.js';
import { CursorCodec } from '../../src/query/cursor.js';
import { QueryService } from '../../src/query/query-service.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import type { EventFilter, PageKey, PageRequest } from '../../src/store/store.js';
import { actorAliases, matchesFilter, modelAggregates, sortEvents } from '../support/filter-model.js';

const BUDGET = 7;
let dir: string;
let store: SqliteStore;
let all: StoredEvent[] = [];
const texts = new Map<string, string>();
let aliases: Map<string, Set<string>>;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'annals-budget-'));
  const annals = await openAnnals({ dataDir: dir });
  await annals.store.createOrg({ id: 'o', name: 'o' });
  // A fixed end: the demo's rhythm follows the time of day, and these events must not change with it.
  for (const batch of demoEvents({ events: 400, users: 12, days: 3, seed: 5, end: Date.UTC(2026, 10, 20, 12) }, 100)) await annals.ingest.ingest('o', batch);
  all = [];
  for (let page = await annals.store.queryEvents('o', {}, { limit: 1000, order: 'asc', by: 'processed' }); ;) {
    all.push(...page.events);
    if (!page.next) break;
    page = await annals.store.queryEvents('o', {}, { limit: 1000, order: 'asc', by: 'processed', after: page.next });
  }
  await annals.close();
  assert.equal(all.length, 400);
  for (const e of all) texts.set(e.id, searchText(e, builtInAction(e.action)!));
  aliases = actorAliases(all);
  store = new SqliteStore({ path: join(dir, 'annals.db'), rowBudget: BUDGET });
});
after(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

const NAMES = [
  'time driver, a rare city', 'time driver, failures only in a city', 'time driver, excluding the commonest word (a probe per row)',
  'a list driver, the busiest actor, with a rare action', 'a list driver, two actors, with a city',
  'a list driver, an address block, not the busiest actor', 'an entity, with a word', 'the text driver, with a rare city',
  'field tokens, two actors and the commonest actions, excluding failures', 'no filter',
];

const range = (cidr: string) => ipRange(cidr) as IpRange;
/** Every statement any connection prepares from now until `restore`. */
function recordPrepared(): { prepared: string[]; restore: () => void } {
  const prepare = Database.prototype.prepare;
  const prepared: string[] = [];
  Database.prototype.prepare = function (this: Database.Database, source: string) {
    prepared.push(source);
    return prepare.call(this, source);
  } as typeof prepare;
  return { prepared, restore: () => { Database.prototype.prepare = prepare; } };
}

const most = <T>(values: T[]) => [...values.reduce((m, v) => m.set(v, (m.get(v) ?? 0) + 1), new Map<T, number>())].sort((a, b) => b[1] - a[1]).map(([v]) => v);

/** Filters for each driver, each rejecting most rows its driver reads (made once the events are stored). */
function filters(): [string, EventFilter][] {
  if (all.length === 0) return NAMES.map((n) => [n, {}]);
  const actors = most(all.map((e) => e.actor.id));
  const actions = most(all.map((e) => e.action));
  const cities = most(all.map((e) => e.location?.city).filter((c): c is string => typeof c === 'string'));
  const ip = all.find((e) => e.location?.ip)!.location!.ip!;
  const word = most(all.flatMap((e) => texts.get(e.id)!.toLowerCase().split(/[^a-z]+/)).filter((w) => w.length > 3))[0];
  const context = all.find((e) => e.context.length > 0)!.context[0];
  return [
    ['time driver, a rare city', { cities: { any: [cities[cities.length - 1]] } }],
    ['time driver, failures only in a city', { outcomes: { any: ['failure'] }, cities: { any: [cities[0]] } }],
    ['time driver, excluding the commonest word (a probe per row)', { text: { none: [word] } }],
    ['a list driver, the busiest actor, with a rare action', { actors: { any: [actors[0]] }, actions: { any: [actions[actions.length - 1], actions[actions.length - 2]] } }],
    ['a list driver, two actors, with a city', { actors: { any: [actors[0], actors[1]] }, cities: { any: [cities[0]] } }],
    ['a list driver, an address block, not the busiest actor', { ips: { any: [range(`${ip.split('.').slice(0, 2).join('.')}.0.0/16`)] }, actors: { none: [actors[0]] } }],
    ['an entity, with a word', { entities: { any: [{ id: context.id }] }, text: { all: [word] } }],
    ['the text driver, with a rare city', { text: { all: [word] }, cities: { any: [cities[cities.length - 2]] } }],
    ['field tokens, two actors and the commonest actions, excluding failures', { actors: { any: actors.slice(0, 2) }, actions: { any: actions.slice(0, 3) }, outcomes: { none: ['failure'] } }],
    ['no filter', {}],
  ];
}

async function walk(filter: EventFilter, request: Omit<PageRequest, 'after'>): Promise<{ seqs: number[]; pages: number; short: number }> {
  const seqs: number[] = [];
  let after: PageKey | undefined;
  let pages = 0;
  let short = 0;
  for (;;) {
    const page = await store.queryEvents('o', filter, { ...request, after });
    pages++;
    assert.ok(page.events.length <= request.limit);
    seqs.push(...page.events.map((e) => e.seq));
    if (!page.next) break;
    if (page.events.length < request.limit) short++;
    after = page.next;
    assert.ok(pages < 2000, 'the walk ends');
  }
  return { seqs, pages, short };
}

describe('the row budget (a page reads at most a few rows through its driver)', () => {
  NAMES.forEach((name, i) => {
    test(`${name}: walking the cursors gives every match once, in order, in both orders and sort columns`, async () => {
      const [made, filter] = filters()[i];
      assert.equal(made, name);
      let cut = 0;
      for (const by of ['time', 'processed'] as const) {
        for (const order of ['desc', 'asc'] as const) {
          for (const limit of [1, 5, 100]) {
            const want = sortEvents(all.filter((e) => matchesFilter(e, texts.get(e.id)!, filter, aliases)), by, order).map((e) => e.seq);
            const got = await walk(filter, { limit, order, by });
            assert.deepEqual(got.seqs, want, `${by} ${order} limit ${limit}`);
            cut += got.short;
          }
        }
      }
      if (Object.keys(filter).length > 0) assert.ok(cut > 0, 'some pages were cut short by the budget');
    });
  });

  test('through the query service: next cursors walk forward, prev cursors walk back, over pages cut short', async () => {
    const query = new QueryService(store, new ActionRegistry(store), new CursorCodec(Buffer.alloc(32, 7)));
    // A city of a few events: most pages are cut short, some hold matches.
    const cities = most(all.map((e) => e.location?.city).filter((c): c is string => typeof c === 'string'));
    const city = cities.find((c) => { const n = all.filter((e) => e.location?.city === c).length; return n >= 4 && n <= 40; })!;
    const filter: EventFilter = { cities: { any: [city] } };
    const want = sortEvents(all.filter((e) => matchesFilter(e, texts.get(e.id)!, filter, aliases)), 'time', 'desc').map((e) => e.seq);
    const forward: number[] = [];
    let page = await query.search('o', { q: `city:"${city}"`, limit: 2 });
    const pages = [page];
    for (;;) {
      forward.push(...page.events.map((e) => e.seq));
      if (!page.next) break;
      page = await query.search('o', { q: `city:"${city}"`, limit: 2, cursor: page.next });
      pages.push(page);
    }
    assert.deepEqual(forward, want);
    // From the last page that has events, back to the start through prev cursors.
    const last = pages.filter((p) => p.events.length > 0).at(-1)!;
    const backward: number[] = [...last.events.map((e) => e.seq)].reverse();
    for (let cursor = last.prev; cursor !== undefined;) {
      const back = await query.search('o', { q: `city:"${city}"`, limit: 2, cursor });
      backward.push(...back.events.map((e) => e.seq).reverse());
      cursor = back.prev;
    }
    assert.deepEqual(backward.reverse(), want);
    // From a page cut to nothing, prev still leads back to the start.
    const empty = pages.findIndex((p, i) => i > 0 && p.events.length === 0 && p.next !== undefined);
    assert.ok(empty > 0, 'some page was cut to nothing');
    const seen = pages.slice(0, empty).flatMap((p) => p.events.map((e) => e.seq));
    const back: number[] = [];
    for (let cursor = pages[empty].prev; cursor !== undefined;) {
      const p = await query.search('o', { q: `city:"${city}"`, limit: 2, cursor });
      back.unshift(...p.events.map((e) => e.seq));
      cursor = p.prev;
    }
    assert.deepEqual(back, seen);
  });

  test('a filtered events-stream long poll cut short by the budget answers at once instead of waiting', async () => {
    const query = new QueryService(store, new ActionRegistry(store), new CursorCodec(Buffer.alloc(32, 7)));
    const city = most(all.map((e) => e.location?.city).filter((c): c is string => typeof c === 'string')).at(-1)!;
    const started = Date.now();
    const page = await query.stream('o', { q: `city:"${city}"`, limit: 5 }, 20_000);
    assert.equal(page.partial, true);
    assert.ok(page.next !== undefined);
    assert.ok(Date.now() - started < 10_000, 'did not wait for the long poll to time out');
  });

  test('a driver with exactly as many rows as the budget is read whole: no cursor, counts complete', async () => {
    const counts = all.reduce((m, e) => m.set(e.action, (m.get(e.action) ?? 0) + 1), new Map<string, number>());
    const [action, n] = [...counts].find(([, c]) => c >= 2 && c <= 20)!;
    const exact = new SqliteStore({ path: join(dir, 'annals.db'), rowBudget: n, writer: 'inline' });
    try {
      const page = await exact.queryEvents('o', { actions: { any: [action] } }, { limit: n + 5, order: 'desc', by: 'time' });
      assert.deepEqual([page.events.length, page.next], [n, undefined]);
      const counted = await exact.aggregate('o', { actions: { any: [action] } }, { facets: ['actor'], scanLimit: 100_000 });
      assert.deepEqual([counted.complete, counted.total], [true, n]);
    } finally {
      await exact.close();
    }
  });

  test('a window counted from rollups stops at the newest ragged end the budget cuts, and says so', async () => {
    const tiny = new SqliteStore({ path: join(dir, 'annals.db'), rowBudget: 1, writer: 'inline' });
    try {
      const times = all.map((e) => Date.parse(e.time)).sort((a, b) => a - b);
      const to = times.at(-1)! + 1;
      const from = times[0] + 1;
      const newestHour = to - (to % 3_600_000);
      assert.ok(times.filter((t) => t >= newestHour).length > 1, 'the newest ragged end holds more than the budget');
      const counted = await tiny.aggregate('o', { time: { from, to } }, { facets: ['action'], scanLimit: 100_000 });
      assert.equal(counted.complete, false);
      assert.ok(counted.coveredFrom! >= newestHour, `covered back to ${new Date(counted.coveredFrom!).toISOString()} only`);
      // What it counted is the budget's one row, no more: the edge it names is where the counting stopped.
      assert.equal(counted.total, 1);
    } finally {
      await tiny.close();
    }
  });

  test('facets and histograms stop at the budget and say how far back they counted', async () => {
    const [, filter] = filters()[0];
    const counted = await store.aggregate('o', filter, { facets: ['action'], scanLimit: 100_000 });
    assert.equal(counted.complete, false);
    assert.equal(typeof counted.coveredFrom, 'number');
    const newest = sortEvents(all, 'time', 'desc');
    const covered = newest.filter((e) => Date.parse(e.time) >= counted.coveredFrom!);
    // The budget's rows are the newest: what was counted is what matches among them.
    const want = modelAggregates(newest.slice(0, BUDGET).filter((e) => matchesFilter(e, texts.get(e.id)!, filter, aliases)));
    assert.equal(counted.total, want.total);
    assert.ok(covered.length >= BUDGET);
    const histogram = await store.aggregate('o', filter, { facets: [], bounds: [0, Date.now() + 86_400_000], scanLimit: 100_000 });
    assert.deepEqual([histogram.complete, histogram.total, histogram.coveredFrom], [false, want.total, counted.coveredFrom]);
    // A list driver whose rows are checked for more (two actors, a rare city): fewer matches than the budget, but
    // its budget ran out first.
    const [, twoActors] = filters()[4];
    const theirs = all.filter((e) => twoActors.actors!.any!.includes(e.actor.id));
    const cityCounts = most(theirs.map((e) => e.location?.city).filter((c): c is string => typeof c === 'string'));
    const rareCity = cityCounts.at(-1)!;
    const listed: EventFilter = { actors: twoActors.actors, cities: { any: [rareCity] } };
    const byList = await store.aggregate('o', listed, { facets: ['action'], scanLimit: 100_000 });
    const matches = all.filter((e) => matchesFilter(e, texts.get(e.id)!, listed, aliases));
    assert.ok(byList.total < BUDGET && byList.total < matches.length, `${byList.total} of ${matches.length} in ${rareCity}`);
    assert.equal(byList.complete, false);
    assert.equal(typeof byList.coveredFrom, 'number');
    // A driver with fewer rows than the budget counts them all (the rarest action's index range).
    const rarest = most(all.map((e) => e.action)).at(-1)!;
    const few = all.filter((e) => e.action === rarest);
    assert.ok(few.length < BUDGET);
    const whole = await store.aggregate('o', { actions: { any: [rarest] } }, { facets: ['actor'], scanLimit: 100_000 });
    assert.deepEqual([whole.complete, whole.total], [true, few.length]);
    // The busiest actor with a rare action: the actor's index holds all a count needs, but its range passes the
    // budget; the rarer list (or the tokens) counts the matches whole.
    const [, busyRare] = filters()[3];
    const matching = all.filter((e) => matchesFilter(e, texts.get(e.id)!, busyRare, aliases));
    assert.ok(matching.length > 0 && all.filter((e) => e.actor.id === busyRare.actors!.any![0]).length > BUDGET);
    const rare = await store.aggregate('o', busyRare, { facets: ['action'], scanLimit: 100_000 });
    assert.deepEqual([rare.complete, rare.total], [true, matching.length]);
  });

  test('a count reads a covering index alone when it reads fewer entries than its driver would rows, and counts once', async () => {
    const countries = most(all.map((e) => e.location?.countryName).filter((c): c is string => typeof c === 'string'));
    const place = countries[0];
    const there = all.filter((e) => e.location?.countryName?.toLowerCase() === place.toLowerCase());
    const rarest = most(all.map((e) => e.action)).at(-1)!;
    const both = there.filter((e) => e.action === rarest);
    assert.ok(there.length > 10 * Math.max(1, both.length), `${there.length} events in ${place}, ${both.length} with ${rarest}`);
    // The statements a fresh store prepares for a count: whether one reads the country's index for its columns.
    const large = new SqliteStore({ path: join(dir, 'annals.db'), rowBudget: 100_000 });
    const { prepared, restore } = recordPrepared();
    // (A covering index read for its columns: the actor's, the country's or the address's.)
    const readsCoveringIndex = () => prepared.some((q) => /e\.outcome(, e\.ip)? FROM events e INDEXED BY events_by_(actor|country|ip)|e\.rowid AS k, e\.time_ms/.test(q));
    try {
      // A rare action with the commonest country: the matches are few, the country's entries many; the text counts.
      const rare = await large.aggregate('o', { countries: { any: [place] }, actions: { any: [rarest] } }, { facets: ['country'], scanLimit: 100_000 });
      assert.deepEqual([rare.complete, rare.total], [true, both.length]);
      assert.equal(readsCoveringIndex(), false, prepared.join('\n'));
      // An actor in the country: the tokens would find their pages, but the matches are most of the actor's events
      // (or the country's): the smaller of the two indexes alone counts them.
      const local = most(there.map((e) => e.actor.id))[0];
      const theirs = there.filter((e) => e.actor.id === local);
      assert.ok(Math.min(all.filter((e) => e.actor.id === local).length, there.length) < 10 * theirs.length);
      const actorThere = await large.aggregate('o', { countries: { any: [place] }, actors: { any: [local] } }, { facets: ['country'], scanLimit: 100_000 });
      assert.deepEqual([actorThere.complete, actorThere.total], [true, theirs.length]);
      assert.equal(readsCoveringIndex(), true, prepared.join('\n'));
      // Named in two cases: each event once.
      const twice = await large.aggregate('o', { countries: { any: [place, place.toUpperCase()] } }, { facets: ['country'], scanLimit: 100_000 });
      assert.deepEqual([twice.complete, twice.total], [true, there.length]);
      // The busiest address: a rare action among its events is counted from the action's rows; an action with
      // fewer events than the address (the page's driver) but more than a tenth as many, from the address's index,
      // which holds the address too; the address's commonest action (more events than the address), from it too.
      const address = most(all.map((e) => e.location?.ip).filter((ip): ip is string => typeof ip === 'string'))[0];
      const fromThere = all.filter((e) => e.location?.ip === address);
      const ofAction = (action: string) => all.filter((e) => e.action === action).length;
      assert.ok(fromThere.length > 10 * ofAction(rarest), `${fromThere.length} events from ${address}, ${ofAction(rarest)} of ${rarest}`);
      const fewer = most(all.map((e) => e.action)).find((a) => ofAction(a) < fromThere.length && 10 * ofAction(a) > fromThere.length)!;
      const usual = most(fromThere.map((e) => e.action))[0];
      assert.ok(fewer !== undefined && ofAction(usual) > fromThere.length);
      for (const [action, covering] of [[rarest, false], [fewer, true], [usual, true]] as const) {
        // (A store of its own: the same statement with other values is prepared once.)
        const fresh = new SqliteStore({ path: join(dir, 'annals.db'), rowBudget: 100_000 });
        prepared.length = 0;
        const filter: EventFilter = { ips: { any: [range(address), range(`${address}/32`)], none: [range('192.0.2.0/24')] }, actions: { any: [action] } };
        const got = await fresh.aggregate('o', filter, { facets: ['action', 'actor', 'country', 'outcome'], scanLimit: 100_000 });
        await fresh.close();
        const want = modelAggregates(all.filter((e) => matchesFilter(e, texts.get(e.id)!, filter, aliases)));
        assert.deepEqual([got.complete, got.total, got.facets], [true, want.total, want.facets], action);
        assert.equal(readsCoveringIndex(), covering, `${action} (${ofAction(action)} events, ${fromThere.length} from the address): ${prepared.join('\n')}`);
      }
    } finally {
      restore();
      await large.close();
    }
  });

  test('a count of type:id keeps the id-alone reading when only an older day of its window names it', async () => {
    const other = mkdtempSync(join(tmpdir(), 'annals-colon-'));
    const annals = await openAnnals({ dataDir: other });
    try {
      await annals.store.createOrg({ id: 'c', name: 'c' });
      const [drafts] = demoEvents({ events: 3, users: 3, days: 1, seed: 9, end: Date.UTC(2026, 10, 20) }, 3);
      const at = (day: number) => new Date(Date.UTC(2026, 10, 17 + day, 12)).toISOString();
      // The oldest day names the id alone ('ari:site:1'), the newest the type and id ('ari', 'site:1').
      await annals.ingest.ingest('c', [
        { ...drafts[0], time: at(0), context: [{ id: 'ari:site:1', type: 'sites' }] },
        { ...drafts[1], time: at(1) },
        { ...drafts[2], time: at(2), context: [{ id: 'site:1', type: 'ari' }] },
      ]);
      const contexts = { any: [{ id: 'ari:site:1' }, { type: 'ari', id: 'site:1' }] };
      const got = await annals.store.aggregate('c', { time: { from: Date.UTC(2026, 10, 17), to: Date.UTC(2026, 10, 20) }, contexts }, { facets: ['action'], scanLimit: 100 });
      assert.deepEqual([got.complete, got.total], [true, 2]);
    } finally {
      // (Closed whatever happened: its writer thread would keep the test file from ending.)
      await annals.close();
      rmSync(other, { recursive: true, force: true });
    }
  });

  test('a count of type:id reads the reading that names something alone: no merge with a reading that names nothing', async () => {
    const project = most(all.flatMap((e) => (e.container ?? []).filter((c) => c.type === 'projects').map((c) => c.id)))[0];
    assert.ok(project !== undefined);
    const fresh = new SqliteStore({ path: join(dir, 'annals.db'), rowBudget: 100_000 });
    const { prepared, restore } = recordPrepared();
    try {
      for (const filter of [
        { containers: { any: [{ id: `projects:${project}` }, { type: 'projects', id: project }] } },
        { entities: { any: [{ id: `projects:${project}` }, { type: 'projects', id: project }] }, outcomes: { any: ['success'] } },
      ] satisfies EventFilter[]) {
        prepared.length = 0;
        const got = await fresh.aggregate('o', filter, { facets: ['action', 'actor', 'country', 'outcome'], scanLimit: 100_000 });
        const want = modelAggregates(all.filter((e) => matchesFilter(e, texts.get(e.id)!, filter, aliases)));
        assert.ok(want.total > 0);
        assert.deepEqual([got.complete, got.total, got.facets], [true, want.total, want.facets]);
        const counting = prepared.filter((q) => q.includes('FROM event_entities x'));
        // (Each reads the project's rows by type and id, and merges nothing.)
        assert.ok(counting.length > 0, prepared.join('\n'));
        for (const q of counting) assert.ok(!q.includes('UNION') && q.includes('x.type = ?'), q);
      }
      // Neither reading names anything: nothing is read, nothing counted.
      prepared.length = 0;
      const none = await fresh.aggregate('o', { containers: { any: [{ id: 'projects:none' }] } }, { facets: ['action'], scanLimit: 100_000 });
      assert.deepEqual([none.complete, none.total], [true, 0]);
      assert.deepEqual(prepared.filter((q) => q.includes('FROM event_entities x')), []);
    } finally {
      restore();
      await fresh.close();
    }
  });
});
