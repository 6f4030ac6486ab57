// The Store contract: what every adapter (store/sqlite/, later store/postgres/) must do, as the port in
// src/store/store.ts documents it. One store per adapter per run; every test works in its own org(s).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { uuidv7 } from 'uuidv7';
import type { ActionDefinition } from '../../src/domain/action.js';
import { AnnalsError, type ErrorCode } from '../../src/domain/errors.js';
import type { Actor, StoredEvent } from '../../src/domain/event.js';
import type {
  AppendResult, AppendedEvent, EventFilter, PageKey, PageRequest, PendingEvent, PublishedKey, Store, TimeRange,
} from '../../src/store/store.js';
import { type OpenedStore, STORES } from './stores.js';
import type { EventDraft } from '../../src/ledger/leaf.js';
import { pendingEvent, restoredEvent } from '../../src/store/pending-event.js';
import { leafHash } from '../../src/ledger/hasher.js';
import { leafText } from '../../src/ledger/leaf.js';
import { ipRange, type IpRange } from '../../src/domain/ip.js';
import { actorAliases, matchesFilter, modelAggregates, sortEvents, sortKey } from '../support/filter-model.js';

// ---------------------------------------------------------------------------------------------------------------
// Fixtures

type Draft = EventDraft;
/** The draft each pending event was made from, for `stored`. */
const drafts = new WeakMap<PendingEvent, Draft>();

const T0 = Date.UTC(2026, 0, 15, 9, 0, 0);
const minute = (n: number) => new Date(T0 + n * 60_000).toISOString();
const ISO_MS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

let orgCounter = 0;
const runTag = Math.random().toString(36).slice(2, 8);
/** A fresh org id (ORG_ID_PATTERN-safe, unique in this run). */
const orgId = (label = 'org') => `${label}-${runTag}-${++orgCounter}`;

/** A pending event: `overrides` replace fields of the event, `extra` the pending envelope (text, fingerprint). */
function pending(overrides: Partial<Draft> = {}, extra: { text?: string; fingerprint?: Buffer } = {}): PendingEvent {
  const event: Draft = {
    time: minute(0),
    action: 'contract.did_something',
    actor: { id: 'u-ana' },
    context: [],
    container: [],
    outcome: 'success',
    ...overrides,
  };
  const p = pendingEvent(event, extra.text ?? 'searchable words', extra.fingerprint);
  drafts.set(p, event);
  return p;
}

const fp = (label: string) => Buffer.alloc(32, label);

/** What getEvent must return for a pending event once appended as `appended`. */
function stored(p: PendingEvent, org: string, appended: AppendedEvent): StoredEvent {
  return { ...drafts.get(p)!, id: p.id, org, seq: appended.seq, processedAt: appended.processedAt };
}

function okEvents(result: AppendResult | undefined): AppendedEvent[] {
  assert.ok(result, 'one result per group');
  if (!result.ok) assert.fail(`expected the group to be stored, got ${result.error.stack ?? String(result.error)}`);
  return result.events;
}

function failed(result: AppendResult | undefined, code: ErrorCode): void {
  assert.ok(result, 'one result per group');
  assert.equal(result.ok, false, 'expected the group to fail');
  if (result.ok) return;
  assertCode(result.error, code);
}

function assertCode(error: unknown, code: ErrorCode): true {
  assert.ok(error instanceof AnnalsError, `expected an AnnalsError ${code}, got ${String(error)}`);
  assert.equal(error.code, code);
  return true;
}

async function appendOne(store: Store, org: string, events: PendingEvent[]): Promise<AppendedEvent[]> {
  const results = await store.append([{ org, events }]);
  assert.equal(results.length, 1);
  return okEvents(results[0]);
}

async function newOrg(store: Store, label?: string): Promise<string> {
  const id = orgId(label);
  await store.createOrg({ id, name: `Org ${id}` });
  return id;
}

const at = sortKey;

/** The brute-force model over one org's events (texts by event id). */
function modelMatches(all: readonly StoredEvent[], texts: Map<string, string>): (e: StoredEvent, f: EventFilter) => boolean {
  const aliases = actorAliases(all);
  return (e, f) => matchesFilter(e, texts.get(e.id) ?? '', f, aliases);
}

const ip = (text: string): IpRange => ipRange(text) as IpRange;

/** Follows `next` to the end; checks the page invariants on the way. */
async function walk(store: Store, org: string, filter: EventFilter, page: Omit<PageRequest, 'after'>) {
  const events: StoredEvent[] = [];
  let after: PageKey | undefined;
  let pages = 0;
  for (;;) {
    const request: PageRequest = after === undefined ? { ...page } : { ...page, after };
    const result = await store.queryEvents(org, filter, request);
    pages++;
    assert.ok(pages < 500, 'paging does not terminate');
    assert.ok(result.events.length <= page.limit, 'a page holds at most `limit` events');
    events.push(...result.events);
    if (result.next === undefined) break;
    assert.equal(result.events.length, page.limit, 'a page that is not full is the last one');
    const last = result.events[result.events.length - 1];
    assert.deepEqual(result.next, { at: at(last, page.by), seq: last.seq }, 'next is the key of the last event');
    after = result.next;
  }
  return { events, pages };
}

// ---------------------------------------------------------------------------------------------------------------

for (const s of STORES) {
  describe(`Store contract: ${s.name}`, () => {
    let opened: OpenedStore;
    let store: Store;

    before(async () => {
      opened = await s.open();
      store = opened.store;
    });
    after(async () => {
      await opened.cleanup();
    });

    test('dialect names the adapter', () => {
      assert.equal(store.dialect, s.name);
    });

    test('ping resolves', async () => {
      await store.ping();
    });

    // -- orgs ----------------------------------------------------------------------------------------------------

    describe('orgs', () => {
      test('create, get and list', async () => {
        const id = orgId('acme');
        const before = Date.now();
        const created = await store.createOrg({ id, name: 'Acme Corp' });
        assert.equal(created.id, id);
        assert.equal(created.name, 'Acme Corp');
        assert.match(created.createdAt, ISO_MS);
        assert.ok(Date.parse(created.createdAt) >= before - 1000 && Date.parse(created.createdAt) <= Date.now() + 1000);
        assert.deepEqual(await store.getOrg(id), created);

        const other = await store.createOrg({ id: orgId('globex'), name: 'Globex' });
        const listed = await store.listOrgs();
        assert.deepEqual(listed.find((o) => o.id === id), created);
        assert.deepEqual(listed.find((o) => o.id === other.id), other);
        assert.equal(new Set(listed.map((o) => o.id)).size, listed.length, 'each org listed once');
        assert.equal(await store.countEvents(id), 0, 'a new org has no events');
      });

      test('getOrg of an unknown id is undefined', async () => {
        assert.equal(await store.getOrg(orgId('nobody')), undefined);
      });

      test('a duplicate id is ANN_ERR_ORG_EXISTS and leaves the first org as it was', async () => {
        const id = orgId('dup');
        const first = await store.createOrg({ id, name: 'First' });
        await assert.rejects(store.createOrg({ id, name: 'Second' }), (e) => assertCode(e, 'ANN_ERR_ORG_EXISTS'));
        assert.deepEqual(await store.getOrg(id), first);
        assert.equal((await store.listOrgs()).filter((o) => o.id === id).length, 1);
      });

      test('append, queryEvents and countEvents on an unknown org are ANN_ERR_ORG_NOT_FOUND', async () => {
        const ghost = orgId('ghost');
        const results = await store.append([{ org: ghost, events: [pending()] }]);
        assert.equal(results.length, 1);
        failed(results[0], 'ANN_ERR_ORG_NOT_FOUND');
        await assert.rejects(store.queryEvents(ghost, {}, { limit: 10, order: 'desc', by: 'time' }),
          (e) => assertCode(e, 'ANN_ERR_ORG_NOT_FOUND'));
        await assert.rejects(store.countEvents(ghost), (e) => assertCode(e, 'ANN_ERR_ORG_NOT_FOUND'));
        assert.equal(await store.getOrg(ghost), undefined, 'a failed append does not create the org');
      });
    });

    // -- append --------------------------------------------------------------------------------------------------

    describe('append', () => {
      test('an empty list of groups appends nothing', async () => {
        assert.deepEqual(await store.append([]), []);
      });

      test('seq starts at 0 per org and is gap-free across groups and calls', async () => {
        const org = await newOrg(store);
        const a = await appendOne(store, org, [pending(), pending(), pending()]);
        assert.deepEqual(a.map((e) => e.seq), [0, 1, 2]);
        const results = await store.append([
          { org, events: [pending()] },
          { org, events: [pending(), pending()] },
        ]);
        assert.deepEqual(results.flatMap((r) => okEvents(r).map((e) => e.seq)), [3, 4, 5]);
        const b = await appendOne(store, org, [pending()]);
        assert.deepEqual(b.map((e) => e.seq), [6]);
        assert.equal(await store.countEvents(org), 7);
      });

      test('the result reports each event by id, in order, as not duplicate', async () => {
        const org = await newOrg(store);
        const events = [pending(), pending(), pending()];
        const appended = await appendOne(store, org, events);
        assert.equal(appended.length, 3);
        appended.forEach((a, i) => {
          assert.deepEqual(a, { id: events[i].id, seq: i, processedAt: appended[0].processedAt, duplicate: false });
        });
      });

      test('two orgs have independent sequences', async () => {
        const x = await newOrg(store, 'x');
        const y = await newOrg(store, 'y');
        const results = await store.append([
          { org: x, events: [pending(), pending()] },
          { org: y, events: [pending()] },
          { org: x, events: [pending()] },
          { org: y, events: [pending(), pending()] },
        ]);
        assert.deepEqual(results.map((r) => okEvents(r).map((e) => e.seq)), [[0, 1], [0], [2], [1, 2]]);
        assert.equal(await store.countEvents(x), 3);
        assert.equal(await store.countEvents(y), 3);
      });

      test('an empty group of a known org succeeds and stores nothing', async () => {
        const org = await newOrg(store);
        assert.deepEqual(await appendOne(store, org, []), []);
        assert.equal(await store.countEvents(org), 0);
      });

      test('a group for an unknown org fails alone; the groups around it are stored', async () => {
        const org = await newOrg(store);
        const g1 = [pending(), pending()];
        const g2 = [pending()];
        const g3 = [pending()];
        const results = await store.append([
          { org, events: g1 }, { org: orgId('ghost'), events: g2 }, { org, events: g3 },
        ]);
        assert.equal(results.length, 3);
        assert.deepEqual(okEvents(results[0]).map((e) => e.seq), [0, 1]);
        failed(results[1], 'ANN_ERR_ORG_NOT_FOUND');
        assert.deepEqual(okEvents(results[2]).map((e) => e.seq), [2]);
        assert.equal(await store.countEvents(org), 3);
        assert.equal(await store.getEvent(org, g2[0].id), undefined);
      });

      test('a group that fails leaves no trace: no seq, no event, no text, no actor alias', async () => {
        const org = await newOrg(store);
        const keyed = pending({ idempotencyKey: 'k-fail' }, { fingerprint: fp('a') });
        await appendOne(store, org, [keyed]);

        const ghostActor: Actor = { id: 'u-ghost', name: 'Gus Host', email: 'gus.host@ghost.example' };
        const g1 = [pending()];
        const g2 = [
          pending({ actor: ghostActor, action: 'contract.ghostly' }, { text: 'zyzzyva ghostword' }),
          // Reuses the key with another fingerprint: the whole group must be refused, including the event above.
          pending({ idempotencyKey: 'k-fail' }, { fingerprint: fp('b') }),
        ];
        const g3 = [pending(), pending()];
        const results = await store.append([{ org, events: g1 }, { org, events: g2 }, { org, events: g3 }]);
        assert.deepEqual(okEvents(results[0]).map((e) => e.seq), [1]);
        failed(results[1], 'ANN_ERR_IDEMPOTENCY_CONFLICT');
        assert.deepEqual(okEvents(results[2]).map((e) => e.seq), [2, 3], 'the failed group takes no seq');
        assert.equal(await store.countEvents(org), 4);

        for (const p of g2) assert.equal(await store.getEvent(org, p.id), undefined);
        const q: PageRequest = { limit: 100, order: 'asc', by: 'time' };
        assert.deepEqual((await store.queryEvents(org, {}, q)).events.map((e) => e.seq), [0, 1, 2, 3]);
        assert.deepEqual(await store.queryEvents(org, { text: { all: ['zyzzyva'] } }, q), { events: [] });
        assert.deepEqual(await store.queryEvents(org, { actions: { any: ['contract.ghostly'] } }, q), { events: [] });
        assert.deepEqual(await store.queryEvents(org, { actors: { any: ['gus.host@ghost.example'] } }, q), { events: [] });
        assert.deepEqual(await store.queryEvents(org, { actors: { any: ['Gus Host'] } }, q), { events: [] });

        // The same actor in a later, successful group is found by email and name: nothing stale was remembered.
        const later = pending({ actor: ghostActor }, { text: 'zyzzyva' });
        const [a] = await appendOne(store, org, [later]);
        assert.equal(a.seq, 4);
        const byEmail = await store.queryEvents(org, { actors: { any: ['GUS.HOST@ghost.example'] } }, q);
        assert.deepEqual(byEmail.events.map((e) => e.id), [later.id]);
        const byName = await store.queryEvents(org, { actors: { any: ['gus host'] } }, q);
        assert.deepEqual(byName.events.map((e) => e.id), [later.id]);
        assert.deepEqual((await store.queryEvents(org, { text: { all: ['zyzzyva'] } }, q)).events.map((e) => e.id), [later.id]);
      });

      test('an actor alias first written by a group that then fails, in the same call as a group that succeeds', async () => {
        const org = await newOrg(store);
        await appendOne(store, org, [pending({ idempotencyKey: 'k' }, { fingerprint: fp('a') })]);
        const actor: Actor = { id: 'u-twice', email: 'twice@acme.example', name: 'Tess Twice' };
        const ok = pending({ actor });
        const results = await store.append([
          { org, events: [pending({ actor }), pending({ idempotencyKey: 'k' }, { fingerprint: fp('b') })] },
          { org, events: [ok] },
        ]);
        failed(results[0], 'ANN_ERR_IDEMPOTENCY_CONFLICT');
        okEvents(results[1]);
        const q: PageRequest = { limit: 10, order: 'asc', by: 'time' };
        assert.deepEqual((await store.queryEvents(org, { actors: { any: ['twice@acme.example'] } }, q)).events.map((e) => e.id), [ok.id]);
        assert.deepEqual((await store.queryEvents(org, { actors: { any: ['TESS TWICE'] } }, q)).events.map((e) => e.id), [ok.id]);
      });

      test('an actor whose email and name change is found by each of them, also after going back to the first', async () => {
        const org = await newOrg(store);
        const first: Actor = { id: 'u-moves', email: 'moves@old.example', name: 'Mo Ves' };
        const second: Actor = { id: 'u-moves', email: 'moves@new.example', name: 'Mo Ves-Later' };
        const ids: string[] = [];
        // Each in a commit of its own, so that each finds what the commits before it remembered.
        for (const actor of [first, first, second, first, second]) {
          const p = pending({ actor });
          await appendOne(store, org, [p]);
          ids.push(p.id);
        }
        const q: PageRequest = { limit: 10, order: 'asc', by: 'time' };
        for (const alias of ['MOVES@old.example', 'moves@new.example', 'mo ves', 'Mo Ves-Later']) {
          assert.deepEqual((await store.queryEvents(org, { actors: { any: [alias] } }, q)).events.map((e) => e.id), ids, alias);
        }
      });

      test('processedAt is ISO, one value per group, never decreasing along seq', async () => {
        const org = await newOrg(store);
        const start = Date.now();
        const seen: AppendedEvent[] = [];
        for (let i = 0; i < 40; i++) {
          const results = await store.append([
            { org, events: [pending(), pending(), pending()] },
            { org, events: [pending()] },
          ]);
          for (const r of results) {
            const events = okEvents(r);
            assert.equal(new Set(events.map((e) => e.processedAt)).size, 1, 'events of one group share processedAt');
            seen.push(...events);
          }
        }
        assert.equal(seen.length, 160);
        seen.forEach((e, i) => {
          assert.equal(e.seq, i);
          assert.match(e.processedAt, ISO_MS);
          assert.equal(new Date(e.processedAt).toISOString(), e.processedAt);
          if (i > 0) assert.ok(e.processedAt >= seen[i - 1].processedAt, `processedAt decreased at seq ${i}`);
        });
        assert.ok(Date.parse(seen[0].processedAt) >= start - 1000, 'processedAt is the commit time');
        assert.ok(Date.parse(seen[seen.length - 1].processedAt) <= Date.now() + 1000, 'processedAt is the commit time');
        // The stored events agree with what append reported.
        for (const e of [seen[0], seen[77], seen[159]]) {
          const got = await store.getEvent(org, e.id);
          assert.equal(got?.seq, e.seq);
          assert.equal(got?.processedAt, e.processedAt);
        }
      });

      test('appends issued concurrently are gap-free and each group gets consecutive seqs', async () => {
        const org = await newOrg(store);
        const calls = Array.from({ length: 20 }, () => appendOne(store, org, [pending(), pending(), pending()]));
        const groups = await Promise.all(calls);
        for (const g of groups) assert.deepEqual(g.map((e) => e.seq - g[0].seq), [0, 1, 2]);
        const seqs = groups.flat().map((e) => e.seq).sort((a, b) => a - b);
        assert.deepEqual(seqs, Array.from({ length: 60 }, (_, i) => i));
        const bySeq = groups.flat().sort((a, b) => a.seq - b.seq);
        for (let i = 1; i < bySeq.length; i++) assert.ok(bySeq[i].processedAt >= bySeq[i - 1].processedAt);
        assert.equal(await store.countEvents(org), 60);
      });

      test('getEvent returns exactly what was appended plus id, org, seq and processedAt (all optional fields)', async () => {
        const org = await newOrg(store);
        const full = pending({
          time: '2026-01-15T09:30:15.123Z',
          action: 'user_management.added_user_to_group',
          actor: {
            id: 'u-ana', name: 'Ana Silva', email: 'ana.silva@acme.example', type: 'user',
            auth: { authType: 'api-token', tokenId: 't-1', tokenLabel: 'CI token', extraAuth: true },
            onBehalfOf: { id: 'u-boss', name: 'The Boss', email: 'boss@acme.example' },
            app: { id: 'app-1', name: 'Deployer' },
            department: 'Security',
          },
          context: [
            { id: 'u-bob', type: 'users', attributes: { name: 'Bob Jones', active: true, groups: 3 } },
            { id: 'g-1', type: 'groups', attributes: { name: 'jira-admins' }, links: { alt: 'https://acme.example/g/1' } },
          ],
          container: [{ id: 'site-1', type: 'sites', attributes: { siteName: 'acme' } }],
          location: { ip: '2001:db8::7', countryName: 'Ukraine', regionName: 'Kyiv City', city: 'Kyiv', geo: '50.45,30.52' },
          message: { content: 'Added Bob Jones to jira-admins — «ünïcödé» 🚀', format: 'simple' },
          outcome: 'failure',
          userAgent: 'Mozilla/5.0 (X11; Linux x86_64)',
          metadata: {
            ticket: 'SEC-42', attempts: 2, ratio: 1.5, flags: [true, false, null], nested: { a: [1, 'two', { three: 3 }] },
            empty: {}, none: null, '': 'empty key', 'key with spaces': 'ok',
          },
          idempotencyKey: 'req-1#0',
        }, { text: 'Added user to group Ana Silva Bob Jones jira-admins', fingerprint: fp('full') });
        const minimal = pending({ time: '2026-01-15T09:30:16.000Z' });
        const appended = await appendOne(store, org, [full, minimal]);

        const gotFull = await store.getEvent(org, full.id);
        assert.deepEqual(gotFull, stored(full, org, appended[0]));
        const gotMinimal = await store.getEvent(org, minimal.id);
        assert.deepEqual(gotMinimal, stored(minimal, org, appended[1]));
        for (const absent of ['location', 'message', 'userAgent', 'metadata', 'idempotencyKey']) {
          assert.equal(absent in gotMinimal!, false, `${absent} is absent when it was not given`);
        }
        // queryEvents returns the same objects.
        const page = await store.queryEvents(org, {}, { limit: 10, order: 'asc', by: 'time' });
        assert.deepEqual(page, { events: [stored(full, org, appended[0]), stored(minimal, org, appended[1])] });
      });

      test('getEvent of an unknown id, or of another org\'s event, is undefined', async () => {
        const a = await newOrg(store, 'a');
        const b = await newOrg(store, 'b');
        const p = pending();
        await appendOne(store, a, [p]);
        assert.equal(await store.getEvent(a, uuidv7()), undefined);
        assert.equal(await store.getEvent(b, p.id), undefined);
        assert.deepEqual(await store.queryEvents(b, {}, { limit: 10, order: 'desc', by: 'time' }), { events: [] });
      });
    });

    // -- idempotency ---------------------------------------------------------------------------------------------

    describe('idempotency', () => {
      test('a key stored before: duplicate, the earlier id/seq/processedAt, nothing stored', async () => {
        const org = await newOrg(store);
        const first = pending({ idempotencyKey: 'order-1' }, { fingerprint: fp('a') });
        const [a] = await appendOne(store, org, [first]);
        await sleep(5);
        const retry = pending({ idempotencyKey: 'order-1' }, { fingerprint: fp('a') });
        const fresh = pending();
        const appended = await appendOne(store, org, [retry, fresh]);
        assert.deepEqual(appended[0], { id: first.id, seq: a.seq, processedAt: a.processedAt, duplicate: true });
        assert.equal(appended[1].duplicate, false);
        assert.equal(appended[1].seq, 1, 'a duplicate takes no seq');
        assert.equal(await store.countEvents(org), 2);
        assert.equal(await store.getEvent(org, retry.id), undefined);
        assert.deepEqual(await store.getEvent(org, first.id), stored(first, org, a));
      });

      test('same key with a different fingerprint: ANN_ERR_IDEMPOTENCY_CONFLICT and nothing of the group stored', async () => {
        const org = await newOrg(store);
        await appendOne(store, org, [pending({ idempotencyKey: 'order-1' }, { fingerprint: fp('a') })]);
        const innocent = pending();
        const reuse = pending({ idempotencyKey: 'order-1' }, { fingerprint: fp('b') });
        const results = await store.append([{ org, events: [innocent, reuse] }]);
        failed(results[0], 'ANN_ERR_IDEMPOTENCY_CONFLICT');
        assert.equal(!results[0].ok && (results[0].error as AnnalsError).details.index, 1, 'the event at fault, by its index in the group');
        assert.equal(await store.countEvents(org), 1);
        assert.equal(await store.getEvent(org, innocent.id), undefined);
        assert.equal(await store.getEvent(org, reuse.id), undefined);
      });

      test('the same key twice in one group: the second is a duplicate of the first', async () => {
        const org = await newOrg(store);
        await appendOne(store, org, [pending()]);
        const one = pending({ idempotencyKey: 'twice' }, { fingerprint: fp('a') });
        const two = pending({ idempotencyKey: 'twice' }, { fingerprint: fp('a') });
        const three = pending();
        const appended = await appendOne(store, org, [one, two, three]);
        assert.deepEqual(appended[0], { id: one.id, seq: 1, processedAt: appended[0].processedAt, duplicate: false });
        assert.deepEqual(appended[1], { id: one.id, seq: 1, processedAt: appended[0].processedAt, duplicate: true });
        assert.deepEqual(appended[2], { id: three.id, seq: 2, processedAt: appended[0].processedAt, duplicate: false });
        assert.equal(await store.countEvents(org), 3);
        assert.equal(await store.getEvent(org, two.id), undefined);
      });

      test('the same key twice in one group with different fingerprints: the group fails', async () => {
        const org = await newOrg(store);
        const results = await store.append([{ org, events: [
          pending({ idempotencyKey: 'twice' }, { fingerprint: fp('a') }),
          pending({ idempotencyKey: 'twice' }, { fingerprint: fp('b') }),
        ] }]);
        failed(results[0], 'ANN_ERR_IDEMPOTENCY_CONFLICT');
        assert.equal(await store.countEvents(org), 0);
      });

      test('the same key in two groups of one call: the later group reports a duplicate', async () => {
        const org = await newOrg(store);
        const first = pending({ idempotencyKey: 'k' }, { fingerprint: fp('a') });
        const results = await store.append([
          { org, events: [first] },
          { org, events: [pending({ idempotencyKey: 'k' }, { fingerprint: fp('a') })] },
        ]);
        const [a] = okEvents(results[0]);
        assert.deepEqual(okEvents(results[1]), [{ id: first.id, seq: 0, processedAt: a.processedAt, duplicate: true }]);
        assert.equal(await store.countEvents(org), 1);
      });

      test('keys are per org', async () => {
        const a = await newOrg(store, 'a');
        const b = await newOrg(store, 'b');
        const pa = pending({ idempotencyKey: 'shared' }, { fingerprint: fp('a') });
        const pb = pending({ idempotencyKey: 'shared' }, { fingerprint: fp('b') });
        const results = await store.append([{ org: a, events: [pa] }, { org: b, events: [pb] }]);
        assert.equal(okEvents(results[0])[0].duplicate, false);
        assert.equal(okEvents(results[1])[0].duplicate, false);
        assert.equal((await store.getEvent(b, pb.id))?.idempotencyKey, 'shared');
      });

      test('a key first used by a group that failed is not remembered', async () => {
        const org = await newOrg(store);
        await appendOne(store, org, [pending({ idempotencyKey: 'taken' }, { fingerprint: fp('a') })]);
        const results = await store.append([{ org, events: [
          pending({ idempotencyKey: 'fresh' }, { fingerprint: fp('x') }),
          pending({ idempotencyKey: 'taken' }, { fingerprint: fp('b') }),
        ] }]);
        failed(results[0], 'ANN_ERR_IDEMPOTENCY_CONFLICT');
        const retry = pending({ idempotencyKey: 'fresh' }, { fingerprint: fp('y') });
        const [r] = await appendOne(store, org, [retry]);
        assert.deepEqual(r, { id: retry.id, seq: 1, processedAt: r.processedAt, duplicate: false });
      });

      test('a duplicate of a key from another call, between fresh events, leaves no gap', async () => {
        const org = await newOrg(store);
        const first = pending({ idempotencyKey: 'k' }, { fingerprint: fp('a') });
        await appendOne(store, org, [first]);
        const appended = await appendOne(store, org, [
          pending(), pending({ idempotencyKey: 'k' }, { fingerprint: fp('a') }), pending(),
        ]);
        assert.deepEqual(appended.map((e) => [e.seq, e.duplicate]), [[1, false], [0, true], [2, false]]);
        assert.equal(await store.countEvents(org), 3);
      });
    });

    // -- queryEvents ---------------------------------------------------------------------------------------------

    describe('queryEvents', () => {
      test('order by time, desc and asc, with seq breaking ties', async () => {
        const org = await newOrg(store);
        const times = [minute(1), minute(0), minute(1), minute(2), minute(0), minute(1)];
        await appendOne(store, org, times.map((time) => pending({ time })));
        const seqs = async (order: 'asc' | 'desc', limit = 100) =>
          (await walk(store, org, {}, { limit, order, by: 'time' })).events.map((e) => e.seq);
        assert.deepEqual(await seqs('asc'), [1, 4, 0, 2, 5, 3]);
        assert.deepEqual(await seqs('desc'), [3, 5, 2, 0, 4, 1]);
        assert.deepEqual(await seqs('asc', 1), [1, 4, 0, 2, 5, 3], 'the cursor resumes inside a run of equal times');
        assert.deepEqual(await seqs('desc', 2), [3, 5, 2, 0, 4, 1]);
      });

      test("by: 'processed' orders by commit order, whatever the event times", async () => {
        const org = await newOrg(store);
        for (let g = 0; g < 4; g++) {
          await appendOne(store, org, [pending({ time: minute(10 - 2 * g) }), pending({ time: minute(9 - 2 * g) })]);
          await sleep(3);
        }
        const asc = await walk(store, org, {}, { limit: 3, order: 'asc', by: 'processed' });
        assert.deepEqual(asc.events.map((e) => e.seq), [0, 1, 2, 3, 4, 5, 6, 7]);
        const desc = await walk(store, org, {}, { limit: 3, order: 'desc', by: 'processed' });
        assert.deepEqual(desc.events.map((e) => e.seq), [7, 6, 5, 4, 3, 2, 1, 0]);
        const byTime = await walk(store, org, {}, { limit: 3, order: 'asc', by: 'time' });
        assert.deepEqual(byTime.events.map((e) => e.seq), [7, 6, 5, 4, 3, 2, 1, 0]);
      });

      test('from is inclusive and to exclusive, on the sort column', async () => {
        const org = await newOrg(store);
        const groups: AppendedEvent[][] = [];
        for (let g = 0; g < 4; g++) {
          // Event times run against commit order, so a filter on the wrong column gives another answer.
          groups.push(await appendOne(store, org, [pending({ time: minute(30 - g) }), pending({ time: minute(30 - g) })]));
          await sleep(3);
        }
        const q = async (range: TimeRange, by: PageRequest['by']) => (await store.queryEvents(org,
          by === 'time' ? { time: range } : { processed: range }, { limit: 100, order: 'asc', by })).events.map((e) => e.seq);
        // time: minute(28) (seqs 4,5) in, minute(30) (seqs 0,1) out.
        const t = (n: number) => Date.parse(minute(n));
        assert.deepEqual(await q({ from: t(28), to: t(30) }, 'time'), [4, 5, 2, 3]);
        assert.deepEqual(await q({ from: t(28) }, 'time'), [4, 5, 2, 3, 0, 1]);
        assert.deepEqual(await q({ to: t(28) }, 'time'), [6, 7]);
        assert.deepEqual(await q({ from: t(28), to: t(28) }, 'time'), []);
        assert.deepEqual(await q({ from: t(28), to: t(28) + 1 }, 'time'), [4, 5]);
        // processed: the processedAt of group 1 in, that of group 3 out.
        const p = (g: number) => Date.parse(groups[g][0].processedAt);
        assert.ok(p(0) < p(1) && p(1) < p(2) && p(2) < p(3), 'groups a few ms apart have distinct processedAt');
        assert.deepEqual(await q({ from: p(1), to: p(3) }, 'processed'), [2, 3, 4, 5]);
        assert.deepEqual(await q({ from: p(1), to: p(1) + 1 }, 'processed'), [2, 3]);
        assert.deepEqual(await q({ to: p(1) }, 'processed'), [0, 1]);
      });

      test('queryLeaves: the same page as queryEvents, each event as its stored canonical leaf, with where the first and last sit', async () => {
        const org = await newOrg(store);
        // Text in one, two, three and four bytes of UTF-8, a quote, and a byte-order mark.
        await appendOne(store, org, [0, 1, 2, 3, 4].map((n) => pending({ time: minute(n % 3), message: { content: `m"${n} Zoë 张 🙂 \ufeff` } })));
        // Times 0, 1, 2, 0, 1 minutes for seqs 0-4: by time, (time, seq) order.
        const requests: [PageRequest, number[]][] = [
          [{ limit: 2, order: 'desc', by: 'time' }, [2, 4]], [{ limit: 10, order: 'asc', by: 'processed' }, [0, 1, 2, 3, 4]],
          [{ limit: 3, order: 'desc', by: 'processed' }, [4, 3, 2]],
          [{ limit: 2, order: 'asc', by: 'time', after: { at: Date.parse(minute(0)), seq: 0 } }, [3, 1]],
        ];
        for (const [request, seqs] of requests) {
          const events = await store.queryEvents(org, {}, request);
          const page = await store.queryLeaves(org, {}, request);
          assert.deepEqual(events.events.map((e) => e.seq), seqs);
          assert.deepEqual(page.leaves.texts(), events.events.map(leafText));
          assert.deepEqual(page.next, events.next);
          const key = (e: StoredEvent) => ({ at: Date.parse(request.by === 'time' ? e.time : e.processedAt), seq: e.seq });
          assert.deepEqual(page.first, key(events.events[0]));
          assert.deepEqual(page.last, key(events.events[events.events.length - 1]));
        }
        const none = await store.queryLeaves(org, { actions: { any: [] } }, { limit: 2, order: 'desc', by: 'time' });
        assert.deepEqual([none.leaves.length, none.first, none.last, none.next], [0, undefined, undefined, undefined]);
      });

      test('two or more large lists together (actors, actions, countries; with excluded words): every match, once', async () => {
        // Lists too large to drive alone (an embedded store then intersects their full-text tokens): 3,000 events.
        const org = await newOrg(store);
        const spec = Array.from({ length: 3000 }, (_, i) => ({
          actor: i % 2 ? 'u-a' : 'u-b',
          // contract.w: 1,200 events, one in five of u-a's (the others are u-b's).
          action: i % 97 === 1 ? 'contract.x' : [3, 4, 6, 8].includes(i % 10) ? 'contract.w' : i % 3 ? 'contract.y' : 'contract.z',
          // Bolivia: 1,200 of u-b's events; 100 of u-a's among its newest 250, and 50 among its oldest 250.
          country: i % 5 === 0 ? 'Chile'
            : (i % 2 === 0 && [2, 4, 6, 8].includes(i % 10))
              || (i % 2 === 1 && ((i % 600 >= 500 && [3, 7].includes(i % 10)) || (i % 600 < 100 && i % 10 === 3))) ? 'Bolivia' : 'Peru',
          text: i % 4 ? 'alpha words' : 'beta words',
          time: minute(i % 600),
        }));
        for (let i = 0; i < spec.length; i += 500) {
          await appendOne(store, org, spec.slice(i, i + 500).map((d) => pending(
            { time: d.time, action: d.action, actor: { id: d.actor }, location: { countryName: d.country } }, { text: d.text })));
        }
        const cases: [EventFilter, (d: (typeof spec)[number]) => boolean][] = [
          [{ actors: { any: ['u-a'] }, actions: { any: ['contract.x'] } }, (d) => d.actor === 'u-a' && d.action === 'contract.x'],
          [{ actors: { any: ['u-a'] }, actions: { any: ['contract.x', 'contract.z'] }, countries: { any: ['chile'] } },
            (d) => d.actor === 'u-a' && d.action !== 'contract.y' && d.country === 'Chile'],
          [{ actors: { any: ['u-b'] }, actions: { any: ['contract.y'] }, text: { none: ['beta'] } },
            (d) => d.actor === 'u-b' && d.action === 'contract.y' && d.text.startsWith('alpha')],
          [{ actors: { any: ['u-a', 'u-b'] }, countries: { any: ['Chile'] }, actions: { any: ['contract.y'], none: ['contract.x'] } },
            (d) => d.country === 'Chile' && d.action === 'contract.y'],
          // One in five of the actor's events match: dense enough that reading the actor's events and checking the
          // action finds each page.
          [{ actors: { any: ['u-a'] }, actions: { any: ['contract.w'] } }, (d) => d.actor === 'u-a' && d.action === 'contract.w'],
          // Dense among the actor's newest events, then sparse: a look at its newest rows finds part of a page only.
          [{ actors: { any: ['u-a'] }, countries: { any: ['Bolivia'] } }, (d) => d.actor === 'u-a' && d.country === 'Bolivia'],
        ];
        for (const [filter, want] of cases) {
          for (const order of ['desc', 'asc'] as const) {
            const seqs: number[] = [];
            let after: PageKey | undefined;
            do {
              const page = await store.queryEvents(org, filter, { limit: 100, order, by: 'time', ...(after ? { after } : {}) });
              seqs.push(...page.events.map((e) => e.seq));
              after = page.next;
            } while (after);
            const expected = spec.flatMap((d, i) => (want(d) ? [i] : []));
            assert.ok(expected.length > 0);
            assert.deepEqual([...seqs].sort((a, b) => a - b), expected, `${order} ${JSON.stringify(filter)}`);
          }
        }
      });

      test('an empty result is { events: [] } without next', async () => {
        const org = await newOrg(store);
        const page: PageRequest = { limit: 5, order: 'desc', by: 'time' };
        assert.deepEqual(await store.queryEvents(org, {}, page), { events: [] });
        await appendOne(store, org, [pending({ action: 'contract.a' })]);
        assert.deepEqual(await store.queryEvents(org, { actions: { any: ['contract.b'] } }, page), { events: [] });
        assert.deepEqual(await store.queryEvents(org, { actors: { any: ['nobody'] } }, page), { events: [] });
        assert.deepEqual(await store.queryEvents(org, { ips: { any: [ip('192.0.2.1')] } }, page), { events: [] });
        assert.deepEqual(await store.queryEvents(org, { actions: { any: [] } }, page), { events: [] }, 'an empty any matches nothing');
        assert.deepEqual(await store.queryEvents(org, { text: { all: ['absent'] } }, page), { events: [] });
      });

      test('next is absent on the last page, also when it is exactly full', async () => {
        const org = await newOrg(store);
        await appendOne(store, org, [pending({ time: minute(1) }), pending({ time: minute(2) }), pending({ time: minute(3) }), pending({ time: minute(4) })]);
        const first = await store.queryEvents(org, {}, { limit: 2, order: 'asc', by: 'time' });
        assert.deepEqual(first.events.map((e) => e.seq), [0, 1]);
        assert.deepEqual(first.next, { at: Date.parse(minute(2)), seq: 1 });
        const second = await store.queryEvents(org, {}, { limit: 2, order: 'asc', by: 'time', after: first.next });
        assert.deepEqual(second.events.map((e) => e.seq), [2, 3]);
        assert.equal('next' in second, false);
        const all = await store.queryEvents(org, {}, { limit: 4, order: 'desc', by: 'time' });
        assert.equal(all.events.length, 4);
        assert.equal('next' in all, false);
        const past = await store.queryEvents(org, {}, { limit: 2, order: 'desc', by: 'time', after: { at: Date.parse(minute(1)), seq: 0 } });
        assert.deepEqual(past, { events: [] });
      });

      test('the ends of a page are the sort key of real events only: a key between events resumes right there', async () => {
        const org = await newOrg(store);
        await appendOne(store, org, [0, 1, 2, 3].map((n) => pending({ time: minute(n) })));
        const after: PageKey = { at: Date.parse(minute(1)) + 30_000, seq: 0 };
        const asc = await store.queryEvents(org, {}, { limit: 10, order: 'asc', by: 'time', after });
        assert.deepEqual(asc.events.map((e) => e.seq), [2, 3]);
        const desc = await store.queryEvents(org, {}, { limit: 10, order: 'desc', by: 'time', after });
        assert.deepEqual(desc.events.map((e) => e.seq), [1, 0]);
      });

      describe('filters and keyset paging against a brute-force model', () => {
        const ana: Actor = { id: 'u-ana', name: 'Ana Silva', email: 'Ana.Silva@Acme.example' };
        const bob: Actor = { id: 'u-bob', name: 'Bob Jones', email: 'bob@acme.example' };
        const bot: Actor = { id: 'svc-deploy', name: 'Deploy Bot', type: 'app', auth: { authType: 'api-token', tokenId: 'tok-1' } };
        const carl: Actor = { id: 'u-carl', email: 'carl@partner.example' };
        const actors = [ana, bob, bot, carl];
        const actions = ['jira.viewed_issue', 'admin.added_user_to_group', 'admin.removed_user', 'confluence.edited_page'];
        const places: (Draft['location'] | undefined)[] = [
          { ip: '10.0.0.1', city: 'Kyiv', countryName: 'Ukraine' }, { ip: '10.0.0.2', city: 'Berlin', countryName: 'Germany' },
          { ip: '2001:db8::1', city: 'Kyiv', countryName: 'Ukraine' }, { ip: '192.0.2.7' }, undefined,
          // A city without a country, a country without a city, and a name that is a city here and a country there.
          { city: 'Luxembourg' }, { countryName: 'Luxembourg' }, { ip: '10.0.0.3', countryName: 'France' },
        ];
        const entities = [
          { id: 'u-bob', type: 'users' }, { id: 'g-7', type: 'groups' }, { id: 'jira:WEB-21', type: 'issues' }, { id: 'g-8', type: 'groups' },
        ];
        const sites = [{ id: 'site-1', type: 'sites' }, { id: 'site-2', type: 'sites' }];
        const extras = ['jira admins', 'confluence space', 'alpha beta', 'gamma', 'beta alpha gamma', 'Jones, Bob'];

        let org: string;
        let all: StoredEvent[];
        const texts = new Map<string, string>();
        const groupAt: number[] = [];
        let model: (e: StoredEvent, f: EventFilter) => boolean;

        before(async () => {
          org = await newOrg(store, 'model');
          let rnd = 12345;
          const next = (n: number) => { rnd = (rnd * 1103515245 + 12345) % 2147483648; return (rnd >>> 16) % n; };
          const pendings: PendingEvent[] = [];
          all = [];
          for (let g = 0; g < 6; g++) {
            const group: PendingEvent[] = [];
            for (let i = 0; i < 7; i++) {
              const actor = actors[next(actors.length)];
              const place = places[next(places.length)];
              const extra = extras[next(extras.length)];
              const overrides: Partial<Draft> = {
                time: minute(next(9)), action: actions[next(actions.length)], actor,
                outcome: next(4) === 0 ? 'failure' : 'success',
                context: entities.filter(() => next(3) === 0),
                // Now and then a group is the container too, and so named twice in one event.
                container: next(4) === 0 ? [sites[next(2)], { id: 'g-7', type: 'groups' }] : [sites[next(2)]],
              };
              if (place !== undefined) overrides.location = place;
              const text = `${overrides.action!.replace(/[._]/g, ' ')} ${actor.id} ${actor.name ?? ''} ${actor.email ?? ''} ${extra}`;
              group.push(pending(overrides, { text }));
            }
            const appended = await appendOne(store, org, group);
            group.forEach((p, i) => {
              texts.set(p.id, p.text);
              all.push(stored(p, org, appended[i]));
            });
            groupAt.push(Date.parse(appended[0].processedAt));
            pendings.push(...group);
            await sleep(3);
          }
          model = modelMatches(all, texts);
          // Noise in another org with the same actors, actions, ips, entities and words: must never show up.
          const noise = await newOrg(store, 'noise');
          await appendOne(store, noise, pendings.slice(0, 10).map((p) => pendingEvent(drafts.get(p)!, p.text)));
        });

        const range = (by: PageRequest['by'], time: TimeRange, processed: TimeRange): EventFilter =>
          (by === 'time' ? { time } : { processed });
        const filters: [string, (by: PageRequest['by']) => EventFilter][] = [
          ['no filter', () => ({})],
          ['from and to', (by) => range(by, { from: Date.parse(minute(2)), to: Date.parse(minute(6)) }, { from: groupAt[1], to: groupAt[3] })],
          ['from only', (by) => range(by, { from: Date.parse(minute(4)) }, { from: groupAt[2] })],
          ['to only', (by) => range(by, { to: Date.parse(minute(4)) }, { to: groupAt[2] })],
          ['event time while paging by processing time', () => ({ time: { from: Date.parse(minute(3)), to: Date.parse(minute(7)) } })],
          ['actions (any of)', () => ({ actions: { any: ['jira.viewed_issue', 'admin.removed_user'] } })],
          ['actions excluded', () => ({ actions: { none: ['jira.viewed_issue', 'admin.removed_user'] } })],
          ['actor by id', () => ({ actors: { any: ['u-bob'] } })],
          ['actor by email, case-insensitive', () => ({ actors: { any: ['ana.silva@ACME.example'] } })],
          ['actor by name, case-insensitive', () => ({ actors: { any: ['deploy bot'] } })],
          ['actors by id or name, any of', () => ({ actors: { any: ['u-carl', 'BOB JONES'] } })],
          ['actor excluded by email', () => ({ actors: { none: ['BOB@acme.example'] } })],
          ['ips (any of)', () => ({ ips: { any: [ip('10.0.0.2'), ip('2001:db8::1')] } })],
          ['a CIDR block, v4', () => ({ ips: { any: [ip('10.0.0.0/30')] } })],
          ['a CIDR block, v6', () => ({ ips: { any: [ip('2001:db8::/32')] } })],
          ['ip excluded (events without one stay in)', () => ({ ips: { none: [ip('10.0.0.0/8')] } })],
          ['blocks within blocks and an address twice (each event once)', () => ({ ips: { any: [ip('10.0.0.2'), ip('10.0.0.0/24'), ip('10.0.0.0/30'), ip('10.0.0.2'), ip('192.0.2.7')] } })],
          ['a block but an address, by actors, failures', () => ({ ips: { any: [ip('10.0.0.0/8')], none: [ip('10.0.0.2')] }, actors: { any: ['u-ana', 'u-bob', 'svc-deploy'] }, outcomes: { any: ['failure'] } })],
          ['addresses but a block, a window, an action excluded', () => ({
            time: { from: Date.parse(minute(1)), to: Date.parse(minute(8)) },
            ips: { any: [ip('10.0.0.1'), ip('2001:db8::1'), ip('10.0.0.3')], none: [ip('2001:db8::/64')] }, actions: { none: ['jira.viewed_issue'] },
          })],
          ['country, any case', () => ({ countries: { any: ['UKRAINE'] } })],
          ['country excluded', () => ({ countries: { none: ['ukraine'] } })],
          ['city', () => ({ cities: { any: ['berlin', 'Kyiv'] } })],
          ['location: a country or a city, any case', () => ({ locations: { any: ['UKRAINE', 'berlin'] } })],
          ['location: a city here, a country there', () => ({ locations: { any: ['LUXEMBOURG'] } })],
          ['location excluded (events without one stay in)', () => ({ locations: { none: ['kyiv', 'germany', 'luxembourg'] } })],
          ['failures', () => ({ outcomes: { any: ['failure'] } })],
          ['successes', () => ({ outcomes: { any: ['success'] } })],
          ['context by id', () => ({ contexts: { any: [{ id: 'g-7' }] } })],
          ['context by type and id, any of', () => ({ contexts: { any: [{ id: 'g-8', type: 'groups' }, { id: 'jira:WEB-21', type: 'issues' }] } })],
          ['context of the wrong type', () => ({ contexts: { any: [{ id: 'g-7', type: 'users' }, { id: 'u-bob' }] } })],
          ['context excluded', () => ({ contexts: { none: [{ id: 'u-bob' }] } })],
          ['container', () => ({ containers: { any: [{ id: 'site-2', type: 'sites' }] } })],
          // `type:id` is read both ways (an id may hold colons): here the id alone names something, there the type and id.
          ['an id that holds a colon, read both ways', () => ({ contexts: { any: [{ id: 'jira:WEB-21' }, { type: 'jira', id: 'WEB-21' }] } })],
          ['type:id read both ways, the id alone naming nothing', () => ({ containers: { any: [{ id: 'sites:site-2' }, { type: 'sites', id: 'site-2' }] }, outcomes: { any: ['success'] } })],
          ['type:id excluded, read both ways', () => ({ entities: { none: [{ id: 'groups:g-7' }, { type: 'groups', id: 'g-7' }, { id: 'jira:WEB-21' }] } })],
          ['entity: as actor or context', () => ({ entities: { any: [{ id: 'u-bob' }] } })],
          ['entity: a token', () => ({ entities: { any: [{ id: 'tok-1', type: 'token' }] } })],
          ['entity: any of several, anywhere', () => ({ entities: { any: [{ id: 'site-1' }, { id: 'u-carl' }, { id: 'tok-1' }] } })],
          ['entity: named twice in some events (context and container)', () => ({ entities: { any: [{ id: 'g-7' }] }, outcomes: { any: ['success'] } })],
          ['one term, case-insensitive', () => ({ text: { all: ['JIRA'] } })],
          ['every term must match', () => ({ text: { all: ['alpha', 'gamma'] } })],
          ['a phrase term', () => ({ text: { all: ['bob jones'] } })],
          ['a term and an excluded term', () => ({ text: { all: ['alpha'], none: ['gamma'] } })],
          ['only excluded terms', () => ({ text: { none: ['jira', 'bob jones'] } })],
          ['actions + actor email + from', (by) => ({
            ...range(by, { from: Date.parse(minute(3)) }, { from: groupAt[1] }),
            actions: { any: ['admin.added_user_to_group', 'admin.removed_user', 'jira.viewed_issue'] },
            actors: { any: ['Ana.Silva@acme.example', 'u-bob'] },
          })],
          ['terms + ips', () => ({ text: { all: ['beta'] }, ips: { any: [ip('10.0.0.1'), ip('10.0.0.2')] } })],
          ['terms + context + failures', () => ({ text: { all: ['admin'] }, contexts: { any: [{ id: 'g-7' }, { id: 'u-bob' }] }, outcomes: { none: ['success'] } })],
          ['everything at once', (by) => ({
            ...range(by, { from: Date.parse(minute(1)), to: Date.parse(minute(8)) }, { from: groupAt[0], to: groupAt[5] }),
            actions: { any: actions.slice(0, 3) },
            actors: { any: ['u-ana', 'bob@ACME.example', 'Deploy Bot'], none: ['u-carl'] },
            ips: { any: [ip('10.0.0.0/24'), ip('2001:db8::1')] },
            countries: { any: ['ukraine', 'germany'] },
            containers: { none: [{ id: 'site-9' }] },
            text: { all: ['admin'], none: ['space'] },
          })],
        ];

        test('the fixture has ties in time and a mix of everything', () => {
          assert.equal(all.length, 42);
          assert.ok(new Set(all.map((e) => e.time)).size < all.length, 'several events share a time');
          for (const [name, make] of filters.slice(5)) {
            const n = all.filter((e) => model(e, make('time'))).length;
            assert.ok(n > 0 && n < all.length, `filter '${name}' should select some but not all events (got ${n})`);
          }
        });

        for (const [name, make] of filters) {
          test(`${name}: every page size, both orders, both sort columns`, async () => {
            for (const by of ['time', 'processed'] as const) {
              const filter = make(by);
              for (const order of ['asc', 'desc'] as const) {
                const expected = sortEvents(all.filter((e) => model(e, filter)), by, order);
                for (const limit of [1, 2, 7, 100]) {
                  const { events, pages } = await walk(store, org, filter, { limit, order, by });
                  const label = `${name}, by ${by}, ${order}, limit ${limit}`;
                  assert.deepEqual(events.map((e) => `${e.seq}`), expected.map((e) => `${e.seq}`), label);
                  assert.deepEqual(events, expected, label);
                  assert.equal(pages, Math.max(1, Math.ceil(expected.length / limit)), `${label}: no page after the last`);
                }
              }
            }
          });
        }

        test('aggregate counts what the model counts, by facet and bucket, over any filter', async () => {
          const bounds = [0, 2, 4, 6, 9].map((n) => Date.parse(minute(n)));
          for (const [name, make] of filters) {
            const filter = make('time');
            const expected = all.filter((e) => model(e, filter));
            const got = await store.aggregate(org, filter, { facets: ['action', 'actor', 'country', 'outcome'], bounds, scanLimit: 1000 });
            assert.equal(got.complete, true, name);
            assert.deepEqual({ total: got.total, facets: got.facets, buckets: got.buckets }, modelAggregates(expected, bounds), name);
          }
        });

        test('aggregate with a scan limit counts the newest events and says so', async () => {
          const filter: EventFilter = { text: { all: ['jira'] } };
          const expected = sortEvents(all.filter((e) => model(e, filter)), 'time', 'desc');
          assert.ok(expected.length > 3);
          const got = await store.aggregate(org, filter, { facets: [], scanLimit: 3 });
          assert.equal(got.complete, false);
          assert.equal(got.total, 3);
          assert.equal(got.coveredFrom, Date.parse(expected[2].time));
        });
      });

      describe('terms are literal text, never search syntax', () => {
        let org: string;
        const ids: Record<string, string> = {};
        const docs: Record<string, string> = {
          and: 'cats AND dogs',
          or: 'tea or coffee',
          not: 'this is NOT that',
          near: 'near the title page',
          alpha: 'alpha beta',
          alphaGamma: 'alpha gamma',
          alphaOrGamma: 'alpha or gamma',
          quoted: 'she said "hello" * twice',
        };

        before(async () => {
          org = await newOrg(store, 'terms');
          const events = Object.entries(docs).map(([k, text]) => {
            const p = pending({}, { text });
            ids[k] = p.id;
            return p;
          });
          await appendOne(store, org, events);
        });

        const q = async (terms: string[]) =>
          (await store.queryEvents(org, { text: { all: terms } }, { limit: 100, order: 'asc', by: 'time' })).events.map((e) => e.id).sort();
        const idsOf = (...keys: string[]) => keys.map((k) => ids[k]).sort();

        test('operator words match themselves as words', async () => {
          assert.deepEqual(await q(['AND']), idsOf('and'));
          assert.deepEqual(await q(['and']), idsOf('and'));
          assert.deepEqual(await q(['OR']), idsOf('or', 'alphaOrGamma'));
          assert.deepEqual(await q(['NOT']), idsOf('not'));
          assert.deepEqual(await q(['NEAR']), idsOf('near'));
        });

        test('an operator between terms is one more term that must match', async () => {
          assert.deepEqual(await q(['alpha', 'OR', 'gamma']), idsOf('alphaOrGamma'));
          assert.deepEqual(await q(['alpha', 'AND', 'gamma']), []);
          assert.deepEqual(await q(['alpha', 'NOT', 'beta']), []);
          assert.deepEqual(await q(['alpha', 'gamma']), idsOf('alphaGamma', 'alphaOrGamma'));
        });

        test('punctuation that is syntax elsewhere neither throws nor acts as syntax', async () => {
          for (const term of ['"', '*', 'NEAR(', 'NEAR(alpha beta)', 'title:', 'text:alpha', '(', ')', '{alpha}', '^alpha',
            '-alpha', '+alpha', 'alpha"', '"alpha', "'", "alpha'", ':', '""', '\\', '%', '_', 'alpha;--', '', ' ']) {
            await assert.doesNotReject(q([term]), `term ${JSON.stringify(term)}`);
            await assert.doesNotReject(q(['alpha', term]), `terms ["alpha", ${JSON.stringify(term)}]`);
          }
          assert.deepEqual(await q(['alph*']), [], 'a trailing * is not a prefix search');
          assert.deepEqual(await q(['%lph%']), [], '% is not a wildcard');
          assert.deepEqual(await q(['alph_']), [], '_ is not a wildcard');
          assert.deepEqual(await q(['NEAR(']), idsOf('near'), 'NEAR( is the word near');
          assert.deepEqual(await q(['title:']), idsOf('near'), 'title: is the word title, not a column filter');
          assert.deepEqual(await q(['"hello"']), idsOf('quoted'));
        });

        test('a term with a NUL character neither throws nor acts as syntax', async () => {
            await assert.doesNotReject(q(['alpha\u0000beta']));
            await assert.doesNotReject(q(['alpha', '\u0000']));
          });
      });

      test('queries of one org never see another org\'s events, nor its actors\' emails and names', async () => {
        const a = await newOrg(store, 'a');
        const b = await newOrg(store, 'b');
        const actor: Actor = { id: 'u-same', name: 'Same Name', email: 'same@acme.example' };
        const pa = pending({ actor, action: 'contract.same', location: { ip: '10.9.9.9' } }, { text: 'sameword' });
        await appendOne(store, a, [pa]);
        // The same actor id in org b, but org b never saw its email or name.
        const pb = pending({ actor: { id: 'u-same' } }, { text: 'other' });
        await appendOne(store, b, [pb, pending({ actor: { id: 'u-other' } }, { text: 'other' })]);
        const page: PageRequest = { limit: 10, order: 'desc', by: 'time' };
        for (const filter of [
          { actors: { any: ['same@acme.example'] } }, { actors: { any: ['same name'] } }, { actions: { any: ['contract.same'] } },
          { ips: { any: [ip('10.9.9.9')] } }, { text: { all: ['sameword'] } },
        ] satisfies EventFilter[]) {
          assert.deepEqual((await store.queryEvents(a, filter, page)).events.map((e) => e.id), [pa.id], JSON.stringify(filter));
          assert.deepEqual(await store.queryEvents(b, filter, page), { events: [] }, JSON.stringify(filter));
        }
        assert.deepEqual((await store.queryEvents(a, { actors: { any: ['u-same'] } }, page)).events.map((e) => e.id), [pa.id]);
        assert.deepEqual((await store.queryEvents(b, { actors: { any: ['u-same'] } }, page)).events.map((e) => e.id), [pb.id]);
      });
    });

    describe('aggregate over time windows (counted from rollups where the store keeps them)', () => {
      const H = 3_600_000;
      const D = 24 * H;
      const START = Date.UTC(2026, 2, 1);
      let org: string;
      let all: StoredEvent[];

      before(async () => {
        org = await newOrg(store, 'rollup');
        // Six days, events every 37 minutes or so, with a few actors, actions and countries.
        const events: PendingEvent[] = [];
        for (let i = 0; i < 240; i++) {
          const time = new Date(START + i * 37 * 60_000 + (i % 7) * 1000).toISOString();
          events.push(pending({
            time, action: `contract.a${i % 5}`, actor: { id: `u-${i % 3}` }, outcome: i % 11 === 0 ? 'failure' : 'success',
            location: i % 4 === 0 ? { city: 'Oslo' } : { countryName: ['Norway', 'Chile', 'Japan'][i % 3] },
          }));
        }
        // Out of time order, and in two calls: rollups add up whatever the order.
        const appended = [...await appendOne(store, org, events.slice(120)), ...await appendOne(store, org, events.slice(0, 120))];
        const byId = new Map(appended.map((a) => [a.id, a]));
        all = events.map((p) => stored(p, org, byId.get(p.id)!));
      });

      const expect = (from: number, to: number, bounds?: number[]) =>
        modelAggregates(all.filter((e) => Date.parse(e.time) >= from && Date.parse(e.time) < to), bounds);

      const windows: [string, number, number][] = [
        ['whole days', START + D, START + 4 * D],
        ['ragged at both ends', START + 5 * H + 17 * 60_000 + 3, START + 4 * D + 7 * H + 59 * 60_000],
        ['inside one hour', START + 2 * D + 3 * H + 60_000, START + 2 * D + 3 * H + 50 * 60_000],
        ['inside one day, across hours', START + D + 30 * 60_000, START + D + 20 * H],
        ['everything', START - 10 * D, START + 20 * D],
      ];
      for (const [name, from, to] of windows) {
        test(`${name}: totals, facets and daily, hourly and 6-hourly buckets`, async () => {
          for (const step of [D, H, 6 * H]) {
            const bounds: number[] = [];
            for (let b = from - (((from % step) + step) % step); ; b += step) {
              bounds.push(b);
              if (b >= to) break;
            }
            const want = expect(from, to, bounds);
            const got = await store.aggregate(org, { time: { from, to } }, { facets: ['action', 'actor', 'country', 'outcome'], bounds, scanLimit: 10_000 });
            assert.equal(got.complete, true);
            assert.deepEqual({ total: got.total, facets: got.facets, buckets: got.buckets }, want, `${name}, step ${step / H}h`);
          }
        });
      }

      test('a window with a condition on the action: totals, action counts and buckets', async () => {
        for (const [name, from, to] of windows) {
          for (const actions of [{ any: ['contract.a1', 'contract.a3'] }, { none: ['contract.a0'] }, { any: ['contract.a2', 'contract.a4'], none: ['contract.a4'] }]) {
            const bounds: number[] = [];
            for (let b = from - (((from % D) + D) % D); ; b += D) {
              bounds.push(b);
              if (b >= to) break;
            }
            const inside = all.filter((e) => Date.parse(e.time) >= from && Date.parse(e.time) < to
              && (actions.any === undefined || actions.any.includes(e.action)) && !(actions.none?.includes(e.action) ?? false));
            const want = modelAggregates(inside, bounds);
            const got = await store.aggregate(org, { time: { from, to }, actions }, { facets: ['action'], bounds, scanLimit: 10_000 });
            assert.deepEqual({ total: got.total, action: got.facets.action, buckets: got.buckets },
              { total: want.total, action: want.facets.action, buckets: want.buckets }, `${name}, ${JSON.stringify(actions)}`);
          }
        }
      });

      test('a limit reached in the newest ragged end: the counts are those of the events from coveredFrom on', async () => {
        // The newest ragged end, [hour 104, 104h55m), holds events 169 and 170; a scan limit of 1 stops in it.
        const from = START + 5 * H + 17 * 60_000;
        const to = START + 6295 * 60_000;
        const got = await store.aggregate(org, { time: { from, to } }, { facets: ['action'], scanLimit: 1 });
        const since = (t: number) => all.filter((e) => Date.parse(e.time) >= t && Date.parse(e.time) < to);
        // The embedded store counts ragged ends up to the limit; PostgreSQL counts them whole.
        if (store.dialect === 'sqlite') assert.equal(got.complete, false);
        const counted = since(got.complete ? from : got.coveredFrom!);
        assert.equal(got.total, counted.length);
        assert.deepEqual(got.facets.action, modelAggregates(counted).facets.action);
      });

      test('an open window counts everything; no facets asked, none returned', async () => {
        const got = await store.aggregate(org, {}, { facets: [], scanLimit: 10 });
        assert.deepEqual(got, { total: all.length, facets: {}, complete: true });
      });

      test("another org's events are never counted", async () => {
        const other = await newOrg(store, 'rollup-other');
        await appendOne(store, other, [pending({ time: new Date(START + D).toISOString() })]);
        const got = await store.aggregate(other, { time: { from: START - D, to: START + 10 * D } }, { facets: ['action'], scanLimit: 10 });
        assert.equal(got.total, 1);
        const mine = await store.aggregate(org, { time: { from: START - D, to: START + 10 * D } }, { facets: [], scanLimit: 10 });
        assert.equal(mine.total, all.length);
      });
    });

    describe('a large list that cannot merge in order (an address block), read a few days at a time', () => {
      let org: string;
      let all: StoredEvent[];
      before(async () => {
        org = await newOrg(store, 'daily');
        const events: PendingEvent[] = [];
        for (let i = 0; i < 2400; i++) {
          events.push(pending({
            time: new Date(Date.UTC(2026, 3, 1) + i * 17 * 60_000).toISOString(),
            location: { ip: `10.${1 + (i % 2)}.${i % 7}.${i % 200}` }, action: `contract.b${i % 3}`,
          }));
        }
        const appended = [...await appendOne(store, org, events.slice(0, 1200)), ...await appendOne(store, org, events.slice(1200))];
        all = events.map((p, i) => stored(p, org, appended[i]));
      });

      for (const [name, filter] of [
        ['a /16 block', { ips: { any: [ip('10.1.0.0/16')] } }],
        ['two blocks and an action', { ips: { any: [ip('10.1.3.0/24'), ip('10.2.0.0/16')] }, actions: { any: ['contract.b1'] } }],
      ] as [string, EventFilter][]) {
        test(`${name}: every page, both orders, and its counts`, async () => {
          const model = modelMatches(all, new Map());
          for (const order of ['asc', 'desc'] as const) {
            const expected = sortEvents(all.filter((e) => model(e, filter)), 'time', order);
            assert.ok(expected.length > 300);
            for (const limit of [7, 250]) {
              const { events } = await walk(store, org, filter, { limit, order, by: 'time' });
              assert.deepEqual(events.map((e) => e.seq), expected.map((e) => e.seq), `${name}, ${order}, limit ${limit}`);
            }
          }
          const got = await store.aggregate(org, filter, { facets: ['action'], scanLimit: 100_000 });
          assert.deepEqual({ total: got.total, action: got.facets.action }, (({ total, facets }) => ({ total, action: facets.action }))(modelAggregates(all.filter((e) => model(e, filter)))));
        });
      }

      test('sparse days, days without a match and a gap longer than a statement reads: every page, both orders', async () => {
        // 300 days, each with an event outside the block: ten in it a day for 120 days, then none for 80, three a
        // day for 50, none for the newest 50. A read newest first finds none on its first day and looks further and
        // further; then few a day, so it reads as many days a statement as it may, across the 80 without any.
        const sparse = await newOrg(store, 'daily-sparse');
        const events: PendingEvent[] = [];
        for (let d = 0; d < 300; d++) {
          const inBlock = d < 120 ? 10 : d >= 200 && d < 250 ? 3 : 0;
          for (let j = 0; j <= inBlock; j++) {
            events.push(pending({
              time: new Date(Date.UTC(2025, 0, 1) + d * 86_400_000 + j * 3_600_000).toISOString(),
              location: { ip: j < inBlock ? `10.7.${d % 5}.${j}` : '10.200.0.1' },
            }));
          }
        }
        const appended = [...await appendOne(store, sparse, events.slice(0, 800)), ...await appendOne(store, sparse, events.slice(800))];
        const every = events.map((p, i) => stored(p, sparse, appended[i]));
        const filter: EventFilter = { ips: { any: [ip('10.7.0.0/16')] } };
        const model = modelMatches(every, new Map());
        for (const order of ['asc', 'desc'] as const) {
          const expected = sortEvents(every.filter((e) => model(e, filter)), 'time', order);
          assert.equal(expected.length, 1350);
          for (const limit of [7, 250]) {
            const { events: got } = await walk(store, sparse, filter, { limit, order, by: 'time' });
            assert.deepEqual(got.map((e) => e.seq), expected.map((e) => e.seq), `${order}, limit ${limit}`);
          }
        }
        assert.equal((await store.aggregate(sparse, filter, { facets: [], scanLimit: 100_000 })).total, 1350);
      });
    });

    describe('checkIndexes', () => {
      test('a store written only through append has nothing to report', async () => {
        const org = await newOrg(store, 'indexes');
        await appendOne(store, org, [
          pending({ context: [{ id: 'u-1', type: 'users' }, { id: 'u-1', type: 'users' }], container: [{ id: 's', type: 'sites' }], actor: { id: 'u-2', auth: { tokenId: 't-1' } } }),
          pending({ actor: { id: 'u-3', auth: { tokenId: '' } }, location: { countryName: 'Peru' } }),
        ]);
        assert.deepEqual(await store.checkIndexes(org, 10), []);
      });

      test('an event naming the most entities an event may is found by each of them, and checks clean', async () => {
        const org = await newOrg(store, 'many-entities');
        const context = Array.from({ length: 50 }, (_, i) => ({ id: `c-${i}`, type: 'pages' }));
        const container = Array.from({ length: 50 }, (_, i) => ({ id: `k-${i}`, type: 'spaces' }));
        const many = pending({ context, container, actor: { id: 'u-many', auth: { tokenId: 't-many' } } });
        await appendOne(store, org, [many, pending()]);
        const q: PageRequest = { limit: 10, order: 'desc', by: 'time' };
        for (const filter of [
          { contexts: { any: [{ id: 'c-0' }] } }, { contexts: { any: [{ id: 'c-49', type: 'pages' }] } },
          { containers: { any: [{ id: 'k-0' }] } }, { containers: { any: [{ id: 'k-49' }] } }, { entities: { any: [{ id: 't-many', type: 'token' }] } },
        ] satisfies EventFilter[]) {
          assert.deepEqual((await store.queryEvents(org, filter, q)).events.map((e) => e.id), [many.id], JSON.stringify(filter));
        }
        assert.deepEqual(await store.checkIndexes(org, 10), []);
      });
    });

    describe('warm', () => {
      const DAY = 86_400_000;
      /** An event `days` (and `ms`) before T0. */
      const daysBefore = (days: number, ms = 0) => pending({ time: new Date(T0 - days * DAY - ms).toISOString() });

      test("reads each org's newest days, back from its newest event and including the first instant, and no more", async () => {
        const own = await s.open();
        try {
          const a = await newOrg(own.store, 'warm-a');
          const b = await newOrg(own.store, 'warm-b');
          await newOrg(own.store, 'warm-empty');
          // a's newest event is a minute before T0: its 30 days reach back to daysBefore(30, 60_000), included. It has 15
          // events in them (three in one millisecond) and 3 older; b, whose newest event is 100 days older than a's, 2
          // and 1.
          await appendOne(own.store, a, [
            ...Array.from({ length: 11 }, (_, i) => daysBefore(i * 2, 60_000)), daysBefore(2, 60_000), daysBefore(2, 60_000),
            daysBefore(30), daysBefore(30, 60_000), daysBefore(30, 60_001), daysBefore(31), daysBefore(45),
          ]);
          await appendOne(own.store, b, [daysBefore(101), daysBefore(100 + 29), daysBefore(100 + 40)]);
          assert.equal(await own.store.warm({ days: 30 }), 15 + 2);
          assert.equal(await own.store.warm({ days: 30, sliceEntries: 1 }), 17, 'a slice at a time, the orgs in turn');
          assert.equal(await own.store.warm({ days: 30, sliceEntries: 2 }), 17, 'slices that end where a window does');
          assert.equal(await own.store.warm({ days: 1000 }), 21, 'every event');
          assert.equal(await own.store.warm({ days: 30, sliceEntries: 4, maxEntries: 9 }), 9, 'stops at maxEntries');
          assert.equal(await own.store.warm({ days: 0 }), 1 + 1, 'the newest millisecond of each');
          for (const bad of [{ days: -1 }, { days: 1.5 }, { days: 1e7 }, { days: 30, sliceEntries: 0 }, { days: 30, maxEntries: -1 }]) {
            await assert.rejects(own.store.warm(bad), RangeError, JSON.stringify(bad));
          }
          const page = await own.store.queryEvents(a, {}, { limit: 100, order: 'desc', by: 'time' });
          assert.equal(page.events.length, 18, 'warming changes no answer');
        } finally {
          await own.cleanup();
        }
      });

      test('a store without events reads nothing, and closing one while it warms stops the warm-up where it is, quietly', async () => {
        const own = await s.open();
        try {
          assert.equal(await own.store.warm({ days: 30 }), 0);
          const org = await newOrg(own.store, 'warm-close');
          const n = 2000;
          await appendOne(own.store, org, Array.from({ length: n }, (_, i) => daysBefore(0, i)));
          // How long a whole warm-up takes here, a slice of one entry at a time (the quicker of two); then one closed a
          // third of the way through.
          let whole = Infinity;
          for (let run = 0; run < 2; run++) {
            const t0 = performance.now();
            assert.equal(await own.store.warm({ days: 30, sliceEntries: 1 }), n);
            whole = Math.min(whole, performance.now() - t0);
          }
          const warming = own.store.warm({ days: 30, sliceEntries: 1 });
          await sleep(whole / 3);
          await own.store.close();
          const read = await warming;
          assert.ok(read > 0 && read < n, `read ${read} of ${n}`);
        } finally {
          await own.cleanup();
        }
      });
    });

    // -- api keys ------------------------------------------------------------------------------------------------

    describe('api keys', () => {
      const keyId = () => uuidv7().replaceAll('-', '').slice(-16);

      test('create, get (with the hash as stored), list by org and instance keys', async () => {
        const org = await newOrg(store);
        const other = await newOrg(store);
        const countBefore = await store.countApiKeys();
        const hash1 = Buffer.alloc(32, 1);
        const k1 = await store.createApiKey({ id: keyId(), org, name: 'writer', scopes: ['write:events'], hash: hash1 });
        assert.equal(k1.org, org);
        assert.equal(k1.name, 'writer');
        assert.deepEqual(k1.scopes, ['write:events']);
        assert.match(k1.createdAt, ISO_MS);
        assert.deepEqual(Object.keys(k1).sort(), ['createdAt', 'id', 'name', 'org', 'scopes'], 'no hash, no revokedAt');
        const k2 = await store.createApiKey({ id: keyId(), org, name: 'reader+admin', scopes: ['read:events', 'admin'], hash: Buffer.alloc(32, 2) });
        const k3 = await store.createApiKey({ id: keyId(), org: other, name: 'elsewhere', scopes: ['read:events'], hash: Buffer.alloc(32, 3) });
        const instance = await store.createApiKey({ id: keyId(), org: null, name: 'bootstrap', scopes: ['admin'], hash: Buffer.alloc(32, 4) });
        assert.equal(instance.org, null);

        const got = await store.getApiKey(k1.id);
        assert.ok(got);
        assert.ok(Buffer.isBuffer(got.hash));
        assert.deepEqual(got, { ...k1, hash: hash1 });
        assert.deepEqual(await store.getApiKey(instance.id), { ...instance, hash: Buffer.alloc(32, 4) });
        assert.equal(await store.getApiKey(keyId()), undefined);

        const byId = (keys: { id: string }[]) => [...keys].sort((x, y) => x.id.localeCompare(y.id));
        assert.deepEqual(byId(await store.listApiKeys(org)), byId([k1, k2]), 'listed keys carry no hash');
        assert.deepEqual(await store.listApiKeys(other), [k3]);
        const instanceKeys = await store.listApiKeys(null);
        assert.deepEqual(instanceKeys.find((k) => k.id === instance.id), instance);
        assert.ok(instanceKeys.every((k) => k.org === null), 'instance keys only');
        assert.deepEqual(await store.listApiKeys(await newOrg(store)), []);
        assert.equal(await store.countApiKeys(), countBefore + 4);
      });

      test('revoke: true once, then false; the key stays, with revokedAt, and still counts', async () => {
        const org = await newOrg(store);
        const key = await store.createApiKey({ id: keyId(), org, name: 'k', scopes: ['read:events'], hash: Buffer.alloc(32, 9) });
        const count = await store.countApiKeys();
        const before = Date.now();
        assert.equal(await store.revokeApiKey(key.id), true);
        assert.equal(await store.revokeApiKey(key.id), false);
        assert.equal(await store.revokeApiKey(keyId()), false, 'an unknown key');
        const got = await store.getApiKey(key.id);
        assert.ok(got?.revokedAt, 'revokedAt is set');
        assert.match(got.revokedAt, ISO_MS);
        assert.ok(Date.parse(got.revokedAt) >= before - 1000);
        assert.deepEqual(got, { ...key, revokedAt: got.revokedAt, hash: Buffer.alloc(32, 9) });
        assert.deepEqual(await store.listApiKeys(org), [{ ...key, revokedAt: got.revokedAt }]);
        // A revoked key still counts: countApiKeys() === 0 is what lets `serve` bootstrap a first admin key.
        assert.equal(await store.countApiKeys(), count);
      });

      test('a key for an unknown org is ANN_ERR_ORG_NOT_FOUND', async () => {
        const count = await store.countApiKeys();
        await assert.rejects(
          store.createApiKey({ id: keyId(), org: orgId('ghost'), name: 'k', scopes: ['admin'], hash: Buffer.alloc(32) }),
          (e) => assertCode(e, 'ANN_ERR_ORG_NOT_FOUND'));
        assert.equal(await store.countApiKeys(), count);
      });
    });

    // -- actions -------------------------------------------------------------------------------------------------

    describe('actions', () => {
      const def = (key: string, displayName = 'Did a thing'): Omit<ActionDefinition, 'builtIn'> =>
        ({ key, displayName, category: 'Contract tests', product: 'custom', operation: 'update' });

      test('register, get and list', async () => {
        const org = await newOrg(store);
        assert.deepEqual(await store.listActions(org), []);
        const b = await store.registerAction(org, def('contract.b_thing', 'B thing'));
        assert.deepEqual(b, { ...def('contract.b_thing', 'B thing'), builtIn: false });
        const a = await store.registerAction(org, { key: 'billing.refunded', displayName: 'Refunded', category: 'Billing', product: 'admin', operation: 'other' });
        assert.deepEqual(await store.getAction(org, 'contract.b_thing'), b);
        assert.deepEqual(await store.getAction(org, 'billing.refunded'), a);
        assert.equal(await store.getAction(org, 'contract.nothing'), undefined);
        const listed = await store.listActions(org);
        assert.deepEqual([...listed].sort((x, y) => x.key.localeCompare(y.key)), [a, b]);
      });

      test('a duplicate key is ANN_ERR_ACTION_EXISTS and keeps the first definition', async () => {
        const org = await newOrg(store);
        const first = await store.registerAction(org, def('contract.dup', 'First'));
        await assert.rejects(store.registerAction(org, def('contract.dup', 'Second')),
          (e) => assertCode(e, 'ANN_ERR_ACTION_EXISTS'));
        assert.deepEqual(await store.getAction(org, 'contract.dup'), first);
        assert.deepEqual(await store.listActions(org), [first]);
      });

      test('actions are per org', async () => {
        const a = await newOrg(store, 'a');
        const b = await newOrg(store, 'b');
        const inA = await store.registerAction(a, def('contract.mine', 'In A'));
        assert.equal(await store.getAction(b, 'contract.mine'), undefined);
        assert.deepEqual(await store.listActions(b), []);
        const inB = await store.registerAction(b, def('contract.mine', 'In B'));
        assert.deepEqual(await store.getAction(a, 'contract.mine'), inA);
        assert.deepEqual(await store.getAction(b, 'contract.mine'), inB);
      });

      test('registering for an unknown org is ANN_ERR_ORG_NOT_FOUND', async () => {
        await assert.rejects(store.registerAction(orgId('ghost'), def('contract.x')), (e) => assertCode(e, 'ANN_ERR_ORG_NOT_FOUND'));
      });
    });

    test('readLeaves: the stored bytes and hash, in seq order; the copies searches use only when asked for', async () => {
      const org = await newOrg(store, 'leaves');
      const events = [pending({ location: { ip: '10.1.2.3', countryName: 'Ukraine', city: 'Kyiv' } }), pending({ outcome: 'failure' })];
      const appended = await appendOne(store, org, events);
      const lean = await store.readLeaves(org, 0, 10);
      assert.deepEqual(lean.map((l) => [l.seq, l.id]), appended.map((a) => [a.seq, a.id]));
      for (const [i, l] of lean.entries()) {
        assert.equal(l.leaf.toString('utf8'), leafText(stored(events[i], org, appended[i])));
        assert.equal(l.indexed, undefined);
      }
      const full = await store.readLeaves(org, 1, 10, true);
      assert.deepEqual(full.map((l) => l.seq), [1]);
      assert.deepEqual(full[0].indexed, { timeMs: events[1].timeMs, action: events[1].action, actorId: events[1].actorId, outcome: 'failure' });
      const withPlace = (await store.readLeaves(org, 0, 1, true))[0].indexed!;
      assert.deepEqual({ ...withPlace, ip: Buffer.from(withPlace.ip!) }, {
        timeMs: events[0].timeMs, action: events[0].action, actorId: events[0].actorId, outcome: 'success',
        ip: Buffer.from(events[0].ip!), country: 'Ukraine', city: 'Kyiv',
      });
    });

    test('readLeaves: long runs and runs from the middle come back whole, each leaf with its own recorded hash', async () => {
      const org = await newOrg(store, 'long-leaves');
      const events = Array.from({ length: 2600 }, (_, i) => pending({ message: { content: `event ${i}${'é'.repeat(i % 7)}` } }));
      for (let i = 0; i < events.length; i += 500) await appendOne(store, org, events.slice(i, i + 500));
      const read = await store.readLeaves(org, 3, 2590);
      assert.deepEqual(read.map((l) => l.seq), Array.from({ length: 2590 }, (_, i) => i + 3));
      for (const l of read) {
        assert.ok(l.leafHash.equals(leafHash(l.leaf)), `seq ${l.seq}: its hash`);
        assert.equal(JSON.parse(l.leaf.toString('utf8')).seq, l.seq);
        assert.equal(JSON.parse(l.leaf.toString('utf8')).id, l.id);
      }
      assert.deepEqual((await store.readLeaves(org, 2593, 100)).map((l) => l.seq), [2593, 2594, 2595, 2596, 2597, 2598, 2599]);
      assert.deepEqual(await store.readLeaves(org, 2600, 100), []);
    });

    // -- watch ---------------------------------------------------------------------------------------------------

    test('watch: told of each commit that stores events, with the org; not of failed groups or duplicates; stop ends it', async () => {
      const org = await newOrg(store, 'watched');
      const heard: string[] = [];
      const stop = await store.watch((o) => { if (o === org) heard.push(o); });
      const until = async (n: number) => {
        for (let i = 0; i < 200 && heard.length < n; i++) await sleep(10);
      };
      await appendOne(store, org, [pending({ idempotencyKey: 'w-1' })]);
      await until(1);
      assert.deepEqual(heard, [org]);
      failed((await store.append([{ org, events: [pending({ idempotencyKey: 'w-2' }, { fingerprint: fp('a') }), pending({ idempotencyKey: 'w-2' }, { fingerprint: fp('b') })] }]))[0], 'ANN_ERR_IDEMPOTENCY_CONFLICT');
      await appendOne(store, org, [pending({ idempotencyKey: 'w-1' })]);
      await appendOne(store, org, [pending()]);
      await until(2);
      await sleep(100);
      assert.deepEqual(heard, [org, org], 'one for the second commit that stored something, none for the others');
      stop();
      await appendOne(store, org, [pending()]);
      await sleep(150);
      assert.equal(heard.length, 2, 'nothing after stop');
    });

    // -- copying a store (annals migrate) ------------------------------------------------------------------------

    describe('restoring events copied from another store', () => {
      /** Appends to `org` in this store, then restores the same events into a second store of this adapter. */
      async function copied(events: PendingEvent[]) {
        const org = await newOrg(store, 'restore');
        const appended = await appendOne(store, org, events);
        const target = await s.open();
        await target.store.createOrg({ id: org, name: 'copy' });
        const leaves = (await store.readLeaves(org, 0, 1000)).map((l) => JSON.parse(l.leaf.toString('utf8')) as StoredEvent);
        const keys = leaves.flatMap((e) => (e.idempotencyKey === undefined ? [] : [e.idempotencyKey]));
        const fingerprints = await store.fingerprints(org, keys);
        const restored = leaves.map((e) => restoredEvent(e, 'searchable words', e.idempotencyKey === undefined ? undefined : fingerprints.get(e.idempotencyKey)));
        return { org, appended, leaves, restored, target };
      }

      test('restored events keep id, seq and processedAt: the same leaves, the same tree, the same idempotency', async () => {
        const { org, appended, leaves, restored, target } = await copied([
          pending({ metadata: { n: 1 } }), pending({ idempotencyKey: 'k-1' }, { fingerprint: fp('one') }), pending({ time: minute(-90) }),
        ]);
        try {
          // Two commits on the target, as a resumed copy makes.
          for (const part of [restored.slice(0, 2), restored.slice(2)]) okEvents((await target.store.append([{ org, events: part }]))[0]);
          assert.equal(await target.store.countEvents(org), 3);
          for (const e of leaves) assert.deepEqual(await target.store.getEvent(org, e.id), e);
          assert.deepEqual(await target.store.ledgerHead(org), await store.ledgerHead(org));
          assert.deepEqual(await target.store.fingerprints(org, ['k-1', 'k-none']), new Map([['k-1', fp('one')]]));
          const again = pending({ idempotencyKey: 'k-1' }, { fingerprint: fp('one') });
          const [dup] = await appendOne(target.store, org, [again]);
          assert.deepEqual(dup, { ...appended[1], duplicate: true }, 'a retry after the copy is still a duplicate');
          const [next] = await appendOne(target.store, org, [pending()]);
          assert.equal(next.seq, 3, 'new events continue the sequence');
          assert.ok(next.processedAt >= appended[2].processedAt);
        } finally {
          await target.cleanup();
        }
      });

      test('an event that does not continue the log is ANN_ERR_RESTORE_CONFLICT, and its group leaves no trace', async () => {
        const { org, restored, target } = await copied([pending(), pending({ idempotencyKey: 'k-2' }), pending()]);
        try {
          failed((await target.store.append([{ org, events: [restored[1]] }]))[0], 'ANN_ERR_RESTORE_CONFLICT');
          failed((await target.store.append([{ org, events: [restored[0], restored[2]] }]))[0], 'ANN_ERR_RESTORE_CONFLICT');
          assert.equal(await target.store.countEvents(org), 0);
          okEvents((await target.store.append([{ org, events: [restored[0], restored[1]] }]))[0]);
          failed((await target.store.append([{ org, events: [restored[1]] }]))[0], 'ANN_ERR_RESTORE_CONFLICT');
          const backwards = { ...restored[2], restored: { seq: 2, processedMs: 0 } };
          failed((await target.store.append([{ org, events: [backwards] }]))[0], 'ANN_ERR_RESTORE_CONFLICT');
          const reusedKey = { ...restored[2], idempotencyKey: 'k-2' };
          failed((await target.store.append([{ org, events: [reusedKey] }]))[0], 'ANN_ERR_RESTORE_CONFLICT');
          assert.equal(await target.store.countEvents(org), 2);
        } finally {
          await target.cleanup();
        }
      });

      test('orgs and keys keep their times; a secret can be given its first value', async () => {
        const org = orgId('times');
        const made = await store.createOrg({ id: org, name: 'Old', createdAt: '2020-02-03T04:05:06.007Z' });
        assert.equal(made.createdAt, '2020-02-03T04:05:06.007Z');
        assert.deepEqual(await store.getOrg(org), made);
        const key = await store.createApiKey({
          id: `key-${org}`, org, name: 'old', scopes: ['read:events'], hash: fp('h'), createdAt: '2021-01-01T00:00:00.000Z', revokedAt: '2022-01-01T00:00:00.000Z',
        });
        assert.deepEqual({ createdAt: key.createdAt, revokedAt: key.revokedAt }, { createdAt: '2021-01-01T00:00:00.000Z', revokedAt: '2022-01-01T00:00:00.000Z' });
        const got = await store.getApiKey(key.id);
        assert.deepEqual({ createdAt: got?.createdAt, revokedAt: got?.revokedAt }, { createdAt: key.createdAt, revokedAt: key.revokedAt });
        const given = Buffer.alloc(32, 7);
        assert.deepEqual(await store.secret(`given-${org}`, given), given);
        assert.deepEqual(await store.secret(`given-${org}`, Buffer.alloc(32, 8)), given, 'the first value stays');
      });
    });

    // -- secret, lifecycle ---------------------------------------------------------------------------------------

    describe('secret and lifecycle', () => {
      test('secret: 32 random bytes per name, stable across calls', async () => {
        const a = await store.secret('contract-a');
        assert.ok(Buffer.isBuffer(a));
        assert.equal(a.length, 32);
        assert.deepEqual(await store.secret('contract-a'), a);
        const b = await store.secret('contract-b');
        assert.equal(b.length, 32);
        assert.notDeepEqual(b, a);
        const [c1, c2] = await Promise.all([store.secret('contract-c'), store.secret('contract-c')]);
        assert.deepEqual(c1, c2, 'concurrent first uses agree');
      });

      test('published keys: kept once each (the first copy stays), listed oldest first', async () => {
        // Real verifier keys are `name+id+base64`; the store keeps them as text, so any distinct strings will do.
        const key = (n: number) => `contract-keys+${String(n).padStart(8, '0')}+AQ${n}`;
        const mine = (keys: PublishedKey[]) => keys.filter((k) => k.verifierKey.startsWith('contract-keys+'));
        await store.publishKeys([{ verifierKey: key(2), createdMs: 2000 }, { verifierKey: key(1), createdMs: 1000 }]);
        await store.publishKeys([]);
        await Promise.all([
          store.publishKeys([{ verifierKey: key(2), createdMs: 9999 }, { verifierKey: key(3), createdMs: 1500 }]),
          store.publishKeys([{ verifierKey: key(3), createdMs: 1500 }]),
        ]);
        assert.deepEqual(mine(await store.publishedKeys()), [
          { verifierKey: key(1), createdMs: 1000 }, { verifierKey: key(3), createdMs: 1500 }, { verifierKey: key(2), createdMs: 2000 },
        ]);
      });

      test('secrets, orgs, events and seqs survive close and reopen', async () => {
        const own = await s.open();
        try {
          const org = await newOrg(own.store);
          const secret = await own.store.secret('cursor');
          const first = pending({ metadata: { n: 1 } });
          const [a] = await appendOne(own.store, org, [first, pending()]);
          const orgBefore = await own.store.getOrg(org);

          const reopened = await own.reopen();
          assert.deepEqual(await reopened.secret('cursor'), secret);
          assert.deepEqual(await reopened.getOrg(org), orgBefore);
          assert.equal(await reopened.countEvents(org), 2);
          assert.deepEqual(await reopened.getEvent(org, first.id), stored(first, org, a));
          const [c] = await appendOne(reopened, org, [pending()]);
          assert.equal(c.seq, 2, 'the sequence continues');
          assert.ok(c.processedAt >= a.processedAt);
        } finally {
          await own.cleanup();
        }
      });

      test('close is idempotent', async () => {
        const own = await s.open();
        try {
          await own.store.ping();
          await own.store.close();
          await own.store.close();
        } finally {
          await own.cleanup();
        }
      });
    });
  });
}
