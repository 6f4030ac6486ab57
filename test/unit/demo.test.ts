import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BUILT_IN_ACTIONS, CATEGORIES, builtInAction } from '../../src/catalogue/catalogue.js';
import type { EventInput } from '../../src/domain/event.js';
import { CITIES } from '../../src/demo/cast.js';
import { demoCast, demoEvents, type DemoOptions } from '../../src/demo/demo-events.js';
import { localWeekdayHour } from '../../src/demo/rhythm.js';
import { validateEvent } from '../../src/ingest/validate.js';

const END = Date.UTC(2026, 2, 20, 15, 30, 12, 345);
const DAY = 86_400_000;

function all(options: DemoOptions, batchSize?: number): EventInput[] {
  const out: EventInput[] = [];
  for (const batch of demoEvents(options, batchSize)) out.push(...batch);
  return out;
}

// One shared 20k run for the distribution checks.
const run = all({ seed: 7, events: 20_000, end: END, days: 30 });
const cast = demoCast({ seed: 7 });
const castById = new Map(cast.users.map((u) => [u.id, u]));
const offsetByCity = new Map(CITIES.map((c) => [c.city, c.utcOffsetHours * 3_600_000]));
/** Events acted by one of the cast's people (not apps, Atlassian itself or the SCIM directory). */
const byPeople = run.filter((e) => castById.has(e.actor.id));

test('the same seed gives the same events; another seed gives others', () => {
  const a = all({ seed: 42, events: 3_000, end: END });
  const b = all({ seed: 42, events: 3_000, end: END });
  assert.deepEqual(a, b);
  assert.equal(JSON.stringify(a), JSON.stringify(b));
  const c = all({ seed: 43, events: 3_000, end: END });
  assert.notEqual(JSON.stringify(a), JSON.stringify(c));
  // Batching does not change the stream.
  assert.deepEqual(all({ seed: 42, events: 3_000, end: END }, 7), a);
});

test('produces exactly `events` events in batches of at most batchSize', () => {
  const sizes: number[] = [];
  for (const batch of demoEvents({ events: 2_345, end: END }, 300)) sizes.push(batch.length);
  assert.equal(sizes.reduce((s, n) => s + n, 0), 2_345);
  assert.ok(sizes.every((n) => n > 0 && n <= 300));
  assert.ok(sizes.slice(0, -1).every((n) => n === 300), 'only the last batch is short');
  assert.equal([...demoEvents({ events: 0, end: END })].length, 0);
  assert.equal(all({ events: 1, end: END }).length, 1);
  assert.equal(all({ events: 5_000, end: END }).length, 5_000); // default batch size
  assert.throws(() => demoEvents({ events: -1 }), RangeError);
  assert.throws(() => demoEvents({ events: 10 }, 0), RangeError);
  assert.throws(() => demoEvents({ events: 10, users: 0 }), RangeError);
});

test('times ascend and stay within [end - days, end], as ISO strings with ms and Z', () => {
  for (const [events, days] of [[20_000, 30], [3_000, 2], [500, 0.25]] as const) {
    const events_ = events === 20_000 ? run : all({ seed: 3, events, end: END, days });
    let previous = -Infinity;
    for (const e of events_) {
      assert.match(e.time, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
      const t = Date.parse(e.time);
      assert.ok(t >= previous, `${e.time} goes back in time`);
      assert.ok(t >= END - days * DAY && t <= END, `${e.time} outside the window`);
      previous = t;
    }
  }
  // Default end is now: nothing in the future.
  const now = Date.now();
  for (const e of all({ events: 2_000, days: 1 })) assert.ok(Date.parse(e.time) <= now + 1_000);
});

test('every action comes from the catalogue and every category appears', () => {
  const categories = new Set<string>();
  for (const e of run) {
    const action = builtInAction(e.action);
    assert.ok(action, `unknown action ${e.action}`);
    categories.add(action.category);
  }
  assert.equal(CATEGORIES.length, 33);
  assert.deepEqual([...categories].sort(), [...CATEGORIES].sort());
  // Also in the smallest run the promise covers, for other seeds.
  for (const seed of [1, 2]) {
    const seen = new Set(all({ seed, events: 10_000, end: END }).map((e) => builtInAction(e.action)?.category));
    assert.equal(seen.size, 33, `seed ${seed}`);
  }
});

test('views and edits in Jira and Confluence dominate; admin actions are rare', () => {
  const byProduct = new Map<string, number>();
  for (const e of run) {
    const product = builtInAction(e.action)!.product;
    byProduct.set(product, (byProduct.get(product) ?? 0) + 1);
  }
  const share = (p: string): number => (byProduct.get(p) ?? 0) / run.length;
  assert.ok(share('jira') + share('confluence') > 0.5);
  assert.ok(share('jira') > share('bitbucket') && share('confluence') > share('loom'));
  const views = run.filter((e) => e.action === 'jira_user_actions.viewed_jira_issue' || e.action === 'confluence_user_actions.viewed_confluence_page');
  assert.ok(views.length / run.length > 0.25);
  // Org-level admin work is done by a handful of people.
  const adminCategories = new Set(['User management', 'Security policies', 'Settings', 'User-access settings', 'Organizations', 'Products', 'Custom domains']);
  const admins = new Set(run.filter((e) => adminCategories.has(builtInAction(e.action)!.category) && castById.has(e.actor.id)
    && e.action !== 'user_management.created_access_request' && !e.action.startsWith('user_management.joined_through')).map((e) => e.actor.id));
  assert.ok(admins.size >= 1 && admins.size <= 8, `${admins.size} org admins`);
});

test('every event passes ingest validation', () => {
  const now = Date.now();
  run.forEach((e, i) => validateEvent(e, i, now));
});

test('each user acts from a small, consistent set of IPs in their home area', () => {
  const ips = new Map<string, Map<string, number>>();
  for (const e of byPeople) {
    const ip = e.location?.ip;
    assert.ok(ip, `${e.action} by a person has no IP`);
    const counts = ips.get(e.actor.id) ?? new Map<string, number>();
    counts.set(ip, (counts.get(ip) ?? 0) + 1);
    ips.set(e.actor.id, counts);
  }
  let checked = 0;
  for (const [id, counts] of ips) {
    const total = [...counts.values()].reduce((s, n) => s + n, 0);
    if (total < 20) continue;
    checked++;
    assert.ok(counts.size <= 6, `${id} used ${counts.size} IPs`);
    assert.ok(Math.max(...counts.values()) / total >= 0.35, `${id} has no usual IP`);
  }
  assert.ok(checked > 100);
  // The cast's home IP is one the user really uses, and it is placed in the user's home city.
  const homeUsed = cast.users.filter((u) => ips.get(u.id)?.has(u.ip)).length;
  assert.ok(homeUsed / ips.size > 0.9);
  for (const e of byPeople) {
    const u = castById.get(e.actor.id)!;
    if (e.location?.ip === u.ip) assert.equal(e.location.city, u.city);
  }
  // Some IPv6, mostly IPv4.
  const v6 = cast.users.filter((u) => u.ip.includes(':')).length / cast.users.length;
  assert.ok(v6 > 0.03 && v6 < 0.2, `${v6} IPv6`);
});

test('a small share of events fail; failures by name always fail', () => {
  const failures = run.filter((e) => e.outcome === 'failure');
  const share = failures.length / run.length;
  assert.ok(share >= 0.01 && share <= 0.1, `failure share ${share}`);
  assert.ok(run.every((e) => e.outcome === 'success' || e.outcome === 'failure'));
  assert.ok(failures.some((e) => e.action === 'atlassian_accounts.logged_in_to_account'), 'some login failures');
  const namedFailures = all({ seed: 7, events: 150_000, end: END }).filter((e) => /fail|denied/i.test(builtInAction(e.action)!.displayName));
  assert.ok(namedFailures.length > 0);
  assert.ok(namedFailures.every((e) => e.outcome === 'failure'));
});

test('weekday working hours (local time) hold most of people’s activity', () => {
  let work = 0;
  let weekend = 0;
  for (const e of byPeople) {
    const u = castById.get(e.actor.id)!;
    const { weekday, hour } = localWeekdayHour(Date.parse(e.time), offsetByCity.get(u.city)!);
    if (weekday === 0 || weekday === 6) weekend++;
    else if (hour >= 8 && hour < 19) work++;
  }
  assert.ok(work / byPeople.length > 0.7, `working hours share ${work / byPeople.length}`);
  assert.ok(weekend / byPeople.length < 0.1, `weekend share ${weekend / byPeople.length}`);
  assert.ok(weekend > 0, 'some weekend activity');
});

test('actors: people, API tokens, apps and Atlassian itself', () => {
  const tokens = run.filter((e) => e.actor.auth?.authType === 'api-token');
  assert.ok(tokens.length > 0);
  for (const e of tokens) {
    assert.ok(e.actor.auth?.tokenId && e.actor.auth.tokenLabel);
    assert.ok(castById.has(e.actor.id), 'a token belongs to a person');
  }
  const apps = run.filter((e) => e.actor.app !== undefined);
  assert.ok(apps.length > 0);
  assert.ok(apps.every((e) => typeof e.actor.app?.name === 'string' && e.actor.name === e.actor.app.name));
  assert.ok(run.some((e) => e.actor.id === 'atlassian'));
  // All people's events carry name, email and a user agent.
  for (const e of byPeople) {
    const u = castById.get(e.actor.id)!;
    assert.equal(e.actor.name, u.name);
    assert.equal(e.actor.email, u.email);
    assert.ok(e.userAgent && e.userAgent.length > 5);
  }
});

test('context and container make sense per product; messages read well', () => {
  const jira = run.filter((e) => e.action === 'jira_user_actions.viewed_jira_issue');
  assert.ok(jira.length > 1_000);
  for (const e of jira) {
    const issue = e.context?.[0];
    assert.equal(issue?.type, 'issues');
    const key = issue.attributes?.issueKey as string;
    assert.match(key, /^[A-Z]+-\d+$/);
    assert.deepEqual(e.container?.map((c) => c.type), ['sites', 'projects']);
    assert.equal(e.container?.[1].attributes?.projectKey, key.split('-')[0]);
    assert.ok(typeof e.container?.[0].attributes?.siteName === 'string');
    assert.ok(e.message?.content.startsWith(`Viewed Jira issue ${key}`));
    assert.equal(e.message?.format, 'simple');
  }
  const pages = run.filter((e) => e.action === 'confluence_user_actions.edited_confluence_page');
  assert.ok(pages.length > 0 && pages.every((e) => e.context?.[0].type === 'pages' && e.container?.[1].type === 'spaces'));
  const repos = run.filter((e) => builtInAction(e.action)!.category === 'Bitbucket Cloud repository actions');
  assert.ok(repos.length > 0 && repos.every((e) => e.context?.[0].type === 'repositories' && e.container?.[0].type === 'workspaces'));
  const toGroup = all({ seed: 7, events: 60_000, end: END }).filter((e) => e.action === 'user_management.added_user_to_group');
  assert.ok(toGroup.length > 0);
  for (const e of toGroup) {
    const group = e.context?.find((c) => c.type === 'groups');
    const user = e.context?.find((c) => c.type === 'users');
    assert.ok(group && user);
    assert.equal(e.message?.content.replace(/ \(failed: .*\)$/, ''), `Added user ${user.attributes?.name} to group ${group.attributes?.groupName}`);
    assert.ok(cast.groups.includes(group.attributes?.groupName as string));
  }
  for (const e of run) assert.ok(e.message && e.message.content.length > 0 && !e.message.content.includes('undefined'));
});

test('demoCast describes the org: unique users with emails, groups, sites', () => {
  const c = demoCast();
  assert.equal(c.users.length, 300);
  assert.equal(new Set(c.users.map((u) => u.id)).size, 300);
  assert.equal(new Set(c.users.map((u) => u.email)).size, 300);
  for (const u of c.users) {
    assert.match(u.email, /^[a-z]+\.[a-z]+\d*@acme-corp\.example$/);
    assert.ok(offsetByCity.has(u.city));
  }
  assert.ok(c.groups.length >= 10 && c.sites.length >= 1);
  assert.deepEqual(demoCast({ users: 5, seed: 9 }).users.length, 5);
  assert.deepEqual(demoCast({ seed: 7 }), cast);
  // The cast matches the events: with few users, only they act.
  const few = demoCast({ users: 12, seed: 5 });
  const ids = new Set(few.users.map((u) => u.id));
  const events = all({ seed: 5, users: 12, events: 3_000, end: END });
  assert.ok(events.filter((e) => e.actor.email !== undefined).every((e) => ids.has(e.actor.id)));
});

// How fast it generates is not asserted here (a timed unit test fails on a slow or busy machine, and proves
// nothing on a fast one): `npm run bench` generates its 1M events with this generator, untimed.
test('a large run yields exactly the events asked for', () => {
  const n = 200_000;
  let count = 0;
  for (const batch of demoEvents({ seed: 1, events: n, end: END })) count += batch.length;
  assert.equal(count, n);
});

test('covers every catalogue action in a large run', () => {
  const seen = new Set<string>();
  for (const batch of demoEvents({ seed: 11, events: 100_000, end: END }, 5_000)) for (const e of batch) seen.add(e.action);
  assert.equal(seen.size, BUILT_IN_ACTIONS.length);
});
