// Addresses of nodes in an RFC 9162 Merkle tree, as transparency-dev/merkle `compact/nodes.go`. Pure.
//
// A node is named by its level (0 for leaves; the height of the perfect subtree under it) and its index, its
// horizontal position among the nodes of that level, left to right:
//
//           [2 0]
//          /     \
//       [1 0]     \
//       /   \      \
//   [0 0]  [0 1]  [0 2]
//
// Node (level, index) is the root of the perfect subtree covering leaves [index·2^level, (index+1)·2^level). Only
// such perfect subtrees have stable hashes; the nodes along the right border of a tree whose size is not a power of
// two ("ephemeral" nodes) change as the tree grows and are never stored.
import { assertSafeNat, bitLength, pow2, trailingZeros } from './bits.js';

export interface NodeID {
  readonly level: number;
  readonly index: number;
}

/** The node at (level, index). Requires 0 <= level <= 53 and index·2^level a safe integer. */
export function nodeID(level: number, index: number): NodeID {
  return { level, index };
}

/** The parent of id. */
export function parentOf(id: NodeID): NodeID {
  return { level: id.level + 1, index: Math.floor(id.index / 2) };
}

/** The other child of id's parent. */
export function siblingOf(id: NodeID): NodeID {
  return { level: id.level, index: id.index % 2 === 0 ? id.index + 1 : id.index - 1 };
}

/** The leaves [begin, end) under id. */
export function coverage(id: NodeID): [begin: number, end: number] {
  const width = pow2(id.level);
  return [id.index * width, (id.index + 1) * width];
}

/** Whether two IDs name the same node. */
export function sameNode(a: NodeID, b: NodeID): boolean {
  return a.level === b.level && a.index === b.index;
}

/** `level/index`, for messages and map keys. */
export function nodeKey(id: NodeID): string {
  return `${id.level}/${id.index}`;
}

/**
 * The decomposition of the leaf range [begin, end) into the fewest perfect subtrees, left to right: the nodes of
 * the compact range [begin, end). For begin == 0 there is one node per one bit of end, largest first, so
 * `perfectSubtrees(0, size)` names the nodes whose hashes fold (right to left, with nodeHash) into the root of the
 * tree of that size. Requires 0 <= begin <= end (safe integers).
 */
export function perfectSubtrees(begin: number, end: number): NodeID[] {
  assertSafeNat(begin, 'begin');
  assertSafeNat(end, 'end');
  if (end < begin) throw new RangeError(`invalid range [${begin}, ${end})`);
  const ids: NodeID[] = [];
  let pos = begin;
  while (pos < end) {
    // The largest aligned power of two that starts at pos and fits before end.
    let level = bitLength(end - pos) - 1;
    if (pos > 0) level = Math.min(level, trailingZeros(pos));
    const width = pow2(level);
    ids.push({ level, index: pos / width });
    pos += width;
  }
  return ids;
}
