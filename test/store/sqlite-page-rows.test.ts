// The embedded store reads a page's rows packed into one result row and checks that they came in page order; rows
// that do not are read again one by one, in the order the page's statement gives. A store whose time_ms columns were
// edited behind Annals' back (so that they disagree with the time keys the pages are ordered by) takes that path;
// an untouched one never does (the statements the store prepares say which it ran).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import Database from 'better-sqlite3';
import { openAnnals } from '../../src/annals.js';
import { demoEvents } from '../../src/demo/demo-events.js';
import type { StoredEvent } from '../../src/domain/event.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import type { PageRequest } from '../../src/store/store.js';
import { COLUMNS } from '../../src/store/sqlite/sqlite-query-compiler.js';

let dir: string;
let all: StoredEvent[] = [];

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'annals-page-rows-'));
  const annals = await openAnnals({ dataDir: dir });
  await annals.store.createOrg({ id: 'o', name: 'o' });
  for (const batch of demoEvents({ events: 40, users: 5, days: 2, seed: 3, end: Date.UTC(2026, 10, 20, 12) }, 40)) await annals.ingest.ingest('o', batch);
  all = (await annals.store.queryEvents('o', {}, { limit: 100, order: 'asc', by: 'processed' })).events;
  await annals.close();
  assert.equal(all.length, 40);
});
after(() => rmSync(dir, { recursive: true, force: true }));

const byTime = (a: StoredEvent, b: StoredEvent) => Date.parse(a.time) - Date.parse(b.time) || a.seq - b.seq;
const seqs = (events: readonly StoredEvent[]) => events.map((e) => e.seq);

/** SQL texts prepared on any connection since the last call. */
const prepared: string[] = [];
const prepare = Database.prototype.prepare;
Database.prototype.prepare = function (this: Database.Database, source: string) {
  prepared.push(source);
  return prepare.call(this, source);
} as typeof prepare;
after(() => {
  Database.prototype.prepare = prepare;
});
/** Whether a page's rows were read one by one (a page statement prepared as it is, not inside a packed read). */
const readOneByOne = () => prepared.splice(0).some((source) => source.startsWith(`SELECT ${COLUMNS.page} `));

async function pages(path: string): Promise<number[][]> {
  const store = new SqliteStore({ path });
  try {
    const out: number[][] = [];
    for (const request of [{ limit: 100, order: 'desc', by: 'time' }, { limit: 100, order: 'asc', by: 'time' }, { limit: 100, order: 'desc', by: 'processed' }] as PageRequest[]) {
      const page = await store.queryLeaves('o', {}, request);
      out.push(page.leaves.texts().map((leaf) => (JSON.parse(leaf) as StoredEvent).seq));
      out.push(seqs((await store.queryEvents('o', { actors: { any: [all[0].actor.id] } }, request)).events));
    }
    return out;
  } finally {
    await store.close();
  }
}

test('rows whose times disagree with their keys are still served in key order, the same as from the untouched store', async () => {
  prepared.length = 0;
  const untouched = await pages(join(dir, 'annals.db'));
  assert.equal(readOneByOne(), false, 'an untouched store reads its pages packed');
  const newest = seqs([...all].sort(byTime).reverse());
  assert.deepEqual(untouched[0], newest);
  assert.deepEqual(untouched[2], [...newest].reverse());
  assert.deepEqual(untouched[4], seqs(all).reverse());
  const db = new Database(join(dir, 'annals.db'));
  // Times moved a year on and back (their keys, rowids, stay): a packed read now seems out of order.
  db.prepare('UPDATE events SET time_ms = time_ms + 365 * 86400000 WHERE seq % 3 = 0').run();
  db.prepare('UPDATE events SET time_ms = time_ms - 365 * 86400000 WHERE seq % 3 = 1').run();
  db.close();
  assert.deepEqual(await pages(join(dir, 'annals.db')), untouched);
  assert.equal(readOneByOne(), true, 'rows that seem out of order are read again one by one');
});
