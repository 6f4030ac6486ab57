// Events in: validate every item, resolve its action, identify it, then hand the whole request to group commit.
// A request is all-or-nothing: one bad item refuses the request before anything is written.
import { createHash } from 'node:crypto';
import { builtInAction } from '../catalogue/catalogue.js';
import type { ActionRegistry } from '../catalogue/registry.js';
import { AnnalsError } from '../domain/errors.js';
import { canonicalJson } from '../ledger/canonical-json.js';
import type { EventDraft } from '../ledger/leaf.js';
import { pendingEvent } from '../store/pending-event.js';
import type { EventInput } from '../domain/event.js';
import type { AppendedEvent, PendingEvent } from '../store/store.js';
import type { GroupCommitter } from './group-commit.js';
import { LIMITS } from './event-schema.js';
import { searchText } from '../domain/search-text.js';
import { validateEvent } from './validate.js';

export interface IngestOptions {
  /** The request's Idempotency-Key header: item i of the request (a lone event is item 0) is keyed `<key>#<i>`. */
  idempotencyKey?: string;
  /** true when the body was one event rather than a list. */
  single?: boolean;
}

export interface IngestLimits {
  maxBatch: number;
}

export class IngestService {
  readonly #actions: ActionRegistry;
  readonly #committer: GroupCommitter;
  readonly limits: IngestLimits;

  constructor(actions: ActionRegistry, committer: GroupCommitter, limits: Partial<IngestLimits> = {}) {
    this.#actions = actions;
    this.#committer = committer;
    this.limits = { maxBatch: limits.maxBatch ?? 1000 };
  }

  /** Validates and stores one request's events: all of them, or none. Resolves once they are committed. */
  async ingest(org: string, items: unknown[], options: IngestOptions = {}): Promise<AppendedEvent[]> {
    const events = await this.prepare(org, items, options);
    try {
      return await this.#committer.submit({ org, events });
    } catch (error) {
      throw itemError(error, options.single === true, items);
    }
  }

  /** Validates a request's events and makes them ready to append, without storing anything. */
  async prepare(org: string, items: unknown[], options: IngestOptions = {}): Promise<PendingEvent[]> {
    if (items.length === 0) throw new AnnalsError('ANN_ERR_EVENT_BATCH_EMPTY', 'the request holds no events');
    if (items.length > this.limits.maxBatch) {
      throw new AnnalsError('ANN_ERR_EVENT_BATCH_TOO_LARGE',
        `the request holds ${items.length} events; at most ${this.limits.maxBatch} are allowed per request`);
    }
    const header = options.idempotencyKey;
    if (header !== undefined && (header.length === 0 || header.length > 200 || /[^\x21-\x7e]/.test(header))) {
      throw new AnnalsError('ANN_ERR_IDEMPOTENCY_KEY_INVALID',
        'Idempotency-Key must be 1 to 200 printable ASCII characters without spaces', { parameter: 'Idempotency-Key' });
    }
    const now = Date.now();
    const single = options.single === true;
    const pending: PendingEvent[] = [];
    for (let i = 0; i < items.length; i++) {
      const index = single ? undefined : i;
      const input = validateEvent(items[i], index, now);
      // Built-in actions need no await (one microtask per event saved on the hot path).
      const action = builtInAction(input.action) ?? await this.#actions.find(org, input.action);
      if (!action) {
        throw new AnnalsError('ANN_ERR_EVENT_UNKNOWN_ACTION',
          `${index === undefined ? '' : `item ${index}: `}action '${input.action}' is neither built in nor registered for this organization`,
          { pointer: `${index === undefined ? '' : `/${index}`}/action`, ...(index === undefined ? {} : { index }) });
      }
      if (input.idempotencyKey === undefined && header !== undefined) {
        // Item i of the request, whether it came as one object, a JSON array or NDJSON: a retry in another shape
        // still matches.
        input.idempotencyKey = `${header}#${i}`;
      }
      const text = searchText(input, action);
      const event = pendingEvent(toDraft(input), text, input.idempotencyKey === undefined ? undefined : fingerprint(input));
      const bytes = event.leaf.head.length + event.leaf.middle.length + event.leaf.tail.length;
      if (bytes > LIMITS.eventBytes) {
        throw new AnnalsError('ANN_ERR_EVENT_INVALID',
          `${index === undefined ? '' : `item ${index}: `}the event is ${bytes} characters as JSON; at most ${LIMITS.eventBytes} are allowed`,
          { pointer: index === undefined ? '' : `/${index}`, ...(index === undefined ? {} : { index }) });
      }
      pending.push(event);
    }
    return pending;
  }
}

/**
 * A store's error about one event of the request (details.index: its place in the group, which is the request's)
 * named as validation names it: `item i` in a batch, no index for a request of one event. A reused idempotency key
 * is pointed at: the item's own `idempotencyKey`, or else the Idempotency-Key header its key was made from.
 */
function itemError(error: unknown, single: boolean, items: readonly unknown[]): unknown {
  if (!(error instanceof AnnalsError) || error.details.index === undefined) return error;
  const { index, ...details } = error.details;
  if (error.code === 'ANN_ERR_IDEMPOTENCY_CONFLICT' && typeof index === 'number') {
    const own = (items[index] as { idempotencyKey?: unknown } | undefined)?.idempotencyKey !== undefined;
    if (own) details.pointer = single ? '/idempotencyKey' : `/${index}/idempotencyKey`;
    else details.parameter = 'Idempotency-Key';
  }
  return single
    ? new AnnalsError(error.code, error.message, details, { cause: error.cause })
    : new AnnalsError(error.code, `item ${index}: ${error.message}`, { ...details, index }, { cause: error.cause });
}

/** A validated input, normalised: defaults filled in, absent optional fields left out. */
function toDraft(input: EventInput): EventDraft {
  const draft: EventDraft = {
    time: input.time,
    action: input.action,
    actor: input.actor,
    context: input.context ?? [],
    container: input.container ?? [],
    outcome: input.outcome ?? 'success',
  };
  if (input.location !== undefined) draft.location = input.location;
  if (input.message !== undefined) draft.message = input.message;
  if (input.userAgent !== undefined) draft.userAgent = input.userAgent;
  if (input.metadata !== undefined) draft.metadata = input.metadata;
  if (input.idempotencyKey !== undefined) draft.idempotencyKey = input.idempotencyKey;
  return draft;
}

/** SHA-256 of what the producer said, less the key itself: a retry matches, a reuse with other content does not. */
function fingerprint(input: EventInput): Buffer {
  const { idempotencyKey: _key, ...said } = input;
  return createHash('sha256').update(canonicalJson(said)).digest();
}
