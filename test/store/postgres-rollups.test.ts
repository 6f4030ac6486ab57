// The PostgreSQL store's rollups: facets and histograms over whole hours and days are read from them (a count
// changed in the table shows in the answer), `verify --deep` (checkIndexes) recounts them from the event bodies, and
// the migration that adds them to a database of schema 1 counts the events already stored.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { pendingEvent } from '../../src/store/pending-event.js';
import { MIGRATIONS } from '../../src/store/postgres/postgres-schema.js';
import { PostgresStore } from '../../src/store/postgres/postgres-store.js';
import type { AggregateRequest } from '../../src/store/store.js';
import { dropSchema, newSchema, POSTGRES_URL, postgresReachable } from '../support/postgres.js';

const reachable = await postgresReachable();
const DAY = 86_400_000;
const START = Date.UTC(2026, 4, 1);

describe('the PostgreSQL rollups', { skip: !reachable && 'PostgreSQL is not reachable' }, () => {
  const schema = newSchema();
  let store: PostgresStore;
  let client: pg.Client;
  const open = () => new PostgresStore({ url: POSTGRES_URL, schema, writer: 'inline' });
  const window = { time: { from: START, to: START + 5 * DAY } };
  const request: AggregateRequest = { facets: ['action', 'actor', 'country', 'outcome'], bounds: [START, START + DAY, START + 5 * DAY], scanLimit: 10 };
  let expected: Awaited<ReturnType<PostgresStore['aggregate']>>;

  before(async () => {
    if (!reachable) return;
    store = open();
    await store.createOrg({ id: 'acme', name: 'Acme' });
    const events = Array.from({ length: 150 }, (_, i) => pendingEvent({
      time: new Date(START + i * 47 * 60_000).toISOString(), action: `user_management.a${i % 4}`, actor: { id: `u-${i % 6}` },
      context: [], container: [], outcome: i % 9 === 0 ? 'failure' : 'success', location: i % 5 === 0 ? {} : { countryName: ['Norway', 'Chile'][i % 2] },
    }, 'text'));
    const [result] = await store.append([{ org: 'acme', events }]);
    assert.ok(result.ok);
    client = new pg.Client({ connectionString: POSTGRES_URL });
    await client.connect();
    expected = await store.aggregate('acme', window, request);
  });
  after(async () => {
    if (!reachable) return;
    await store.close();
    await client.end();
    await dropSchema(schema);
  });

  test('whole days are counted completely, beyond the scan limit', () => {
    // 150 events, counted with a scan limit of 10: only rollups can say all of them, complete.
    assert.equal(expected.total, 150);
    assert.equal(expected.complete, true);
    assert.deepEqual(expected.buckets, [31, 119]);
    assert.deepEqual(expected.facets.outcome, [{ value: 'success', count: 133 }, { value: 'failure', count: 17 }]);
    assert.deepEqual(expected.facets.country, [{ value: 'Chile', count: 60 }, { value: 'Norway', count: 60 }]);
  });

  test('a changed count shows in the answer, and verify --deep names it; so does a count of nothing at all', async () => {
    await client.query(`UPDATE ${schema}.rollups SET n = n + 5 WHERE dim = 0 AND grain = 1 AND bucket = $1`, [START]);
    await client.query(`INSERT INTO ${schema}.rollups VALUES ('acme', 1, 0, $1, 'phantom.action', 3)`, [START]);
    try {
      const got = await store.aggregate('acme', window, request);
      assert.equal(got.total, 155);
      const findings = await store.checkIndexes('acme', 100);
      assert.ok(findings.some((f) => /daily count from 2026-05-01T00:00:00.000Z should be 31, as the events say/.test(f.detail)), JSON.stringify(findings));
      assert.ok(findings.some((f) => /phantom\.action' of 3 is wrong: no such events were stored/.test(f.detail)), JSON.stringify(findings));
    } finally {
      await client.query(`UPDATE ${schema}.rollups SET n = n - 5 WHERE dim = 0 AND grain = 1 AND bucket = $1`, [START]);
      await client.query(`DELETE FROM ${schema}.rollups WHERE value = 'phantom.action'`);
    }
    assert.deepEqual(await store.checkIndexes('acme', 100), []);
  });

  test('a database of schema 1 gets them, counted from the events it holds', async () => {
    await store.close();
    await client.query(`DROP TABLE ${schema}.rollups, ${schema}.checkpoint_keys`);
    await client.query(`UPDATE ${schema}.annals_schema SET version = 1`);
    store = open();
    assert.deepEqual(await store.aggregate('acme', window, request), expected);
    assert.deepEqual(await store.checkIndexes('acme', 100), []);
    assert.equal((await client.query(`SELECT version FROM ${schema}.annals_schema`)).rows[0].version, MIGRATIONS.length);
  });
});
