// Envelopes spliced from stored leaves are exactly the envelopes made from parsed events.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { demoEvents } from '../../src/demo/demo-events.js';
import { envelopeJson, type StoredEvent, toEnvelope, topLevelMembers } from '../../src/domain/event.js';
import { leafText } from '../../src/ledger/leaf.js';

const stored = (input: Record<string, unknown>, seq: number): StoredEvent => ({
  context: [], container: [], outcome: 'success', ...input,
  id: `0190a000-0000-7000-8000-${String(seq).padStart(12, '0')}`, org: 'acme', seq, processedAt: '2026-11-25T10:44:26.457Z',
} as unknown as StoredEvent);

function same(event: StoredEvent): void {
  const base = 'https://annals.example/v1/orgs/acme/events/';
  const spliced = JSON.parse(envelopeJson(leafText(event), base));
  assert.deepEqual(spliced, JSON.parse(JSON.stringify(toEnvelope(event, base + event.id))));
}

test('every demo event: the spliced envelope equals the built one', () => {
  let seq = 0;
  for (const batch of demoEvents({ events: 3000, seed: 5 }, 1000)) for (const e of batch) same(stored(e as never, seq++));
});

test('strings that look like JSON syntax, escapes, nesting, absent optional members', () => {
  // Among them the landmarks the splice looks for (see envelopeJson), which no string can hold unescaped.
  const tricky = ['"', '\\', '\\"', '}', ']', ',', '{"id":"x"}', '"message":{', '],"id":"', ',"message":{', ',"metadata":', ',"org":',
    '},"org":"', '\u2028', 'ü', '\\\\"', ''];
  fc.assert(fc.property(fc.constantFrom(...tricky), fc.constantFrom(...tricky), fc.boolean(), fc.boolean(), fc.boolean(), fc.boolean(),
    (a, b, withMessage, withMetadata, withKey, withLocation) => {
      const input: Record<string, unknown> = {
        time: '2026-11-25T10:44:26.457Z', action: 'x.y', actor: { id: a, name: b },
        context: [{ id: b, type: 't', attributes: { title: a, message: b } }],
        container: [{ id: a, type: 'c', attributes: { id: b } }],
      };
      if (withLocation) input.location = { ip: '10.0.0.1', city: a };
      if (withKey) input.idempotencyKey = `${b}${a}`;
      if (withMessage) input.message = { content: `${a}${b}`, format: 'simple' };
      // Metadata may nest "message" and "metadata" keys of its own, with object values.
      if (withMetadata) input.metadata = { [a || 'k']: [b, { n: [1, [2, { m: a }]] }], message: { content: a, metadata: { org: b } }, metadata: { message: {} } };
      same(stored(input, 7));
    }), { numRuns: 1000 });
});

test('a leaf without the usual landmarks (no context array) is spliced member by member, to the same envelope', () => {
  const event = stored({ time: '2026-11-25T10:44:26.457Z', action: 'x.y', actor: { id: 'u' }, message: { content: 'hi' } }, 3);
  delete (event as Partial<StoredEvent>).context;
  delete (event as Partial<StoredEvent>).container;
  same(event);
});

test('top-level members are found in order, whatever their values hold', () => {
  const text = JSON.stringify({ a: 'x,"}', b: [1, { c: '{' }], d: { e: ']' }, f: null });
  assert.deepEqual(topLevelMembers(text).map(([k, s, e]) => [k, text.slice(s, e)]),
    [['a', '"a":"x,\\"}"'], ['b', '"b":[1,{"c":"{"}]'], ['d', '"d":{"e":"]"}'], ['f', '"f":null']]);
});
