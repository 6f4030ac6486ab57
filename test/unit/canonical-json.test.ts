import assert from 'node:assert/strict';
import { test } from 'node:test';
import canonicalizeModule from 'canonicalize';
import fc from 'fast-check';
import { canonicalJson } from '../../src/ledger/canonical-json.js';

// The `canonicalize` package (the RFC 8785 reference for JavaScript) is the oracle.
const reference = canonicalizeModule as unknown as (input: unknown) => string | undefined;

test('equals the canonicalize package on arbitrary JSON values', () => {
  fc.assert(fc.property(fc.jsonValue(), (value) => {
    assert.equal(canonicalJson(value), reference(value));
  }), { numRuns: 3000 });
});

test('equals the canonicalize package on objects with unicode keys, undefined members and nested arrays', () => {
  const key = fc.string({ unit: 'grapheme', maxLength: 6 });
  const leaf = fc.oneof(fc.string({ unit: 'binary' }), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.boolean(), fc.constant(null), fc.constant(undefined));
  const tree = fc.letrec((tie) => ({
    node: fc.oneof({ depthSize: 'small' }, leaf, fc.array(tie('node')), fc.dictionary(key, tie('node'))),
  })).node;
  fc.assert(fc.property(fc.dictionary(key, tree), (value) => {
    assert.equal(canonicalJson(value), reference(value));
  }), { numRuns: 2000 });
});

test('RFC 8785 examples: member order by UTF-16 code units, number forms, escapes', () => {
  assert.equal(canonicalJson({ b: 1, a: [true, null, 'x'], '\u20ac': 0, '\ud83d\ude00': 1, '\r': 2, '1': 3 }),
    '{"\\r":2,"1":3,"a":[true,null,"x"],"b":1,"\u20ac":0,"\ud83d\ude00":1}');
  assert.equal(canonicalJson([1e21, 1e-7, -0, 0.1 + 0.2, 333333333.33333329]), '[1e+21,1e-7,0,0.30000000000000004,333333333.3333333]');
  assert.equal(canonicalJson('\u0000\u001f"\\\u2028'), '"\\u0000\\u001f\\"\\\\\u2028"');
  assert.throws(() => canonicalJson(Number.NaN));
  assert.throws(() => canonicalJson({ a: Infinity }));
});

test('keys that V8 lists out of insertion order, __proto__ members and toJSON values are written as JCS orders them', () => {
  // Array-index keys come first in numeric order in a JS object; JCS orders them as strings.
  assert.equal(canonicalJson({ b: 1, 10: 2, 9: 3, '01': 4 }), '{"01":4,"10":2,"9":3,"b":1}');
  assert.equal(canonicalJson({ z: [{ 2: 'a', 10: 'b' }], a: 1 }), '{"a":1,"z":[{"10":"b","2":"a"}]}');
  const parsed = JSON.parse('{"x":1,"__proto__":{"b":2,"a":1}}') as unknown;
  assert.equal(canonicalJson(parsed), '{"__proto__":{"a":1,"b":2},"x":1}');
  assert.equal(canonicalJson({ when: new Date(0), a: { c: 1, b: 2 } }), '{"a":{"b":2,"c":1},"when":"1970-01-01T00:00:00.000Z"}');
  for (const value of [{ b: 1, 10: 2 }, parsed, { when: new Date(0) }]) assert.equal(canonicalJson(value), reference(value));
});

test('an object already in order, or in order but for a nested member, is written as one out of order is', () => {
  const inner = { b: { d: 1, c: 2 }, a: [{ y: 1, x: 2 }] };
  const value = { a: 1, b: inner, c: [1, { f: null, e: undefined }] };
  assert.equal(canonicalJson(value), '{"a":1,"b":{"a":[{"x":2,"y":1}],"b":{"c":2,"d":1}},"c":[1,{"f":null}]}');
  assert.equal(canonicalJson(value), reference(value));
  // Canonical order is found without changing the value.
  assert.deepEqual(Object.keys(inner), ['b', 'a']);
  assert.throws(() => canonicalJson({ a: { b: [1, Number.POSITIVE_INFINITY] } }));
});
