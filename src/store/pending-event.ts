// Builds the port's PendingEvent from an event draft: the one place that knows how a draft becomes a leaf and index
// values, shared by ingest and by every test that appends to a store directly.
import { uuidv7 } from 'uuidv7';
import { type EventDraft, leafParts } from '../ledger/leaf.js';
import type { PendingEvent } from './store.js';

/** The store's view of an event: its leaf (less what the commit assigns) and its index values. */
export function pendingEvent(draft: EventDraft, text: string, fingerprint?: Uint8Array, id: string = uuidv7()): PendingEvent {
  const pending: PendingEvent = {
    id,
    leaf: leafParts(id, draft),
    timeMs: Date.parse(draft.time),
    action: draft.action,
    actorId: draft.actor.id,
    text,
  };
  if (draft.actor.email) pending.actorEmail = draft.actor.email;
  if (draft.actor.name) pending.actorName = draft.actor.name;
  if (draft.location?.ip !== undefined) pending.ip = draft.location.ip;
  if (draft.idempotencyKey !== undefined) pending.idempotencyKey = draft.idempotencyKey;
  if (fingerprint !== undefined) pending.fingerprint = fingerprint;
  return pending;
}
