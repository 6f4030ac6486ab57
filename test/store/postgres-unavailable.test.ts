// A PostgreSQL server that cannot be reached is a 503 (ANN_ERR_SERVICE_UNAVAILABLE) from every store call, never an
// unexplained 500, and appends fail whole.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AnnalsError } from '../../src/domain/errors.js';
import { pendingEvent } from '../../src/store/pending-event.js';
import { PostgresStore } from '../../src/store/postgres/postgres-store.js';

test('a database nobody answers for: reads reject and appends fail with ANN_ERR_SERVICE_UNAVAILABLE', async () => {
  // Port 1 on loopback: nothing listens there, the connection is refused at once.
  const store = new PostgresStore({ url: 'postgres://postgres@127.0.0.1:1/test', writer: 'inline' });
  // Each says when to try again (the API sends it as Retry-After too).
  const unavailable = (error: unknown) => error instanceof AnnalsError && error.code === 'ANN_ERR_SERVICE_UNAVAILABLE' && error.status === 503
    && error.details.retryAfter === 5;
  try {
    await assert.rejects(store.getOrg('acme'), unavailable);
    await assert.rejects(store.ping(), unavailable);
    const event = pendingEvent({ time: new Date().toISOString(), action: 'a.b', actor: { id: 'u' }, context: [], container: [], outcome: 'success' }, 'text');
    const [result] = await store.append([{ org: 'acme', events: [event] }]);
    assert.equal(result.ok, false);
    if (!result.ok) assert.ok(unavailable(result.error), String(result.error));
  } finally {
    await store.close();
  }
});
