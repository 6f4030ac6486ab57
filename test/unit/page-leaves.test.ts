// A page's leaves as one run of bytes: each leaf's text and byte string as given, in either order.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { byteString, PageLeaves } from '../../src/store/page-leaves.js';

test('each leaf reads back as its text, its byte string is its UTF-8 bytes, and reversed is last first', () => {
  fc.assert(fc.property(fc.array(fc.string({ unit: 'binary' })), (texts) => {
    const leaves = PageLeaves.fromTexts(texts);
    assert.equal(leaves.length, texts.length);
    assert.deepEqual(leaves.texts(), texts);
    texts.forEach((t, i) => {
      assert.equal(leaves.byteString(i), byteString(t));
      assert.ok(Buffer.from(leaves.byteString(i), 'latin1').equals(Buffer.from(t)));
    });
    assert.deepEqual(leaves.reversed().texts(), [...texts].reverse());
  }), { numRuns: 300 });
});

test('ASCII is its own byte string; other characters become their UTF-8 bytes', () => {
  assert.equal(byteString('{"a":"b"}'), '{"a":"b"}');
  assert.equal(byteString('é'), '\u00c3\u00a9');
  assert.equal(byteString('🙂'), '\u00f0\u009f\u0099\u0082');
});

test('bytes past the last leaf belong to none, and a leaf outside the page is refused', () => {
  const leaves = new PageLeaves(Buffer.from('{"a":1}{"b":"ß"}{"c":3}'), [7, 17]);
  assert.deepEqual(leaves.texts(), ['{"a":1}', '{"b":"ß"}']);
  assert.throws(() => leaves.text(2), RangeError);
  assert.throws(() => leaves.byteString(-1), RangeError);
  assert.equal(PageLeaves.none.length, 0);
  assert.deepEqual(PageLeaves.fromTexts([]).texts(), []);
});
