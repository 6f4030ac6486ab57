// A writer thread that stops (an uncaught error, an exit) is started again: what it had in hand is refused with a 503
// that says when to retry, appends are refused while it is down, and the new thread goes on where the committed log
// ends, with a Merkle tree that verifies.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import { openAnnals } from '../../src/annals.js';
import { buildApp } from '../../src/api/app.js';
import { AnnalsError } from '../../src/domain/errors.js';
import { verifyStore } from '../../src/integrity/verify-store.js';
import { pendingEvent } from '../../src/store/pending-event.js';
import type { AppendGroup } from '../../src/store/store.js';
import { RESTART_DELAY_MS, ThreadWriter, type WriterThreadEvent, writerThreadChannel } from '../../src/store/writer-thread.js';

const FIXTURE = new URL('../support/crashing-writer', import.meta.url);

function group(...actors: string[]): AppendGroup {
  return {
    org: 'acme',
    events: actors.map((id) => pendingEvent({ time: new Date().toISOString(), action: 'user_management.created_group', actor: { id }, context: [], container: [], outcome: 'success' }, 'words')),
  };
}

/** Appends one group; its results' seqs. */
async function seqs(writer: ThreadWriter, g: AppendGroup): Promise<number[]> {
  const [result] = await writer.append([g]);
  assert.ok(result.ok, JSON.stringify(result));
  return result.events.map((e) => e.seq);
}

async function refusedForNow(promise: Promise<unknown>): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof AnnalsError, String(error));
    assert.equal(error.code, 'ANN_ERR_SERVICE_UNAVAILABLE');
    assert.equal(error.status, 503);
    assert.ok(typeof error.details.retryAfter === 'number' && error.details.retryAfter > 0, 'a Retry-After');
    return true;
  });
}

/** Milliseconds until the writer takes appends again. */
async function downFor(writer: ThreadWriter): Promise<number> {
  const t0 = performance.now();
  while (writer.failure) {
    if (performance.now() - t0 > 60_000) throw new Error('the writer thread was not started again');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  return performance.now() - t0;
}

/** What the writer thread channel tells while `fn` runs. */
async function told(fn: () => Promise<void>): Promise<WriterThreadEvent[]> {
  const events: WriterThreadEvent[] = [];
  const listen = (message: unknown) => events.push(message as WriterThreadEvent);
  writerThreadChannel.subscribe(listen);
  try {
    await fn();
  } finally {
    writerThreadChannel.unsubscribe(listen);
  }
  return events;
}

async function withLog(fn: (writer: ThreadWriter, dir: string) => Promise<void>, delays = RESTART_DELAY_MS): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'annals-writer-'));
  try {
    const annals = await openAnnals({ dataDir: dir });
    await annals.store.createOrg({ id: 'acme', name: 'Acme' });
    await annals.close();
    const writer = new ThreadWriter(FIXTURE, { path: join(dir, 'annals.db') }, delays);
    try {
      await fn(writer, dir);
    } finally {
      await writer.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('a writer thread that stops after committing is started again, and the log goes on after what it committed', async () => {
  await withLog(async (writer, dir) => {
    assert.deepEqual(await seqs(writer, group('u1', 'u2', 'u3')), [0, 1, 2]);
    // Stored (seq 3 and 4) but never acknowledged.
    await refusedForNow(writer.append([group('stop-after', 'u4')]));
    assert.ok(writer.failure);
    await refusedForNow(writer.append([group('u5')]));
    await downFor(writer);
    assert.deepEqual(await seqs(writer, group('u6', 'u7')), [5, 6]);
    await writer.close();

    const annals = await openAnnals({ dataDir: dir });
    try {
      const report = await verifyStore(annals.store, annals.ledger, 'acme', annals.ledger.keys.verifiers);
      assert.ok(report.ok, JSON.stringify(report.findings));
      assert.equal(report.events, 7);
      const page = await annals.query.search('acme', { sortOrder: 'asc' });
      assert.deepEqual(page.leaves.texts().map((leaf) => (JSON.parse(leaf) as { actor: { id: string } }).actor.id), ['u1', 'u2', 'u3', 'stop-after', 'u4', 'u6', 'u7']);
    } finally {
      await annals.close();
    }
  });
});

test('a writer thread that stops before appending, or dies of an uncaught error, is started again', async () => {
  await withLog(async (writer) => {
    await refusedForNow(writer.append([group('stop-before')]));
    await downFor(writer);
    assert.deepEqual(await seqs(writer, group('u1')), [0]);
    await refusedForNow(writer.append([group('throw')]));
    await refusedForNow(writer.append([group('u2')]));
    await downFor(writer);
    assert.deepEqual(await seqs(writer, group('u3')), [1]);
  });
});

test('a thread that keeps stopping waits twice as long each time (up to the most); an append that goes through starts the wait over; each stop and restart is told', async () => {
  const events = await told(() => withLog(async (writer) => {
    const retryAfter: unknown[] = [];
    const stopOnce = async () => {
      await refusedForNow(writer.append([group('stop-before')]));
      retryAfter.push((writer.failure as AnnalsError).details.retryAfter);
      return downFor(writer);
    };
    const first = await stopOnce();
    await stopOnce();
    await stopOnce();
    assert.deepEqual(await seqs(writer, group('u1')), [0]);
    await stopOnce();
    // (Timers may fire a millisecond early.)
    assert.ok(first >= 200 - 5, `first wait ${first} ms`);
    // Retry-After: the delay rounded up, and a second for the new thread to open the store.
    assert.deepEqual(retryAfter, [2, 2, 2, 2]);
  }, { first: 200, most: 500 }));
  assert.deepEqual(events.map((t) => (t.event === 'stopped' ? t.restartInMs : t.event)),
    [200, 'restarted', 400, 'restarted', 500, 'restarted', 200, 'restarted']);
  assert.ok(events.every((t) => t.event !== 'stopped' || /exit code 3/.test(t.cause.message)));
});

test('closing while the thread is down starts no new one', async () => {
  await withLog(async (writer) => {
    await refusedForNow(writer.append([group('stop-before')]));
    await writer.close();
    // Long enough for a thread started after the first delay to have said it is ready.
    await new Promise((resolve) => setTimeout(resolve, 6 * RESTART_DELAY_MS.first));
    assert.ok(writer.failure, 'still down');
    await refusedForNow(writer.append([group('u1')]));
  });
});

test('closing while a new thread is starting ends it', async () => {
  const events = await told(() => withLog(async (writer) => {
    await refusedForNow(writer.append([group('stop-before')]));
    // Started again after 1 ms; ready some hundreds of ms later.
    await new Promise((resolve) => setTimeout(resolve, 20));
    await writer.close();
    await new Promise((resolve) => setTimeout(resolve, 1500));
    assert.ok(writer.failure, 'still down');
    // (A thread left running would also keep this test's process from ending.)
  }, { first: 1, most: 1 }));
  assert.deepEqual(events.map((t) => t.event), ['stopped']);
});

test("the server's log says when the writer thread stopped and when it was started again", async () => {
  const dir = mkdtempSync(join(tmpdir(), 'annals-writer-'));
  const lines: { level: number; msg: string; restartInMs?: number; err?: { message: string } }[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      lines.push(JSON.parse(String(chunk)));
      done();
    },
  });
  const annals = await openAnnals({ dataDir: dir });
  const app = await buildApp(annals, { logger: { level: 'info', stream } });
  try {
    writerThreadChannel.publish({ event: 'stopped', cause: new Error('exit code 3'), restartInMs: 250 } satisfies WriterThreadEvent);
    writerThreadChannel.publish({ event: 'restarted' } satisfies WriterThreadEvent);
    await app.close();
    // A closed server no longer listens.
    writerThreadChannel.publish({ event: 'restarted' } satisfies WriterThreadEvent);
    const said = lines.filter((l) => /writer thread/.test(l.msg));
    assert.deepEqual(said.map((l) => [l.level, l.restartInMs, l.err?.message]), [[50, 250, 'exit code 3'], [30, undefined, undefined]]);
  } finally {
    await app.close();
    await annals.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('closing lets the thread finish the appends it has', async () => {
  await withLog(async (writer, dir) => {
    const appends = [writer.append([group('u1', 'u2')]), writer.append([group('u3')])];
    await writer.close();
    const results = await Promise.all(appends);
    assert.deepEqual(results.map(([r]) => r.ok && r.events.map((e) => e.seq)), [[0, 1], [2]]);
    await refusedForNow(writer.append([group('u4')]));
    const annals = await openAnnals({ dataDir: dir });
    try {
      assert.equal((await annals.query.search('acme', {})).leaves.length, 3);
    } finally {
      await annals.close();
    }
  });
});

test('a restarted thread takes appends only once it has opened the store', async () => {
  await withLog(async (writer) => {
    await refusedForNow(writer.append([group('stop-before')]));
    const t0 = performance.now();
    await downFor(writer);
    // The new thread has loaded its module and opened the database by then: its first append goes straight through.
    assert.ok(performance.now() - t0 >= RESTART_DELAY_MS.first - 5);
    assert.deepEqual(await seqs(writer, group('u1')), [0]);
  });
});
