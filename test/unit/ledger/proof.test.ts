import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { ProofError, RootMismatchError } from '../../../src/ledger/errors.js';
import { EMPTY_ROOT, leafHash, nodeHash } from '../../../src/ledger/hasher.js';
import { coverage, type NodeID } from '../../../src/ledger/node-id.js';
import { consistencyNodes, inclusionNodes, rehash, type ProofNodes } from '../../../src/ledger/proof.js';
import {
  referenceConsistencyProof,
  referenceInclusionProof,
  referenceNodeHash,
  referenceRoot,
  referenceVerifyConsistency,
  referenceVerifyInclusion,
} from './reference.js';
import {
  rootFromConsistencyProof,
  rootFromInclusionProof,
  verifyConsistency,
  verifyInclusion,
} from '../../../src/ledger/verify.js';
import {
  CONSISTENCY_NODES_VECTORS,
  CONSISTENCY_VECTORS,
  INCLUSION_NODES_VECTORS,
  INCLUSION_VECTORS,
  LEAF_INPUTS_HEX,
  ROOTS_HEX,
  hex,
  type NodesVector,
} from './vectors.js';

const N = 64;
const leaves = Array.from({ length: N }, (_, i) => leafHash(`leaf ${i}`));
const roots = Array.from({ length: N + 1 }, (_, n) => referenceRoot(leaves.slice(0, n)));
const vectorLeaves = LEAF_INPUTS_HEX.map((h) => leafHash(hex(h)));
const vectorRoots = ROOTS_HEX.map(hex);

/** The hashes of the proof's node IDs, as a store would return them (reference hashes of perfect subtrees). */
function fetch(nodes: ProofNodes, tree: readonly Buffer[]): Buffer[] {
  return nodes.ids.map((id) => referenceNodeHash(tree, id));
}

function structure(p: ProofNodes): { ids: [number, number][]; begin: number; end: number } {
  return { ids: p.ids.map((id) => [id.level, id.index]), begin: p.begin, end: p.end };
}

function wanted(v: NodesVector): { ids: [number, number][]; begin: number; end: number } {
  return { ids: v.ids.map(([l, i]) => [l, i]), begin: v.begin, end: v.end };
}

/** The ephemeral node's hash in the tree of `size`: MTH of the leaves it covers that exist. */
function ephemHash(ephem: NodeID, size: number): Buffer {
  const [b, e] = coverage(ephem);
  return referenceRoot(leaves.slice(b, Math.min(e, size)));
}

describe('proof nodes: transparency-dev/merkle proof_test.go vectors', () => {
  for (const v of INCLUSION_NODES_VECTORS) {
    test(`inclusion ${v.a} in ${v.b}`, () => assert.deepEqual(structure(inclusionNodes(v.a, v.b)), wanted(v)));
  }
  for (const v of CONSISTENCY_NODES_VECTORS) {
    test(`consistency ${v.a} -> ${v.b}`, () => assert.deepEqual(structure(consistencyNodes(v.a, v.b)), wanted(v)));
  }
  test('bad parameters', () => {
    for (const [index, size] of [[0, 0], [1, 0], [2, 1], [3, 0], [8, 7], [-1, 3], [0.5, 3]] as const) {
      assert.throws(() => inclusionNodes(index, size), ProofError);
    }
    assert.throws(() => consistencyNodes(5, 0), ProofError);
    assert.throws(() => consistencyNodes(9, 8), ProofError);
    assert.throws(() => consistencyNodes(1, 2 ** 53), ProofError);
    assert.throws(() => consistencyNodes(-1, 2), ProofError);
    assert.deepEqual(consistencyNodes(0, 0).ids, []);
    assert.deepEqual(consistencyNodes(0, 17).ids, []);
  });
});

describe('rehash: transparency-dev/merkle TestRehash', () => {
  const h = [1, 2, 3, 4, 5].map((i) => leafHash(`Hash ${i}`));
  test('no rehash', () => assert.deepEqual(rehash(inclusionNodes(3, 8), h.slice(0, 3)), h.slice(0, 3)));
  test('rehash in the middle', () =>
    assert.deepEqual(rehash(inclusionNodes(9, 15), h.slice(0, 5)), [h[0], h[1], nodeHash(h[3], h[2]), h[4]]));
  test('rehash at the end', () =>
    assert.deepEqual(rehash(inclusionNodes(2, 7), h.slice(0, 4)), [h[0], h[1], nodeHash(h[3], h[2])]));
  test('does not modify its input; rejects a wrong count', () => {
    const input = h.slice(0, 5);
    rehash(inclusionNodes(9, 15), input);
    assert.deepEqual(input, h.slice(0, 5));
    assert.throws(() => rehash(inclusionNodes(9, 15), h.slice(0, 4)), /got 4 hashes for 5 proof nodes/);
  });
});

describe('inclusion proofs, every index of every size 1..64', () => {
  test('rehash(inclusionNodes) is the RFC PATH and verifies', () => {
    for (let size = 1; size <= N; size++) {
      const tree = leaves.slice(0, size);
      for (let index = 0; index < size; index++) {
        const nodes = inclusionNodes(index, size);
        const proof = rehash(nodes, fetch(nodes, tree));
        const where = `index ${index}, size ${size}`;
        assert.deepEqual(proof, referenceInclusionProof(index, tree), where);
        if (nodes.begin < nodes.end) assert.deepEqual(proof[nodes.begin], ephemHash(nodes.ephem, size), where);
        assert.deepEqual(rootFromInclusionProof(index, size, leaves[index], proof), roots[size], where);
        verifyInclusion(index, size, leaves[index], proof, roots[size]);
        assert.ok(referenceVerifyInclusion(index, size, leaves[index], proof, roots[size]), where);
      }
    }
  });
});

describe('consistency proofs, every 1 <= size1 <= size2 <= 64', () => {
  test('rehash(consistencyNodes) is the RFC PROOF and verifies', () => {
    for (let size2 = 1; size2 <= N; size2++) {
      const tree = leaves.slice(0, size2);
      for (let size1 = 1; size1 <= size2; size1++) {
        const nodes = consistencyNodes(size1, size2);
        const proof = rehash(nodes, fetch(nodes, tree));
        const where = `${size1} -> ${size2}`;
        assert.deepEqual(proof, referenceConsistencyProof(size1, tree), where);
        if (nodes.begin < nodes.end) assert.deepEqual(proof[nodes.begin], ephemHash(nodes.ephem, size2), where);
        assert.deepEqual(rootFromConsistencyProof(size1, size2, proof, roots[size1]), roots[size2], where);
        verifyConsistency(size1, size2, proof, roots[size1], roots[size2]);
        if (size1 < size2) assert.ok(referenceVerifyConsistency(size1, size2, proof, roots[size1], roots[size2]), where);
      }
    }
  });

  test('from the empty tree', () => {
    for (let size2 = 0; size2 <= 8; size2++) verifyConsistency(0, size2, [], EMPTY_ROOT, roots[size2]);
    assert.throws(() => verifyConsistency(0, 3, [roots[1]], EMPTY_ROOT, roots[3]), ProofError);
    assert.throws(() => verifyConsistency(0, 3, [], roots[1], roots[3]), RootMismatchError);
    assert.throws(() => verifyConsistency(0, 0, [], EMPTY_ROOT, roots[1]), RootMismatchError);
    assert.throws(() => rootFromConsistencyProof(0, 3, [], EMPTY_ROOT), ProofError);
    assert.deepEqual(rootFromConsistencyProof(0, 0, [], EMPTY_ROOT), EMPTY_ROOT);
  });
});

/** transparency-dev verify_test.go corruptInclusionProof, for one proof: every probe must fail. */
function inclusionProbes(index: number, size: number, proof: readonly Buffer[], root: Buffer, leaf: Buffer) {
  const some = hex('abacaba000000000000000000000000000000000000000000060061e00123456');
  const probes: { desc: string; index: number; size: number; leaf: Buffer; proof: readonly Buffer[]; root: Buffer }[] = [
    { desc: 'index - 1', index: index - 1, size, leaf, proof, root },
    { desc: 'index + 1', index: index + 1, size, leaf, proof, root },
    { desc: 'index ^ 2', index: index ^ 2, size, leaf, proof, root },
    { desc: 'size * 2', index, size: size * 2, leaf, proof, root },
    { desc: 'size / 2', index, size: Math.floor(size / 2), leaf, proof, root },
    { desc: 'wrong leaf', index, size, leaf: leafHash('WrongLeaf'), proof, root },
    { desc: 'empty root', index, size, leaf, proof, root: EMPTY_ROOT },
    { desc: 'random root', index, size, leaf, proof, root: some },
    { desc: 'trailing root', index, size, leaf, proof: [...proof, root], root },
    { desc: 'preceding root', index, size, leaf, proof: [root, ...proof], root },
    { desc: 'trailing garbage', index, size, leaf, proof: [...proof, Buffer.alloc(0)], root },
  ];
  proof.forEach((_, i) => {
    const wrong = proof.map((p) => Buffer.from(p));
    wrong[i][0] ^= 8;
    probes.push({ desc: `modified proof[${i}] bit 3`, index, size, leaf, proof: wrong, root });
  });
  if (proof.length > 0) probes.push({ desc: 'removed component', index, size, leaf, proof: proof.slice(0, -1), root });
  if (proof.length > 1) probes.push({ desc: 'inserted component', index, size, leaf, proof: [proof[0], some, ...proof.slice(1)], root });
  return probes;
}

function consistencyProbes(size1: number, size2: number, proof: readonly Buffer[], root1: Buffer, root2: Buffer) {
  const wrongRoot = leafHash('WrongRoot');
  const probes: { desc: string; size1: number; size2: number; proof: readonly Buffer[]; root1: Buffer; root2: Buffer }[] = [
    { desc: 'size1 - 1', size1: size1 - 1, size2, proof, root1, root2 },
    { desc: 'size1 + 1', size1: size1 + 1, size2, proof, root1, root2 },
    { desc: 'size1 ^ 2', size1: size1 ^ 2, size2, proof, root1, root2 },
    { desc: 'size2 * 2', size1, size2: size2 * 2, proof, root1, root2 },
    { desc: 'size2 / 2', size1, size2: Math.floor(size2 / 2), proof, root1, root2 },
    { desc: 'wrong root1', size1, size2, proof, root1: wrongRoot, root2 },
    { desc: 'wrong root2', size1, size2, proof, root1, root2: wrongRoot },
    { desc: 'swapped roots', size1, size2, proof, root1: root2, root2: root1 },
    { desc: 'empty proof', size1, size2, proof: [], root1, root2 },
    { desc: 'trailing root1', size1, size2, proof: [...proof, root1], root1, root2 },
    { desc: 'trailing root2', size1, size2, proof: [...proof, root2], root1, root2 },
    { desc: 'preceding root1', size1, size2, proof: [root1, ...proof], root1, root2 },
    { desc: 'preceding root2', size1, size2, proof: [root2, ...proof], root1, root2 },
    { desc: 'preceding proof[0]', size1, size2, proof: [proof[0], ...proof], root1, root2 },
    { desc: 'truncated proof', size1, size2, proof: proof.slice(0, -1), root1, root2 },
  ];
  proof.forEach((_, i) => {
    const wrong = proof.map((p) => Buffer.from(p));
    wrong[i][0] ^= 16;
    probes.push({ desc: `modified proof[${i}] bit 4`, size1, size2, proof: wrong, root1, root2 });
  });
  return probes;
}

function fails(f: () => void): boolean {
  try {
    f();
    return false;
  } catch (e) {
    assert.ok(e instanceof ProofError || e instanceof RootMismatchError || e instanceof RangeError, String(e));
    return true;
  }
}

describe('published proofs (transparency-dev/merkle verify_test.go)', () => {
  for (const v of INCLUSION_VECTORS) {
    test(`inclusion of leaf ${v.index} in tree ${v.size}`, () => {
      const proof = v.proof.map(hex);
      const nodes = inclusionNodes(v.index, v.size);
      const fromTree = rehash(nodes, nodes.ids.map((id) => referenceNodeHash(vectorLeaves, id)));
      assert.deepEqual(fromTree, proof, 'our proof equals the published one');
      assert.deepEqual(referenceInclusionProof(v.index, vectorLeaves.slice(0, v.size)), proof);
      assert.deepEqual(rootFromInclusionProof(v.index, v.size, vectorLeaves[v.index], proof), vectorRoots[v.size]);
      verifyInclusion(v.index, v.size, vectorLeaves[v.index], proof, vectorRoots[v.size]);
      const wrong = inclusionProbes(v.index, v.size, proof, vectorRoots[v.size], vectorLeaves[v.index])
        .filter((p) => !fails(() => verifyInclusion(p.index, p.size, p.leaf, p.proof, p.root)))
        .map((p) => p.desc);
      assert.deepEqual(wrong, [], 'incorrectly verified against');
    });
  }

  for (const v of CONSISTENCY_VECTORS) {
    test(`consistency ${v.size1} -> ${v.size2}`, () => {
      const proof = v.proof.map(hex);
      const nodes = consistencyNodes(v.size1, v.size2);
      const fromTree = rehash(nodes, nodes.ids.map((id) => referenceNodeHash(vectorLeaves, id)));
      assert.deepEqual(fromTree, proof, 'our proof equals the published one');
      assert.deepEqual(referenceConsistencyProof(v.size1, vectorLeaves.slice(0, v.size2)), proof);
      verifyConsistency(v.size1, v.size2, proof, vectorRoots[v.size1], vectorRoots[v.size2]);
      if (proof.length === 0) return;
      const wrong = consistencyProbes(v.size1, v.size2, proof, vectorRoots[v.size1], vectorRoots[v.size2])
        .filter((p) => !fails(() => verifyConsistency(p.size1, p.size2, p.proof, p.root1, p.root2)))
        .map((p) => p.desc);
      assert.deepEqual(wrong, [], 'incorrectly verified against');
    });
  }
});

describe('verification edge cases (after transparency-dev TestVerifyInclusion / TestVerifyConsistency)', () => {
  const root1 = leafHash("don't care 1");
  const root2 = leafHash("don't care 2");
  const some = leafHash('some');

  test('inclusion: index >= size, bad hash sizes', () => {
    for (const [index, size] of [[0, 0], [1, 0], [1, 1], [2, 1]] as const) {
      assert.throws(() => verifyInclusion(index, size, some, [], EMPTY_ROOT), ProofError);
      assert.throws(() => rootFromInclusionProof(index, size, some, []), /beyond tree size/);
    }
    // One-leaf tree: the root is the leaf hash and the proof is empty.
    verifyInclusion(0, 1, some, [], some);
    assert.throws(() => verifyInclusion(0, 1, some, [], EMPTY_ROOT), RootMismatchError);
    assert.throws(() => verifyInclusion(0, 1, Buffer.alloc(0), [], some), ProofError);
    assert.throws(() => verifyInclusion(0, 1, some, [], Buffer.alloc(0)), ProofError);
    assert.throws(() => verifyInclusion(0, 2, some, [Buffer.alloc(31)], some), /proof\[0\] must be 32 bytes/);
  });

  test('the mismatch error names both roots in hex', () => {
    const err = (() => {
      try {
        verifyInclusion(0, 1, some, [], root1);
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    assert.ok(err instanceof RootMismatchError);
    assert.equal(err.expected, root1.toString('hex'));
    assert.equal(err.calculated, some.toString('hex'));
    assert.match(err.message, new RegExp(`${some.toString('hex')}.*${root1.toString('hex')}`));
  });

  test('consistency', () => {
    // Always consistent.
    verifyConsistency(0, 0, [], EMPTY_ROOT, EMPTY_ROOT);
    verifyConsistency(0, 1, [], EMPTY_ROOT, root2);
    verifyConsistency(1, 1, [], root2, root2);
    // Equal sizes need equal roots.
    assert.throws(() => verifyConsistency(1, 1, [], root1, root2), RootMismatchError);
    assert.throws(() => verifyConsistency(1, 1, [], EMPTY_ROOT, root2), RootMismatchError);
    // Time travel to the past.
    assert.throws(() => verifyConsistency(1, 0, [], root1, root2), ProofError);
    assert.throws(() => verifyConsistency(2, 1, [], root1, root2), ProofError);
    // Empty proof.
    assert.throws(() => verifyConsistency(1, 2, [], root1, root2), ProofError);
    // Roots match but the proof is not empty.
    assert.throws(() => verifyConsistency(0, 0, [EMPTY_ROOT], EMPTY_ROOT, EMPTY_ROOT), ProofError);
    assert.throws(() => verifyConsistency(0, 1, [EMPTY_ROOT], EMPTY_ROOT, EMPTY_ROOT), ProofError);
    assert.throws(() => verifyConsistency(1, 1, [EMPTY_ROOT], EMPTY_ROOT, EMPTY_ROOT), ProofError);
    // Not numbers of leaves.
    assert.throws(() => verifyConsistency(1.5, 2, [root1], root1, root2), ProofError);
    assert.throws(() => verifyConsistency(1, 2 ** 53, [root1], root1, root2), ProofError);
  });

  test('a rehashed proof returned by rootFromConsistencyProof for equal sizes is a copy', () => {
    const r = rootFromConsistencyProof(3, 3, [], roots[3]);
    r[0] ^= 1;
    assert.notDeepEqual(r, roots[3]);
  });
});
