// The ledger leaf: the bytes that stand for one event in its org's Merkle tree. RFC 8785 (JCS) canonical JSON of
// the event as stored, so any party can recompute it from an export. Pure.
import type { StoredEvent } from '../domain/event.js';
import { canonicalJson, canonicalMembers } from './canonical-json.js';

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
  return {
    head: canonicalMembers({ ...before, id }),
    middle: `"outcome":${JSON.stringify(outcome)}`,
    tail: userAgent === undefined ? `"time":${JSON.stringify(time)}` : `"time":${JSON.stringify(time)},"userAgent":${JSON.stringify(userAgent)}`,
  };
}

export function leafFromParts(parts: LeafParts, org: string, processedAt: string, seq: number): string {
  return `{${parts.head},"org":${JSON.stringify(org)},${parts.middle},"processedAt":"${processedAt}","seq":${seq},${parts.tail}}`;
}
