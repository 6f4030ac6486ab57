// The ledger leaf: the bytes that stand for one event in its org's Merkle tree. RFC 8785 (JCS) canonical JSON of
// the event as stored, so any party can recompute it from an export. Pure.
import canonicalizeModule from 'canonicalize';
import type { StoredEvent } from '../domain/event.js';

// canonicalize is CommonJS (`module.exports = fn`) but its typings declare an ES default export; under NodeNext
// the default import is module.exports, so the function itself.
const canonicalize = canonicalizeModule as unknown as (input: unknown) => string | undefined;

/** RFC 8785 canonical JSON of a JSON value (undefined members are left out, as JSON.stringify does). */
export function canonicalJson(value: unknown): string {
  const text = canonicalize(value);
  if (text === undefined) throw new TypeError('value is not serialisable as JSON');
  return text;
}

export function leafText(event: StoredEvent): string {
  return canonicalJson(event);
}
