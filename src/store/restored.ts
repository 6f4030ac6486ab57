// Restored events (PendingEvent.restored): what every adapter checks before it stores one.
import { AnnalsError } from '../domain/errors.js';
import type { PendingEvent } from './store.js';

/**
 * Throws ANN_ERR_RESTORE_CONFLICT unless a restored event continues the org's log: its seq is `seq` (the next),
 * its processing time is not before `lastProcessedMs` (the last event's) and its idempotency key (if any) is not
 * stored yet (`keySeen`).
 */
export function checkRestored(p: PendingEvent, seq: number, lastProcessedMs: number, keySeen: boolean): void {
  const r = p.restored!;
  const conflict = (why: string) => new AnnalsError('ANN_ERR_RESTORE_CONFLICT', `event ${p.id} (seq ${r.seq}) ${why}`, { seq: r.seq, id: p.id });
  if (r.seq !== seq) throw conflict(`does not continue the log, whose next seq is ${seq}`);
  if (r.processedMs < lastProcessedMs) throw conflict('was processed before the last event stored');
  if (keySeen) throw conflict(`has idempotency key '${p.idempotencyKey}', which is stored already`);
}

