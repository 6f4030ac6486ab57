// Turns untrusted producer input into an EventInput, or an AnnalsError that names the field (and batch index).
import { Compile } from 'typebox/compile';
import { AnnalsError } from '../domain/errors.js';
import type { EventInput } from '../domain/event.js';
import { formatIp, ipBytes } from '../domain/ip.js';
import { isText, NOT_TEXT } from '../domain/text.js';
import { EventInputSchema, LIMITS } from './event-schema.js';

// Compiled once: the check runs for every event on the ingest hot path.
const checker = Compile(EventInputSchema);

/** RFC 3339 date-time: a date, a time, optional fraction, and a zone (Z or ±hh:mm). */
const DATE_TIME = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})$/;

export interface FieldError {
  pointer: string;
  detail: string;
}

function prefix(index: number | undefined): string {
  return index === undefined ? '' : `/${index}`;
}

function fail(index: number | undefined, errors: FieldError[]): never {
  const first = errors[0];
  // The pointer of the whole event is '' (RFC 6901): in words, "the event".
  const field = first.pointer || 'the event';
  const where = index === undefined ? field : `item ${index}, ${field}`;
  throw new AnnalsError('ANN_ERR_EVENT_INVALID', `${where}: ${first.detail}`, {
    pointer: prefix(index) + first.pointer,
    ...(index === undefined ? {} : { index }),
    errors: errors.map((e) => ({ pointer: prefix(index) + e.pointer, detail: e.detail })),
  });
}

/**
 * Validates one event. `index` is its position in a batch (for error messages), `now` the clock for the
 * future-skew check. Returns a new object with the time normalised to UTC ISO-8601 with milliseconds.
 */
export function validateEvent(input: unknown, index: number | undefined, now: number): EventInput {
  if (!checker.Check(input)) {
    const errors: FieldError[] = [];
    for (const e of checker.Errors(input)) {
      // TypeBox reports unknown properties twice (as `schema is false` and `additionalProperties`): keep the one
      // that names the property.
      if (e.keyword === 'additionalProperties') continue;
      if (e.keyword === 'required') {
        // Point at the missing field itself, one error each.
        for (const name of (e.params as { requiredProperties: string[] }).requiredProperties) {
          errors.push({ pointer: `${e.instancePath}/${name}`, detail: 'is required' });
        }
        continue;
      }
      const detail = e.keyword === 'boolean' ? 'is not a known field' : e.message;
      errors.push({ pointer: e.instancePath, detail });
      if (errors.length >= 10) break;
    }
    if (errors.length === 0) errors.push({ pointer: '', detail: 'must be a JSON object' });
    fail(index, errors);
  }
  const event = input as EventInput;
  const errors: FieldError[] = [];
  const timeMs = DATE_TIME.test(event.time) ? realDateMs(event.time) : Number.NaN;
  if (Number.isNaN(timeMs)) {
    errors.push({ pointer: '/time', detail: `'${clip(event.time)}' is not an ISO-8601 date-time with a zone (e.g. 2026-11-25T10:44:26.457Z)` });
  } else if (timeMs > now + LIMITS.futureSkewMs) {
    errors.push({ pointer: '/time', detail: 'is more than 24 hours in the future' });
  } else if (timeMs < 0) {
    errors.push({ pointer: '/time', detail: 'is before 1970-01-01T00:00:00Z' });
  }
  const ip = event.location?.ip;
  const address = ip === undefined ? undefined : ipBytes(ip);
  if (ip !== undefined && address === undefined) {
    errors.push({ pointer: '/location/ip', detail: `'${clip(ip)}' is not an IPv4 or IPv6 address` });
  }
  if (event.metadata !== undefined) {
    // Depth first (bounded, so a hostile nesting cannot exhaust the stack), then the size.
    if (deeperThan(event.metadata, LIMITS.metadataDepth)) {
      errors.push({ pointer: '/metadata', detail: `nests deeper than ${LIMITS.metadataDepth} levels` });
    } else {
      const bytes = Buffer.byteLength(JSON.stringify(event.metadata));
      if (bytes > LIMITS.metadataBytes) {
        errors.push({ pointer: '/metadata', detail: `is ${bytes} bytes as JSON; at most ${LIMITS.metadataBytes} are allowed` });
      }
    }
  }
  if (errors.length === 0) {
    // Every string and number of the event, wherever it is: what the leaf's canonical JSON and the stores can keep.
    const bad = unstorable(event);
    if (bad) errors.push(bad);
  }
  if (errors.length > 0) fail(index, errors);
  const normalised: EventInput = { ...event, time: new Date(timeMs).toISOString() };
  // One spelling per address (RFC 5952; IPv4-mapped IPv6 as IPv4), as the leaf keeps it.
  if (address !== undefined) normalised.location = { ...event.location, ip: formatIp(address) };
  return normalised;
}

/**
 * The first string or number of `value` (already bounded in depth) that no store can keep as it is: a string with a
 * lone surrogate or a NUL, a number that is not finite (JSON.parse makes 1e400 Infinity, which JSON cannot write),
 * in object keys too; undefined when there is none. The walk builds no pointer unless it finds one (it runs over
 * every member of every event).
 */
function unstorable(value: unknown): FieldError | undefined {
  const found = firstUnstorable(value);
  if (!found) return undefined;
  const pointer = found.path.reverse().map((key) => `/${String(key).replaceAll('~', '~0').replaceAll('/', '~1')}`).join('');
  return { pointer, detail: found.detail };
}

/** What unstorable looks for; the path comes innermost first. */
function firstUnstorable(value: unknown): { path: (string | number)[]; detail: string } | undefined {
  if (typeof value === 'string') return isText(value) ? undefined : { path: [], detail: NOT_TEXT };
  if (typeof value === 'number') return Number.isFinite(value) ? undefined : { path: [], detail: 'is a number too large for JSON to write back' };
  if (value === null || typeof value !== 'object') return undefined;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const bad = firstUnstorable(value[i]);
      if (bad) return (bad.path.push(i), bad);
    }
    return undefined;
  }
  const object = value as Record<string, unknown>;
  for (const key of Object.keys(object)) {
    if (!isText(key)) return { path: [key], detail: `is a name that ${NOT_TEXT}` };
    const bad = firstUnstorable(object[key]);
    if (bad) return (bad.path.push(key), bad);
  }
  return undefined;
}

/** Whether `value` nests objects or arrays more than `limit` levels deep; never recurses past limit + 1. */
function deeperThan(value: unknown, limit: number): boolean {
  if (value === null || typeof value !== 'object') return false;
  if (limit === 0) return true;
  for (const v of Object.values(value)) if (deeperThan(v, limit - 1)) return true;
  return false;
}

/**
 * The instant a date-time names, or NaN when its fields name none (Date.parse would roll 2026-02-30 over to March 2).
 * `text` has DATE_TIME's form.
 */
function realDateMs(text: string): number {
  const ms = Date.parse(text);
  if (Number.isNaN(ms)) return ms;
  const y = Number(text.slice(0, 4));
  const mo = Number(text.slice(5, 7));
  const d = Number(text.slice(8, 10));
  // setUTCFullYear takes years 0-99 as they are (Date.UTC would make them 1900-1999).
  const day = new Date(0);
  day.setUTCFullYear(y, mo - 1, d);
  const real = day.getUTCFullYear() === y && day.getUTCMonth() === mo - 1 && day.getUTCDate() === d
    && Number(text.slice(11, 13)) < 24 && Number(text.slice(14, 16)) < 60 && Number(text.slice(17, 19)) < 60;
  return real ? ms : Number.NaN;
}

function clip(s: string): string {
  return s.length > 64 ? `${s.slice(0, 61)}...` : s;
}
