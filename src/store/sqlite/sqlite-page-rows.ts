// A page's rows as the embedded store reads them: packed into one result row (every body in one blob, the sizes and
// positions as lists). Each row better-sqlite3 hands over is an array and a string made in JavaScript: over HTTP at
// 10M events, a page of 100 read that way took 0.1-0.7 ms more of the server's CPU than read packed and served as
// bytes (medians, alternated in a slow phase; docs/performance.md, the seventeenth VM).
import type Database from 'better-sqlite3';
import { PageLeaves } from '../page-leaves.js';
import type { LeafPage, PageRequest } from '../store.js';
import { MAX_KEY_TIME } from './sqlite-keys.js';

/** Rows of a page, or of part of one, in page order: the leaves' bytes, where each ends, and each one's position. */
export interface PageRows {
  bytes: Buffer;
  ends: number[];
  time: number[];
  processed: number[];
  seq: number[];
}

/** Where an event sits in either order. */
export interface Position { time_ms: number; processed_ms: number; seq: number }

const NO_ROWS: PageRows = { bytes: Buffer.alloc(0), ends: [], time: [], processed: [], seq: [] };

/** A statement reading COLUMNS.page (body, time_ms, processed_ms, seq) as one row: see readPacked. */
export function packedSql(rows: string): string {
  return `SELECT count(*), CAST(group_concat(body, '') AS BLOB), group_concat(octet_length(body)), group_concat(time_ms),
    group_concat(processed_ms), group_concat(seq) FROM (${rows})`;
}

/**
 * The rows of a packedSql statement, or undefined when they do not unpack into one body, size and position per row
 * (a NULL among them: the columns are NOT NULL, so this only guards). Their order is the one SQLite handed the rows
 * to group_concat in, which the caller checks (see inPageOrder).
 */
export function readPacked(stmt: Database.Statement, params: readonly unknown[]): PageRows | undefined {
  const [n, bytes, sizes, time, processed, seq] = stmt.raw(true).get(...params) as
    [number, Buffer | null, string | null, string | null, string | null, string | null];
  if (n === 0) return NO_ROWS;
  if (bytes === null || sizes === null || time === null || processed === null || seq === null) return undefined;
  const ends = sizes.split(',').map(Number);
  for (let i = 1; i < ends.length; i++) ends[i] += ends[i - 1];
  const rows: PageRows = { bytes, ends, time: time.split(',').map(Number), processed: processed.split(',').map(Number), seq: seq.split(',').map(Number) };
  const whole = ends.length === n && ends[n - 1] === bytes.length && rows.time.length === n && rows.processed.length === n && rows.seq.length === n;
  return whole ? rows : undefined;
}

/** The rows of a statement reading COLUMNS.page, one by one. */
export function readRows(stmt: Database.Statement, params: readonly unknown[]): PageRows {
  const rows = stmt.raw(true).all(...params) as [string | Buffer, number, number, number][];
  return joinRows(rows.map(([body, time, processed, seq]) => ({
    bytes: Buffer.from(body), ends: [Buffer.byteLength(body)], time: [time], processed: [processed], seq: [seq],
  })));
}

/** `parts` one after another. */
export function joinRows(parts: readonly PageRows[]): PageRows {
  if (parts.length === 1) return parts[0];
  const rows: PageRows = { bytes: Buffer.concat(parts.map((p) => p.bytes)), ends: [], time: [], processed: [], seq: [] };
  let offset = 0;
  for (const part of parts) {
    for (const end of part.ends) rows.ends.push(offset + end);
    rows.time.push(...part.time);
    rows.processed.push(...part.processed);
    rows.seq.push(...part.seq);
    offset += part.bytes.length;
  }
  return rows;
}

/**
 * Whether `rows` come in the order of a page read `by` event time (time key order: the time as keys hold it, then
 * seq, which orders the events of one millisecond as their keys do) or by processing (seq order).
 */
export function inPageOrder(rows: PageRows, by: PageRequest['by'], order: 'asc' | 'desc'): boolean {
  const sign = order === 'desc' ? -1 : 1;
  const { time, seq } = rows;
  for (let i = 1; i < seq.length; i++) {
    const step = (by === 'time' ? keyTime(time[i]) - keyTime(time[i - 1]) : 0) || seq[i] - seq[i - 1];
    if (step * sign <= 0) return false;
  }
  return true;
}

/** The time of an event's time key (see KEY_TIME_SQL). */
const keyTime = (ms: number): number => Math.max(0, Math.min(ms, MAX_KEY_TIME));

/**
 * The page of up to `page.limit` of `rows` (which may hold one more: then another page follows it), or, when the
 * read stopped at its row budget, resuming after `edge`, the last row it read.
 */
export function leafPage(rows: PageRows, page: PageRequest, edge?: Position): LeafPage {
  const n = Math.min(rows.ends.length, page.limit);
  const at = page.by === 'time' ? rows.time : rows.processed;
  const out: LeafPage = { leaves: n === 0 ? PageLeaves.none : new PageLeaves(rows.bytes, n === rows.ends.length ? rows.ends : rows.ends.slice(0, n)) };
  if (n > 0) {
    out.first = { at: at[0], seq: rows.seq[0] };
    out.last = { at: at[n - 1], seq: rows.seq[n - 1] };
  }
  if (rows.ends.length > page.limit) out.next = out.last;
  else if (edge) out.next = { at: page.by === 'time' ? edge.time_ms : edge.processed_ms, seq: edge.seq };
  return out;
}
