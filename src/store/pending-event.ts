// Builds the port's PendingEvent from an event draft: the one place that knows how a draft becomes a leaf and index
// values, shared by ingest, by `annals verify --deep` (which recomputes the index values from stored leaves) and by
// every test that appends to a store directly.
import { uuidv7 } from 'uuidv7';
import type { StoredEvent } from '../domain/event.js';
import { addressBytes } from '../domain/ip.js';
import { type EventDraft, leafParts } from '../ledger/leaf.js';
import type { IndexedCopies, IndexedEntity, PendingEvent } from './store.js';

/** The values a store indexes for an event (see PendingEvent). */
export function indexedCopies(event: EventDraft): IndexedCopies {
  const copies: IndexedCopies = {
    timeMs: Date.parse(event.time),
    action: event.action,
    actorId: event.actor.id,
    outcome: event.outcome,
    entities: entitiesOf(event),
  };
  const ip = event.location?.ip === undefined ? undefined : addressBytes(event.location.ip);
  if (ip !== undefined) copies.ip = ip;
  if (typeof event.location?.countryName === 'string') copies.country = event.location.countryName;
  if (typeof event.location?.city === 'string') copies.city = event.location.city;
  return copies;
}

function entitiesOf(event: EventDraft): IndexedEntity[] {
  const out: IndexedEntity[] = [];
  for (const e of event.context) out.push({ role: 'context', type: e.type, id: e.id });
  for (const e of event.container) out.push({ role: 'container', type: e.type, id: e.id });
  const token = event.actor.auth?.tokenId;
  if (typeof token === 'string' && token !== '') out.push({ role: 'token', type: 'token', id: token });
  return out;
}

/** The store's view of an event: its leaf (less what the commit assigns) and its index values. */
export function pendingEvent(draft: EventDraft, text: string, fingerprint?: Uint8Array, id: string = uuidv7()): PendingEvent {
  const pending: PendingEvent = { id, leaf: leafParts(id, draft), ...indexedCopies(draft), text };
  if (draft.actor.email) pending.actorEmail = draft.actor.email;
  if (draft.actor.name) pending.actorName = draft.actor.name;
  if (draft.idempotencyKey !== undefined) pending.idempotencyKey = draft.idempotencyKey;
  if (fingerprint !== undefined) pending.fingerprint = fingerprint;
  return pending;
}

/** A stored event as a pending one that keeps its id, seq and processing time: for copying it into another store. */
export function restoredEvent(event: StoredEvent, text: string, fingerprint?: Uint8Array): PendingEvent {
  const { id, org: _org, seq, processedAt, ...draft } = event;
  const pending = pendingEvent(draft, text, fingerprint, id);
  pending.restored = { seq, processedMs: Date.parse(processedAt) };
  return pending;
}
