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

/**
 * The top-level members of a JSON object's text as [key, start, end] (the member's text, key included, is
 * text.slice(start, end)), found without parsing the values. For stored leaves (canonical JSON, written by Annals),
 * whose keys hold no escapes.
 */
export function topLevelMembers(json: string): [string, number, number][] {
  const members: [string, number, number][] = [];
  const n = json.length;
  let i = json.indexOf('{') + 1;
  while (i < n) {
    const c0 = json.charCodeAt(i);
    if (c0 === 0x7d) break;
    if (c0 === 0x2c) { i++; continue; }
    const start = i;
    const keyEnd = json.indexOf('"', i + 1);
    const key = json.slice(i + 1, keyEnd);
    let depth = 0;
    for (i = keyEnd + 2; i < n; i++) {
      const c = json.charCodeAt(i);
      if (c === 0x22) i = stringEnd(json, i);
      else if (c === 0x7b || c === 0x5b) depth++;
      else if (c === 0x7d || c === 0x5d) { if (depth === 0) break; depth--; }
      else if (c === 0x2c && depth === 0) break;
    }
    members.push([key, start, i]);
  }
  return members;
}

/** The index of the quote that closes the JSON string opened at `at`. */
function stringEnd(json: string, at: number): number {
  for (let i = at + 1; ;) {
    const q = json.indexOf('"', i);
    if (q < 0) return json.length;
    let backslashes = 0;
    for (let j = q - 1; json.charCodeAt(j) === 0x5c; j--) backslashes++;
    if (backslashes % 2 === 0) return q;
    i = q + 1;
  }
}

/**
 * toEnvelope's JSON, spliced from the event's stored leaf (canonical JSON, so its members come in key order), with
 * links.self = `selfBase` + the event id: the page hot path serves events this way instead of parsing and
 * re-serializing each one.
 *
 * Only the id and the message move; everything else is the attributes, as stored. Both are found by landmarks that
 * canonical order and the event's schema make unambiguous (a quote inside a string is always escaped, so no string
 * holds one of them): the top-level id directly follows the context array (see leafSeqAndId); after it come only
 * idempotencyKey (a string) and location (strings) before a top-level message, and metadata (which may nest
 * anything, "message" keys too) after it, so the first `,"message":{` after the id is the top-level one if it comes
 * before the first `,"metadata":`. A message holds strings only and is followed by metadata or by org (always
 * present). A leaf without the landmarks (none that Annals writes) is spliced member by member instead.
 */
export function envelopeJson(leaf: string, selfBase: string): string {
  const contextEnd = leaf.indexOf('],"id":"');
  if (contextEnd < 0) return envelopeByMembers(leaf, selfBase);
  const idAt = contextEnd + 2;
  const idEnd = leaf.indexOf('"', idAt + 6) + 1;
  const id = leaf.slice(idAt + 5, idEnd);
  const before = leaf.slice(1, idAt - 1);
  let after = leaf.slice(idEnd, -1);
  let message = '';
  const m = leaf.indexOf(',"message":{', idEnd);
  if (m >= 0) {
    const metadata = leaf.indexOf(',"metadata":', idEnd);
    if (metadata < 0 || m < metadata) {
      const end = metadata > m ? metadata : leaf.indexOf(',"org":', m);
      if (end < 0) return envelopeByMembers(leaf, selfBase);
      message = leaf.slice(m, end);
      after = leaf.slice(idEnd, m) + leaf.slice(end, -1);
    }
  }
  return envelopeText(id, before + after, message, selfBase);
}

/** envelopeJson for any leaf: its top-level members found one by one. */
function envelopeByMembers(leaf: string, selfBase: string): string {
  let id = '';
  let message = '';
  let attributes = '';
  for (const [key, start, end] of topLevelMembers(leaf)) {
    if (key === 'id') id = leaf.slice(start + 5, end);
    else if (key === 'message') message = `,${leaf.slice(start, end)}`;
    else attributes += attributes === '' ? leaf.slice(start, end) : `,${leaf.slice(start, end)}`;
  }
  return envelopeText(id, attributes, message, selfBase);
}

/** The last selfBase as the opening of a JSON string: a page's envelopes all share one. */
let quotedBase = { base: '', quoted: '"' };

/** The envelope from its parts: the quoted id, the attributes' members, and `,"message":…` or nothing. */
function envelopeText(id: string, attributes: string, message: string, selfBase: string): string {
  if (quotedBase.base !== selfBase) quotedBase = { base: selfBase, quoted: JSON.stringify(selfBase).slice(0, -1) };
  // Event ids are UUIDs Annals assigned: the quoted id needs no escaping inside the URL string either.
  return `{"id":${id},"type":"events","attributes":{${attributes}}${message},"links":{"self":${quotedBase.quoted}${id.slice(1)}}}`;
}
