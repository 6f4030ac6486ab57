import assert from 'node:assert/strict';
import { test } from 'node:test';
import { pendingEvent, restoredEvent } from '../../src/store/pending-event.js';
import type { AppendedEvent, AppendGroup, PendingEvent } from '../../src/store/store.js';
import { appendedFromColumns, appendedToColumns, fromColumns, toColumns } from '../../src/store/wire-columns.js';

const time = '2026-12-04T10:00:00.000Z';

/** An event with every optional member of PendingEvent present. */
function full(): PendingEvent {
  return restoredEvent({
    id: '01939a3c-0000-7000-8000-000000000001', org: 'o', seq: 7, processedAt: '2026-12-04T10:00:01.000Z', time,
    action: 'user_management.added_user_to_group', outcome: 'failure', userAgent: 'curl/8',
    actor: { id: 'u-1', name: 'José Núñez', email: 'jose@example.com', auth: { tokenId: 'tok-1' } },
    context: [{ id: 'g-1', type: 'group' }, { id: 'u-2', type: 'user' }], container: [{ id: 'site-1', type: 'site' }],
    location: { ip: '2001:db8::1', countryName: 'Bolivia', city: 'La Paz' }, idempotencyKey: 'k-1',
  }, 'José Núñez jose@example.com', new Uint8Array(32).fill(9));
}

/** An event with none of them. */
function bare(): PendingEvent {
  return pendingEvent({ time, action: 'a.b', actor: { id: 'u-3' }, context: [], container: [], outcome: 'success' }, '');
}

/** What the writer thread receives: the columns after a structured clone, as postMessage makes one. */
const crossed = (group: AppendGroup) => fromColumns(structuredClone(toColumns(group)));

test('a group crosses in columns and comes out as it went in, optional members and all', () => {
  const group: AppendGroup = { org: 'o', events: [full(), bare(), full(), bare(), bare()] };
  const out = crossed(group);
  assert.deepEqual(out, group);
  // Every member the fullest event has, the crossed one has (a member added to PendingEvent and not to the columns
  // would be lost here).
  const member = Object.keys(full()).sort();
  assert.deepEqual(Object.keys(out.events[0]).sort(), member);
  for (const name of ['actorEmail', 'actorName', 'ip', 'country', 'city', 'idempotencyKey', 'fingerprint', 'restored']) {
    assert.ok(member.includes(name), name);
    assert.equal(name in out.events[1], false, `${name} absent stays absent`);
  }
  assert.deepEqual(out.events[0].entities.map((e) => e.role), ['context', 'context', 'container', 'token']);
});

test('an empty group and a group of events without addresses cross too', () => {
  assert.deepEqual(crossed({ org: 'o', events: [] }), { org: 'o', events: [] });
  const group: AppendGroup = { org: 'o', events: [bare()] };
  assert.deepEqual(crossed(group), group);
});

test('an address of the wrong size is refused rather than misread', () => {
  const event = bare();
  event.ip = new Uint8Array(4);
  assert.throws(() => toColumns({ org: 'o', events: [event] }), /16 bytes/);
});

test('appended events cross back in columns', () => {
  const appended: AppendedEvent[] = [
    { id: 'a', seq: 0, processedAt: time, duplicate: false },
    { id: 'b', seq: 2 ** 40, processedAt: '2026-12-04T10:00:00.001Z', duplicate: true },
  ];
  assert.deepEqual(appendedFromColumns(structuredClone(appendedToColumns(appended))), appended);
});
