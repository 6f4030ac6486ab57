// Opaque, tamper-evident page cursors. A cursor is the keyset position (sort key of the row it follows), the sort
// it belongs to, the direction to read in and the filters of the query it continues, MACed with a per-store secret
// and the organization it was issued for, so a forged or edited cursor, or one carried to another organization's
// path, is refused instead of silently jumping elsewhere. A cursor of the releases before that (its MAC over the
// payload alone, or no filters in it) is still taken, so that a poller holding one across the upgrade goes on; no
// cursor is issued that way any more.
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { AnnalsError } from '../domain/errors.js';
import { canonicalJson } from '../ledger/canonical-json.js';
import type { PageKey } from '../store/store.js';

export interface CursorState {
  key: PageKey;
  order: 'asc' | 'desc';
  by: 'time' | 'processed';
  /** `next` reads on past the key in `order`; `prev` reads back towards the start. */
  dir: 'next' | 'prev';
  /**
   * The filters of the query the cursor continues (see QueryService), or, when they are too long to carry, a
   * digest of them; absent from cursors issued before cursors carried them.
   */
  filters?: Record<string, unknown> | string;
  /**
   * A search's (or timeline's): when its first page was read, so that every page reads relative times
   * (`from=-1h`, `time:>-7d`) from the same moment and the query's window does not move while it is paged.
   */
  now?: number;
}

const MAC_BYTES = 16;
/** The longest cursor taken: its filters are those of a query string, which the request line bounds anyway. */
export const CURSOR_MAX_LENGTH = 4096;

export class CursorCodec {
  readonly #secret: Buffer;

  constructor(secret: Buffer) {
    this.#secret = secret;
  }

  /** A cursor at `state` for reads of `org`'s events (the organization is MACed, not written into it). */
  encode(org: string, state: CursorState): string {
    const fields: unknown[] = [state.key.at, state.key.seq, state.order, state.by, state.dir];
    if (state.filters !== undefined || state.now !== undefined) fields.push(state.filters ?? null);
    if (state.now !== undefined) fields.push(state.now);
    const payload = Buffer.from(JSON.stringify(fields));
    return `${payload.toString('base64url')}.${this.#mac(payload, org).toString('base64url')}`;
  }

  decode(org: string, cursor: string, parameter = 'cursor'): CursorState {
    const bad = (why: string): never => {
      throw new AnnalsError('ANN_ERR_QUERY_CURSOR', `cursor ${why}; use a cursor exactly as Annals returned it`, { parameter });
    };
    if (cursor.length > CURSOR_MAX_LENGTH) bad('is too long');
    const [body, mac, extra] = cursor.split('.');
    if (!body || !mac || extra !== undefined) bad('is not well-formed');
    const payload = Buffer.from(body, 'base64url');
    const given = Buffer.from(mac, 'base64url');
    const valid = given.length === MAC_BYTES
      && (timingSafeEqual(given, this.#mac(payload, org)) || timingSafeEqual(given, this.#mac(payload)));
    if (!valid) {
      bad('was altered, or was not issued by this server for this organization');
    }
    // A MAC that checks makes the payload Annals' own, except that the org-less MAC of cursors issued before
    // cursors named their organization also covers `org NUL payload` re-encoded as a payload: never JSON fields.
    let fields: unknown;
    try {
      fields = JSON.parse(payload.toString('utf8'));
    } catch {
      fields = undefined;
    }
    if (!Array.isArray(fields) || !Number.isSafeInteger(fields[0]) || !Number.isSafeInteger(fields[1])) bad('is not well-formed');
    const [at, seq, order, by, dir, filters, now] = fields as [number, number, string, string, string, CursorState['filters'] | null, unknown];
    const state: CursorState = {
      key: { at, seq },
      order: order === 'asc' ? 'asc' : 'desc',
      by: by === 'processed' ? 'processed' : 'time',
      dir: dir === 'prev' ? 'prev' : 'next',
    };
    if (filters !== undefined && filters !== null) state.filters = filters;
    if (typeof now === 'number') state.now = now;
    return state;
  }

  /** The MAC of a cursor for `org`; without one, as cursors were before they were bound to an organization. */
  #mac(payload: Buffer, org?: string): Buffer {
    const hmac = createHmac('sha256', this.#secret);
    // The org id is a slug (no NUL), the payload JSON: org, NUL, payload is one unambiguous message.
    if (org !== undefined) hmac.update(org).update('\0');
    return hmac.update(payload).digest().subarray(0, MAC_BYTES);
  }
}

/** What a cursor carries for filters too long to carry: a digest of their canonical JSON. */
export function filtersDigest(filters: Record<string, unknown>): string {
  return createHash('sha256').update(canonicalJson(filters)).digest().subarray(0, 16).toString('base64url');
}
