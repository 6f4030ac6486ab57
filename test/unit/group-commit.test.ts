import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { GroupCommitter } from '../../src/ingest/group-commit.js';
import { pendingEvent } from '../../src/store/pending-event.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import type { AppendGroup, PendingEvent, Store } from '../../src/store/store.js';

function pending(): PendingEvent {
  return pendingEvent({ time: new Date().toISOString(), action: 'a.b', actor: { id: 'u' }, context: [], container: [], outcome: 'success' }, 'x');
}

async function withStore(fn: (store: Store, appends: AppendGroup[][]) => Promise<void>) {
  const dir = mkdtempSync(join(tmpdir(), 'annals-gc-'));
  const real = new SqliteStore({ path: join(dir, 'a.db'), synchronous: 'NORMAL' });
  const appends: AppendGroup[][] = [];
  // Counts transactions: every call of append is one commit.
  const store = new Proxy(real, {
    get(target, prop) {
      if (prop === 'append') return (groups: AppendGroup[]) => { appends.push(groups); return target.append(groups); };
      const value = Reflect.get(target, prop, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  }) as Store;
  await real.createOrg({ id: 'o', name: 'o' });
  try {
    await fn(store, appends);
  } finally {
    await real.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

test('concurrent submissions share one commit, and each resolves only after it', async () => {
  await withStore(async (store, appends) => {
    const gc = new GroupCommitter(store);
    const results = await Promise.all(Array.from({ length: 200 }, () => gc.submit({ org: 'o', events: [pending()] })));
    assert.deepEqual(results.map((r) => r[0].seq).sort((a, b) => a - b), Array.from({ length: 200 }, (_, i) => i));
    assert.equal(appends.length, 1);
    assert.equal(await store.countEvents('o'), 200);
  });
});

test('a failing group is rejected alone; the others in its commit are stored', async () => {
  await withStore(async (store, appends) => {
    const gc = new GroupCommitter(store);
    const [a, b, c] = await Promise.allSettled([
      gc.submit({ org: 'o', events: [pending()] }),
      gc.submit({ org: 'missing', events: [pending()] }),
      gc.submit({ org: 'o', events: [pending(), pending()] }),
    ]);
    assert.equal(a.status, 'fulfilled');
    assert.equal(b.status, 'rejected');
    assert.equal((b as PromiseRejectedResult).reason.code, 'ANN_ERR_ORG_NOT_FOUND');
    assert.equal(c.status, 'fulfilled');
    assert.equal(appends.length, 1);
    assert.equal(await store.countEvents('o'), 3);
  });
});

test('a commit holds at most maxEvents events (a lone larger group still goes alone)', async () => {
  await withStore(async (store, appends) => {
    const gc = new GroupCommitter(store, { maxEvents: 10 });
    await Promise.all([
      ...Array.from({ length: 25 }, () => gc.submit({ org: 'o', events: [pending()] })),
      gc.submit({ org: 'o', events: Array.from({ length: 15 }, pending) }),
    ]);
    assert.equal(await store.countEvents('o'), 40);
    for (const groups of appends) {
      const n = groups.reduce((sum, g) => sum + g.events.length, 0);
      assert.ok(n <= 10 || groups.length === 1, `a commit of ${n} events in ${groups.length} groups`);
    }
    await gc.drain();
  });
});

/** A store that holds each append until released, and records how many were in progress at once. */
function gatedStore(concurrentAppends: number) {
  const gates: (() => void)[] = [];
  let inProgress = 0;
  let most = 0;
  let seq = 0;
  const appends: AppendGroup[][] = [];
  const store = {
    concurrentAppends,
    async append(groups: AppendGroup[]) {
      appends.push(groups);
      most = Math.max(most, ++inProgress);
      await new Promise<void>((resolve) => gates.push(resolve));
      inProgress--;
      return groups.map((g) => ({ ok: true as const, events: g.events.map((e) => ({ id: e.id, seq: seq++, processedAt: new Date().toISOString(), duplicate: false })) }));
    },
  } as unknown as Store;
  const settle = async () => {
    for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
  };
  return { store, gates, appends, most: () => most, settle };
}

for (const n of [1, 2]) {
  test(`with concurrentAppends = ${n}: at most ${n} commits at once, and what queues behind them is committed next`, async () => {
    const { store, gates, appends, most, settle } = gatedStore(n);
    const gc = new GroupCommitter(store, { maxEvents: 1 });
    const done = Array.from({ length: 6 }, () => gc.submit({ org: 'o', events: [pending()] }));
    await settle();
    assert.equal(appends.length, n, `${n} commits start at once`);
    while (gates.length > 0) {
      gates.shift()!();
      await settle();
    }
    const results = await Promise.all(done);
    assert.equal(appends.length, 6, 'one commit per event (maxEvents 1)');
    assert.equal(most(), n);
    assert.deepEqual(results.map((r) => r[0].seq), [0, 1, 2, 3, 4, 5]);
  });

  test(`with concurrentAppends = ${n}: a submission made right after a commit lands (from its waiter) is not stranded`, async () => {
    const { store, gates, settle } = gatedStore(n);
    const gc = new GroupCommitter(store);
    const first = gc.submit({ org: 'o', events: [pending()] });
    await settle();
    gates.shift()!();
    await first;
    // The waiter of the first commit submits again at once, from its continuation.
    const second = gc.submit({ org: 'o', events: [pending()] });
    await settle();
    assert.equal(gates.length, 1, 'the second submission is being committed');
    gates.shift()!();
    assert.equal((await second)[0].seq, 1);
    const drained = gc.drain();
    await settle();
    await drained;
  });
}
