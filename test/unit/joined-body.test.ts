// A response body joined from many texts, given as their byte strings, is exactly the UTF-8 of the texts joined,
// whatever characters they hold.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { joinedBody } from '../../src/api/joined-body.js';
import { byteString } from '../../src/store/page-leaves.js';

const joined = (head: string, parts: readonly string[], tail: string) => Buffer.from(head + parts.join(',') + tail);
const joinedBytes = (head: string, parts: readonly string[], tail: string) => joinedBody(byteString(head), parts.map(byteString), byteString(tail));

test('three-byte characters, surrogate pairs, Latin-1, no parts, small and large bodies', () => {
  const cases: [string, string[], string][] = [
    ['{"data":[', [], ']}'],
    ['', ['"张"'], ''],
    ['[', Array.from({ length: 100 }, (_, i) => `"${'张'.repeat(i * 10)}"`), ']'],
    ['[', Array.from({ length: 50 }, () => '"🙂𠀋"'.repeat(20)), ']'],
    ['[', ['"Zoë Müller"', '"plain"', '"Олена"'], ']'],
    ['[', Array.from({ length: 400 }, () => `"${'张'.repeat(1000)}"`), ']'],
  ];
  for (const [head, parts, tail] of cases) assert.ok(joinedBytes(head, parts, tail).equals(joined(head, parts, tail)));
});

test('any texts', () => {
  fc.assert(fc.property(fc.string({ unit: 'binary' }), fc.array(fc.string({ unit: 'binary' })), fc.string({ unit: 'binary' }),
    (head, parts, tail) => joinedBytes(head, parts, tail).equals(joined(head, parts, tail))), { numRuns: 500 });
});
