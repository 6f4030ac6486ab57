// The audit event: what producers send (EventInput), what Annals stores (StoredEvent) and the
// Atlassian Organizations API envelope it serves (EventEnvelope). Pure types and small pure helpers.

/** How the actor authenticated (Atlassian: actor.auth). */
export interface ActorAuth {
  authType?: string;
  tokenId?: string;
  tokenLabel?: string;
  [extra: string]: unknown;
}

/** Who did it. `id` is the stable identity; name and email are as they were at the time. */
export interface Actor {
  id: string;
  name?: string;
  email?: string;
  type?: string;
  auth?: ActorAuth;
  onBehalfOf?: { id: string; name?: string; email?: string; [extra: string]: unknown };
  app?: { id?: string; name?: string; [extra: string]: unknown };
  [extra: string]: unknown;
}

/** A thing acted on (context) or a place where it happened (container). */
export interface Entity {
  id: string;
  type: string;
  attributes?: Record<string, unknown>;
  links?: Record<string, string>;
}

export interface Location {
  ip?: string;
  countryName?: string;
  regionName?: string;
  city?: string;
  geo?: string;
  [extra: string]: unknown;
}

export interface Message {
  content: string;
  format?: string;
}

export type Outcome = 'success' | 'failure';
export const OUTCOMES: readonly Outcome[] = ['success', 'failure'];

/** What a producer sends: the envelope's attributes plus the message and Annals' own fields. */
export interface EventInput {
  time: string;
  action: string;
  actor: Actor;
  context?: Entity[];
  container?: Entity[];
  location?: Location;
  message?: Message;
  outcome?: Outcome;
  userAgent?: string;
  metadata?: Record<string, unknown>;
  idempotencyKey?: string;
}

/**
 * An event as Annals stores it, once sequenced. Everything here is part of the ledger leaf; nothing here is derived
 * at read time (links are). `seq` is the 0-based position in the org's log (the Merkle leaf index).
 */
export interface StoredEvent {
  id: string;
  org: string;
  seq: number;
  time: string;
  processedAt: string;
  action: string;
  actor: Actor;
  context: Entity[];
  container: Entity[];
  location?: Location;
  message?: Message;
  outcome: Outcome;
  userAgent?: string;
  metadata?: Record<string, unknown>;
  idempotencyKey?: string;
}

/** The Atlassian Organizations API event envelope, with Annals' fields added beside it in `attributes`. */
export interface EventEnvelope {
  id: string;
  type: 'events';
  /** Everything stored but the id and the message, which the envelope carries beside its attributes. */
  attributes: Omit<StoredEvent, 'id' | 'message'>;
  message?: Message;
  links: { self: string };
}

export function toEnvelope(event: StoredEvent, selfUrl: string): EventEnvelope {
  const { id, message, ...attributes } = event;
  const envelope: EventEnvelope = {
    id,
    type: 'events',
    attributes: {
      time: attributes.time,
      processedAt: attributes.processedAt,
      action: attributes.action,
      actor: attributes.actor,
      context: attributes.context,
      container: attributes.container,
      location: attributes.location,
      outcome: attributes.outcome,
      userAgent: attributes.userAgent,
      metadata: attributes.metadata,
      idempotencyKey: attributes.idempotencyKey,
      org: attributes.org,
      seq: attributes.seq,
    },
    links: { self: selfUrl },
  };
  if (message !== undefined) envelope.message = message;
  return envelope;
}
