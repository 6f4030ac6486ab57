// The RFC 9162 §2.1 definitions, literally: MTH (§2.1.1), PATH (§2.1.3.1) and PROOF/SUBPROOF (§2.1.4.1), by
// recursion over the list of leaf hashes. O(n) per call and more: for cross-checking the fast code in tests, never
// for production use. Pure.
//
// The RFC defines these over the leaf inputs D[n]; here they take the leaf hashes (MTH({d}) = leafHash(d)), which
// is what the ledger stores. D[a:b] is written as the half-open index range [begin, end) of `leaves`.
import { EMPTY_ROOT, nodeHash } from '../../../src/ledger/hasher.js';
import type { NodeID } from '../../../src/ledger/node-id.js';

/** The largest power of two strictly smaller than n. Requires n > 1. */
function splitPoint(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

/** Whether n is 2^k for some k >= 0 (by doubling: Math.log2 rounds 2^50 - 2 to exactly 50). */
function isExactPowerOfTwo(n: number): boolean {
  let k = 1;
  while (k < n) k *= 2;
  return k === n;
}

/** MTH(D[begin:end]). */
function mth(leaves: readonly Buffer[], begin: number, end: number): Buffer {
  const n = end - begin;
  if (n === 0) return Buffer.from(EMPTY_ROOT);
  if (n === 1) return Buffer.from(leaves[begin]);
  const k = splitPoint(n);
  return nodeHash(mth(leaves, begin, begin + k), mth(leaves, begin + k, end));
}

/** RFC 9162 §2.1.1 MTH: the root hash of the tree with these leaf hashes. */
export function referenceRoot(leafHashes: readonly Buffer[]): Buffer {
  return mth(leafHashes, 0, leafHashes.length);
}

/** The hash of the node `id` of the tree with these leaf hashes: MTH of the leaves it covers. */
export function referenceNodeHash(leafHashes: readonly Buffer[], id: NodeID): Buffer {
  const begin = id.index * 2 ** id.level;
  const end = begin + 2 ** id.level;
  if (end > leafHashes.length) throw new RangeError(`node ${id.level}/${id.index} is not complete in a tree of ${leafHashes.length}`);
  return mth(leafHashes, begin, end);
}

/** PATH(m, D[begin:end]). */
function path(m: number, leaves: readonly Buffer[], begin: number, end: number): Buffer[] {
  const n = end - begin;
  if (n === 1) return [];
  const k = splitPoint(n);
  if (m < k) return [...path(m, leaves, begin, begin + k), mth(leaves, begin + k, end)];
  return [...path(m - k, leaves, begin + k, end), mth(leaves, begin, begin + k)];
}

/** RFC 9162 §2.1.3.1 PATH(m, D[n]): the inclusion proof of leaf m. Requires 0 <= m < n. */
export function referenceInclusionProof(m: number, leafHashes: readonly Buffer[]): Buffer[] {
  if (!(m >= 0 && m < leafHashes.length)) throw new RangeError(`leaf ${m} not in a tree of ${leafHashes.length}`);
  return path(m, leafHashes, 0, leafHashes.length);
}

/** SUBPROOF(m, D[begin:end], b). */
function subproof(m: number, leaves: readonly Buffer[], begin: number, end: number, b: boolean): Buffer[] {
  const n = end - begin;
  if (m === n) return b ? [] : [mth(leaves, begin, end)];
  const k = splitPoint(n);
  if (m <= k) return [...subproof(m, leaves, begin, begin + k, b), mth(leaves, begin + k, end)];
  return [...subproof(m - k, leaves, begin + k, end, false), mth(leaves, begin, begin + k)];
}

/**
 * RFC 9162 §2.1.4.1 PROOF(m, D[n]) = SUBPROOF(m, D[n], true): the consistency proof from the tree of the first m
 * leaves. Requires 0 < m <= n; for m == n it is empty. (The RFC leaves m == 0 undefined; this returns [] for it,
 * as the empty tree needs no proof.)
 */
export function referenceConsistencyProof(m: number, leafHashes: readonly Buffer[]): Buffer[] {
  if (!(m >= 0 && m <= leafHashes.length)) throw new RangeError(`size ${m} not within a tree of ${leafHashes.length}`);
  if (m === 0) return [];
  return subproof(m, leafHashes, 0, leafHashes.length, true);
}

/**
 * RFC 9162 §2.1.3.2, step by step: whether `proof` proves that `leafHash` is leaf `index` of the tree of `size`
 * leaves with root `root`. Returns false instead of throwing.
 */
export function referenceVerifyInclusion(
  index: number,
  size: number,
  leafHash: Buffer,
  proof: readonly Buffer[],
  root: Buffer,
): boolean {
  // 1. leaf_index >= tree_size fails.
  if (index >= size) return false;
  // 2.-3.
  let fn = index;
  let sn = size - 1;
  let r = leafHash;
  // 4.
  for (const p of proof) {
    if (sn === 0) return false; // a.
    if (fn % 2 === 1 || fn === sn) {
      // b.
      r = nodeHash(p, r);
      if (fn % 2 === 0) {
        while (fn % 2 === 0 && fn !== 0) {
          fn = Math.floor(fn / 2);
          sn = Math.floor(sn / 2);
        }
      }
    } else {
      r = nodeHash(r, p);
    }
    // c.
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  // 5.
  return sn === 0 && r.equals(root);
}

/**
 * RFC 9162 §2.1.4.2, step by step, for 0 < first < second: whether `proof` proves that the tree of `second` leaves
 * with root `secondHash` extends the tree of `first` leaves with root `firstHash`. Returns false instead of throwing.
 */
export function referenceVerifyConsistency(
  first: number,
  second: number,
  proof: readonly Buffer[],
  firstHash: Buffer,
  secondHash: Buffer,
): boolean {
  if (!(0 < first && first < second)) throw new RangeError('the RFC algorithm is defined for 0 < first < second');
  // 1.
  if (proof.length === 0) return false;
  // 2.
  let path = [...proof];
  if (isExactPowerOfTwo(first)) path = [firstHash, ...path];
  // 3.
  let fn = first - 1;
  let sn = second - 1;
  // 4.
  while (fn % 2 === 1) {
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  // 5.
  let fr = path[0];
  let sr = path[0];
  // 6.
  for (const c of path.slice(1)) {
    if (sn === 0) return false; // a.
    if (fn % 2 === 1 || fn === sn) {
      // b.
      fr = nodeHash(c, fr);
      sr = nodeHash(c, sr);
      if (fn % 2 === 0) {
        while (fn % 2 === 0 && fn !== 0) {
          fn = Math.floor(fn / 2);
          sn = Math.floor(sn / 2);
        }
      }
    } else {
      sr = nodeHash(sr, c);
    }
    // c.
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  // 7.
  return fr.equals(firstHash) && sr.equals(secondHash) && sn === 0;
}
