// RFC 9162 §2.1.1 (= RFC 6962 §2.1) Merkle tree hashing with SHA-256, as transparency-dev/merkle `rfc6962`. Pure.
// Leaves and interior nodes are domain-separated by a one-byte prefix so that a leaf can never be passed off as a
// node (second-preimage resistance). This is the hot path (one leafHash per event, about one nodeHash per event):
// one createHash per hash, the parts fed in with update() rather than concatenated.
import { createHash } from 'node:crypto';

/** Bytes in a hash (SHA-256). */
export const HASH_SIZE = 32;

const LEAF_PREFIX = Uint8Array.of(0x00);
const NODE_PREFIX = Uint8Array.of(0x01);

/** SHA-256(0x00 ‖ leaf), the hash of a leaf. A string is hashed as its UTF-8 bytes. */
export function leafHash(leaf: string | Uint8Array): Buffer {
  const hash = createHash('sha256').update(LEAF_PREFIX);
  if (typeof leaf === 'string') hash.update(leaf, 'utf8');
  else hash.update(leaf);
  return hash.digest();
}

/** SHA-256(0x01 ‖ left ‖ right), the hash of an interior node from its children's hashes. */
export function nodeHash(left: Uint8Array, right: Uint8Array): Buffer {
  return createHash('sha256').update(NODE_PREFIX).update(left).update(right).digest();
}

/**
 * The root of the empty tree, SHA-256 of the empty string (e3b0c442…b855). Shared: never mutate it (functions that
 * return the empty root return a copy).
 */
export const EMPTY_ROOT: Buffer = createHash('sha256').digest();

/** Whether h is a Uint8Array of HASH_SIZE bytes. */
export function isHash(h: unknown): h is Uint8Array {
  return h instanceof Uint8Array && h.length === HASH_SIZE;
}
