// Published test vectors, copied verbatim (hex/base64 as published) from their sources:
//
// - RFC 6962 Merkle tree: the reference data of Certificate Transparency, as kept in transparency-dev/merkle
//   `testonly/constants.go` (LeafInputs, NodeHashes, RootHashes) and `proof/verify_test.go` (inclusionProofs,
//   consistencyProofs). The Go tables number leaves from 1 in inclusionProofs ({leaf: 1, size: 8} is leaf index 0);
//   here every index is 0-based.
// - Proof node IDs: transparency-dev/merkle `proof/proof_test.go` (TestInclusion, TestConsistency), for the
//   ids/begin/end of a proof (the tree pictured there: a..f leaves, g h i level 1, k l level 2).
// - Signed notes: golang.org/x/mod `sumdb/note/note.go` (package doc) and `note_test.go` (TestSign, TestOpen,
//   TestNewVerifier): the PeterNeumann and EnochRoot keys and signatures.
// - Checkpoint: the example of C2SP tlog-checkpoint.md (no public key is published for it, so only its shape).

/** The 8 leaf inputs (hex). */
export const LEAF_INPUTS_HEX: readonly string[] = [
  '',
  '00',
  '10',
  '2021',
  '3031',
  '40414243',
  '5051525354555657',
  '606162636465666768696a6b6c6d6e6f',
];

/** ROOTS_HEX[n] is the root of the tree of the first n leaves (n = 0..8). */
export const ROOTS_HEX: readonly string[] = [
  'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
  '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
  'fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125',
  'aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77',
  'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
  '4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4',
  '76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef',
  'ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c',
  '5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328',
];

/** NODE_HASHES_HEX[level][index]: every perfect subtree of the 8-leaf tree. Level 0 is the leaf hashes. */
export const NODE_HASHES_HEX: readonly (readonly string[])[] = [
  [
    '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
    '96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7',
    '0298d122906dcfc10892cb53a73992fc5b9f493ea4c9badb27b791b4127a7fe7',
    '07506a85fd9dd2f120eb694f86011e5bb4662e5c415a62917033d4a9624487e7',
    'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b',
    '4271a26be0d8a84f0bd54c8c302e7cb3a3b5d1fa6780a40bcce2873477dab658',
    'b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f',
    '46f6ffadd3d06a09ff3c5860d2755c8b9819db7df44251788c7d8e3180de8eb1',
  ],
  [
    'fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125',
    '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
    '0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a',
    'ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0',
  ],
  [
    'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
    '6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4',
  ],
  ['5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328'],
];

export interface InclusionVector {
  index: number;
  size: number;
  proof: readonly string[];
}

/** Inclusion proofs (verify_test.go inclusionProofs, with 0-based leaf indices). */
export const INCLUSION_VECTORS: readonly InclusionVector[] = [
  { index: 0, size: 1, proof: [] },
  {
    index: 0,
    size: 8,
    proof: [
      '96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7',
      '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
      '6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4',
    ],
  },
  {
    index: 5,
    size: 8,
    proof: [
      'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b',
      'ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0',
      'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
    ],
  },
  { index: 2, size: 3, proof: ['fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125'] },
  {
    index: 1,
    size: 5,
    proof: [
      '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
      '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
      'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b',
    ],
  },
];

export interface ConsistencyVector {
  size1: number;
  size2: number;
  proof: readonly string[];
}

/** Consistency proofs (verify_test.go consistencyProofs). */
export const CONSISTENCY_VECTORS: readonly ConsistencyVector[] = [
  { size1: 1, size2: 1, proof: [] },
  {
    size1: 1,
    size2: 8,
    proof: [
      '96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7',
      '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
      '6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4',
    ],
  },
  {
    size1: 6,
    size2: 8,
    proof: [
      '0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a',
      'ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0',
      'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
    ],
  },
  {
    size1: 2,
    size2: 5,
    proof: [
      '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
      'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b',
    ],
  },
  {
    size1: 6,
    size2: 7,
    proof: [
      '0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a',
      'b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f',
      'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
    ],
  },
];

/** [level, index] */
type Id = readonly [number, number];

export interface NodesVector {
  /** index (inclusion) or size1 (consistency). */
  a: number;
  /** size (inclusion) or size2 (consistency). */
  b: number;
  ids: readonly Id[];
  begin: number;
  end: number;
}

/** proof_test.go TestInclusion: {index, size} -> node IDs; begin == end == 0 when nothing is rehashed. */
export const INCLUSION_NODES_VECTORS: readonly NodesVector[] = [
  { a: 0, b: 1, ids: [], begin: 0, end: 0 },
  { a: 0, b: 2, ids: [[0, 1]], begin: 0, end: 0 },
  { a: 1, b: 2, ids: [[0, 0]], begin: 0, end: 0 },
  { a: 1, b: 3, ids: [[0, 0], [0, 2]], begin: 0, end: 0 },
  { a: 0, b: 7, ids: [[0, 1], [1, 1], [0, 6], [1, 2]], begin: 2, end: 4 },
  { a: 1, b: 7, ids: [[0, 0], [1, 1], [0, 6], [1, 2]], begin: 2, end: 4 },
  { a: 2, b: 7, ids: [[0, 3], [1, 0], [0, 6], [1, 2]], begin: 2, end: 4 },
  { a: 3, b: 7, ids: [[0, 2], [1, 0], [0, 6], [1, 2]], begin: 2, end: 4 },
  { a: 4, b: 7, ids: [[0, 5], [0, 6], [2, 0]], begin: 0, end: 0 },
  { a: 5, b: 7, ids: [[0, 4], [0, 6], [2, 0]], begin: 0, end: 0 },
  { a: 6, b: 7, ids: [[1, 2], [2, 0]], begin: 0, end: 0 },
  { a: 2, b: 4, ids: [[0, 3], [1, 0]], begin: 0, end: 0 },
  { a: 3, b: 5, ids: [[0, 2], [1, 0], [0, 4]], begin: 0, end: 0 },
  { a: 3, b: 6, ids: [[0, 2], [1, 0], [1, 2]], begin: 0, end: 0 },
  { a: 4, b: 6, ids: [[0, 5], [2, 0]], begin: 0, end: 0 },
  { a: 10, b: 15, ids: [[0, 11], [1, 4], [0, 14], [1, 6], [3, 0]], begin: 2, end: 4 },
  { a: 24, b: 31, ids: [[0, 25], [1, 13], [0, 30], [1, 14], [3, 2], [4, 0]], begin: 2, end: 4 },
  {
    a: 81,
    b: 95,
    ids: [[0, 80], [1, 41], [2, 21], [0, 94], [1, 46], [2, 22], [4, 4], [6, 0]],
    begin: 3,
    end: 6,
  },
];

/** proof_test.go TestConsistency: {size1, size2} -> node IDs. */
export const CONSISTENCY_NODES_VECTORS: readonly NodesVector[] = [
  { a: 1, b: 2, ids: [[0, 1]], begin: 0, end: 0 },
  { a: 1, b: 4, ids: [[0, 1], [1, 1]], begin: 0, end: 0 },
  { a: 1, b: 6, ids: [[0, 1], [1, 1], [1, 2]], begin: 0, end: 0 },
  { a: 2, b: 3, ids: [[0, 2]], begin: 0, end: 0 },
  { a: 2, b: 8, ids: [[1, 1], [2, 1]], begin: 0, end: 0 },
  { a: 3, b: 7, ids: [[0, 2], [0, 3], [1, 0], [0, 6], [1, 2]], begin: 3, end: 5 },
  { a: 4, b: 7, ids: [[0, 6], [1, 2]], begin: 0, end: 2 },
  { a: 5, b: 7, ids: [[0, 4], [0, 5], [0, 6], [2, 0]], begin: 0, end: 0 },
  { a: 6, b: 7, ids: [[1, 2], [0, 6], [2, 0]], begin: 0, end: 0 },
  { a: 7, b: 8, ids: [[0, 6], [0, 7], [1, 2], [2, 0]], begin: 0, end: 0 },
  { a: 1, b: 1, ids: [], begin: 0, end: 0 },
  { a: 2, b: 2, ids: [], begin: 0, end: 0 },
  { a: 3, b: 3, ids: [], begin: 0, end: 0 },
  { a: 4, b: 4, ids: [], begin: 0, end: 0 },
  { a: 5, b: 5, ids: [], begin: 0, end: 0 },
  { a: 7, b: 7, ids: [], begin: 0, end: 0 },
  { a: 8, b: 8, ids: [], begin: 0, end: 0 },
  { a: 2, b: 4, ids: [[1, 1]], begin: 0, end: 0 },
  { a: 3, b: 5, ids: [[0, 2], [0, 3], [1, 0], [0, 4]], begin: 0, end: 0 },
  { a: 3, b: 6, ids: [[0, 2], [0, 3], [1, 0], [1, 2]], begin: 0, end: 0 },
  { a: 4, b: 6, ids: [[1, 2]], begin: 0, end: 0 },
  { a: 1, b: 7, ids: [[0, 1], [1, 1], [0, 6], [1, 2]], begin: 2, end: 4 },
  { a: 10, b: 15, ids: [[1, 4], [1, 5], [0, 14], [1, 6], [3, 0]], begin: 2, end: 4 },
  { a: 24, b: 31, ids: [[3, 2], [0, 30], [1, 14], [2, 6], [4, 0]], begin: 1, end: 4 },
  {
    a: 81,
    b: 95,
    ids: [[0, 80], [0, 81], [1, 41], [2, 21], [0, 94], [1, 46], [2, 22], [4, 4], [6, 0]],
    begin: 4,
    end: 7,
  },
];

/** Go sumdb/note: the PeterNeumann key pair, the signed example and a second signer (EnochRoot, public key only). */
export const NOTE_VECTORS = {
  peterSignerKey: 'PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz',
  peterVerifierKey: 'PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW',
  enochVerifierKey: 'EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop',
  text: "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n",
  peterSig:
    '\u2014 PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n',
  enochSig:
    '\u2014 EnochRoot rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+vAF1aGrQ5ovTG01oOTGwnWLox33WWd1RvMc+QQ=\n',
} as const;

/** The example checkpoint of C2SP tlog-checkpoint.md (signed by a key that is not published). */
export const C2SP_CHECKPOINT_EXAMPLE =
  'example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n\n' +
  '\u2014 example.com/behind-the-sofa Az3grlgtzPICa5OS8npVmf1Myq/5IZniMp+ZJurmRDeOoRDe4URYN7u5/Zhcyv2q1gGzGku9nTo+zyWE+xeMcTOAYQ8=\n';

/** hex -> Buffer */
export function hex(h: string): Buffer {
  return Buffer.from(h, 'hex');
}
