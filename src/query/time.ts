// Times in the query language and in `from`/`to` parameters. A `time:` value is a point with a comparison, or a
// range of two points:
//
//   time:2026-11-25             that whole day (UTC)         time:2026-11   that month     time:2026   that year
//   time:>=2026-11-01T09:00Z    from then on                 time:<2026-11-02   before that day
//   time:2026-11-01..2026-11-05 from the 1st to the end of the 5th (both ends included); `*` leaves an end open
//   time:-7d  time:>-12h        relative to now (s, m, h, d, w); a bare relative point means "since then"
//   time:1764067200000          epoch milliseconds
//
// A point has a length (a day, a minute, a millisecond): `>` starts after it, `<=` ends with it. Times without a
// zone are UTC.
import { AnnalsError } from '../domain/errors.js';
import type { TimeRange } from '../store/store.js';
import { queryError } from './parser.js';

interface Point {
  start: number;
  end: number;
  relative: boolean;
}

const UNITS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };
const ABSOLUTE = /^(\d{4})(?:-(\d{2})(?:-(\d{2})(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,3})\d*)?)?)?)?)?([Zz]|[+-]\d{2}:?\d{2})?$/;

/** Thrown inside this module: a reason and where in the value it applies. */
class BadTime extends Error {
  constructor(readonly offset: number, message: string, readonly expected: string) {
    super(message);
  }
}

/** Date.UTC for every year (Date.UTC reads years 0-99 as 1900-1999). */
function utc(y: number, mo: number, d: number, h = 0, mi = 0, s = 0, ms = 0): number {
  const t = new Date(0);
  t.setUTCFullYear(y, mo, d);
  t.setUTCHours(h, mi, s, ms);
  return t.getTime();
}

const EXPECTED = 'a date (2026-11-25), a date-time (2026-11-25T10:00Z), epoch ms, now, or a relative time (-7d)';

function point(text: string, offset: number, now: number): Point {
  if (text === 'now') return { start: now, end: now + 1, relative: true };
  const rel = /^-(\d{1,6})([smhdw])$/.exec(text);
  if (rel) {
    const t = now - Number(rel[1]) * UNITS[rel[2]];
    return { start: t, end: t + 1, relative: true };
  }
  if (/^\d{10,15}$/.test(text)) {
    // Ten digits in ms are a moment in 1970; in seconds, one from 2001 to 2286: what a client meant.
    if (text.length === 10) throw new BadTime(offset, `'${text}' looks like epoch seconds; times are epoch milliseconds, such as ${text}000`, EXPECTED);
    const t = Number(text);
    return { start: t, end: t + 1, relative: false };
  }
  const m = ABSOLUTE.exec(text);
  if (!m) throw new BadTime(offset, `'${text.slice(0, 40)}' is not a time`, EXPECTED);
  const [, y, mo, d, h, mi, s, ms, zone] = m;
  const n = (v: string | undefined, dflt: number) => (v === undefined ? dflt : Number(v));
  const fields = [n(y, 0), n(mo, 1) - 1, n(d, 1), n(h, 0), n(mi, 0), n(s, 0), ms === undefined ? 0 : Number(ms.padEnd(3, '0'))];
  if (fields[1] > 11 || fields[2] < 1 || fields[2] > 31 || fields[3] > 23 || fields[4] > 59 || fields[5] > 59) {
    throw new BadTime(offset, `'${text}' is not a real date or time`, EXPECTED);
  }
  let start = utc(fields[0], fields[1], fields[2], fields[3], fields[4], fields[5], fields[6]);
  const check = new Date(start);
  if (check.getUTCDate() !== fields[2]) throw new BadTime(offset, `'${text}' is not a real date`, EXPECTED);
  if (zone !== undefined && zone.toUpperCase() !== 'Z') {
    const sign = zone[0] === '-' ? -1 : 1;
    const digits = zone.slice(1).replace(':', '');
    const [zh, zm] = [Number(digits.slice(0, 2)), Number(digits.slice(2))];
    if (zh > 23 || zm > 59) throw new BadTime(offset, `'${zone}' is not a zone offset`, EXPECTED);
    start -= sign * (zh * 60 + zm) * 60_000;
  }
  // How long the point lasts: to the next unit of its finest field.
  let end: number;
  if (mo === undefined) end = utc(fields[0] + 1, 0, 1);
  else if (d === undefined) end = utc(fields[0], fields[1] + 1, 1);
  else if (h === undefined) end = start + UNITS.d;
  else if (s === undefined) end = start + UNITS.m;
  else if (ms === undefined) end = start + UNITS.s;
  else end = start + 1;
  return { start, end, relative: false };
}

function parse(value: string, now: number): TimeRange {
  const dots = value.indexOf('..');
  if (dots >= 0) {
    const a = value.slice(0, dots);
    const b = value.slice(dots + 2);
    if (a === '' || b === '') throw new BadTime(a === '' ? 0 : dots + 2, 'a range needs a time on both sides of ..', `${EXPECTED}, or * for an open end`);
    const range: TimeRange = {};
    if (a !== '*') range.from = point(a, 0, now).start;
    if (b !== '*') range.to = point(b, dots + 2, now).end;
    return range;
  }
  const op = /^(>=|<=|>|<|=)/.exec(value)?.[0] ?? '';
  const rest = value.slice(op.length);
  if (rest === '') throw new BadTime(op.length, `expected a time after '${op}'`, EXPECTED);
  const p = point(rest, op.length, now);
  switch (op) {
    case '>=': return { from: p.start };
    case '>': return { from: p.end };
    case '<=': return { to: p.end };
    case '<': return { to: p.start };
    default: return p.relative && rest !== 'now' ? { from: p.start } : { from: p.start, to: p.end };
  }
}

/** A `time:` value at `offset` of the query `q` (errors point into the query). */
export function parseQueryTime(value: string, offset: number, now: number): TimeRange {
  try {
    return parse(value, now);
  } catch (error) {
    if (error instanceof BadTime) throw queryError(offset + error.offset, error.message, error.expected);
    throw error;
  }
}

/**
 * A `from` or `to` parameter: epoch ms, or any single point the query language knows (its start). Four digits are a
 * year, as in `time:` (in ms they would be a moment in 1970's first ten seconds); ten are refused (see point).
 */
export function parseTimeParameter(value: string, parameter: string, now: number): number {
  if (/^\d{1,15}$/.test(value) && value.length !== 10 && value.length !== 4) return Number(value);
  try {
    return point(value, 0, now).start;
  } catch (error) {
    if (!(error instanceof BadTime)) throw error;
    throw new AnnalsError('ANN_ERR_QUERY_INVALID', `${parameter} ${error.message}: expected ${EXPECTED}`, { parameter });
  }
}
