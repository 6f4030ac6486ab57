// Upgrading an embedded store written by schema 1 (the first release): every event, its ledger and its
// searchability survive, and appends go on from where the old store stopped.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type Database from 'better-sqlite3';
import { type Annals, openAnnals } from '../../src/annals.js';
import { builtInAction } from '../../src/catalogue/catalogue.js';
import type { StoredEvent } from '../../src/domain/event.js';
import { searchText } from '../../src/domain/search-text.js';
import { verifyStore } from '../../src/integrity/verify-store.js';
import { CompactRange } from '../../src/ledger/compact-range.js';
import { leafHash } from '../../src/ledger/hasher.js';
import { leafText } from '../../src/ledger/leaf.js';
import { openDatabase } from '../../src/store/sqlite/sqlite-connection.js';
import { fieldToken, ftsDocument, ftsTable } from '../../src/store/sqlite/sqlite-fts.js';
import { MIGRATIONS } from '../../src/store/sqlite/sqlite-schema.js';
import { event } from '../support/annals.js';

let dir: string;
let annals: Annals;
const old: StoredEvent[] = [];

/** Writes a schema-1 store the way the first release's writer did: rows, leaf hashes, Merkle nodes, text, aliases. */
function writeSchemaOne(path: string): void {
  const db = openDatabase(path, 'NORMAL');
  MIGRATIONS[0].up(db);
  db.pragma('user_version = 1');
  const T = Date.UTC(2026, 5, 1, 8);
  for (const [no, org] of [[1, 'acme'], [2, 'globex']] as const) {
    db.prepare('INSERT INTO orgs (no, id, name, created_ms) VALUES (?, ?, ?, ?)').run(no, org, org, T);
    const range = CompactRange.empty();
    const n = org === 'acme' ? 40 : 3;
    for (let seq = 0; seq < n; seq++) {
      // The first release took any past time and IPv6 zone ids: a few such events.
      const odd = org === 'globex' ? { time: seq === 0 ? '0001-01-01T00:00:00.000Z' : '1960-05-01T00:00:00.000Z', location: { ip: 'fe80::1%eth0' } } : {};
      const input = event({
        // Some events share a millisecond, and times run against seq now and then.
        time: new Date(T + Math.floor(seq / 3) * 60_000 - (seq % 5 === 4 ? 3_600_000 : 0)).toISOString(),
        action: seq % 2 ? 'user_management.added_user_to_group' : 'jira_user_actions.viewed_jira_issue',
        actor: seq % 3 ? { id: 'u-ana', name: 'Ana Silva', email: 'ana@acme.example', auth: { tokenId: 'tok-7' } } : { id: 'u-bob', name: 'Bob Jones' },
        location: { ip: seq % 4 ? '91.225.122.155' : '2001:db8::7', countryName: seq % 4 ? 'Ukraine' : 'Germany', city: 'Kyiv' },
        outcome: seq % 7 === 0 ? 'failure' : 'success',
        ...odd,
      }) as unknown as StoredEvent;
      const stored: StoredEvent = {
        ...input, id: `0190a000-0000-7000-8000-${String(no * 1000 + seq).padStart(12, '0')}`, org, seq,
        processedAt: new Date(T + seq).toISOString(), context: input.context ?? [], container: input.container ?? [],
      };
      const leaf = leafText(stored);
      const hash = leafHash(leaf);
      const row = db.prepare(`INSERT INTO events (org_no, seq, id, time_ms, processed_ms, action, actor_id, ip, body, leaf_hash)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`).run(no, seq, stored.id, Date.parse(stored.time), T + seq, stored.action, stored.actor.id,
        stored.location?.ip ?? null, leaf, hash);
      db.prepare('INSERT INTO events_fts (rowid, text) VALUES (?, ?)').run(row.lastInsertRowid, searchText(stored, builtInAction(stored.action)!));
      for (const alias of [stored.actor.email, stored.actor.name]) {
        if (alias) db.prepare('INSERT OR IGNORE INTO actor_aliases (org_no, alias, actor_id) VALUES (?, ?, ?)').run(no, alias.toLowerCase(), stored.actor.id);
      }
      range.append(hash, (id, h) => { if (id.level > 0) db.prepare('INSERT INTO merkle_nodes (org_no, level, idx, hash) VALUES (?, ?, ?, ?)').run(no, id.level, id.index, h); });
      if (org === 'acme') old.push(stored);
    }
    db.prepare('UPDATE orgs SET next_seq = ?, last_processed_ms = ?, frontier = ? WHERE no = ?').run(n, T + n, Buffer.concat(range.hashes as Buffer[]), no);
  }
  db.close();
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'annals-upgrade-'));
  writeSchemaOne(join(dir, 'annals.db'));
  annals = await openAnnals({ dataDir: dir, synchronous: 'NORMAL' });
});
after(async () => {
  await annals.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('upgrading a schema-1 store', () => {
  test('every event reads back exactly as it was stored, in (time, seq) order', async () => {
    const page = await annals.query.search('acme', { limit: 1000, sortOrder: 'asc' });
    const expected = [...old].sort((a, b) => Date.parse(a.time) - Date.parse(b.time) || a.seq - b.seq);
    assert.deepEqual(page.events, expected);
    assert.equal(await annals.store.countEvents('acme'), 40);
  });

  test('the ledger verifies, deep: leaves, index copies, entities and rollups', async () => {
    await annals.ledger.cut('acme');
    const report = await verifyStore(annals.store, annals.ledger, 'acme', annals.ledger.keys.verifiers, { deep: true });
    assert.deepEqual(report.findings, []);
    assert.equal(report.ok, true);
  });

  test('the new searches find the old events: text, address blocks, countries, entities, failures, facets', async () => {
    const seqs = async (q: string) => (await annals.query.search('acme', { q, limit: 1000, sortOrder: 'asc' })).events.map((e) => e.seq).sort((a, b) => a - b);
    const where = (pred: (e: StoredEvent) => boolean) => old.filter(pred).map((e) => e.seq);
    assert.deepEqual(await seqs('"Ana Silva" viewed'), where((e) => e.actor.id === 'u-ana' && e.action.startsWith('jira')));
    assert.deepEqual(await seqs('ip:2001:db8::/32'), where((e) => e.location?.ip === '2001:db8::7'));
    assert.deepEqual(await seqs('country:germany'), where((e) => e.location?.countryName === 'Germany'));
    assert.deepEqual(await seqs('entity:tok-7'), where((e) => e.actor.id === 'u-ana'));
    assert.deepEqual(await seqs('context:g-1'), where(() => true));
    assert.deepEqual(await seqs('outcome:failure'), where((e) => e.outcome === 'failure'));
    assert.deepEqual(await seqs('actor:"bob jones"'), where((e) => e.actor.id === 'u-bob'));
    // Text with an actor, action or country is one full-text MATCH on the tokens every old row got (schema 6).
    assert.deepEqual(await seqs('viewed actor:u-bob'), where((e) => e.actor.id === 'u-bob' && e.action.startsWith('jira')));
    assert.deepEqual(await seqs('silva action:user_management.added_user_to_group actor:u-ana'),
      where((e) => e.actor.id === 'u-ana' && e.action === 'user_management.added_user_to_group'));
    assert.deepEqual(await seqs('silva country:GERMANY'), where((e) => e.actor.id === 'u-ana' && e.location?.countryName === 'Germany'));
    const facets = await annals.query.facets('acme', { from: '2026-05-01', to: '2026-07-01' }, ['actor']);
    assert.deepEqual(Object.fromEntries(facets.facets.actor!.map((v) => [v.value, v.count])), { 'u-ana': 26, 'u-bob': 14 });
  });

  test('appends go on from the old head, and the tree still verifies', async () => {
    const [ack] = await annals.ingest.ingest('acme', [event({ time: old[5].time })]);
    assert.equal(ack.seq, 40);
    await annals.ledger.cut('acme');
    const report = await verifyStore(annals.store, annals.ledger, 'acme', annals.ledger.keys.verifiers, { deep: true });
    assert.deepEqual(report.findings, []);
    const globex = await annals.query.search('globex', { q: 'jira' });
    assert.ok(globex.events.length > 0, 'every org got its own full-text index');
  });

  test('events the first release took with times before 1970 or IPv6 zone ids are kept, found and verified', async () => {
    const all = await annals.query.search('globex', { limit: 10 });
    assert.deepEqual(all.events.map((e) => e.time).sort(), ['0001-01-01T00:00:00.000Z', '1960-05-01T00:00:00.000Z', '1960-05-01T00:00:00.000Z']);
    assert.equal((await annals.query.search('globex', { q: 'ip:fe80::1' })).events.length, 3, 'an address with a zone id is found without it');
    const around = await annals.query.around('globex', all.events[0].id);
    assert.equal(around.ip.length + around.actor.length >= 0, true);
    await annals.ledger.cut('globex');
    const report = await verifyStore(annals.store, annals.ledger, 'globex', annals.ledger.keys.verifiers, { deep: true });
    assert.deepEqual(report.findings, []);
  });
});

/** What `read` reads from the store at `path`, through a connection of its own. */
function readStore<T>(path: string, read: (db: Database.Database) => T): T {
  const db = openDatabase(path, 'NORMAL');
  try {
    return read(db);
  } finally {
    db.close();
  }
}

/** The seqs of every page of `q` in org acme, four events a page, following the cursors. */
async function pagedSeqs(store: Annals, q: string, sortOrder: 'asc' | 'desc'): Promise<number[]> {
  const seqs: number[] = [];
  let cursor: string | undefined;
  do {
    const page = await store.query.search('acme', { q, limit: 4, sortOrder, cursor });
    seqs.push(...page.events.map((e) => e.seq));
    cursor = page.next;
  } while (cursor);
  return seqs;
}

/**
 * Turns the store at `path` into one of schema `version` as far as org 1's full-text rows go: each event's row made
 * again as `document` says that schema wrote it (`also`: anything else that schema did not have).
 */
function rewriteFullText(path: string, version: number, document: (e: StoredEvent) => string, also?: (db: Database.Database) => void): void {
  const db = openDatabase(path, 'NORMAL');
  // Those schemas' table, by its name then (see ftsTable).
  db.exec('DROP TABLE fulltext_1');
  db.exec(`CREATE VIRTUAL TABLE fts_1 USING fts5 (text, content = '', columnsize = 0)`);
  for (const row of db.prepare('SELECT rowid AS k, body FROM events').safeIntegers(true).all() as { k: bigint; body: string }[]) {
    db.prepare('INSERT INTO fts_1 (rowid, text) VALUES (?, ?)').run(row.k, document(JSON.parse(row.body) as StoredEvent));
  }
  also?.(db);
  db.pragma(`user_version = ${version}`);
  db.close();
}

describe('upgrading a schema-2 store: full-text rows without the field tokens', () => {
  let dir2: string;
  let store: Annals;
  const tokenRows = (path: string, table = ftsTable(1)) => readStore(path, (db) =>
    db.prepare(`SELECT count(*) AS n FROM ${table} WHERE ${table} MATCH ?`).get(fieldToken('actor', 'u-bob')) as { n: number });

  before(async () => {
    dir2 = mkdtempSync(join(tmpdir(), 'annals-upgrade2-'));
    const first = await openAnnals({ dataDir: dir2, synchronous: 'NORMAL' });
    await first.store.createOrg({ id: 'acme', name: 'acme' });
    await first.ingest.ingest('acme', Array.from({ length: 30 }, (_, i) => event({
      action: i % 2 ? 'user_management.added_user_to_group' : 'jira_user_actions.viewed_jira_issue',
      actor: i % 3 ? { id: 'u-ana', name: 'Ana Silva' } : { id: 'u-bob', name: 'Bob Jones' },
    })));
    await first.close();
    // What schema 2 wrote: the search text alone.
    const path = join(dir2, 'annals.db');
    rewriteFullText(path, 2, (e) => searchText(e, builtInAction(e.action)!), (db) => db.exec('DROP TABLE checkpoint_keys'));
    assert.equal(tokenRows(path, 'fts_1').n, 0);
    store = await openAnnals({ dataDir: dir2, synchronous: 'NORMAL' });
  });
  after(async () => {
    await store.close();
    rmSync(dir2, { recursive: true, force: true });
  });

  test('every row gets its tokens, and text with an actor or action finds what it should', async () => {
    assert.equal(tokenRows(join(dir2, 'annals.db')).n, 10);
    const seqs = async (q: string) => (await store.query.search('acme', { q, limit: 1000 })).events.map((e) => e.seq).sort((a, b) => a - b);
    const all = Array.from({ length: 30 }, (_, i) => i);
    assert.deepEqual(await seqs('jones actor:u-bob'), all.filter((i) => i % 3 === 0));
    assert.deepEqual(await seqs('silva action:jira_user_actions.viewed_jira_issue'), all.filter((i) => i % 3 !== 0 && i % 2 === 0));
    assert.deepEqual(await seqs('silva actor:u-bob'), []);
  });
});

describe('upgrading a schema-4 store: full-text rows without product and category tokens', () => {
  let dir4: string;
  let store: Annals;
  const custom = { key: 'billing.refunded_invoice', displayName: 'Refunded invoice', category: 'Billing desk' };
  const groupRows = (path: string, table = ftsTable(1)) => readStore(path, (db) => {
    const n = (token: string) => (db.prepare(`SELECT count(*) AS n FROM ${table} WHERE ${table} MATCH ?`).get(token) as { n: number }).n;
    return { jira: n(fieldToken('product', 'jira')), billing: n(fieldToken('category', 'billing_desk')) };
  });
  const actionOf = (i: number) => (i % 3 === 0 ? custom.key : i % 3 === 1 ? 'user_management.added_user_to_group' : 'jira_user_actions.viewed_jira_issue');
  const actorOf = (i: number) => (i % 2 ? { id: 'u-ana', name: 'Ana Silva' } : { id: 'u-bob', name: 'Bob Quimby' });

  before(async () => {
    dir4 = mkdtempSync(join(tmpdir(), 'annals-upgrade4-'));
    const first = await openAnnals({ dataDir: dir4, synchronous: 'NORMAL' });
    await first.store.createOrg({ id: 'acme', name: 'acme' });
    await first.actions.register('acme', custom);
    await first.ingest.ingest('acme', Array.from({ length: 30 }, (_, i) => event({ action: actionOf(i), actor: actorOf(i) })));
    await first.close();
    // What schema 4 wrote: the search text and the actor, action and country tokens.
    const path = join(dir4, 'annals.db');
    rewriteFullText(path, 4, (e) => {
      const country = e.location?.countryName === undefined ? '' : ` ${fieldToken('country', e.location.countryName)}`;
      return `${searchText(e, builtInAction(e.action) ?? custom)} ${fieldToken('actor', e.actor.id)} ${fieldToken('action', e.action)}${country}`;
    });
    assert.deepEqual(groupRows(path, 'fts_1'), { jira: 0, billing: 0 });
    store = await openAnnals({ dataDir: dir4, synchronous: 'NORMAL' });
  });
  after(async () => {
    await store.close();
    rmSync(dir4, { recursive: true, force: true });
  });

  test('every row gets its product and category tokens (the org\'s own actions too), and a product or category with an actor finds what it should', async () => {
    assert.deepEqual(groupRows(join(dir4, 'annals.db')), { jira: 10, billing: 10 });
    const seqs = async (q: string) => (await store.query.search('acme', { q, limit: 1000 })).events.map((e) => e.seq).sort((a, b) => a - b);
    const all = Array.from({ length: 30 }, (_, i) => i);
    assert.deepEqual(await seqs('product:jira actor:u-bob'), all.filter((i) => i % 3 === 2 && i % 2 === 0));
    assert.deepEqual(await seqs('category:"billing desk" actor:u-ana'), all.filter((i) => i % 3 === 0 && i % 2 === 1));
    assert.deepEqual(await seqs('quimby category:"User management"'), all.filter((i) => i % 3 === 1 && i % 2 === 0));
    assert.deepEqual(await seqs('product:custom actor:u-bob -action:billing.*'), []);
    // Events appended after the upgrade carry them too.
    await store.ingest.ingest('acme', [event({ action: custom.key, actor: { id: 'u-bob' } }), event({ action: 'jira_user_actions.viewed_jira_issue', actor: { id: 'u-bob' } })]);
    assert.deepEqual(await seqs('category:billing_desk actor:u-bob'), [...all.filter((i) => i % 3 === 0 && i % 2 === 0), 30]);
    assert.deepEqual(await seqs('product:jira actor:u-bob'), [...all.filter((i) => i % 3 === 2 && i % 2 === 0), 31]);
    assert.deepEqual(groupRows(join(dir4, 'annals.db')), { jira: 11, billing: 11 });
  });
});

describe('upgrading a schema-5 store: full-text rows keyed by the time key itself', () => {
  let dir5: string;
  let store: Annals;
  /**
   * How many events have a full-text row at their time key, and how many at it negated (a contentless table cannot
   * be scanned: every row names one of the two actors).
   */
  const keying = (path: string, table: string) => readStore(path, (db) => {
    const any = `${fieldToken('actor', 'u-ana')} OR ${fieldToken('actor', 'u-bob')}`;
    const n = (rowid: string) => (db.prepare(`SELECT count(*) AS n FROM events e WHERE EXISTS (SELECT 1 FROM ${table} WHERE ${table} MATCH ? AND rowid = ${rowid})`).get(any) as { n: number }).n;
    const tables = (db.prepare("SELECT name FROM sqlite_schema WHERE name IN ('fts_1', 'fulltext_1') ORDER BY name").pluck().all() as string[]).join();
    return { tables, events: (db.prepare('SELECT count(*) AS n FROM events').get() as { n: number }).n, same: n('e.rowid'), negated: n('-e.rowid') };
  });

  before(async () => {
    dir5 = mkdtempSync(join(tmpdir(), 'annals-upgrade5-'));
    const first = await openAnnals({ dataDir: dir5, synchronous: 'NORMAL' });
    await first.store.createOrg({ id: 'acme', name: 'acme' });
    // Times run against seq now and then, and several events share a millisecond.
    const T = Date.now() - 3_600_000;
    await first.ingest.ingest('acme', Array.from({ length: 40 }, (_, i) => event({
      time: new Date(T + Math.floor(i / 3) * 1000 - (i % 7 === 6 ? 600_000 : 0)).toISOString(),
      actor: i % 2 ? { id: 'u-ana', name: 'Ana Silva' } : { id: 'u-bob', name: 'Bob Quimby' },
      message: { content: i % 4 ? 'rotated the signing key' : 'viewed the audit log' },
    })));
    await first.close();
    // What schema 5 wrote: today's rows, keyed by the time key.
    const path = join(dir5, 'annals.db');
    rewriteFullText(path, 5, (e) => ftsDocument(searchText(e, builtInAction(e.action)!), { actor: e.actor.id, action: builtInAction(e.action)!, country: e.location?.countryName }));
    assert.deepEqual(keying(path, 'fts_1'), { tables: 'fts_1', events: 40, same: 40, negated: 0 });
    store = await openAnnals({ dataDir: dir5, synchronous: 'NORMAL' });
  });
  after(async () => {
    await store.close();
    rmSync(dir5, { recursive: true, force: true });
  });

  test('every row is keyed by its time key negated, and pages of text come in (time, seq) order either way', async () => {
    assert.deepEqual(keying(join(dir5, 'annals.db'), ftsTable(1)), { tables: 'fulltext_1', events: 40, same: 0, negated: 40 });
    const all = (await store.query.search('acme', { limit: 1000 })).events;
    const pages = (q: string, sortOrder: 'asc' | 'desc') => pagedSeqs(store, q, sortOrder);
    const rotated = all.filter((e) => e.message?.content === 'rotated the signing key');
    assert.equal(rotated.length, 30);
    assert.deepEqual(await pages('rotated', 'desc'), rotated.map((e) => e.seq));
    assert.deepEqual(await pages('rotated', 'asc'), rotated.map((e) => e.seq).reverse());
    const bobsViews = all.filter((e) => e.actor.id === 'u-bob' && e.message?.content === 'viewed the audit log');
    assert.equal(bobsViews.length, 10);
    assert.deepEqual(await pages('quimby "audit log"', 'desc'), bobsViews.map((e) => e.seq));
    assert.deepEqual(await pages('rotated actor:u-ana', 'desc'), rotated.filter((e) => e.actor.id === 'u-ana').map((e) => e.seq));
    const byActor = async (q: string) => (await store.query.facets('acme', { q }, ['actor'])).facets.actor?.map(({ value, count }) => ({ value, count }));
    assert.deepEqual(await byActor('rotated'), [{ value: 'u-ana', count: 20 }, { value: 'u-bob', count: 10 }]);
    // Only excluded words: the time index drives, and the text is a probe of each row (a page) or one set (a count).
    assert.deepEqual(await pages('-viewed', 'desc'), rotated.map((e) => e.seq));
    assert.deepEqual(await pages('-viewed', 'asc'), rotated.map((e) => e.seq).reverse());
    assert.deepEqual(await byActor('-viewed'), [{ value: 'u-ana', count: 20 }, { value: 'u-bob', count: 10 }]);
  });
});

describe('upgrading a schema-6 store: org, actor, country, address and failure indexes of keys alone, entity rows without copies', () => {
  let dir6: string;
  let store: Annals;
  const columns = (path: string) => readStore(path, (db) => ['events_by_actor', 'events_by_country', 'events_by_ip', 'events_failed', 'events_by_org'].map((index) =>
    (db.prepare('SELECT name FROM pragma_index_xinfo(?) WHERE key = 1 ORDER BY seqno').pluck().all(index) as string[]).join()));
  const T = Date.now() - 3 * 86_400_000;
  const inputs = Array.from({ length: 45 }, (_, i) => event({
    // Three days, several events a millisecond, times against seq now and then.
    time: new Date(T + Math.floor(i / 15) * 86_400_000 + Math.floor(i / 4) * 1000 - (i % 6 === 5 ? 7_200_000 : 0)).toISOString(),
    action: i % 2 ? 'user_management.added_user_to_group' : 'jira_user_actions.viewed_jira_issue',
    actor: i % 3 ? { id: 'u-ana', name: 'Ana Silva', email: 'ana@acme.example' } : { id: 'u-bob', name: 'Bob Jones' },
    location: { ip: i % 7 ? '91.225.122.155' : '2001:db8::7', countryName: i % 4 ? 'Ukraine' : 'Germany' },
    outcome: i % 5 === 0 ? 'failure' : 'success',
  }));

  before(async () => {
    dir6 = mkdtempSync(join(tmpdir(), 'annals-upgrade6-'));
    const first = await openAnnals({ dataDir: dir6, synchronous: 'NORMAL' });
    await first.store.createOrg({ id: 'acme', name: 'acme' });
    await first.ingest.ingest('acme', inputs);
    await first.close();
    // What schema 6 had: the actor's index of (org, day, actor) and the rowid.
    const path = join(dir6, 'annals.db');
    readStore(path, (db) => {
      db.exec(`DROP INDEX events_by_actor; CREATE INDEX events_by_actor ON events (org_no, day, actor_id);
        DROP INDEX events_by_country; CREATE INDEX events_by_country ON events (org_no, day, country);
        DROP INDEX events_by_ip; CREATE INDEX events_by_ip ON events (org_no, day, ip);
        CREATE TABLE entities6 (org_no INTEGER NOT NULL, day INTEGER NOT NULL, id TEXT NOT NULL, k INTEGER NOT NULL, role INTEGER NOT NULL,
          type TEXT NOT NULL, PRIMARY KEY (org_no, day, id, k, role, type)) WITHOUT ROWID;
        INSERT INTO entities6 SELECT org_no, day, id, k, role, type FROM event_entities;
        -- An entity row of an event that is not stored (only tampering makes one): not carried over, where it would
        -- be counted as an event.
        INSERT INTO entities6 SELECT org_no, day, 'ghost', k + 1, 0, 'users' FROM event_entities ORDER BY k DESC LIMIT 1;
        DROP TABLE event_entities; ALTER TABLE entities6 RENAME TO event_entities;
        DROP INDEX events_failed; CREATE INDEX events_failed ON events (org_no) WHERE outcome = 1;
        DROP INDEX events_by_org; CREATE INDEX events_by_org ON events (org_no)`);
      db.pragma('user_version = 6');
    });
    assert.deepEqual(columns(path), ['org_no,day,actor_id', 'org_no,day,country', 'org_no,day,ip', 'org_no', 'org_no']);
    store = await openAnnals({ dataDir: dir6, synchronous: 'NORMAL' });
  });
  after(async () => {
    await store.close();
    rmSync(dir6, { recursive: true, force: true });
  });

  test('the indexes hold what aggregates count, and their pages and counts are what they were', async () => {
    assert.deepEqual(columns(join(dir6, 'annals.db')), ['org_no,day,actor_id,rowid,time_ms,action,country,outcome',
      'org_no,day,country,rowid,time_ms,action,actor_id,outcome', 'org_no,day,ip,rowid,time_ms,action,actor_id,country,outcome',
      'org_no,rowid,time_ms,action,actor_id,country,outcome', 'org_no,rowid,time_ms,action,actor_id,country,outcome']);
    const all = (await store.query.search('acme', { limit: 1000 })).events;
    assert.equal(all.length, 45);
    // Every entity row got its event's copies.
    const entityRows = readStore(join(dir6, 'annals.db'), (db) => db.prepare(`SELECT count(*) AS n, sum(x.time_ms IS e.time_ms AND x.action IS e.action
      AND x.actor_id IS e.actor_id AND x.country IS e.country AND x.outcome IS e.outcome) AS same FROM event_entities x JOIN events e ON e.rowid = x.k`).get()) as { n: number; same: number };
    assert.deepEqual([entityRows.n, entityRows.same], [45 * 3, 45 * 3]);
    assert.deepEqual(await store.store.checkIndexes('acme', 10), []);
    assert.deepEqual((await store.query.facets('acme', { q: 'entity:ghost' }, ['action'])).total, 0);
    type Stored = (typeof all)[number];
    const cases: [string, (e: Stored) => boolean][] = [
      ['actor:u-ana', (e) => e.actor.id === 'u-ana'],
      ['actor:ana@acme.example', (e) => e.actor.id === 'u-ana'],
      ['actor:u-bob outcome:failure', (e) => e.actor.id === 'u-bob' && e.outcome === 'failure'],
      ['country:germany -actor:u-bob', (e) => e.location?.countryName === 'Germany' && e.actor.id !== 'u-bob'],
      ['outcome:failure', (e) => e.outcome === 'failure'],
      ['ip:2001:db8::7', (e) => e.location?.ip === '2001:db8::7'],
      ['ip:91.225.0.0/16 ip:2001:db8::/32 -ip:91.225.122.155 -actor:u-bob', (e) => e.location?.ip === '2001:db8::7' && e.actor.id !== 'u-bob'],
      ['ip:91.225.122.155 outcome:failure', (e) => e.location?.ip === '91.225.122.155' && e.outcome === 'failure'],
      ['context:g-1 outcome:failure', (e) => e.outcome === 'failure'],
      ['entity:u-bob -country:germany', (e) => e.location?.countryName !== 'Germany'],
      ['container:sites:site-1 actor:u-ana', (e) => e.actor.id === 'u-ana'],
      // Counted from the org's time index (schema 11): words found through the full-text index, and events found
      // through the time index less a word's.
      ['viewed', (e) => e.action === 'jira_user_actions.viewed_jira_issue'],
      ['group -actor:u-bob country:ukraine', (e) => e.action === 'user_management.added_user_to_group' && e.actor.id !== 'u-bob' && e.location?.countryName === 'Ukraine'],
      ['-viewed', (e) => e.action !== 'jira_user_actions.viewed_jira_issue'],
      // (Through the failures' index.)
      ['product:jira outcome:failure', (e) => e.action === 'jira_user_actions.viewed_jira_issue' && e.outcome === 'failure'],
    ];
    for (const [q, matches] of cases) {
      const expected = all.filter(matches);
      assert.ok(expected.length > 0, q);
      const order = expected.map((e) => e.seq);
      assert.deepEqual(await pagedSeqs(store, q, 'desc'), order, q);
      assert.deepEqual(await pagedSeqs(store, q, 'asc'), order.reverse(), q);
      const counted = await store.query.facets('acme', { q }, ['action', 'country', 'outcome']);
      const tally = (of: (e: (typeof all)[number]) => string) => {
        const n = new Map<string, number>();
        for (const e of expected) n.set(of(e), (n.get(of(e)) ?? 0) + 1);
        return [...n].map(([value, count]) => ({ value, count })).sort((a, b) => b.count - a.count || a.value.localeCompare(b.value));
      };
      const got = (field: 'action' | 'country' | 'outcome') => counted.facets[field]?.map(({ value, count }) => ({ value, count }))
        .sort((a, b) => b.count - a.count || a.value.localeCompare(b.value));
      assert.deepEqual(got('action'), tally((e) => e.action), q);
      assert.deepEqual(got('country'), tally((e) => e.location?.countryName ?? ''), q);
      assert.deepEqual(got('outcome'), tally((e) => e.outcome ?? 'success'), q);
    }
  });
});

test('a store of a schema newer than this Annals knows is refused, not read', async () => {
  const dirN = mkdtempSync(join(tmpdir(), 'annals-newer-'));
  try {
    await (await openAnnals({ dataDir: dirN, synchronous: 'NORMAL' })).close();
    readStore(join(dirN, 'annals.db'), (db) => db.pragma(`user_version = ${MIGRATIONS.length + 1}`));
    await assert.rejects(openAnnals({ dataDir: dirN, synchronous: 'NORMAL' }), new RegExp(`schema ${MIGRATIONS.length + 1}, newer than this Annals knows`));
  } finally {
    rmSync(dirN, { recursive: true, force: true });
  }
});
