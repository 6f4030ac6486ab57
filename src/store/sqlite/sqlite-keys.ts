// Time keys: an event's rowid is time_ms * 2^KEY_SHIFT + n (n counts the events stored before it at that
// millisecond), and its day the UTC day of that time. One module, so that the writer, the schema upgrade, the
// rollups and the query compiler derive them alike.

import { DAY_MS } from '../rollups.js';

export { DAY_MS, HOUR_MS } from '../rollups.js';

/** Bits of the time key below the millisecond: at most 2^20 events may share one millisecond. */
export const KEY_SHIFT = 20n;
/** 2^KEY_SHIFT, for SQL: a time key is time_ms * KEY_UNIT + n. */
export const KEY_UNIT = 2 ** Number(KEY_SHIFT);
/** The latest time a time key holds, 2^43 - 1 ms (in 2248): a key stays a signed 64-bit integer. */
export const MAX_KEY_TIME = 2 ** 43 - 1;
/**
 * The time a time key and the day are made from: the event time, clamped to what keys hold. Annals refuses times
 * before 1970 (and more than a day ahead), but the first release stored any past time: such events are filed at
 * 1970-01-01 in the time index, while their leaf (and time_ms) keep the time as sent.
 */
export const KEY_TIME_SQL = `max(0, min(time_ms, ${MAX_KEY_TIME}))`;
/** The UTC day (days since 1970-01-01) of an event's time key, in SQL. */
export const DAY_OF_TIME = `(${KEY_TIME_SQL} / ${DAY_MS})`;

/**
 * The time key where millisecond `ms` begins. Times outside what keys hold (before 1970, after MAX_KEY_TIME) are
 * clamped to the nearest end: no event lies beyond either.
 */
export const keyAt = (ms: number): bigint => BigInt(Math.min(Math.max(Math.floor(ms), 0), MAX_KEY_TIME)) << KEY_SHIFT;

/** Time keys (or full-text rowids) in ascending order, for sort(): BigInts do not subtract to a number. */
export const compareKeys = (a: bigint, b: bigint): number => (a < b ? -1 : a > b ? 1 : 0);

/** The UTC day of a time key. */
export const dayOfKey = (key: bigint): number => Math.floor(Number(key >> KEY_SHIFT) / DAY_MS);
