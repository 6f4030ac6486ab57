// RFC 8785 (JSON Canonicalization Scheme) for the JSON values Annals stores. Pure.
//
// JCS is JSON.stringify with object members sorted by their keys' UTF-16 code units and no whitespace: its string
// escaping and its number form (ECMAScript Number.prototype.toString) are exactly JSON.stringify's. This runs for
// every event on the ingest path, so the value is first put in canonical order (`ordered`: objects whose keys are
// out of order are copied with their keys inserted in order; objects already in order are kept as they are) and
// then written by one native JSON.stringify, which keeps an object's insertion order. V8 lists keys that are array
// indices ("0", "10") first, in numeric order, whatever the insertion order, and assigning a `__proto__` key sets a
// prototype instead of a member: a value with a key that starts with a digit or is `__proto__`, or with anything
// JSON.stringify writes otherwise than JCS (a toJSON method, a number that is not finite, a BigInt), is written
// member by member instead (`serialize`), its parts joined (appending with `+=` builds a rope of small pieces that
// V8 flattens later, piece by piece). Measured per event on the project's VM: 7.6-8.9 µs member by member, 4.6-4.8
// µs ordered and stringified. test/unit/canonical-json.test.ts checks both paths against the `canonicalize` package.

/** What `ordered` returns for a value that only `serialize` writes as JCS requires. */
const BY_MEMBER = Symbol('by member');

export function canonicalJson(value: unknown): string {
  const inOrder = ordered(value);
  const out = inOrder === BY_MEMBER ? serialize(value) : JSON.stringify(inOrder);
  if (out === undefined) throw new TypeError('value is not serialisable as JSON');
  return out;
}

/** The members of a plain object, canonical and comma-joined, without the braces: for splicing (see leaf.ts). */
export function canonicalMembers(object: Record<string, unknown>): string {
  const inOrder = ordered(object);
  return inOrder === BY_MEMBER ? members(object) : JSON.stringify(inOrder).slice(1, -1);
}

/**
 * `value` with every object's keys in canonical order: the value itself where they already are, a copy where they
 * are not; BY_MEMBER if JSON.stringify would not write it as JCS does whatever the order (see the header).
 */
function ordered(value: unknown): unknown {
  if (typeof value !== 'object' || value === null) {
    if (typeof value === 'number' ? !Number.isFinite(value) : typeof value === 'bigint') return BY_MEMBER;
    return value;
  }
  if (typeof (value as { toJSON?: unknown }).toJSON === 'function') return BY_MEMBER;
  if (Array.isArray(value)) {
    let copy: unknown[] | undefined;
    for (let i = 0; i < value.length; i++) {
      const item = value[i];
      const inOrder = ordered(item);
      if (inOrder === BY_MEMBER) return BY_MEMBER;
      if (inOrder !== item) (copy ??= value.slice())[i] = inOrder;
    }
    return copy ?? value;
  }
  const object = value as Record<string, unknown>;
  const keys = Object.keys(object);
  let sorted = true;
  for (let i = 0; i < keys.length; i++) {
    const first = keys[i].charCodeAt(0);
    if ((first >= 0x30 && first <= 0x39) || keys[i] === '__proto__') return BY_MEMBER;
    if (i > 0 && keys[i - 1] > keys[i]) sorted = false;
  }
  if (!sorted) keys.sort();
  // Kept as it is until a member changes; a copy from then on (built in key order, so also when the keys were not).
  let copy: Record<string, unknown> | undefined = sorted ? undefined : {};
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i];
    const member = object[key];
    const inOrder = ordered(member);
    if (inOrder === BY_MEMBER) return BY_MEMBER;
    if (copy === undefined && inOrder !== member) {
      copy = {};
      for (let j = 0; j < i; j++) copy[keys[j]] = object[keys[j]];
    }
    if (copy !== undefined) copy[key] = inOrder;
  }
  return copy ?? object;
}

function serialize(value: unknown): string | undefined {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return JSON.stringify(value);
    case 'number':
      if (!Number.isFinite(value)) throw new TypeError(`${value} is not a JSON number`);
      return JSON.stringify(value);
    case 'object': {
      const toJSON = (value as { toJSON?: () => unknown }).toJSON;
      if (typeof toJSON === 'function') return serialize(toJSON.call(value));
      if (Array.isArray(value)) {
        const items: string[] = new Array(value.length);
        for (let i = 0; i < value.length; i++) items[i] = serialize(value[i]) ?? 'null';
        return `[${items.join(',')}]`;
      }
      return `{${members(value as Record<string, unknown>)}}`;
    }
    default:
      // undefined, functions and symbols have no JSON form (left out of objects, null in arrays).
      return undefined;
  }
}

function members(object: Record<string, unknown>): string {
  // Array.prototype.sort without a comparator orders strings by UTF-16 code units, as RFC 8785 §3.2.3 requires.
  const keys = Object.keys(object).sort();
  const out: string[] = [];
  for (const key of keys) {
    const text = serialize(object[key]);
    if (text !== undefined) out.push(`${JSON.stringify(key)}:${text}`);
  }
  return out.join(',');
}
