// Which stored nodes make up an inclusion or consistency proof, as transparency-dev/merkle `proof/proof.go`. Pure.
//
// A proof is a list of node hashes. Every one of them is the hash of a perfect subtree (a stored node) except at
// most one: when the tree size is not a power of two, the proof may need the hash of an "ephemeral" node on the
// tree's right border, which covers an incomplete subtree and is never stored. The functions here return the IDs of
// the stored nodes to fetch, and which run of them (ids[begin:end]) must be folded into the ephemeral node; rehash
// turns the fetched hashes into the proof. The caller owns storage; nothing here does I/O.
import { assertSafeNat, isPowerOfTwo, shr, trailingZeros, xorBitLength } from './bits.js';
import { ProofError } from './errors.js';
import { HASH_SIZE, nodeHash } from './hasher.js';
import { coverage, parentOf, perfectSubtrees, siblingOf, type NodeID } from './node-id.js';

export interface ProofNodes {
  /** The stored nodes to fetch, in proof order (lower levels first). */
  readonly ids: NodeID[];
  /**
   * ids[begin:end] are the perfect subtrees that make up the ephemeral node, right to left; rehash folds them into
   * one proof hash. begin == end == 0 when the proof has no ephemeral node (it is then all stored nodes, as is).
   */
  readonly begin: number;
  readonly end: number;
  /** The ephemeral node those ids stand for (meaningless when begin == end). It is never stored. */
  readonly ephem: NodeID;
}

const NO_NODES: ProofNodes = Object.freeze({ ids: [], begin: 0, end: 0, ephem: { level: 0, index: 0 } });

/**
 * The nodes of the inclusion proof (RFC 9162 §2.1.3.1 PATH) for leaf `index` in the tree of `size` leaves.
 * Requires 0 <= index < size (safe integers); throws a ProofError otherwise.
 */
export function inclusionNodes(index: number, size: number): ProofNodes {
  assertSafeNat(index, 'index', ProofError);
  assertSafeNat(size, 'size', ProofError);
  if (index >= size) throw new ProofError(`index ${index} out of bounds for tree size ${size}`);
  return skipFirst(nodes(index, 0, size));
}

/**
 * The nodes of the consistency proof (RFC 9162 §2.1.4.1 PROOF) between the trees of `size1` and `size2` leaves.
 * Requires 0 <= size1 <= size2 (safe integers); throws a ProofError otherwise. The proof is empty when
 * size1 == size2 and when size1 == 0 (the empty tree is consistent with every tree).
 */
export function consistencyNodes(size1: number, size2: number): ProofNodes {
  assertSafeNat(size1, 'size1', ProofError);
  assertSafeNat(size2, 'size2', ProofError);
  if (size1 > size2) throw new ProofError(`size1 ${size1} > size2 ${size2}`);
  if (size1 === 0 || size1 === size2) return { ...NO_NODES, ids: [] };
  // The largest perfect subtree of [0, size1) ending at size1: its root, plus the inclusion proof of that root in
  // the tree of size2. When size1 is a power of two that root is the old root itself, which the verifier already
  // has, so it is left out.
  const level = trailingZeros(size1);
  const index = shr(size1 - 1, level);
  const p = nodes(index, level, size2);
  return isPowerOfTwo(size1) ? skipFirst(p) : p;
}

/**
 * The proof, from the hashes of nodes.ids (same order, same length): ids[begin:end] are folded into the ephemeral
 * node's hash, every other hash is kept as is. Does not modify `hashes`. Throws a ProofError if the count or a hash
 * size is wrong.
 */
export function rehash(nodes: ProofNodes, hashes: readonly Buffer[]): Buffer[] {
  if (hashes.length !== nodes.ids.length) {
    throw new ProofError(`got ${hashes.length} hashes for ${nodes.ids.length} proof nodes`);
  }
  const proof: Buffer[] = [];
  for (let i = 0; i < hashes.length; i++) {
    let hash = hashes[i];
    if (hash.length !== HASH_SIZE) throw new ProofError(`hash ${i} has ${hash.length} bytes, want ${HASH_SIZE}`);
    if (i === nodes.begin && nodes.begin < nodes.end) {
      // ids[begin:end] run right to left: each next one covers the leaves just left of those hashed so far.
      for (i++; i < nodes.end; i++) {
        const left = hashes[i];
        if (left.length !== HASH_SIZE) throw new ProofError(`hash ${i} has ${left.length} bytes, want ${HASH_SIZE}`);
        hash = nodeHash(left, hash);
      }
      i--;
    }
    proof.push(hash);
  }
  return proof;
}

/**
 * The nodes proving that node (level, index) is in the tree of `size` leaves, the node itself first.
 * Requires index < floor(size / 2^level) (the node is complete in that tree).
 */
function nodes(index: number, level: number, size: number): ProofNodes {
  // The fork is where the path from the root to our node parts from the path to the (incomplete) node at
  // position size on our level; the fork's sibling is the ephemeral node, standing for the rest of the tree to the
  // right, and is represented by the perfect subtrees covering [fork end, size). `inner` is how many levels up
  // from our node the fork is.
  const inner = xorBitLength(index, shr(size, level)) - 1;
  const fork: NodeID = { level: level + inner, index: shr(index, inner) };
  const [begin, end] = coverage(fork);

  let node: NodeID = { level, index };
  const ids: NodeID[] = [node];
  // Siblings along the path up to the fork.
  for (; node.level < fork.level; node = parentOf(node)) ids.push(siblingOf(node));
  // The perfect subtrees that make up the ephemeral node, reversed so rehash meets them lower levels first.
  let len1 = ids.length;
  ids.push(...perfectSubtrees(end, size).reverse());
  let len2 = ids.length;
  // The perfect subtrees left of the fork, lower levels first: they complete the cover of [0, size).
  ids.push(...perfectSubtrees(0, begin).reverse());
  // A run of one node needs no rehashing: that node is stored, and is the proof node itself. Only a run of two or
  // more is marked, so begin < end exactly when the proof has an ephemeral node (as the transparency-dev tests
  // expect; the current transparency-dev code also marks runs of one, which rehash leaves unchanged anyway).
  if (len2 - len1 < 2) len1 = len2 = 0;
  return { ids, begin: len1, end: len2, ephem: siblingOf(fork) };
}

/** Drops ids[0] (the node being proved, which the verifier knows) and fixes begin/end up. */
function skipFirst(p: ProofNodes): ProofNodes {
  const shift = p.begin < p.end ? 1 : 0;
  return { ids: p.ids.slice(1), begin: p.begin - shift, end: p.end - shift, ephem: p.ephem };
}
