// The PostgreSQL store's schema as a database administrator sees it: migrations run once however many processes
// start at the same moment, monthly partitions exist ahead of time and appear for any month an append needs, and
// every primary and unique key leads with the org (so the schema distributes by org with Citus).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { pendingEvent } from '../../src/store/pending-event.js';
import { openPool } from '../../src/store/postgres/postgres-pool.js';
import { PostgresStore } from '../../src/store/postgres/postgres-store.js';
import { dropSchema, newSchema, POSTGRES_URL, postgresReachable } from '../support/postgres.js';

const reachable = await postgresReachable();

describe('the PostgreSQL schema', { skip: !reachable && 'PostgreSQL is not reachable' }, () => {
  const schema = newSchema();
  let stores: PostgresStore[] = [];
  let client: pg.Client;

  before(async () => {
    if (!reachable) return;
    client = new pg.Client({ connectionString: POSTGRES_URL });
    await client.connect();
  });
  after(async () => {
    if (!reachable) return;
    for (const s of stores) await s.close();
    await client.end();
    await dropSchema(schema);
  });

  test('connections carry the session settings, the URL\'s own options and the schema, together', async () => {
    const url = `${POSTGRES_URL}?options=${encodeURIComponent('-c statement_timeout=123s')}`;
    const pool = openPool({ url, schema });
    try {
      const show = async (name: string) => Object.values((await pool.query(`SHOW ${name}`)).rows[0])[0];
      assert.deepEqual([await show('jit'), await show('lock_timeout'), await show('statement_timeout'), await show('search_path')],
        ['off', '30s', '123s', schema]);
    } finally {
      await pool.end();
    }
  });

  test('four stores opened at once on a new schema all come up, and the schema is at its latest version once', async () => {
    stores = Array.from({ length: 4 }, () => new PostgresStore({ url: POSTGRES_URL, schema, writer: 'inline' }));
    await Promise.all(stores.map((s) => s.ping()));
    const versions = await client.query(`SELECT version FROM ${schema}.annals_schema`);
    assert.equal(versions.rows.length, 1);
  });

  test('partitions: this month and three ahead exist; a month an append needs is created for it', async () => {
    const names = async () => (await client.query<{ name: string }>(
      `SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = '${schema}.events'::regclass`)).rows.map((r) => r.name);
    const now = new Date();
    for (let i = 0; i < 4; i++) {
      const d = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + i, 1));
      assert.ok((await names()).includes(`events_p${d.getUTCFullYear()}${String(d.getUTCMonth() + 1).padStart(2, '0')}`), `month +${i}`);
    }
    const [store] = stores;
    await store.createOrg({ id: 'acme', name: 'acme' });
    const old = pendingEvent({ time: '1999-07-04T12:00:00.000Z', action: 'a.b', actor: { id: 'u' }, context: [], container: [], outcome: 'success' }, 'text');
    const [result] = await store.append([{ org: 'acme', events: [old] }]);
    assert.equal(result.ok, true);
    assert.ok((await names()).includes('events_p199907'));
    assert.equal((await store.getEvent('acme', old.id))?.time, '1999-07-04T12:00:00.000Z');
  });

  test("every primary key and unique index of an org's data leads with org_id", async () => {
    const keys = await client.query<{ table: string; index: string; first: string }>(
      `SELECT t.relname AS table, i.relname AS index, a.attname AS first
       FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid
       JOIN pg_namespace n ON n.oid = t.relnamespace JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = x.indkey[0]
       WHERE n.nspname = $1 AND (x.indisprimary OR x.indisunique) AND t.relkind IN ('r', 'p') AND t.relname NOT LIKE 'events_p%'`, [schema]);
    const byTable = new Map(keys.rows.map((r) => [`${r.table}.${r.index}`, r.first]));
    // Looked up without an org (reference tables under Citus): the meta rows, the schema version, API keys by id,
    // the published checkpoint keys.
    const reference = new Set(['annals_meta', 'api_keys', 'orgs', 'checkpoint_keys']);
    for (const [name, first] of byTable) {
      const table = name.split('.')[0];
      if (reference.has(table)) continue;
      assert.equal(first, 'org_id', `${name} leads with ${first}`);
    }
    assert.equal(byTable.get('orgs.orgs_pkey'), 'id', 'orgs is keyed by the org id itself');
    assert.ok([...byTable.keys()].some((k) => k.startsWith('events.')), 'the partitioned events table was looked at');
  });
});
