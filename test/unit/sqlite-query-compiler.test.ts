// The SQLite query compiler: the SQL it makes for a few plans (exactly), and, for thousands of random query strings,
// that no part of the input ever becomes SQL text: every value is a bound parameter.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import Database from 'better-sqlite3';
import { BUILT_IN_ACTIONS } from '../../src/catalogue/catalogue.js';
import { ipRange, type IpRange } from '../../src/domain/ip.js';
import { ftsAnyOf, ftsDocument, fieldToken } from '../../src/store/sqlite/sqlite-fts.js';
import { keyAt } from '../../src/store/sqlite/sqlite-keys.js';
import { chooseDriver, type Driver, type ListField, needsCounts, SqliteQueryCompiler } from '../../src/store/sqlite/sqlite-query-compiler.js';
import { createFtsTable } from '../../src/store/sqlite/sqlite-fts.js';
import { MIGRATIONS } from '../../src/store/sqlite/sqlite-schema.js';
import { forEveryPlannedQuery } from '../support/random-queries.js';
import type { EventFilter } from '../../src/store/store.js';

const squash = (s: string) => s.replace(/\s+/g, ' ').trim();

describe('sqlite query compiler: the plans it makes', () => {
  test('a budgeted read sorts nothing: its ORDER BY is the order its keys come in, so its LIMIT stops it early', () => {
    const db = new Database(':memory:');
    for (const m of MIGRATIONS) m.up(db);
    createFtsTable(db, 1);
    const c = new SqliteQueryCompiler(1, { cities: { any: ['Oslo'] }, text: { all: ['jira'], none: ['bot'] } });
    for (const driver of [{ kind: 'time' }, { kind: 'seq' }, { kind: 'text' }] as const) {
      for (const order of ['desc', 'asc'] as const) {
        const q = c.select(driver, { columns: 'page', order, limit: 101, keys: { lo: 1n, hi: 2n ** 62n }, seqs: driver.kind === 'seq' ? { lo: 0 } : undefined, days: [1], budget: 1000 });
        const plan = (db.prepare(`EXPLAIN QUERY PLAN ${q.text}`).all(...q.params) as { detail: string }[]).map((p) => p.detail).join(' | ');
        assert.ok(plan.includes('CO-ROUTINE u'), `${driver.kind} ${order}: ${plan}`);
        assert.ok(!plan.includes('TEMP B-TREE'), `${driver.kind} ${order}: ${plan}`);
      }
    }
    db.close();
  });

  test('one actor\'s events are read from its index range alone, counted from the index alone (it holds what aggregates count), sorting nothing', () => {
    const db = new Database(':memory:');
    for (const m of MIGRATIONS) m.up(db);
    const plan = (q: { text: string; params: unknown[] }) => (db.prepare(`EXPLAIN QUERY PLAN ${q.text}`).all(...q.params) as { detail: string }[]).map((p) => p.detail).join(' | ');
    const actor = new SqliteQueryCompiler(1, { actors: { any: ['u-1'] } });
    const driver = { kind: 'list', field: 'actors' } as const;
    for (const order of ['desc', 'asc'] as const) {
      for (const days of [[20500], [20500, 20501, 20502]]) {
        const options = { order, limit: 101, keys: { lo: keyAt(20500 * 86_400_000), hi: keyAt(20503 * 86_400_000) }, days };
        const counted = plan(actor.select(driver, { ...options, columns: 'aggregate' }));
        assert.match(counted, /^SEARCH e USING COVERING INDEX events_by_actor \(org_no=\? AND day=\? AND actor_id=\? AND rowid>\? AND rowid<\?\)/, counted);
        const paged = plan(actor.select(driver, { ...options, columns: 'page' }));
        assert.match(paged, /^SEARCH e USING INDEX events_by_actor \(org_no=\? AND day=\? AND actor_id=\? AND rowid>\? AND rowid<\?\)/, paged);
        for (const p of [counted, paged]) assert.ok(!p.includes('TEMP B-TREE') && !p.includes('CO-ROUTINE'), `${order} ${days.length} days: ${p}`);
      }
    }
    // Another condition is checked in the range; one on a column the index holds needs no row of the table either.
    const failures = new SqliteQueryCompiler(1, { actors: { any: ['u-1'] }, outcomes: { any: ['failure'] } });
    const q = failures.select(driver, { columns: 'aggregate', order: 'desc', limit: 101, keys: {}, days: [20500] });
    assert.equal(squash(q.text), 'SELECT e.time_ms, e.action, e.actor_id, e.country, e.outcome FROM events e INDEXED BY events_by_actor '
      + 'WHERE e.day IN (SELECT value FROM json_each(?)) AND e.org_no = ? AND e.actor_id = ? AND e.outcome IN (1) ORDER BY e.day DESC, e.rowid DESC LIMIT ?');
    assert.match(plan(q), /COVERING INDEX events_by_actor/);
    // Counting reads the index alone whether one actor or several (an email is its actor's id and the name itself),
    // within a budget of rows or not, with conditions on what the index holds; not with others.
    const two = new SqliteQueryCompiler(1, { actors: { any: ['u-1', 'ana@example.com'] }, countries: { none: ['Peru'] }, outcomes: { any: ['failure'] } });
    assert.deepEqual(two.coveringLists, ['actors', 'outcomes']);
    for (const budget of [undefined, 1000]) {
      const counting = plan(two.select(driver, { columns: 'aggregate', order: 'desc', limit: 5001, keys: {}, days: [20500, 20501], budget }));
      assert.equal((counting.match(/COVERING INDEX events_by_actor/g) ?? []).length, 2, counting);
      assert.ok(!/INTEGER PRIMARY KEY|USING INDEX/.test(counting), `no row of the table read, budget ${budget}: ${counting}`);
    }
    for (const other of [{ cities: { any: ['Oslo'] } }, { text: { all: ['saml'] } }, { ips: { none: [ipRange('10.0.0.0/8') as IpRange] } }, { processed: { from: 1 } }]) {
      assert.deepEqual(new SqliteQueryCompiler(1, { actors: { any: ['u-1'] }, ...other }).coveringLists, [], JSON.stringify(other));
    }
    assert.deepEqual(new SqliteQueryCompiler(1, { actors: { none: ['u-1'] } }).coveringLists, [], 'no list to read');
    // The country's and the failures' indexes hold the same columns; a country is one range however it is spelled.
    const places = new SqliteQueryCompiler(1, { countries: { any: ['Peru', 'peru', 'PERU', 'Chile'] }, outcomes: { any: ['failure'] }, actions: { none: ['a.b'] } });
    assert.deepEqual(places.coveringLists, ['countries', 'outcomes']);
    for (const field of ['countries', 'outcomes'] as const) {
      const q = places.select({ kind: 'list', field }, { columns: 'aggregate', order: 'desc', limit: 5001, keys: {}, days: [20500, 20501], budget: 1000 });
      const counting = plan(q);
      assert.match(counting, field === 'countries' ? /COVERING INDEX events_by_country/ : /COVERING INDEX events_failed/, counting);
      assert.ok(!/INTEGER PRIMARY KEY|USING INDEX/.test(counting), `${field}: ${counting}`);
      assert.equal((squash(q.text).match(/UNION ALL/g) ?? []).length, field === 'countries' ? 1 : 0, `two countries, two ranges: ${q.text}`);
    }
    // A range that is not in page order (an address block) sorts its keys alone, then reads the page's rows.
    const block = new SqliteQueryCompiler(1, { ips: { any: [ipRange('10.0.0.0/8') as IpRange] } });
    const sorted = block.select({ kind: 'list', field: 'ips' }, { columns: 'page', order: 'desc', limit: 101, keys: {}, days: [20500] });
    assert.match(squash(sorted.text), /^SELECT e\.body, e\.time_ms, e\.processed_ms, e\.seq FROM \(SELECT k FROM \(SELECT e\.rowid AS k FROM events e INDEXED BY events_by_ip /);
    assert.match(plan(sorted), /COVERING INDEX events_by_ip/);
    db.close();
  });

  test('an address\'s events (addresses or blocks) are counted from its index alone, its exclusions checked on the index\'s rows; blocks that overlap are one range', () => {
    const db = new Database(':memory:');
    for (const m of MIGRATIONS) m.up(db);
    const plan = (q: { text: string; params: unknown[] }) => (db.prepare(`EXPLAIN QUERY PLAN ${q.text}`).all(...q.params) as { detail: string }[]).map((p) => p.detail).join(' | ');
    const range = (text: string) => ipRange(text) as IpRange;
    const driver = { kind: 'list', field: 'ips' } as const;
    const cases: [EventFilter, number][] = [
      [{ ips: { any: [range('10.0.0.1')] } }, 1],
      [{ ips: { any: [range('10.0.0.0/8'), range('2001:db8::/32')] }, outcomes: { any: ['failure'] } }, 2],
      // An address in a block, a block in a block, an address twice: one range, each event counted once.
      [{ ips: { any: [range('10.1.0.0/16'), range('10.0.0.0/8'), range('10.2.3.4'), range('192.168.0.1'), range('192.168.0.1')], none: [range('10.9.0.0/16')] }, actors: { any: ['u-1'] } }, 2],
    ];
    for (const [filter, arms] of cases) {
      const c = new SqliteQueryCompiler(1, filter);
      // (The other lists' indexes do not hold the address.)
      assert.deepEqual(c.coveringLists, ['ips'], JSON.stringify(filter));
      assert.equal(c.armCount('ips'), arms);
      for (const budget of [undefined, 1000]) {
        const q = c.select(driver, { columns: 'aggregate', order: 'desc', limit: 5001, keys: {}, days: [20500, 20501], budget });
        const counting = plan(q);
        assert.equal((counting.match(/COVERING INDEX events_by_ip/g) ?? []).length, arms, counting);
        assert.ok(!/INTEGER PRIMARY KEY|USING INDEX/.test(counting), `no row of the table read, budget ${budget}: ${counting}`);
        if (arms > 1) assert.match(squash(q.text), / UNION ALL /);
      }
    }
    assert.deepEqual(new SqliteQueryCompiler(1, { countries: { any: ['Peru'] }, ips: { any: [range('10.0.0.1')] } }).coveringLists, ['ips']);
    assert.deepEqual(new SqliteQueryCompiler(1, { ips: { any: [range('10.0.0.1')] }, cities: { any: ['Oslo'] } }).coveringLists, []);
    db.close();
  });

  test('an entity\'s events are counted from its rows alone (they hold what aggregates count), read as a set; its pages read each event\'s row once', () => {
    const db = new Database(':memory:');
    for (const m of MIGRATIONS) m.up(db);
    const plan = (q: { text: string; params: unknown[] }) => (db.prepare(`EXPLAIN QUERY PLAN ${q.text}`).all(...q.params) as { detail: string }[]).map((p) => p.detail).join(' | ');
    const options = { order: 'desc', limit: 5001, keys: {}, days: [20500, 20501] } as const;
    const cases: [ListField, EventFilter, RegExp][] = [
      ['containers', { containers: { any: [{ id: '10001', type: 'projects' }] } }, /^(?!.*events_by)/],
      ['containers', { containers: { any: [{ id: '10001', type: 'projects' }] }, outcomes: { any: ['failure'] } }, /^(?!.*events_by)/],
      ['contexts', { contexts: { any: [{ id: 'g-7' }, { id: 'u-bob', type: 'users' }] }, actors: { none: ['u-ana'] } }, /^(?!.*events_by)/],
      // An entity anywhere: as actor too, from the actor's index (which holds the same columns).
      ['entities', { entities: { any: [{ id: 'u-bob' }] }, countries: { any: ['Peru'] } }, /COVERING INDEX events_by_actor/],
    ];
    for (const [field, filter, actor] of cases) {
      const c = new SqliteQueryCompiler(1, filter);
      assert.deepEqual(c.coveringLists.filter((l) => l === field), [field], field);
      // (Counts always have a budget: the rows are checked after the ranges, or every row matches.)
      for (const budget of [1000, 10_000]) {
        const q = c.select({ kind: 'list', field }, { ...options, columns: 'aggregate', budget });
        const counting = plan(q);
        assert.ok(!/INTEGER PRIMARY KEY|USING INDEX/.test(counting), `${field}, budget ${budget}: no row of the table read: ${counting}`);
        assert.match(counting, actor, counting);
        // An event may be in two ranges (it names both, or its actor is the entity too): each counted once.
        assert.ok(!/UNION ALL/.test(q.text), q.text);
      }
      // A page reads its keys from the entity rows, then each event's row once.
      const page = c.select({ kind: 'list', field }, { ...options, columns: 'page', limit: 101, budget: 1000 });
      assert.equal((squash(page.text).match(/events e/g) ?? []).length, 1 + (field === 'entities' ? 1 : 0), page.text);
    }
    // An exclusion of the same list asks what else the event names, which an entity row does not hold.
    assert.deepEqual(new SqliteQueryCompiler(1, { contexts: { any: [{ id: 'g-7' }], none: [{ id: 'g-8' }] } }).coveringLists, []);
    assert.deepEqual(new SqliteQueryCompiler(1, { containers: { any: [{ id: 's' }] }, contexts: { any: [{ id: 'g-7' }] } }).coveringLists, []);
    db.close();
  });

  test('what the time or the full-text index finds is counted from the org\'s time index alone (it holds what aggregates count); its pages read each row', () => {
    const db = new Database(':memory:');
    for (const m of MIGRATIONS) m.up(db);
    createFtsTable(db, 1);
    const plan = (q: { text: string; params: unknown[] }) => (db.prepare(`EXPLAIN QUERY PLAN ${q.text}`).all(...q.params) as { detail: string }[]).map((p) => p.detail).join(' | ');
    const options = { order: 'desc', limit: 5001, keys: { lo: 1n, hi: 2n ** 62n }, days: [20500] } as const;
    const held: [string, EventFilter, Driver][] = [
      ['a word', { text: { all: ['saml'] } }, { kind: 'text' }],
      ['a word, an exclusion, actions, actors, countries, outcomes', { text: { all: ['saml'], none: ['bot'] }, actions: { none: ['a.b'] },
        actors: { any: ['u-1', 'u-2'] }, countries: { none: ['Peru'] }, outcomes: { any: ['failure'] } }, { kind: 'text' }],
      ['a product', { actions: { any: ['jira.a', 'jira.b'] }, actionsWithin: { products: ['jira'] } }, { kind: 'time' }],
      ['a window and an excluded word', { time: { from: 1, to: 2 }, text: { none: ['bot'] } }, { kind: 'time' }],
    ];
    for (const [what, filter, driver] of held) {
      const c = new SqliteQueryCompiler(1, filter);
      for (const budget of [undefined, 1000]) {
        const counting = plan(c.select(driver, { ...options, columns: 'aggregate', budget }));
        assert.match(counting, /COVERING INDEX events_by_org \(org_no=\? AND rowid/, `${what}, budget ${budget}: ${counting}`);
        assert.ok(!/INTEGER PRIMARY KEY|USING INDEX events_by_org/.test(counting), `${what}, budget ${budget}: no row of the table read: ${counting}`);
        assert.ok(!counting.includes('TEMP B-TREE'), `${what}, budget ${budget}: ${counting}`);
        // By time, the index's entries are read once, with their columns: no key looked up again.
        if (driver.kind === 'time') assert.ok(!/rowid=\?/.test(counting), `${what}, budget ${budget}: ${counting}`);
      }
      // A page needs each event's row: read by time, or looked up by its rowid alone (no index lookup first).
      const paged = plan(c.select(driver, { ...options, columns: 'page', limit: 101 }));
      assert.match(paged, driver.kind === 'text' ? /SEARCH e USING INTEGER PRIMARY KEY \(rowid=\?\)/ : /SEARCH e USING INDEX events_by_org/, `${what}: ${paged}`);
    }
    // Conditions on what the index does not hold (a city, an address, an entity, processing time): each event's row.
    for (const other of [{ cities: { any: ['Oslo'] } }, { ips: { none: [ipRange('10.0.0.0/8') as IpRange] } },
      { contexts: { none: [{ id: 'g-7' }] } }, { processed: { from: 1 } }] satisfies EventFilter[]) {
      for (const budget of [undefined, 1000]) {
        const text = plan(new SqliteQueryCompiler(1, { text: { all: ['saml'] }, ...other }).select({ kind: 'text' }, { ...options, columns: 'aggregate', budget }));
        assert.match(text, /SEARCH e USING INTEGER PRIMARY KEY \(rowid=\?\)/, `${JSON.stringify(other)}, budget ${budget}: ${text}`);
      }
      const time = plan(new SqliteQueryCompiler(1, { actions: { none: ['a.b'] }, ...other }).select({ kind: 'time' }, { ...options, columns: 'aggregate', budget: 1000 }));
      assert.match(time, /SEARCH e USING INTEGER PRIMARY KEY \(rowid=\?\)/, `${JSON.stringify(other)}, by time: ${time}`);
    }
    db.close();
  });

  test('a time window alone reads the time index between two time keys', () => {
    const c = new SqliteQueryCompiler(3, { time: { from: 1000, to: 2000 } });
    const q = c.select({ kind: 'time' }, { columns: 'page', order: 'desc', limit: 101, keys: { lo: keyAt(1000), hi: keyAt(2000) }, days: [] });
    assert.equal(squash(q.text), 'SELECT e.body, e.time_ms, e.processed_ms, e.seq FROM events e INDEXED BY events_by_org '
      + 'WHERE e.org_no = ? AND e.rowid >= ? AND e.rowid < ? ORDER BY e.rowid DESC LIMIT ?');
    assert.deepEqual(q.params, [3, 1000n << 20n, 2000n << 20n, 101]);
  });

  test('two actions merge two index ranges, each with every other condition and cut at the page size', () => {
    const c = new SqliteQueryCompiler(1, { actions: { any: ['a.b', 'c.d'] }, countries: { none: ['Peru'] } });
    const q = c.select({ kind: 'list', field: 'actions' }, { columns: 'page', order: 'asc', limit: 11, keys: {}, days: [20500, 20501] });
    const arm = 'SELECT k FROM (SELECT e.rowid AS k FROM events e INDEXED BY events_by_action WHERE e.day IN (SELECT value FROM json_each(?)) '
      + 'AND e.org_no = ? AND e.action = ? AND (e.country IS NULL OR e.country NOT IN (?)) ORDER BY e.day ASC, e.rowid ASC LIMIT ?)';
    assert.equal(squash(q.text), `SELECT e.body, e.time_ms, e.processed_ms, e.seq FROM (${arm} UNION ${arm} ORDER BY k ASC LIMIT ?) u `
      + 'CROSS JOIN events e ON e.rowid = u.k ORDER BY u.k ASC');
    assert.deepEqual(q.params, ['[20500,20501]', 1, 'a.b', 'Peru', 11, '[20500,20501]', 1, 'c.d', 'Peru', 11, 11]);
  });

  test('free text drives through the org\'s own full-text table, in time-key order: newest first is its ascending order (rowid = -key)', () => {
    const c = new SqliteQueryCompiler(7, { text: { all: ['saml', 'admin access'], none: ['okta'] }, outcomes: { any: ['failure'] } });
    const q = c.select({ kind: 'text' }, { columns: 'page', order: 'desc', limit: 5, keys: { hi: 99n }, days: [] });
    assert.equal(squash(q.text), 'SELECT e.body, e.time_ms, e.processed_ms, e.seq FROM fulltext_7 CROSS JOIN events e ON e.rowid = -fulltext_7.rowid '
      + 'WHERE fulltext_7 MATCH ? AND fulltext_7.rowid > ? AND e.org_no = ? AND e.outcome IN (1) ORDER BY fulltext_7.rowid ASC LIMIT ?');
    assert.deepEqual(q.params, ['("saml" "admin access") NOT ("okta")', -99n, 7, 5]);
    const oldest = c.select({ kind: 'text' }, { columns: 'page', order: 'asc', limit: 5, keys: { lo: 10n, hi: 99n }, days: [] });
    assert.match(squash(oldest.text), /WHERE fulltext_7 MATCH \? AND fulltext_7\.rowid > \? AND fulltext_7\.rowid <= \? .* ORDER BY fulltext_7\.rowid DESC LIMIT \?$/);
    assert.deepEqual(oldest.params.slice(0, 3), ['("saml" "admin access") NOT ("okta")', -99n, -10n]);
  });

  test('free text with actors, actions and countries asks the full-text index for their tokens too; a probe of one row does not', () => {
    const f = { text: { all: ['saml'] }, actors: { any: ['u-1', 'u-2'] }, actions: { any: ['a.b'] } };
    const c = new SqliteQueryCompiler(7, f);
    const q = c.select({ kind: 'text' }, { columns: 'page', order: 'desc', limit: 5, keys: {}, days: [] });
    const [u1, u2, ab] = [fieldToken('actor', 'u-1'), fieldToken('actor', 'u-2'), fieldToken('action', 'a.b')];
    assert.match(u1, /^annalsactor[0-9a-f]{16}$/);
    assert.notEqual(u1, u2);
    assert.notEqual(fieldToken('action', 'u-1'), u1, 'one value under two fields is two tokens');
    assert.deepEqual(q.params.slice(0, 1), [`("saml") AND (${u1} OR ${u2}) AND (${ab})`]);
    assert.match(squash(q.text), /e\.action IN \(\?\) AND e\.actor_id IN \(\?, \?\)/, 'the columns are still checked on every row');
    assert.deepEqual(c.countText({}, 100).params, [`("saml") AND (${u1} OR ${u2}) AND (${ab})`, 100], 'the text count is what the text driver reads');
    const probe = c.select({ kind: 'list', field: 'actors' }, { columns: 'page', order: 'desc', limit: 5, keys: {}, days: [1] });
    assert.ok(probe.params.includes('"saml"') && !probe.params.some((p) => typeof p === 'string' && p.includes('annals')));
    const action = { key: 'a.b', product: 'Jira', category: 'Jira user actions' };
    const groups = `${fieldToken('product', 'jira')} ${fieldToken('category', 'jira_user_actions')}`;
    assert.equal(ftsDocument('Ana viewed', { actor: 'u-1', action, country: undefined }), `Ana viewed ${u1} ${ab} ${groups}`);
    assert.equal(ftsDocument('Ana viewed', { actor: 'u-1', action, country: 'Germany' }), `Ana viewed ${u1} ${ab} ${groups} ${fieldToken('country', 'Germany')}`);
    // Products and categories compare as the query language names them (slugs).
    assert.equal(fieldToken('category', 'Jira user actions'), fieldToken('category', 'jira_user_actions'));
    assert.notEqual(fieldToken('category', 'jira'), fieldToken('product', 'jira'));
    // Countries compare as the column does (NOCASE: ASCII letters only).
    assert.equal(fieldToken('country', 'GERMANY'), fieldToken('country', 'germany'));
    assert.notEqual(fieldToken('country', 'TÜRKIYE'), fieldToken('country', 'türkiye'));
    const country = new SqliteQueryCompiler(7, { text: { all: ['saml'] }, countries: { any: ['Peru', 'chile'] } });
    assert.equal(country.narrowedByText('countries'), true);
    assert.deepEqual(country.countText({}, 1).params[0], `("saml") AND (${fieldToken('country', 'peru')} OR ${fieldToken('country', 'Chile')})`);
    assert.equal(new SqliteQueryCompiler(7, { countries: { any: ['Peru'] } }).narrowedByText('countries'), false, 'without text nothing is narrowed');
    const product = BUILT_IN_ACTIONS.slice(0, 49).map((a) => a.key);
    const many = new SqliteQueryCompiler(7, { text: { all: ['saml'] }, actions: { any: product } });
    assert.deepEqual(many.countText({}, 1).params[0], `("saml") AND (${ftsAnyOf('action', product)})`, 'a product\'s actions are asked for as tokens');
    const long = new SqliteQueryCompiler(7, { text: { all: ['saml'] }, actions: { any: BUILT_IN_ACTIONS.slice(0, 70).map((a) => a.key) } });
    assert.deepEqual(long.countText({}, 1).params[0], '"saml"', 'past TOKEN_OR_MAX values the columns alone narrow');
    // Actions asked for by product or category: the product's or category's one token (however many actions),
    // the category's when both; the actions themselves still checked on every row.
    const admin = BUILT_IN_ACTIONS.filter((a) => a.product === 'admin').map((a) => a.key);
    const byProduct = new SqliteQueryCompiler(7, { text: { all: ['saml'] }, actions: { any: admin }, actionsWithin: { products: ['admin'] } });
    assert.deepEqual(byProduct.countText({}, 1).params[0], `("saml") AND (${fieldToken('product', 'admin')})`);
    assert.ok(admin.every((k) => byProduct.select({ kind: 'text' }, { columns: 'page', order: 'desc', limit: 5, keys: {}, days: [] }).params.includes(k)));
    const both = new SqliteQueryCompiler(7, { text: { all: ['saml'] }, actions: { any: product }, actionsWithin: { categories: ['a', 'b'], products: ['jira'] } });
    assert.deepEqual(both.countText({}, 1).params[0], `("saml") AND (${fieldToken('category', 'a')} OR ${fieldToken('category', 'b')})`);
    const one = new SqliteQueryCompiler(7, { text: { all: ['saml'] }, actions: { any: ['a.b'] }, actionsWithin: { products: ['jira'] } });
    assert.deepEqual(one.countText({}, 1).params[0], `("saml") AND (${ab})`, 'one action is its own token');
  });

  test('without text, two or more of actors, actions and countries drive through their tokens alone', () => {
    const product = BUILT_IN_ACTIONS.slice(0, 49).map((a) => a.key);
    const f = { actors: { any: ['u-1'] }, actions: { any: product } };
    const c = new SqliteQueryCompiler(7, f);
    assert.equal(c.tokensCanDrive, true);
    assert.equal(c.narrowedByText('actors'), false, 'nothing is narrowed by text: the lists are still counted');
    const q = c.select({ kind: 'text' }, { columns: 'page', order: 'desc', limit: 5, keys: {}, days: [] });
    assert.deepEqual(q.params[0], `(${fieldToken('actor', 'u-1')}) AND (${ftsAnyOf('action', product)})`);
    assert.match(squash(q.text), /e\.action IN \(/, 'the columns are still checked on every row');
    const excluded = new SqliteQueryCompiler(7, { ...f, text: { none: ['viewed'] } });
    assert.deepEqual(excluded.select({ kind: 'text' }, { columns: 'page', order: 'desc', limit: 5, keys: {}, days: [] }).params[0],
      `((${fieldToken('actor', 'u-1')}) AND (${ftsAnyOf('action', product)})) NOT ("viewed")`, 'excluded words go into the MATCH');
    assert.equal(new SqliteQueryCompiler(7, { actors: { any: ['u-1'] }, ips: { any: [ipRange('10.0.0.1') as IpRange] } }).tokensCanDrive, false, 'one field is a list driver\'s job');
    assert.equal(new SqliteQueryCompiler(7, { ...f, text: { all: ['x'] } }).tokensCanDrive, false, 'with text, the text drives');
    assert.deepEqual(chooseDriver(c, new Map([['actors', 900], ['actions', 20_000]]), 1000), { kind: 'list', field: 'actors' }, 'a small list still drives');
    assert.deepEqual(chooseDriver(c, new Map([['actors', 20_000], ['actions', 20_000]]), 1000), { kind: 'text' });
    // An OR of many tokens may be slow to intersect when dense (the actor's rows are looked at first, below); one
    // token a field is not.
    const byProduct = new SqliteQueryCompiler(7, { ...f, actionsWithin: { products: ['jira'] } });
    assert.deepEqual(byProduct.select({ kind: 'text' }, { columns: 'page', order: 'desc', limit: 5, keys: {}, days: [] }).params[0],
      `(${fieldToken('actor', 'u-1')}) AND (${fieldToken('product', 'jira')})`);
    assert.equal(byProduct.tokenAlternative, undefined);
    // Then the full-text index drives without counting the lists, unless a list without tokens might drive instead.
    assert.equal(byProduct.tokensSuffice, true);
    assert.equal(c.tokensSuffice, false, 'an OR of tokens: the lists are counted and looked at');
    assert.equal(new SqliteQueryCompiler(7, { ...f, actionsWithin: { products: ['jira'] }, contexts: { any: [{ id: 'g-1' }] } }).tokensSuffice, false);
    // A list too long for tokens is not in the MATCH at all: it is counted, and may drive, as before.
    const long = new SqliteQueryCompiler(7, { actors: { any: ['u-1'] }, countries: { any: ['Germany'] }, actions: { any: BUILT_IN_ACTIONS.slice(0, 70).map((a) => a.key) } });
    assert.equal(long.tokensCanDrive, true);
    assert.equal(long.tokensSuffice, false);
    assert.equal(long.tokenAlternative, 'actors');
    // The list the store tries first, a few pages' worth of its rows, in case the matches are dense.
    assert.equal(c.tokenAlternative, 'actors', 'the list that merges (the long action list does not)');
    const scanning = c.selectScanning('actors', 404, { columns: 'page', order: 'desc', limit: 101, keys: {}, days: [5, 6] });
    assert.match(squash(scanning.text), /ORDER BY e\.day DESC, e\.rowid DESC LIMIT \?\)\) u CROSS JOIN events e ON e\.rowid = u\.k WHERE .*e\.action IN \(/,
      'the index rows are cut at the scan budget before the other lists are checked (one arm: nothing to merge)');
    assert.doesNotMatch(squash(scanning.text), /ORDER BY u\.k/, 'the matches are not sorted again: the LIMIT stops the read at a page');
    assert.deepEqual(scanning.params.slice(-1), [101]);
    assert.equal(scanning.params.filter((p) => p === 404).length, 1);
    const two = new SqliteQueryCompiler(7, { ...f, actors: { any: ['u-1', 'u-2'] } }).selectScanning('actors', 404, { columns: 'page', order: 'asc', limit: 101, keys: {}, days: [5, 6] });
    assert.match(squash(two.text), /LIMIT \?\) UNION SELECT k FROM .* ORDER BY k ASC LIMIT \?\) u CROSS JOIN events e ON e\.rowid = u\.k WHERE /, 'two arms are merged in key order, then cut');
    assert.equal(two.params.filter((p) => p === 404).length, 3);
    assert.equal(new SqliteQueryCompiler(7, { ...f, text: { all: ['x'] } }).tokenAlternative, undefined);
  });

  test('the driver: a small list drives, else the text, else the smallest list that merges, else time', () => {
    const both = new SqliteQueryCompiler(1, { actors: { any: ['u-1'] }, text: { all: ['x'] } });
    assert.equal(needsCounts(both), true);
    assert.deepEqual(chooseDriver(both, new Map([['actors', 10]]), 1000), { kind: 'list', field: 'actors' });
    assert.deepEqual(chooseDriver(both, new Map([['actors', 5000]]), 1000), { kind: 'text' });
    assert.deepEqual(chooseDriver(both, new Map([['actors', 2000], ['text', 20_000]]), 1000, 20_000), { kind: 'list', field: 'actors' },
      'a list whose probed rows cost less than the text\'s rows');
    assert.deepEqual(chooseDriver(both, new Map([['actors', 5000], ['text', 20_000]]), 1000, 20_000), { kind: 'text' });
    assert.deepEqual(chooseDriver(both, new Map([['actors', 20_000], ['text', 20_000]]), 1000, 20_000), { kind: 'text' }, 'a capped list is no better known');
    const lists = new SqliteQueryCompiler(1, { actors: { any: ['u-1'] }, ips: { any: [ipRange('10.0.0.1') as IpRange] } });
    assert.deepEqual(chooseDriver(lists, new Map([['actors', 9000], ['ips', 4000]]), 1000), { kind: 'list', field: 'ips' });
    const one = new SqliteQueryCompiler(1, { actions: { any: ['a.b'] } });
    assert.equal(needsCounts(one), false, 'one list that merges needs no counting');
    assert.deepEqual(chooseDriver(one, new Map(), 1000), { kind: 'list', field: 'actions' });
    const long = new SqliteQueryCompiler(1, { actions: { any: BUILT_IN_ACTIONS.slice(0, 40).map((a) => a.key) } });
    assert.equal(needsCounts(long), true, 'a long list reads all its matches: count it first');
    assert.deepEqual(chooseDriver(long, new Map([['actions', 20_000]]), 1000), { kind: 'time' });
    assert.deepEqual(chooseDriver(long, new Map([['actions', 12]]), 1000), { kind: 'list', field: 'actions' });
    assert.deepEqual(chooseDriver(long, new Map([['actions', 20_000]]), 1000, 20_000, () => true), { kind: 'list', field: 'actions', daily: true },
      'sparse enough per day: read a day at a time');
    assert.deepEqual(chooseDriver(new SqliteQueryCompiler(1, { cities: { any: ['Oslo'] } }), new Map(), 1000), { kind: 'time' });
  });
});

// ---------------------------------------------------------------------------------------------------------------
// No input ever becomes SQL text.

/** Every word the compiler may write. */
const VOCABULARY = new Set([
  'SELECT', 'FROM', 'WHERE', 'AND', 'OR', 'NOT', 'IN', 'IS', 'NULL', 'EXISTS', 'BETWEEN', 'ORDER', 'BY', 'DESC', 'ASC',
  'LIMIT', 'OFFSET', 'UNION', 'ALL', 'GROUP', 'CROSS', 'JOIN', 'ON', 'AS', 'INDEXED', 'MATCH', 'count', 'n', 'day', 'value', 'json_each',
  'e', 'x', 'u', 'k', 'f', 'events', 'event_entities', 'fulltext_42', 'body', 'time_ms', 'processed_ms', 'seq', 'action', 'actor_id',
  'country', 'city', 'outcome', 'ip', 'org_no', 'rowid', 'id', 'role', 'type',
  'events_by_org', 'events_by_seq', 'events_by_action', 'events_by_actor', 'events_by_ip', 'events_by_country', 'events_failed',
]);

function assertOnlyOwnWords(text: string, params: unknown[], input: string): void {
  assert.ok(!/['"`]/.test(text), `no quoted literal in SQL for ${JSON.stringify(input)}: ${text}`);
  for (const word of text.match(/[A-Za-z_][A-Za-z0-9_]*/g) ?? []) {
    assert.ok(VOCABULARY.has(word), `'${word}' is not the compiler's own word (input ${JSON.stringify(input)}): ${text}`);
  }
  for (const number of text.match(/\b\d+\b/g) ?? []) assert.ok(Number(number) <= 42, `only small literals of our own: ${number}`);
  assert.equal((text.match(/\?/g) ?? []).length, params.length, 'one parameter per placeholder');
}


/** Every SQL the compiler can make for a filter: every driver, counts, pages and aggregates. */
function everySql(filter: EventFilter): { text: string; params: unknown[] }[] {
  const c = new SqliteQueryCompiler(42, filter);
  const drivers: Driver[] = [{ kind: 'time' }, { kind: 'seq' }, ...c.candidates().map((l) => ({ kind: 'list' as const, field: l.field }))];
  if (c.hasText) drivers.push({ kind: 'text' });
  const out = c.candidates().map((l) => c.count(l.field, { lo: 1n, hi: 2n }, [1, 2], 20_000));
  if (c.hasText) out.push(c.countText({ lo: 1n }, 20_000));
  for (const driver of drivers) {
    for (const columns of ['page', 'aggregate'] as const) {
      const options = { columns, order: 'desc' as const, limit: 101, keys: { lo: 5n, hi: 9n }, seqs: driver.kind === 'seq' ? { lo: 1 } : undefined, days: [1, 2] };
      out.push(c.select(driver, options), c.select(driver, { ...options, budget: 40 }), c.budgetEdge(driver, { ...options, budget: 40 }),
        c.select(driver, { ...options, budget: 40, textSet: true }));
    }
  }
  return out;
}


describe('sqlite query compiler: input never becomes SQL', () => {
  test('for random query strings, every SQL made is the compiler\'s own words and placeholders', async () => {
    await forEveryPlannedQuery((filter, input) => {
      for (const q of everySql(filter)) assertOnlyOwnWords(q.text, q.params, input);
    });
  });

  test('hostile values in every field stay parameters', () => {
    const evil = "x'); DROP TABLE events; --\"\u0000";
    const range = ipRange('10.0.0.0/8') as IpRange;
    const filter: EventFilter = {
      time: { from: 1, to: 2 }, processed: { from: 1, to: 2 },
      actions: { any: [evil], none: [evil] }, actors: { any: [evil], none: [evil] }, ips: { any: [range], none: [range] },
      countries: { any: [evil], none: [evil] }, cities: { any: [evil], none: [evil] }, outcomes: { any: ['failure'], none: ['success'] },
      contexts: { any: [{ id: evil, type: evil }], none: [{ id: evil }] }, containers: { any: [{ id: evil }] },
      entities: { any: [{ id: evil }, { id: evil, type: evil }], none: [{ id: evil }] }, text: { all: [evil], none: [evil] },
    };
    for (const q of everySql(filter)) assertOnlyOwnWords(q.text, q.params, evil);
  });
});
