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

/**
 * A leaf less the members only the store knows: org (the request's), processedAt and seq (assigned inside the
 * commit). Canonical JSON sorts members by key, so every other member of an event sorts before "org"
 * (action … metadata), between "org" and "processedAt" (outcome) or after "seq" (time, userAgent): the leaf is
 * `{head,"org":…,middle,"processedAt":…,"seq":…,tail}`. The expensive part is done before the commit; the store
 * only splices.
 */
export interface LeafParts {
  head: string;
  middle: string;
  tail: string;
}

/** An event as the producer described it, normalised: everything but what the store assigns. */
export type EventDraft = Omit<StoredEvent, 'id' | 'org' | 'processedAt' | 'seq'>;

export function leafParts(id: string, draft: EventDraft): LeafParts {
  const { time, userAgent, outcome, ...before } = draft;
  const inner = (value: object) => canonicalJson(value).slice(1, -1);
  return {
    head: inner({ ...before, id }),
    middle: inner({ outcome }),
    tail: inner(userAgent === undefined ? { time } : { time, userAgent }),
  };
}

export function leafFromParts(parts: LeafParts, org: string, processedAt: string, seq: number): string {
  return `{${parts.head},"org":${JSON.stringify(org)},${parts.middle},"processedAt":"${processedAt}","seq":${seq},${parts.tail}}`;
}
