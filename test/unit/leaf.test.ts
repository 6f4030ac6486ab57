import assert from 'node:assert/strict';
import { test } from 'node:test';
import { uuidv7 } from 'uuidv7';
import { demoEvents } from '../../src/demo/demo-events.js';
import type { StoredEvent } from '../../src/domain/event.js';
import { type EventDraft, leafFromParts, leafParts, leafText } from '../../src/ledger/leaf.js';

test('a leaf spliced from its parts is the canonical JSON of the whole stored event', () => {
  let n = 0;
  const drafts: EventDraft[] = [];
  for (const batch of demoEvents({ events: 3000, seed: 11 }, 1000)) {
    for (const e of batch) drafts.push({ ...e, context: e.context ?? [], container: e.container ?? [], outcome: e.outcome ?? 'success' });
  }
  // Every optional member present, and none.
  drafts.push({
    time: '2026-01-01T00:00:00.000Z', action: 'a.b', actor: { id: 'u', name: 'Zoë "Z" \u2028' }, context: [], container: [],
    outcome: 'failure', location: { ip: '::1' }, message: { content: 'm' }, userAgent: 'ua', metadata: { z: 1, a: [1.5, null] },
    idempotencyKey: 'k',
  });
  drafts.push({ time: '2026-01-01T00:00:00.000Z', action: 'a.b', actor: { id: 'u' }, context: [], container: [], outcome: 'success' });
  for (const draft of drafts) {
    const id = uuidv7();
    const seq = n++;
    const processedAt = new Date(1_700_000_000_000 + seq).toISOString();
    const whole: StoredEvent = { ...draft, id, org: 'org-1', seq, processedAt };
    assert.equal(leafFromParts(leafParts(id, draft), 'org-1', processedAt, seq), leafText(whole));
  }
});
