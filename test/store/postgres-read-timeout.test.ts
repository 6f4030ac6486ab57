// What one read may cost the PostgreSQL database: a page or a count that runs past the store's read timeout ends as
// ANN_ERR_QUERY_TOO_COSTLY (422) instead of running to the end; appends are not bounded by it. A table lock held by
// another session makes the reads wait, which is time spent as surely as a scan of every event.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { openStore } from '../../src/annals.js';
import { AnnalsError } from '../../src/domain/errors.js';
import { pendingEvent } from '../../src/store/pending-event.js';
import { PostgresStore } from '../../src/store/postgres/postgres-store.js';
import { dropSchema, newSchema, POSTGRES_URL, postgresReachable } from '../support/postgres.js';

const reachable = await postgresReachable();
const TIMEOUT_MS = 300;

describe('the PostgreSQL read timeout', { skip: !reachable && 'PostgreSQL is not reachable' }, () => {
  const schema = newSchema();
  let store: PostgresStore;
  let locker: pg.Client;

  const event = () => pendingEvent({
    time: new Date().toISOString(), action: 'user_management.added_user_to_group', actor: { id: 'u-1' }, context: [], container: [], outcome: 'success',
  }, 'text');
  const page = () => store.queryLeaves('acme', {}, { limit: 10, order: 'desc', by: 'time' });
  const count = () => store.aggregate('acme', { time: { from: 0, to: Date.now() + 1000 } }, { facets: ['action'], scanLimit: 1000 });
  const tooCostly = (error: unknown) => error instanceof AnnalsError && error.code === 'ANN_ERR_QUERY_TOO_COSTLY' && error.status === 422
    && /read for 0.3 s/.test(error.message);

  /** Runs `body` while another session holds the events table exclusively. */
  async function locked<T>(body: () => Promise<T>): Promise<T> {
    await locker.query('BEGIN');
    await locker.query(`LOCK TABLE ${schema}.events IN ACCESS EXCLUSIVE MODE`);
    try {
      return await body();
    } finally {
      await locker.query('ROLLBACK');
    }
  }

  before(async () => {
    if (!reachable) return;
    store = new PostgresStore({ url: POSTGRES_URL, schema, writer: 'inline', readTimeoutMs: TIMEOUT_MS });
    await store.createOrg({ id: 'acme', name: 'Acme' });
    const [result] = await store.append([{ org: 'acme', events: [event(), event()] }]);
    assert.ok(result.ok);
    locker = new pg.Client({ connectionString: POSTGRES_URL });
    await locker.connect();
  });
  after(async () => {
    if (!reachable) return;
    await store.close();
    await locker.end();
    await dropSchema(schema);
  });

  test('a page and a count that cannot finish in time are refused as too costly, soon after the timeout', async () => {
    assert.equal((await page()).leaves.length, 2);
    assert.equal((await count()).total, 2);
    await locked(async () => {
      const started = Date.now();
      await assert.rejects(page(), tooCostly);
      await assert.rejects(count(), tooCostly);
      // Each gave up at its timeout, not at the 30 s lock timeout.
      assert.ok(Date.now() - started < 5_000, `${Date.now() - started} ms`);
    });
    // The connections are fine afterwards.
    assert.equal((await page()).leaves.length, 2);
  });

  test('an append waiting longer than the read timeout still commits', async () => {
    // The append starts under the lock and is still waiting, past the read timeout, when the lock goes.
    const { pending } = await locked(async () => {
      const started = store.append([{ org: 'acme', events: [event()] }]);
      await new Promise((resolve) => setTimeout(resolve, 3 * TIMEOUT_MS));
      return { pending: started };
    });
    const appended = await pending;
    assert.ok(appended[0].ok, String(!appended[0].ok && appended[0].error));
    assert.equal((await page()).leaves.length, 3);
  });

  test('ANNALS_READ_TIMEOUT_SECONDS sets it; a value that is not a number of seconds is refused by name', async () => {
    const open = (value: string) => {
      process.env.ANNALS_READ_TIMEOUT_SECONDS = value;
      try {
        return openStore({ dataDir: '.', databaseUrl: POSTGRES_URL, databaseSchema: schema }, { writer: 'inline' });
      } finally {
        delete process.env.ANNALS_READ_TIMEOUT_SECONDS;
      }
    };
    for (const bad of ['abc', '0', '-1', '3000000']) {
      assert.throws(() => open(bad), (error: unknown) => error instanceof AnnalsError && /ANNALS_READ_TIMEOUT_SECONDS/.test(error.message));
    }
    for (const readTimeoutMs of [0, -5, Number.NaN, 2 ** 31]) {
      assert.throws(() => new PostgresStore({ url: POSTGRES_URL, schema, writer: 'inline', readTimeoutMs }),
        (error: unknown) => error instanceof AnnalsError && /read timeout must be from 1 ms/.test(error.message));
    }
    const other = open('0.3') as PostgresStore;
    try {
      await locked(() => assert.rejects(other.queryLeaves('acme', {}, { limit: 1, order: 'desc', by: 'time' }), tooCostly));
    } finally {
      await other.close();
    }
  });
});
