import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { bitLength, popcount, trailingZeros, xorBitLength } from '../../../src/ledger/bits.js';
import { CompactRange, foldRoot, perfectSubtreeRoot, perfectSubtrees } from '../../../src/ledger/compact-range.js';
import { createHash } from 'node:crypto';
import {
  EMPTY_ROOT,
  HASH_SIZE,
  leafHash,
  leafHashInto,
  leafHashStreaming,
  nodeHash,
  pairHashInto,
  nodeHashStreaming,
} from '../../../src/ledger/hasher.js';
import { coverage, nodeKey, type NodeID } from '../../../src/ledger/node-id.js';
import { referenceNodeHash, referenceRoot } from './reference.js';
import { LEAF_INPUTS_HEX, NODE_HASHES_HEX, ROOTS_HEX, hex } from './vectors.js';

const vectorLeaves = LEAF_INPUTS_HEX.map((h) => leafHash(hex(h)));
const leaves = Array.from({ length: 300 }, (_, i) => leafHash(`leaf ${i}`));
const MAX = Number.MAX_SAFE_INTEGER;

describe('hasher', () => {
  test('EMPTY_ROOT is SHA-256 of the empty string', () => {
    assert.equal(EMPTY_ROOT.toString('hex'), ROOTS_HEX[0]);
    assert.equal(EMPTY_ROOT.length, HASH_SIZE);
  });

  test('leaf hashes of the published leaves', () => {
    assert.deepEqual(
      vectorLeaves.map((h) => h.toString('hex')),
      NODE_HASHES_HEX[0],
    );
  });

  test('node hashes of the published tree, level by level', () => {
    for (let level = 1; level < NODE_HASHES_HEX.length; level++) {
      NODE_HASHES_HEX[level].forEach((want, index) => {
        const below = NODE_HASHES_HEX[level - 1];
        assert.equal(nodeHash(hex(below[2 * index]), hex(below[2 * index + 1])).toString('hex'), want, `${level}/${index}`);
      });
    }
  });

  test('a string leaf is hashed as its UTF-8 bytes', () => {
    for (const s of ['', 'abc', 'événement ✓ 🚀', '{"a":1}']) {
      assert.deepEqual(leafHash(s), leafHash(Buffer.from(s, 'utf8')));
      assert.deepEqual(leafHash(s), leafHash(new Uint8Array(Buffer.from(s, 'utf8'))));
    }
  });

  test('leafHash and nodeHash are SHA-256 with the RFC prefixes, on every path (scratch buffer or streaming)', () => {
    const sha = (...parts: Uint8Array[]) => parts.reduce((h, p) => h.update(p), createHash('sha256')).digest();
    const edge = [
      'a'.repeat(16 * 1024),
      'a'.repeat(16 * 1024 + 1),
      '\u20ac'.repeat(5461), // 16383 bytes
      '\u20ac'.repeat(5462), // 16386 bytes
      '\u{1f680}'.repeat(4096), // 16384 bytes in 8192 code units
      'x\ud800y', // a lone surrogate: encoded as U+FFFD by both paths
    ];
    for (const str of edge) {
      assert.deepEqual(leafHash(str), sha(Uint8Array.of(0), Buffer.from(str, 'utf8')));
      assert.deepEqual(leafHash(str), leafHashStreaming(str));
    }
    for (const n of [0, 1, 16 * 1024 - 1, 16 * 1024, 16 * 1024 + 1, 100_000]) {
      const bytes = new Uint8Array(n).map((_, i) => (i * 7) & 0xff);
      assert.deepEqual(leafHash(bytes), sha(Uint8Array.of(0), bytes));
      assert.deepEqual(leafHash(bytes), leafHashStreaming(bytes));
    }
    fc.assert(
      fc.property(fc.oneof(fc.string({ unit: 'binary', maxLength: 300 }), fc.uint8Array({ maxLength: 300 })), (leaf) => {
        const bytes = typeof leaf === 'string' ? Buffer.from(leaf, 'utf8') : leaf;
        assert.deepEqual(leafHash(leaf), sha(Uint8Array.of(0), bytes));
      }),
      { numRuns: 500 },
    );
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 0, maxLength: 40 }), fc.uint8Array({ minLength: 32, maxLength: 32 }), (l, r) => {
        assert.deepEqual(nodeHash(l, r), sha(Uint8Array.of(1), l, r));
        assert.deepEqual(nodeHash(r, l), nodeHashStreaming(r, l));
      }),
      { numRuns: 500 },
    );
  });

  test('leafHashInto and pairHashInto write the same hashes where they are told, over their own inputs too', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 300 }), fc.uint8Array({ maxLength: 300 })), fc.nat(64), (leaf, offset) => {
        const out = new Uint8Array(offset + 32 + 7).fill(0xee);
        leafHashInto(leaf, out, offset);
        assert.deepEqual(Buffer.from(out.subarray(offset, offset + 32)), leafHash(leaf));
        assert.ok(out.subarray(0, offset).every((b) => b === 0xee) && out.subarray(offset + 32).every((b) => b === 0xee));
      }),
      { numRuns: 300 },
    );
    const big = 'x'.repeat(20_000); // streams
    const out = new Uint8Array(32);
    leafHashInto(big, out, 0);
    assert.deepEqual(Buffer.from(out), leafHashStreaming(big));
    // In place: a level of hashes folded onto itself, as verification folds a chunk.
    const level = Buffer.concat([leafHash('a'), leafHash('b'), leafHash('c'), leafHash('d')]);
    const want = nodeHash(nodeHash(leafHash('a'), leafHash('b')), nodeHash(leafHash('c'), leafHash('d')));
    pairHashInto(level, 0, level, 0);
    pairHashInto(level, 64, level, 32);
    pairHashInto(level, 0, level, 0);
    assert.deepEqual(level.subarray(0, 32), want);
    // Elsewhere, from anywhere.
    const spaced = Buffer.concat([Buffer.alloc(5), leafHash('a'), leafHash('b')]);
    const into = Buffer.alloc(40).fill(0xee);
    pairHashInto(spaced, 5, into, 3);
    assert.deepEqual(into.subarray(3, 35), nodeHash(leafHash('a'), leafHash('b')));
    assert.ok(into.subarray(0, 3).every((b) => b === 0xee) && into.subarray(35).every((b) => b === 0xee));
  });

  test('perfectSubtreeRoot folds 2^k hashes to the root that appending them one by one gives', () => {
    for (const count of [1, 2, 4, 8, 64, 1024]) {
      const leaves = Array.from({ length: count }, (_, i) => leafHash(`leaf ${i}`));
      const range = CompactRange.empty();
      for (const h of leaves) range.append(h);
      const flat = Buffer.concat(leaves);
      assert.deepEqual(perfectSubtreeRoot(flat, count), range.rootHash());
      assert.deepEqual(flat, Buffer.concat(leaves), 'the hashes handed in are left as they were');
      flat[7] ^= 1;
      assert.notDeepEqual(perfectSubtreeRoot(flat, count), range.rootHash());
    }
    assert.throws(() => perfectSubtreeRoot(Buffer.alloc(96), 3), /power of two/);
    assert.throws(() => perfectSubtreeRoot(Buffer.alloc(32), 2), /power of two/);
  });

  test('each call returns a new buffer (the scratch buffer never leaks)', () => {
    const a = leafHash('a');
    const b = leafHash('b');
    assert.notDeepEqual(a, b);
    assert.deepEqual(a, leafHashStreaming('a'));
    const n1 = nodeHash(a, b);
    const n2 = nodeHash(b, a);
    assert.notDeepEqual(n1, n2);
    assert.deepEqual(n1, nodeHashStreaming(a, b));
  });

  test('leaf and node hashes are domain-separated', () => {
    const a = leafHash('a');
    const b = leafHash('b');
    assert.notDeepEqual(leafHash(Buffer.concat([a, b])), nodeHash(a, b));
  });
});

describe('roots', () => {
  test('referenceRoot of the published leaves gives the published roots 0..8', () => {
    for (let n = 0; n <= 8; n++) assert.equal(referenceRoot(vectorLeaves.slice(0, n)).toString('hex'), ROOTS_HEX[n], `size ${n}`);
  });

  test('CompactRange gives the published roots 0..8 and the published compact hashes', () => {
    const cr = CompactRange.empty();
    assert.equal(cr.rootHash().toString('hex'), ROOTS_HEX[0]);
    for (let n = 1; n <= 8; n++) {
      cr.append(vectorLeaves[n - 1]);
      assert.equal(cr.rootHash().toString('hex'), ROOTS_HEX[n], `size ${n}`);
      // constants.go CompactTrees: the hashes of the perfect subtrees of [0, n).
      const want = perfectSubtrees(0, n).map((id) => NODE_HASHES_HEX[id.level][id.index]);
      assert.deepEqual(
        cr.hashes.map((h) => h.toString('hex')),
        want,
      );
    }
  });

  test('CompactRange root equals referenceRoot for sizes 0..300', () => {
    const cr = CompactRange.empty();
    for (let n = 0; n <= 300; n++) {
      assert.deepEqual(cr.rootHash(), referenceRoot(leaves.slice(0, n)), `size ${n}`);
      if (n < 300) cr.append(leaves[n]);
    }
  });

  test('the empty root returned is a copy', () => {
    const root = CompactRange.empty().rootHash();
    root[0] ^= 1;
    assert.equal(EMPTY_ROOT.toString('hex'), ROOTS_HEX[0]);
  });
});

describe('CompactRange.append visit', () => {
  test('reports exactly the nodes each append completes, with their reference hashes', () => {
    const cr = CompactRange.empty();
    const seen = new Map<string, Buffer>();
    for (let n = 0; n < 300; n++) {
      const reported: NodeID[] = [];
      cr.append(leaves[n], (id, hash) => {
        reported.push(id);
        assert.ok(!seen.has(nodeKey(id)), `node ${nodeKey(id)} reported twice`);
        seen.set(nodeKey(id), hash);
        assert.deepEqual(hash, referenceNodeHash(leaves, id), `hash of ${nodeKey(id)}`);
      });
      // The nodes complete in [0, n + 1) but not in [0, n): those whose coverage ends at n + 1, bottom-up.
      const want: NodeID[] = [];
      for (let level = 0; (n + 1) % 2 ** level === 0; level++) want.push({ level, index: (n + 1) / 2 ** level - 1 });
      assert.deepEqual(reported, want, `append #${n}`);
    }
    // Together: every perfect subtree of the 300-leaf tree.
    let count = 0;
    for (let level = 0; 2 ** level <= 300; level++) count += Math.floor(300 / 2 ** level);
    assert.equal(seen.size, count);
  });

  test('hashes are the perfect subtrees of [0, size)', () => {
    const cr = CompactRange.empty();
    for (let n = 1; n <= 100; n++) {
      cr.append(leaves[n - 1]);
      const ids = perfectSubtrees(0, n);
      assert.equal(cr.hashes.length, popcount(n));
      assert.deepEqual(
        cr.hashes,
        ids.map((id) => referenceNodeHash(leaves, id)),
      );
    }
  });
});

describe('CompactRange.from', () => {
  test('round trip: from(size, hashes) continues like the original', () => {
    const cr = CompactRange.empty();
    for (let n = 0; n < 130; n++) {
      const copy = CompactRange.from(cr.size, cr.hashes);
      assert.equal(copy.size, n);
      assert.deepEqual(copy.rootHash(), cr.rootHash());
      for (let k = n; k < Math.min(n + 5, 130); k++) copy.append(leaves[k]);
      assert.deepEqual(copy.rootHash(), referenceRoot(leaves.slice(0, Math.min(n + 5, 130))));
      cr.append(leaves[n]);
    }
  });

  test('from stored node hashes: the root of any size', () => {
    for (let n = 0; n <= 300; n += 7) {
      const hashes = perfectSubtrees(0, n).map((id) => referenceNodeHash(leaves, id));
      assert.deepEqual(CompactRange.from(n, hashes).rootHash(), referenceRoot(leaves.slice(0, n)));
      assert.deepEqual(foldRoot(hashes), referenceRoot(leaves.slice(0, n)));
    }
  });

  test('rejects a wrong count or hash size', () => {
    assert.throws(() => CompactRange.from(3, [leaves[0]]), /needs 2 hashes, got 1/);
    assert.throws(() => CompactRange.from(0, [leaves[0]]), /needs 0 hashes/);
    assert.throws(() => CompactRange.from(1, [Buffer.alloc(31)]), /31 bytes/);
    assert.throws(() => CompactRange.from(-1, []), RangeError);
    assert.throws(() => CompactRange.from(1.5, []), RangeError);
    assert.throws(() => CompactRange.empty().append(Buffer.alloc(33)), /33 bytes/);
  });

  test('the caller array is copied', () => {
    const hashes = [leaves[0]];
    const cr = CompactRange.from(1, hashes);
    cr.append(leaves[1]);
    assert.equal(hashes.length, 1);
  });

  test('an append whose visitor throws does not happen', () => {
    const cr = CompactRange.empty();
    for (let n = 0; n < 7; n++) cr.append(leaves[n]);
    const before = [...cr.hashes];
    let calls = 0;
    assert.throws(
      () =>
        cr.append(leaves[7], (id) => {
          if (++calls === 3) throw new Error(`store failed at ${nodeKey(id)}`);
        }),
      /store failed at 2\/1/,
    );
    assert.equal(cr.size, 7);
    assert.deepEqual(cr.hashes, before);
    cr.append(leaves[7]);
    assert.deepEqual(cr.rootHash(), referenceRoot(leaves.slice(0, 8)));
  });

  test('a clone grows independently', () => {
    const cr = CompactRange.empty();
    cr.append(leaves[0]);
    const clone = cr.clone();
    clone.append(leaves[1]);
    assert.equal(cr.size, 1);
    assert.deepEqual(cr.rootHash(), leaves[0]);
    assert.deepEqual(clone.rootHash(), referenceRoot(leaves.slice(0, 2)));
  });
});

describe('perfectSubtrees', () => {
  test('examples', () => {
    assert.deepEqual(perfectSubtrees(0, 0), []);
    assert.deepEqual(perfectSubtrees(5, 5), []);
    assert.deepEqual(perfectSubtrees(0, 7), [
      { level: 2, index: 0 },
      { level: 1, index: 2 },
      { level: 0, index: 6 },
    ]);
    assert.deepEqual(perfectSubtrees(3, 13), [
      { level: 0, index: 3 },
      { level: 2, index: 1 },
      { level: 2, index: 2 },
      { level: 0, index: 12 },
    ]);
    // 2^53 - 1: one subtree per level 52..0, each starting where the previous one ends.
    assert.deepEqual(
      perfectSubtrees(0, MAX),
      Array.from({ length: 53 }, (_, i) => ({ level: 52 - i, index: (2 ** 53 - 2 ** (53 - i)) / 2 ** (52 - i) })),
    );
    assert.throws(() => perfectSubtrees(2, 1), RangeError);
  });

  test('covers [begin, end) with aligned perfect subtrees, as few as transparency-dev Decompose says', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: MAX }), fc.integer({ min: 0, max: MAX }), (x, y) => {
        const [begin, end] = x <= y ? [x, y] : [y, x];
        const ids = perfectSubtrees(begin, end);
        let pos = begin;
        for (const id of ids) {
          const [b, e] = coverage(id);
          assert.equal(b, pos);
          assert.ok(Number.isInteger(id.index));
          pos = e;
        }
        assert.equal(pos, end);
        assert.equal(ids.length, decomposeCount(BigInt(begin), BigInt(end)));
      }),
      { numRuns: 2000 },
    );
  });
});

/** transparency-dev compact.Decompose, in BigInt: popcount(left) + popcount(right). */
function decomposeCount(begin: bigint, end: bigint): number {
  const ones = (x: bigint): number => x.toString(2).replace(/0/g, '').length;
  if (begin === 0n) return ones(end);
  const xbegin = begin - 1n;
  const d = (xbegin ^ end).toString(2).length - 1;
  const mask = (1n << BigInt(d)) - 1n;
  return ones(~xbegin & mask) + ones(end & mask);
}

describe('bit helpers agree with BigInt on the whole safe range', () => {
  const big = fc.oneof(
    fc.integer({ min: 0, max: MAX }),
    fc.integer({ min: 0, max: 52 }).map((k) => 2 ** k),
    fc.integer({ min: 1, max: 53 }).map((k) => 2 ** k - 1),
    fc.integer({ min: 0, max: 2 ** 32 + 5 }),
  );
  test('bitLength, popcount, trailingZeros, xorBitLength', () => {
    fc.assert(
      fc.property(big, big, (a, b) => {
        const A = BigInt(a);
        const B = BigInt(b);
        assert.equal(bitLength(a), a === 0 ? 0 : A.toString(2).length);
        assert.equal(popcount(a), A.toString(2).replace(/0/g, '').length);
        if (a > 0) assert.equal(trailingZeros(a), A.toString(2).length - A.toString(2).lastIndexOf('1') - 1);
        const x = A ^ B;
        assert.equal(xorBitLength(a, b), x === 0n ? 0 : x.toString(2).length);
      }),
      { numRuns: 5000 },
    );
  });
});

test('appendSubtree equals appending the subtree\'s leaves one by one', () => {
  const leaves = Array.from({ length: 200 }, (_, i) => leafHash(`leaf ${i}`));
  for (const level of [0, 1, 3, 5]) {
    const width = 2 ** level;
    for (let prefix = 0; prefix + width <= 200; prefix += width) {
      const one = CompactRange.empty();
      const whole = CompactRange.empty();
      for (let i = 0; i < prefix; i++) { one.append(leaves[i]); whole.append(leaves[i]); }
      const sub = CompactRange.empty();
      const seen = (into: string[]) => (id: { level: number; index: number }, hash: Buffer) => {
        if (id.level >= level) into.push(`${id.level}/${id.index}/${hash.toString('hex')}`);
      };
      const [byLeaf, bySubtree]: string[][] = [[], []];
      for (let i = prefix; i < prefix + width; i++) { one.append(leaves[i], seen(byLeaf)); sub.append(leaves[i]); }
      whole.appendSubtree(level, sub.rootHash(), seen(bySubtree));
      assert.equal(whole.size, one.size);
      assert.ok(whole.rootHash().equals(one.rootHash()), `level ${level} at ${prefix}`);
      assert.deepEqual(bySubtree, byLeaf, `the nodes from level ${level} up, visited alike (level ${level} at ${prefix})`);
    }
  }
  const odd = CompactRange.empty();
  odd.append(leaves[0]);
  assert.throws(() => odd.appendSubtree(1, leaves[1]));
});
