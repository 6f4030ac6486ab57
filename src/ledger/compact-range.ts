// A compact Merkle range [0, size), as transparency-dev/merkle `compact/range.go` restricted to ranges starting at
// leaf 0. Pure.
//
// The tree of `size` leaves decomposes into one perfect subtree per one bit of size, largest first (see
// perfectSubtrees). A compact range holds just those popcount(size) <= 53 hashes: enough to append a leaf and to
// compute the root, in O(log size) memory. Appending merges equal-sized subtrees like a binary counter increment,
// and every node completed on the way is reported to the visitor so the caller can store it: together, the
// reported nodes are every perfect subtree of the tree, each reported once, when it becomes complete.
import { assertSafeNat, isPowerOfTwo, popcount } from './bits.js';
import { ProofError } from './errors.js';
import { EMPTY_ROOT, HASH_SIZE, nodeHash, pairHashInto } from './hasher.js';
import type { NodeID } from './node-id.js';

export { perfectSubtrees } from './node-id.js';

/** Called with each newly complete node and its hash. */
export type VisitFn = (id: NodeID, hash: Buffer) => void;

export class CompactRange {
  #size: number;
  readonly #hashes: Buffer[];

  private constructor(size: number, hashes: Buffer[]) {
    this.#size = size;
    this.#hashes = hashes;
  }

  /** The range of the empty tree. */
  static empty(): CompactRange {
    return new CompactRange(0, []);
  }

  /**
   * The range [0, size) from the hashes of its perfect subtrees, left to right: the hashes of the nodes
   * perfectSubtrees(0, size), popcount(size) of them. Requires size a safe integer >= 0; throws a ProofError if the
   * count or a hash size is wrong. The array is copied; the buffers are not.
   */
  static from(size: number, hashes: readonly Buffer[]): CompactRange {
    assertSafeNat(size, 'size');
    const want = popcount(size);
    if (hashes.length !== want) {
      throw new ProofError(`compact range of size ${size} needs ${want} hashes, got ${hashes.length}`);
    }
    for (let i = 0; i < hashes.length; i++) {
      if (hashes[i].length !== HASH_SIZE) {
        throw new ProofError(`compact range hash ${i} has ${hashes[i].length} bytes, want ${HASH_SIZE}`);
      }
    }
    return new CompactRange(size, [...hashes]);
  }

  /** The number of leaves in the range. */
  get size(): number {
    return this.#size;
  }

  /** The hashes of the perfect subtrees of [0, size), left to right (largest first). Do not mutate the buffers. */
  get hashes(): readonly Buffer[] {
    return this.#hashes;
  }

  /**
   * Appends the leaf with hash `leafHash` (the range becomes [0, size + 1)). Reports to `visit`, bottom-up, every node
   * this completes: the leaf itself at (0, size), then one parent per trailing one bit of the old size. The range
   * changes only once every visit has returned: if `visit` throws, the append did not happen (so a caller storing
   * nodes in a transaction that fails can simply retry). The leaf buffer is kept, not copied: do not mutate it.
   * Throws a ProofError if leafHash is not HASH_SIZE bytes, a RangeError if the range is full (2^53 - 1 leaves).
   */
  append(leafHash: Buffer, visit?: VisitFn): void {
    if (leafHash.length !== HASH_SIZE) throw new ProofError(`leaf hash has ${leafHash.length} bytes, want ${HASH_SIZE}`);
    if (this.#size >= Number.MAX_SAFE_INTEGER) throw new RangeError('compact range is full');
    const hashes = this.#hashes;
    let index = this.#size;
    let level = 0;
    let hash = leafHash;
    let keep = hashes.length;
    visit?.({ level, index }, hash);
    // Each trailing one bit of the old size is a perfect subtree of the same height as `hash` to its left: merge.
    while (index % 2 === 1) {
      hash = nodeHash(hashes[--keep], hash);
      index = (index - 1) / 2;
      level++;
      visit?.({ level, index }, hash);
    }
    hashes.length = keep;
    hashes.push(hash);
    this.#size++;
  }

  /**
   * Appends a whole perfect subtree: the 2^level leaves [size, size + 2^level) whose root is `hash` (computed
   * elsewhere, e.g. by a worker). Requires size to be a multiple of 2^level; throws a ProofError otherwise. The
   * same as appending those leaves one by one, except that `visit` sees only the nodes from `level` up: the
   * subtree's root, then each parent it completes.
   */
  appendSubtree(level: number, hash: Buffer, visit?: VisitFn): void {
    if (hash.length !== HASH_SIZE) throw new ProofError(`subtree hash has ${hash.length} bytes, want ${HASH_SIZE}`);
    const width = 2 ** level;
    if (!Number.isSafeInteger(width) || this.#size % width !== 0) {
      throw new ProofError(`a subtree of 2^${level} leaves cannot start at ${this.#size}`);
    }
    let index = this.#size / width;
    let merged = hash;
    visit?.({ level, index }, merged);
    while (index % 2 === 1) {
      merged = nodeHash(this.#hashes.pop() as Buffer, merged);
      index = (index - 1) / 2;
      level++;
      visit?.({ level, index }, merged);
    }
    this.#hashes.push(merged);
    this.#size += width;
  }

  /**
   * The root hash of the tree [0, size): the hashes folded right to left with nodeHash (RFC 9162 MTH). The empty
   * root for size 0. Always a Buffer the caller owns.
   */
  rootHash(): Buffer {
    return foldRoot(this.#hashes);
  }

  /** An independent copy (the hash buffers are shared; they are never mutated). */
  clone(): CompactRange {
    return new CompactRange(this.#size, [...this.#hashes]);
  }
}

/**
 * The root of a tree from the hashes of its perfect subtrees, left to right (as CompactRange.rootHash): for a tree
 * of any size whose nodes perfectSubtrees(0, size) are stored. EMPTY_ROOT (a copy) for no hashes.
 */
export function foldRoot(hashes: readonly Buffer[]): Buffer {
  const n = hashes.length;
  if (n === 0) return Buffer.from(EMPTY_ROOT);
  if (n === 1) return Buffer.from(hashes[0]);
  let hash = nodeHash(hashes[n - 2], hashes[n - 1]);
  for (let i = n - 3; i >= 0; i--) hash = nodeHash(hashes[i], hash);
  return hash;
}

/**
 * The root of the perfect subtree over `count` leaf hashes (a power of two), laid end to end in `hashes`
 * (HASH_SIZE bytes each): what appending them one by one to an empty range gives, computed level by level in one
 * copy of the bytes, with no buffer per node (verification folds every chunk of the log this way).
 */
export function perfectSubtreeRoot(hashes: Uint8Array, count: number): Buffer {
  if (!isPowerOfTwo(count) || hashes.length < count * HASH_SIZE) {
    throw new ProofError(`a perfect subtree needs a power of two of hashes, got ${count} in ${hashes.length} bytes`);
  }
  const level = Buffer.from(hashes.slice(0, count * HASH_SIZE));
  for (let width = count; width > 1; width /= 2) {
    for (let i = 0; i < width / 2; i++) pairHashInto(level, 2 * i * HASH_SIZE, level, i * HASH_SIZE);
  }
  return Buffer.from(level.subarray(0, HASH_SIZE));
}
