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
