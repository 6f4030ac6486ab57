// Verification of RFC 9162 inclusion (§2.1.3.2) and consistency (§2.1.4.2) proofs, as transparency-dev/merkle
// `proof/verify.go`: each Verify* is a RootFrom* (which recomputes the root the proof implies) followed by a
// comparison. Pure. Proof nodes are ordered from the leaves up, as RFC 9162 PATH and PROOF produce them.
//
// The RFC's bit-by-bit loops are written here in the equivalent transparency-dev form: the proof splits into an
// "inner" part (siblings below the point where the path to the proved leaf parts from the path to the tree's last
// leaf; left or right according to the bits of the index) and a "border" part (left siblings only, along the right
// border of the tree). The two are the same algorithm; the proof tests check both against the RFC's definitions.
import { assertSafeNat, popcount, pow2, shr, trailingZeros, xorBitLength } from './bits.js';
import { ProofError, RootMismatchError } from './errors.js';
import { EMPTY_ROOT, HASH_SIZE, nodeHash } from './hasher.js';

/**
 * Verifies that `leafHash` is the leaf at `index` in the tree of `size` leaves whose root is `root`.
 * Requires 0 <= index < size. Throws a ProofError if the proof is malformed, a RootMismatchError if it does not
 * lead to `root`; returns normally only when the proof verifies.
 */
export function verifyInclusion(
  index: number,
  size: number,
  leafHash: Uint8Array,
  proof: readonly Uint8Array[],
  root: Uint8Array,
): void {
  checkHash(root, 'root');
  const calculated = rootFromInclusionProof(index, size, leafHash, proof);
  if (!calculated.equals(root)) throw new RootMismatchError(root, calculated);
}

/**
 * The root of the tree of `size` leaves implied by the inclusion proof of `leafHash` at `index`.
 * Requires 0 <= index < size. Throws a ProofError if the proof has the wrong length or a hash the wrong size.
 */
export function rootFromInclusionProof(
  index: number,
  size: number,
  leafHash: Uint8Array,
  proof: readonly Uint8Array[],
): Buffer {
  checkSize(index, 'index');
  checkSize(size, 'size');
  if (index >= size) throw new ProofError(`index ${index} is beyond tree size ${size}`);
  checkHash(leafHash, 'leaf hash');
  checkProofHashes(proof);

  const { inner, border } = decomposeInclusionProof(index, size);
  if (proof.length !== inner + border) {
    throw new ProofError(`wrong inclusion proof length ${proof.length}, want ${inner + border} (index ${index}, size ${size})`);
  }
  const hash = chainInner(leafHash, proof, 0, inner, index);
  return fresh(chainBorderRight(hash, proof, inner), leafHash);
}

/**
 * Verifies that the tree of `size2` leaves with root `root2` extends the tree of `size1` leaves with root `root1`.
 * Requires 0 <= size1 <= size2. When size1 == size2 the proof must be empty and the roots equal. When size1 == 0
 * the proof must be empty and root1 must be the empty root (the empty tree is consistent with every tree).
 * Throws a ProofError if the proof is malformed, a RootMismatchError if it does not lead to root1 or root2.
 */
export function verifyConsistency(
  size1: number,
  size2: number,
  proof: readonly Uint8Array[],
  root1: Uint8Array,
  root2: Uint8Array,
): void {
  checkHash(root2, 'root2');
  if (size1 === 0 && size2 > 0) {
    // Nothing to recompute: check the shape and the old root only.
    checkSize(size2, 'size2');
    checkHash(root1, 'root1');
    if (proof.length !== 0) throw new ProofError(`consistency proof from the empty tree must be empty, got ${proof.length} hashes`);
    if (!EMPTY_ROOT.equals(root1)) throw new RootMismatchError(EMPTY_ROOT, root1, 'root1 of the empty tree');
    return;
  }
  const calculated = rootFromConsistencyProof(size1, size2, proof, root1);
  if (!calculated.equals(root2)) throw new RootMismatchError(root2, calculated, 'root2');
}

/**
 * The root of the tree of `size2` leaves implied by the consistency proof from the tree of `size1` leaves with root
 * `root1`; checks on the way that the proof leads to root1 (RootMismatchError otherwise). Requires
 * 0 < size1 <= size2, or size1 == size2 == 0. When size1 == size2 the proof must be empty and root1 is returned
 * (a copy). A consistency proof from the empty tree to a larger one proves nothing and cannot yield root2: that
 * case is a ProofError here (verifyConsistency accepts it).
 */
export function rootFromConsistencyProof(
  size1: number,
  size2: number,
  proof: readonly Uint8Array[],
  root1: Uint8Array,
): Buffer {
  checkSize(size1, 'size1');
  checkSize(size2, 'size2');
  checkHash(root1, 'root1');
  checkProofHashes(proof);
  if (size2 < size1) throw new ProofError(`size2 ${size2} < size1 ${size1}`);
  if (size1 === size2) {
    if (proof.length !== 0) throw new ProofError(`size1 == size2 == ${size1} but the proof has ${proof.length} hashes`);
    if (size1 === 0 && !EMPTY_ROOT.equals(root1)) throw new RootMismatchError(EMPTY_ROOT, root1, 'root1 of the empty tree');
    return Buffer.from(root1);
  }
  if (size1 === 0) throw new ProofError('a consistency proof from the empty tree cannot yield the new root');
  if (proof.length === 0) throw new ProofError(`empty consistency proof for sizes ${size1} < ${size2}`);

  // RFC 9162 §2.1.4.2: the proof is the tail of the inclusion proof of leaf size1 - 1 in the tree of size2, from
  // the level of the largest perfect subtree ending at size1 (`shift`), preceded by that subtree's hash unless
  // size1 is a power of two, in which case that subtree is the whole old tree and its hash is root1.
  const { inner: fullInner, border } = decomposeInclusionProof(size1 - 1, size2);
  const shift = trailingZeros(size1);
  const inner = fullInner - shift; // shift < fullInner since size1 < size2
  const seedIsRoot1 = size1 === pow2(shift);
  const start = seedIsRoot1 ? 0 : 1;
  const want = start + inner + border;
  if (proof.length !== want) {
    throw new ProofError(`wrong consistency proof length ${proof.length}, want ${want} (sizes ${size1} -> ${size2})`);
  }
  const seed = seedIsRoot1 ? root1 : proof[0];
  const mask = shr(size1 - 1, shift); // chaining starts at level `shift`

  // The old root: only the hashes left of the path (the tree as it was at size1).
  let hash1: Uint8Array = chainInnerRight(seed, proof, start, start + inner, mask);
  hash1 = chainBorderRight(hash1, proof, start + inner);
  if (Buffer.compare(hash1, root1) !== 0) throw new RootMismatchError(root1, hash1, 'root1');

  // The new root: every hash.
  const hash2 = chainInner(seed, proof, start, start + inner, mask);
  return fresh(chainBorderRight(hash2, proof, start + inner), seed);
}

/**
 * The split of the inclusion proof of leaf `index` in a tree of `size` leaves: `inner` hashes below the level
 * where the paths to leaves index and size - 1 part, then `border` hashes along the right border. Their sum is the
 * proof length. Requires 0 <= index < size.
 */
export function decomposeInclusionProof(index: number, size: number): { inner: number; border: number } {
  const inner = xorBitLength(index, size - 1);
  const border = popcount(shr(index, inner));
  return { inner, border };
}

/** The proof length for leaf `index` in a tree of `size` leaves. Requires 0 <= index < size. */
export function inclusionProofLength(index: number, size: number): number {
  const { inner, border } = decomposeInclusionProof(index, size);
  return inner + border;
}

/** Hashes proof[from:to] onto seed, each on the side given by the next bit of index (0: seed is the left child). */
function chainInner(seed: Uint8Array, proof: readonly Uint8Array[], from: number, to: number, index: number): Uint8Array {
  let hash = seed;
  let bits = index;
  for (let i = from; i < to; i++) {
    hash = bits % 2 === 0 ? nodeHash(hash, proof[i]) : nodeHash(proof[i], hash);
    bits = Math.floor(bits / 2);
  }
  return hash;
}

/** As chainInner, but only the hashes to the left of the path: the subtree as it was before anything to the right. */
function chainInnerRight(seed: Uint8Array, proof: readonly Uint8Array[], from: number, to: number, index: number): Uint8Array {
  let hash = seed;
  let bits = index;
  for (let i = from; i < to; i++) {
    if (bits % 2 === 1) hash = nodeHash(proof[i], hash);
    bits = Math.floor(bits / 2);
  }
  return hash;
}

/** Hashes proof[from:] onto seed, each as a left sibling (the right border has only left siblings). */
function chainBorderRight(seed: Uint8Array, proof: readonly Uint8Array[], from: number): Uint8Array {
  let hash = seed;
  for (let i = from; i < proof.length; i++) hash = nodeHash(proof[i], hash);
  return hash;
}

/**
 * The chained hash as a Buffer the caller owns: the chains return either their seed (when there was nothing to
 * hash) or a fresh nodeHash output, so only the seed needs copying.
 */
function fresh(hash: Uint8Array, seed: Uint8Array): Buffer {
  return hash === seed ? Buffer.from(seed) : (hash as Buffer);
}

function checkSize(n: number, what: string): void {
  assertSafeNat(n, what, ProofError);
}

function checkHash(h: Uint8Array, what: string): void {
  if (!(h instanceof Uint8Array) || h.length !== HASH_SIZE) {
    throw new ProofError(`${what} must be ${HASH_SIZE} bytes, got ${h instanceof Uint8Array ? h.length : typeof h}`);
  }
}

function checkProofHashes(proof: readonly Uint8Array[]): void {
  if (!Array.isArray(proof)) throw new ProofError('proof must be an array of hashes');
  for (let i = 0; i < proof.length; i++) checkHash(proof[i], `proof[${i}]`);
}
