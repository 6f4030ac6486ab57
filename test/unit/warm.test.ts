// The warm-up loop (src/store/warm.ts) on windows made up here: the orgs in turn, a slice at a time, stopping when
// every window is read, at maxEntries, or once the store says it is closing.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { lazyWindow, warmInTurn, warmOptions, type WarmSlice } from '../../src/store/warm.js';

/** A window of `size` entries that records each slice asked of it (its name and size) in `log`. */
function window(name: string, size: number, log: string[]): WarmSlice {
  let left = size;
  return (entries) => {
    const n = Math.min(entries, left);
    left -= n;
    log.push(`${name}${n}`);
    return n;
  };
}

test('reads the windows a slice of each in turn until each is done', async () => {
  const log: string[] = [];
  const read = await warmInTurn([window('a', 5, log), window('b', 2, log), window('c', 0, log)], warmOptions({ days: 1, sliceEntries: 2 }), () => false);
  assert.equal(read, 7);
  // A slice short of what was asked ends its window (b's second, c's first); a full one asks again (a's 2, 2, 1).
  assert.deepEqual(log, ['a2', 'b2', 'c0', 'a2', 'b0', 'a1']);
});

test('stops at maxEntries, asking the last slice for no more than is left', async () => {
  const log: string[] = [];
  assert.equal(await warmInTurn([window('a', 10, log), window('b', 10, log)], warmOptions({ days: 1, sliceEntries: 3, maxEntries: 7 }), () => false), 7);
  assert.deepEqual(log, ['a3', 'b3', 'a1']);
});

test('stops before the next slice once stopped() says so, and a slice that fails then is the stop, not an error', async () => {
  const log: string[] = [];
  let slices = 0;
  const read = await warmInTurn([window('a', 100, log), window('b', 100, log)], warmOptions({ days: 1, sliceEntries: 1 }), () => ++slices > 5);
  assert.equal(read, 5);
  assert.deepEqual(log, ['a1', 'b1', 'a1', 'b1', 'a1']);

  let closing = false;
  const failing: WarmSlice = () => {
    closing = true;
    throw new Error('the database connection is not open');
  };
  assert.equal(await warmInTurn([failing], warmOptions({ days: 1 }), () => closing), 0);
  // Not closing: the failure is the caller's to see.
  await assert.rejects(warmInTurn([() => { throw new Error('disk I/O error'); }], warmOptions({ days: 1 }), () => false), /disk I\/O error/);
});

test('a lazy window is found by its first slice, once; an org with nothing to read reads nothing', async () => {
  const found: string[] = [];
  const windows = ['a', 'empty'].map((name) => lazyWindow(
    () => { found.push(name); return name === 'empty' ? null : { left: 5 }; },
    (w, entries) => { const n = Math.min(entries, w.left); w.left -= n; return n; },
  ));
  assert.equal(await warmInTurn(windows, warmOptions({ days: 1, sliceEntries: 2 }), () => false), 5);
  assert.deepEqual(found, ['a', 'empty']);
});
