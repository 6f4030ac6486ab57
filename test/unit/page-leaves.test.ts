// A page's leaves as one run of bytes: each leaf's text and byte string as given, in either order.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { byteString, PageLeaves } from '../../src/store/page-leaves.js';

/** Each of `leaves`' byte strings is the UTF-8 of its text, written back exactly. */
function assertByteStrings(leaves: PageLeaves, texts: readonly string[]): void {
  const strings = leaves.byteStrings();
  assert.deepEqual(strings, texts.map(byteString));
  strings.forEach((s, i) => assert.ok(Buffer.from(s, 'latin1').equals(Buffer.from(texts[i]))));
}

test('each leaf reads back as its text, its byte string is its UTF-8 bytes, and reversed is last first', () => {
  fc.assert(fc.property(fc.array(fc.string({ unit: 'binary' })), (texts) => {
    const leaves = PageLeaves.fromTexts(texts);
    assert.equal(leaves.length, texts.length);
    assert.deepEqual(leaves.texts(), texts);
    assertByteStrings(leaves, texts);
    assert.deepEqual(leaves.reversed().texts(), [...texts].reverse());
    // The same leaves given as bytes (as the embedded store reads them): decoded, to the same texts.
    let end = 0;
    const bytes = new PageLeaves(Buffer.from(texts.join('')), texts.map((t) => (end += Buffer.byteLength(t))));
    assert.deepEqual(bytes.texts(), texts);
    assert.deepEqual(bytes.reversed().texts(), [...texts].reverse());
    assertByteStrings(bytes, texts);
  }), { numRuns: 300 });
});

test('a page of more than one run of bytes, and a leaf longer than a run', () => {
  // 300 leaves of ~1.4 KB (three-byte characters among them): several runs; then one of 200 KB, then small ones.
  const texts = Array.from({ length: 300 }, (_, i) => `{"n":${i},"m":"${'张'.repeat(i % 7)}${'x'.repeat(1400)}"}`);
  texts.push(`{"big":"${'é'.repeat(100_000)}"}`, '{"a":1}', '{"b":"ß"}');
  const leaves = PageLeaves.fromTexts(texts);
  assert.deepEqual(leaves.texts(), texts);
  assertByteStrings(leaves, texts);
  assertByteStrings(leaves.reversed(), [...texts].reverse());
});

test('ASCII is its own byte string; other characters become their UTF-8 bytes', () => {
  assert.equal(byteString('{"a":"b"}'), '{"a":"b"}');
  assert.equal(byteString('é'), '\u00c3\u00a9');
  assert.equal(byteString('🙂'), '\u00f0\u009f\u0099\u0082');
});

test('bytes past the last leaf belong to none, and a leaf outside the page is refused', () => {
  const leaves = new PageLeaves(Buffer.from('{"a":1}{"b":"ß"}{"c":3}'), [7, 17]);
  assert.deepEqual(leaves.texts(), ['{"a":1}', '{"b":"ß"}']);
  assertByteStrings(leaves, ['{"a":1}', '{"b":"ß"}']);
  assert.throws(() => leaves.text(2), RangeError);
  assert.throws(() => leaves.text(-1), RangeError);
  assert.equal(PageLeaves.none.length, 0);
  assert.deepEqual(PageLeaves.none.byteStrings(), []);
  assert.deepEqual(PageLeaves.fromTexts([]).texts(), []);
});
