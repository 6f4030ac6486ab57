import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { CompactRange, foldRoot, perfectSubtrees } from '../../../src/ledger/compact-range.js';
import { ProofError, RootMismatchError } from '../../../src/ledger/errors.js';
import { EMPTY_ROOT, leafHash, nodeHash } from '../../../src/ledger/hasher.js';
import { coverage, nodeKey, type NodeID } from '../../../src/ledger/node-id.js';
import { consistencyNodes, inclusionNodes, rehash } from '../../../src/ledger/proof.js';
import { referenceVerifyConsistency, referenceVerifyInclusion } from './reference.js';
import { rootFromConsistencyProof, verifyConsistency, verifyInclusion } from '../../../src/ledger/verify.js';

// A real tree of 5000 leaves, every perfect subtree stored as the CompactRange reports it (as the ledger will).
const LEAVES = 5000;
const leaves = Array.from({ length: LEAVES }, (_, i) => leafHash(`event ${i}`));
const stored = new Map<string, Buffer>();
{
  const cr = CompactRange.empty();
  for (const leaf of leaves) cr.append(leaf, (id, hash) => stored.set(nodeKey(id), hash));
}
function fetch(id: NodeID): Buffer {
  const hash = stored.get(nodeKey(id));
  if (hash === undefined) throw new Error(`node ${nodeKey(id)} not stored`);
  return hash;
}
const rootCache = new Map<number, Buffer>();
function rootOf(size: number): Buffer {
  let root = rootCache.get(size);
  if (root === undefined) {
    root = foldRoot(perfectSubtrees(0, size).map(fetch));
    rootCache.set(size, root);
  }
  return root;
}
function inclusionProof(index: number, size: number): Buffer[] {
  const nodes = inclusionNodes(index, size);
  return rehash(nodes, nodes.ids.map(fetch));
}
function consistencyProof(size1: number, size2: number): Buffer[] {
  const nodes = consistencyNodes(size1, size2);
  return rehash(nodes, nodes.ids.map(fetch));
}

function flip(b: Buffer, bit: number): Buffer {
  const c = Buffer.from(b);
  c[bit >> 3] ^= 1 << (bit & 7);
  return c;
}

/** Whether verification throws one of the ledger's errors (and nothing else). */
function rejects(f: () => void): boolean {
  try {
    f();
    return false;
  } catch (e) {
    if (e instanceof ProofError || e instanceof RootMismatchError) return true;
    throw e;
  }
}

function inclusionAccepted(index: number, size: number, leaf: Buffer, proof: Buffer[], root: Buffer): boolean {
  const ours = !rejects(() => verifyInclusion(index, size, leaf, proof, root));
  // The RFC 9162 §2.1.3.2 algorithm, step by step, must agree on every input.
  const rfc = referenceVerifyInclusion(index, size, leaf, proof, root);
  assert.equal(ours, rfc, `verifyInclusion and RFC 9162 disagree on index ${index}, size ${size}`);
  return ours;
}

function consistencyAccepted(size1: number, size2: number, proof: Buffer[], root1: Buffer, root2: Buffer): boolean {
  const ours = !rejects(() => verifyConsistency(size1, size2, proof, root1, root2));
  if (size1 > 0 && size1 < size2) {
    const rfc = referenceVerifyConsistency(size1, size2, proof, root1, root2);
    assert.equal(ours, rfc, `verifyConsistency and RFC 9162 disagree on ${size1} -> ${size2}`);
  }
  return ours;
}

const sizeArb = fc.integer({ min: 1, max: LEAVES });
const indexAndSize = sizeArb.chain((size) => fc.tuple(fc.integer({ min: 0, max: size - 1 }), fc.constant(size)));
const sizePair = fc
  .tuple(fc.integer({ min: 1, max: LEAVES }), fc.integer({ min: 1, max: LEAVES }))
  .map(([a, b]): [number, number] => (a <= b ? [a, b] : [b, a]));
const RUNS = 300;

describe('inclusion proofs in a tree of 5000 stored leaves', () => {
  test('every proof verifies against its root', () => {
    fc.assert(
      fc.property(indexAndSize, ([index, size]) => {
        assert.ok(inclusionAccepted(index, size, leaves[index], inclusionProof(index, size), rootOf(size)));
      }),
      { numRuns: RUNS },
    );
  });

  test('flipping any bit of the leaf hash, of any proof node or of the root fails', () => {
    fc.assert(
      fc.property(indexAndSize, fc.nat(), fc.integer({ min: 0, max: 255 }), ([index, size], which, bit) => {
        const proof = inclusionProof(index, size);
        const root = rootOf(size);
        assert.ok(!inclusionAccepted(index, size, flip(leaves[index], bit), proof, root), 'leaf');
        assert.ok(!inclusionAccepted(index, size, leaves[index], proof, flip(root, bit)), 'root');
        if (proof.length > 0) {
          const i = which % proof.length;
          const bad = proof.map((p, j) => (j === i ? flip(p, bit) : p));
          assert.ok(!inclusionAccepted(index, size, leaves[index], bad, root), `proof[${i}]`);
        }
      }),
      { numRuns: RUNS },
    );
  });

  test('a node dropped, inserted or appended fails', () => {
    fc.assert(
      fc.property(indexAndSize, fc.nat(), ([index, size], which) => {
        const proof = inclusionProof(index, size);
        const root = rootOf(size);
        const extra = leaves[(index + 1) % LEAVES];
        assert.ok(!inclusionAccepted(index, size, leaves[index], [...proof, extra], root), 'appended');
        assert.ok(!inclusionAccepted(index, size, leaves[index], [...proof, root], root), 'root appended');
        const at = which % (proof.length + 1);
        assert.ok(!inclusionAccepted(index, size, leaves[index], [...proof.slice(0, at), extra, ...proof.slice(at)], root), 'inserted');
        if (proof.length > 0) {
          const i = which % proof.length;
          assert.ok(!inclusionAccepted(index, size, leaves[index], proof.filter((_, j) => j !== i), root), `dropped ${i}`);
        }
      }),
      { numRuns: RUNS },
    );
  });

  test('the proof of one index does not prove another', () => {
    fc.assert(
      fc.property(indexAndSize, fc.nat(), ([index, size], other) => {
        fc.pre(size > 1);
        const wrong = (index + 1 + (other % (size - 1))) % size; // any other index
        const proof = inclusionProof(index, size);
        // The proved leaf claimed at another position, and another position's leaf with this proof.
        assert.ok(!inclusionAccepted(wrong, size, leaves[index], proof, rootOf(size)));
        assert.ok(!inclusionAccepted(wrong, size, leaves[wrong], proof, rootOf(size)));
        assert.ok(!inclusionAccepted(index, size, leaves[wrong], proof, rootOf(size)));
      }),
      { numRuns: RUNS },
    );
  });

  test('a proof for one size proves nothing in a tree of another size, unless the two proofs coincide', () => {
    // A proof is bound to (index, size) through its length and the left/right pattern of its hashes. Verifying it
    // for another size, even against that size's real root, must succeed exactly when the honest proof for the
    // other size is the same list of hashes.
    fc.assert(
      fc.property(indexAndSize, sizeArb, ([index, size], other) => {
        fc.pre(other !== size && index < other);
        const proof = inclusionProof(index, size);
        const same = inclusionProof(index, other).every((h, i) => proof[i] !== undefined && h.equals(proof[i]));
        const sameLength = inclusionProof(index, other).length === proof.length;
        assert.equal(inclusionAccepted(index, other, leaves[index], proof, rootOf(other)), same && sameLength);
        // And never against this tree's own root claimed for the other size, when the proof length changes.
        if (!sameLength) assert.ok(!inclusionAccepted(index, other, leaves[index], proof, rootOf(size)));
      }),
      { numRuns: RUNS },
    );
  });
});

describe('consistency proofs in a tree of 5000 stored leaves', () => {
  test('every proof verifies and yields the new root', () => {
    fc.assert(
      fc.property(sizePair, ([size1, size2]) => {
        const proof = consistencyProof(size1, size2);
        assert.ok(consistencyAccepted(size1, size2, proof, rootOf(size1), rootOf(size2)));
        assert.deepEqual(rootFromConsistencyProof(size1, size2, proof, rootOf(size1)), rootOf(size2));
      }),
      { numRuns: RUNS },
    );
  });

  test('flipping any bit of either root or of any proof node fails', () => {
    fc.assert(
      fc.property(sizePair, fc.nat(), fc.integer({ min: 0, max: 255 }), ([size1, size2], which, bit) => {
        const proof = consistencyProof(size1, size2);
        const [root1, root2] = [rootOf(size1), rootOf(size2)];
        assert.ok(!consistencyAccepted(size1, size2, proof, flip(root1, bit), root2), 'root1');
        assert.ok(!consistencyAccepted(size1, size2, proof, root1, flip(root2, bit)), 'root2');
        if (proof.length > 0) {
          const i = which % proof.length;
          const bad = proof.map((p, j) => (j === i ? flip(p, bit) : p));
          assert.ok(!consistencyAccepted(size1, size2, bad, root1, root2), `proof[${i}]`);
        }
      }),
      { numRuns: RUNS },
    );
  });

  test('a node dropped, inserted or appended fails', () => {
    fc.assert(
      fc.property(sizePair, fc.nat(), ([size1, size2], which) => {
        const proof = consistencyProof(size1, size2);
        const [root1, root2] = [rootOf(size1), rootOf(size2)];
        const extra = leaves[which % LEAVES];
        assert.ok(!consistencyAccepted(size1, size2, [...proof, extra], root1, root2), 'appended');
        const at = which % (proof.length + 1);
        assert.ok(!consistencyAccepted(size1, size2, [...proof.slice(0, at), extra, ...proof.slice(at)], root1, root2), 'inserted');
        if (proof.length > 0) {
          const i = which % proof.length;
          assert.ok(!consistencyAccepted(size1, size2, proof.filter((_, j) => j !== i), root1, root2), `dropped ${i}`);
        }
      }),
      { numRuns: RUNS },
    );
  });

  test('wrong sizes: accepted exactly when the honest proof for those sizes is the same', () => {
    fc.assert(
      fc.property(sizePair, sizePair, ([size1, size2], [other1, other2]) => {
        fc.pre(other1 !== size1 || other2 !== size2);
        const proof = consistencyProof(size1, size2);
        const honest = consistencyProof(other1, other2);
        const same = honest.length === proof.length && honest.every((h, i) => h.equals(proof[i]));
        assert.equal(consistencyAccepted(other1, other2, proof, rootOf(other1), rootOf(other2)), same);
        // (The proof's own roots relabelled with other sizes can verify: [leaf 1, hash(2..3), leaf 4] proves that
        // the 5-leaf root extends leaf 0 also when that root is claimed for 6 leaves. A Merkle root does not commit
        // to its size; the signed checkpoint binds the two.)
      }),
      { numRuns: RUNS },
    );
  });

  test('the empty tree is consistent with every tree, with an empty proof only', () => {
    fc.assert(
      fc.property(sizeArb, (size) => {
        assert.ok(consistencyAccepted(0, size, [], EMPTY_ROOT, rootOf(size)));
        assert.ok(!consistencyAccepted(0, size, [rootOf(size)], EMPTY_ROOT, rootOf(size)));
        assert.ok(!consistencyAccepted(0, size, [], rootOf(1), rootOf(size)));
      }),
      { numRuns: 50 },
    );
  });
});

// ---------------------------------------------------------------------------------------------------------------
// Trees of up to 2^53 - 1 leaves. All leaves hash alike except a few "special" ones, so the hash of any node is
// computable: a perfect subtree without special leaves has the uniform hash of its level, and any other range is
// split per RFC 9162 MTH down to the special leaves (O(specials · height) work). Proofs are then checked exactly as
// for small trees: this exercises the size/index arithmetic far beyond 2^32.

const UNIFORM: Buffer[] = [leafHash('uniform')];
for (let level = 1; level <= 53; level++) UNIFORM.push(nodeHash(UNIFORM[level - 1], UNIFORM[level - 1]));

class SparseTree {
  readonly special: Map<number, Buffer>;
  constructor(positions: number[]) {
    this.special = new Map(positions.map((i) => [i, leafHash(`special ${i}`)]));
  }
  leaf(i: number): Buffer {
    return this.special.get(i) ?? UNIFORM[0];
  }
  /** RFC 9162 MTH of leaves [begin, end). */
  mth(begin: number, end: number): Buffer {
    const n = end - begin;
    if (n === 0) return Buffer.from(EMPTY_ROOT);
    if (n === 1) return this.leaf(begin);
    let k = 1;
    let level = 0;
    while (k < n) [k, level] = [k * 2, level + 1]; // not Math.log2: it rounds 2^50 - 2 to exactly 50
    if (k === n && ![...this.special.keys()].some((i) => i >= begin && i < end)) return UNIFORM[level];
    k = 1;
    while (k * 2 < n) k *= 2;
    return nodeHash(this.mth(begin, begin + k), this.mth(begin + k, end));
  }
  node(id: NodeID): Buffer {
    const [b, e] = coverage(id);
    return this.mth(b, e);
  }
}

const MAX = Number.MAX_SAFE_INTEGER;
const hugeSize = fc.oneof(
  fc.integer({ min: 1, max: MAX }),
  fc.integer({ min: 2 ** 31, max: 2 ** 33 }),
  fc.integer({ min: 0, max: 53 }).map((k) => Math.min(MAX, 2 ** k)),
  fc.integer({ min: 1, max: 53 }).map((k) => 2 ** k - 1),
  fc.integer({ min: 32, max: 52 }).map((k) => 2 ** k + 1),
);
const hugeIndexAndSize = hugeSize.chain((size) =>
  fc.tuple(fc.oneof(fc.integer({ min: 0, max: size - 1 }), fc.constant(size - 1), fc.constant(0)), fc.constant(size)),
);

describe('proofs in trees of up to 2^53 - 1 leaves', () => {
  test('inclusion: verifies, and fails for a flipped bit or another index', () => {
    fc.assert(
      fc.property(hugeIndexAndSize, fc.integer({ min: 0, max: 255 }), ([index, size], bit) => {
        const others = [index - 1, index + 1, index % 4 < 2 ? index + 2 : index - 2, Math.floor(index / 3)].filter((i) => i >= 0 && i < size && i !== index);
        const tree = new SparseTree([index, size - 1, 0, ...others]);
        const nodes = inclusionNodes(index, size);
        const proof = rehash(nodes, nodes.ids.map((id) => tree.node(id)));
        const root = tree.mth(0, size);
        assert.deepEqual(foldRoot(perfectSubtrees(0, size).map((id) => tree.node(id))), root);
        assert.ok(inclusionAccepted(index, size, tree.leaf(index), proof, root));
        assert.ok(!inclusionAccepted(index, size, flip(tree.leaf(index), bit), proof, root));
        assert.ok(!inclusionAccepted(index, size, tree.leaf(index), proof, flip(root, bit)));
        for (const other of others) assert.ok(!inclusionAccepted(other, size, tree.leaf(index), proof, root), `index ${other}`);
      }),
      { numRuns: 200 },
    );
  });

  test('consistency: verifies, and fails for a flipped bit', () => {
    fc.assert(
      fc.property(hugeSize, hugeSize, fc.integer({ min: 0, max: 255 }), (a, b, bit) => {
        const [size1, size2] = a <= b ? [a, b] : [b, a];
        const tree = new SparseTree([0, size1 - 1, size1, size2 - 1].filter((i) => i < size2));
        const nodes = consistencyNodes(size1, size2);
        const proof = rehash(nodes, nodes.ids.map((id) => tree.node(id)));
        const [root1, root2] = [tree.mth(0, size1), tree.mth(0, size2)];
        assert.ok(consistencyAccepted(size1, size2, proof, root1, root2));
        assert.ok(!consistencyAccepted(size1, size2, proof, flip(root1, bit), root2));
        assert.ok(!consistencyAccepted(size1, size2, proof, root1, flip(root2, bit)));
        if (proof.length > 0) assert.ok(!consistencyAccepted(size1, size2, [flip(proof[0], bit), ...proof.slice(1)], root1, root2));
      }),
      { numRuns: 200 },
    );
  });
});
