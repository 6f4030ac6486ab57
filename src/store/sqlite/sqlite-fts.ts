// The embedded store's full-text index: one contentless FTS5 table per org, keyed newest first (ftsRowid), what
// each row holds, and how a filter's text becomes an FTS5 expression.
//
// A row holds the event's search text (domain/search-text.ts) and tokens of Annals' own naming the event's actor,
// its action, the action's product and category, and its country (a *field token*: a prefix and 16 hex digits of a
// SHA-256 of the value; countries folded as NOCASE folds them, products and categories as slugs, as the query
// language names them). With them, free text together with `actor:`, `action:`, `product:`, `category:` or
// `country:` is one MATCH that FTS5 answers by stepping through the posting lists together, skipping ahead in each,
// instead of reading every event that matches one side and checking the other; a product or a category is one posting list rather than an OR of
// its actions' (an action never changes product or category: actions are only ever added). The tokens only
// narrow: the query still checks the columns on every row, so a hash collision, or a word in some event that
// happens to look like a token, never changes an answer. (Free text that names a token, such as `annalsactor…`, matches like any other word.)
import { createHash } from 'node:crypto';
import type Database from 'better-sqlite3';
import { slug } from '../../domain/action.js';
import { asciiLower } from '../../domain/words.js';

/**
 * The rowid of an event's full-text row: its time key negated, so that newest first is ascending rowid order. FTS5
 * seeks ahead cheaply only in ascending order: descending, it steps its doclist index back one entry at a time, and
 * each step decodes the index page again from its start, so a page 100,000-300,000 matches deep cost 1.8-3.7x page 1
 * at 1M, where ascending it costs what page 1 does (and page 1 itself costs ~1.7x descending: reading backwards also
 * maps each leaf's rowids first; docs/performance.md). Newest first is how pages are read unless a reader asks
 * otherwise. Rows must go in in ascending rowid order within a transaction (FTS5 writes its pending
 * rows out as a new segment whenever a rowid is not above the last): the writers sort them (sqlite-append.ts).
 */
export const ftsRowid = (key: bigint): bigint => -key;

/**
 * The full-text table of an org (`no` is the store's own integer, never user input). Schemas 2-5 named it `fts_<no>`
 * and keyed it by the time key itself: schema 6 renamed it with the new keying, so that an older Annals opening a
 * newer store fails on the missing table instead of reading the new keys as old ones.
 */
export const ftsTable = (orgNo: number) => `fulltext_${orgNo}`;

export function createFtsTable(db: Database.Database, orgNo: number): void {
  db.exec(`CREATE VIRTUAL TABLE IF NOT EXISTS ${ftsTable(orgNo)} USING fts5 (text, content = '', columnsize = 0)`);
}

export type TokenField = 'actor' | 'action' | 'product' | 'category' | 'country';

const PREFIX: Record<TokenField, string> = {
  actor: 'annalsactor', action: 'annalsaction', product: 'annalsproduct', category: 'annalscategory', country: 'annalscountry',
};

/** Tokens already made, per field and value as given (actors and actions repeat): each cleared past LIMIT. */
const made: Record<TokenField, Map<string, string>> = {
  actor: new Map(), action: new Map(), product: new Map(), category: new Map(), country: new Map(),
};

/** A value as its token names it: what the queries that ask for it compare equal. */
const tokenValue: Record<TokenField, (value: string) => string> = {
  actor: (v) => v, action: (v) => v, product: slug, category: slug, country: asciiLower,
};
const LIMIT = 100_000;

/** The token that stands for `value` of `field` in the full-text rows. */
export function fieldToken(field: TokenField, value: string): string {
  // The append path makes five tokens per event: a map of its own per field, so a hit builds no key.
  const cache = made[field];
  let token = cache.get(value);
  if (token === undefined) {
    if (cache.size >= LIMIT) cache.clear();
    const hashed = `${field}\u0000${tokenValue[field](value)}`;
    token = PREFIX[field] + createHash('sha256').update(hashed).digest('hex').slice(0, 16);
    cache.set(value, token);
  }
  return token;
}

/** What an event's full-text row names besides its text. */
export interface TokenValues {
  actor: string;
  /**
   * The action's key, product and category (see ActionDefinition); an action neither built in nor registered (only
   * a store written to without ingest holds one) has none.
   */
  action: { key: string; product?: string; category?: string };
  country: string | undefined;
}

/** What the org's full-text row of an event holds. */
export function ftsDocument(text: string, values: TokenValues): string {
  const { actor, action, country } = values;
  let tokens = `${text} ${fieldToken('actor', actor)} ${fieldToken('action', action.key)}`;
  if (action.product !== undefined) tokens += ` ${fieldToken('product', action.product)}`;
  if (action.category !== undefined) tokens += ` ${fieldToken('category', action.category)}`;
  return country === undefined ? tokens : `${tokens} ${fieldToken('country', country)}`;
}

/** Each term as an FTS5 string (a phrase of its words): no user input is ever read as FTS5 syntax. */
export function ftsTerms(terms: readonly string[], separator = ' '): string {
  // Control characters are never part of a token, and a NUL would end the FTS5 query string early.
  return terms.map((t) => `"${t.replace(/[\u0000-\u001f\u007f]/g, ' ').replaceAll('"', '""')}"`).join(separator);
}

/** An FTS5 expression matching rows whose `field` is one of `values` (at least one). */
export function ftsAnyOf(field: TokenField, values: readonly string[]): string {
  return values.map((v) => fieldToken(field, v)).join(' OR ');
}
