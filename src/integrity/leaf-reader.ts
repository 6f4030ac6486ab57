// Reading and checking stored leaves, the bulk of `annals verify`: every leaf is hashed and compared with the hash
// recorded beside it, and its own seq and id with the place it is stored at. Inline, or spread over worker threads
// (each with its own store connection) so that verification uses every core.
import { cpus } from 'node:os';
import type { Worker } from 'node:worker_threads';
import type { AnnalsConfig } from '../annals.js';
import { CompactRange, perfectSubtreeRoot } from '../ledger/compact-range.js';
import { HASH_SIZE, leafHashInto } from '../ledger/hasher.js';
import type { NodeID } from '../ledger/node-id.js';
import type { StoredEvent } from '../domain/event.js';
import { formatIp } from '../domain/ip.js';
import { indexedCopies } from '../store/pending-event.js';
import type { Store, StoredLeaf } from '../store/store.js';
import { startWorker } from '../threads.js';

/**
 * A run of stored leaves, checked: per row its seq, id, recomputed hash and what it claims to be. A clean, complete
 * run (one with a `root`) keeps none of the per-row lists: its root stands for them, and a worker thread sends back
 * only that (cloning three lists of CHUNK_LEAVES values across threads took about 0.27 µs an event, of about 6).
 */
export interface CheckedLeaves {
  /** The seqs of the first and the last row (none: 0 and -1). */
  first: number;
  last: number;
  seqs: number[];
  /** Per row; left empty for a clean run (no anomaly, no gap), where no finding will need them. */
  ids: string[];
  /**
   * For a clean, complete run of CHUNK_LEAVES leaves starting at a multiple of CHUNK_LEAVES: the root of that
   * perfect subtree, so the verifier adds the run to its tree in one step.
   */
  root?: Uint8Array;
  /** Recomputed leaf hashes, HASH_SIZE bytes per row. */
  hashes: Uint8Array;
  /** Per row: 0 intact, 1 altered (hash differs from the recorded one), 2 holds another event's content. */
  flags: number[];
  /** For flag 2: the seq and id the content claims; for flag 3: which indexed copy differs. */
  claims: ({ seq?: number; id?: string; field?: string } | null)[];
  /**
   * `deep` only, for a run whose leaves are intact: the stored interior nodes within it (the complete subtrees of
   * levels 1 to CHUNK_LEVEL) that are not the hash of their leaves, or missing (`missing` says why).
   */
  badNodes?: NodeID[];
  missing?: string;
}

export const INTACT = 0;
export const ALTERED = 1;
export const MOVED = 2;
/** The leaf is intact but the copies searches use (time, action, actor, ip) say otherwise. */
export const MISINDEXED = 3;

/**
 * The top-level `seq` and `id` of a leaf, read without parsing it. Leaves are canonical JSON, so members come in key
 * order: only "time" and "userAgent" (strings, where a quote is always escaped) follow the top-level "seq", which
 * makes it the last `"seq":` in the text; and the top-level "id" directly follows the "context" array, and no array
 * before it (in action, actor or container entities) is followed by an "id" member.
 */
export function leafSeqAndId(leaf: string | Buffer): { seq?: number; id?: string } {
  const text = (from: number, to: number) => (typeof leaf === 'string' ? leaf.slice(from, to) : leaf.toString('utf8', from, to));
  const at = leaf.lastIndexOf('"seq":');
  const seq = at < 0 ? Number.NaN : Number.parseInt(text(at + 6, at + 6 + 17), 10);
  const idAt = leaf.indexOf('],"id":"');
  const idEnd = idAt < 0 ? -1 : leaf.indexOf('"', idAt + 8);
  return { seq: Number.isNaN(seq) ? undefined : seq, id: idEnd < 0 ? undefined : text(idAt + 8, idEnd) };
}

const SEQ_MEMBER = Buffer.from('"seq":');
const ID_MEMBER = Buffer.from('],"id":"');

/**
 * Whether a leaf's own top-level seq and id are these: the same places as leafSeqAndId, found with native byte
 * searches and compared without making strings (this runs for every event of a verification). Event ids are
 * UUIDs Annals assigned (ASCII), so comparing bytes with UTF-16 code units is exact; anything else reads as a
 * mismatch.
 */
function claimsToBe(leaf: Buffer, seq: number, id: string): boolean {
  const at = leaf.lastIndexOf(SEQ_MEMBER);
  if (at < 0) return false;
  let value = 0;
  let i = at + SEQ_MEMBER.length;
  for (let c = leaf[i]; c >= 0x30 && c <= 0x39; c = leaf[++i]) value = value * 10 + (c - 0x30);
  if (value !== seq || i === at + SEQ_MEMBER.length || leaf[i] !== 0x2c) return false;
  const idAt = leaf.indexOf(ID_MEMBER);
  if (idAt < 0) return false;
  const start = idAt + ID_MEMBER.length;
  if (leaf[start + id.length] !== 0x22) return false;
  for (let i = 0; i < id.length; i++) if (leaf[start + i] !== id.charCodeAt(i)) return false;
  return true;
}

/** Leaves per chunk: a power of two, so a clean chunk is one perfect subtree (level CHUNK_LEVEL). */
export const CHUNK_LEVEL = 14;
export const CHUNK_LEAVES = 2 ** CHUNK_LEVEL;

/** The indexed copy that disagrees with the leaf, if any (parses the leaf: `deep` verification only). */
function misindexed(row: StoredLeaf): string | undefined {
  const event = JSON.parse(row.leaf.toString('utf8')) as StoredEvent;
  const want = indexedCopies(event);
  const indexed = row.indexed!;
  const show = (v: unknown) => (v === undefined ? 'none' : v instanceof Uint8Array ? formatIp(v) : String(v));
  const fields: [string, unknown, unknown][] = [
    ['action', indexed.action, want.action], ['actor', indexed.actorId, want.actorId], ['outcome', indexed.outcome, want.outcome],
    ['country', indexed.country, want.country], ['city', indexed.city, want.city],
  ];
  for (const [name, have, should] of fields) {
    if (have !== should) return `${name} '${show(have)}' (the event says '${show(should)}')`;
  }
  const sameIp = indexed.ip === undefined || want.ip === undefined
    ? indexed.ip === want.ip
    : Buffer.from(indexed.ip).equals(Buffer.from(want.ip));
  if (!sameIp) return `ip '${show(indexed.ip)}' (the event says '${show(want.ip)}')`;
  if (indexed.timeMs !== want.timeMs) return `time ${new Date(indexed.timeMs).toISOString()} (the event says ${event.time})`;
  return undefined;
}

/** Whether the HASH_SIZE bytes at hashes[offset] are `hash`. */
function sameHash(hashes: Uint8Array, offset: number, hash: Uint8Array): boolean {
  if (hash.length !== HASH_SIZE) return false;
  for (let i = 0; i < HASH_SIZE; i++) if (hashes[offset + i] !== hash[i]) return false;
  return true;
}

/**
 * Checks rows read for the run starting at `from` (a clean run must start exactly there). `deep` also checks the
 * copies of the event's fields that searches use, which costs a parse per event.
 */
export function checkLeaves(rows: StoredLeaf[], from?: number, deep = false): CheckedLeaves {
  const n = rows.length;
  const first = rows[0]?.seq ?? 0;
  const out: CheckedLeaves = {
    first, last: rows[n - 1]?.seq ?? -1, seqs: new Array(n), ids: new Array(n), hashes: new Uint8Array(n * HASH_SIZE), flags: new Array(n), claims: new Array(n),
  };
  let clean = from !== undefined && first === from;
  for (let i = 0; i < n; i++) {
    const row = rows[i];
    leafHashInto(row.leaf, out.hashes, i * HASH_SIZE);
    out.seqs[i] = row.seq;
    out.ids[i] = row.id;
    let flag = INTACT;
    let claim: CheckedLeaves['claims'][number] = null;
    if (!claimsToBe(row.leaf, row.seq, row.id)) {
      flag = MOVED;
      claim = leafSeqAndId(row.leaf);
    } else if (!sameHash(out.hashes, i * HASH_SIZE, row.leafHash)) {
      flag = ALTERED;
    } else if (deep) {
      const field = misindexed(row);
      if (field !== undefined) {
        flag = MISINDEXED;
        claim = { field };
      }
    }
    out.flags[i] = flag;
    out.claims[i] = claim;
    if (flag !== INTACT || row.seq !== first + i) clean = false;
  }
  if (clean) {
    out.ids = [];
    if (rows.length === CHUNK_LEAVES && first % CHUNK_LEAVES === 0) {
      out.root = perfectSubtreeRoot(out.hashes, CHUNK_LEAVES);
      out.seqs = [];
      out.flags = [];
      out.claims = [];
    }
  }
  return out;
}

/**
 * `deep`: compares the interior nodes stored for the run checked in `checked` (starting at `from`, a multiple of
 * CHUNK_LEAVES) with the nodes its recomputed leaf hashes make. Proofs are built from the stored nodes: one that
 * was altered makes every proof through it fail, though every event is intact. Only for a run of intact,
 * consecutive leaves (anything else is a finding already, and its nodes would differ anyway).
 */
export async function checkNodes(store: Store, org: string, from: number, checked: CheckedLeaves): Promise<void> {
  const n = checked.hashes.length / HASH_SIZE;
  if (!checked.root && (checked.flags.some((f) => f === ALTERED || f === MOVED) || checked.seqs.some((seq, i) => seq !== from + i))) return;
  const ids: NodeID[] = [];
  const want: Buffer[] = [];
  const range = CompactRange.empty();
  for (let i = 0; i < n; i++) {
    range.append(Buffer.from(checked.hashes.subarray(i * HASH_SIZE, (i + 1) * HASH_SIZE)), (id, hash) => {
      if (id.level === 0) return;
      // Within the run, node (level, i) is node (level, from / 2^level + i) of the org's tree.
      ids.push({ level: id.level, index: from / 2 ** id.level + id.index });
      want.push(hash);
    });
  }
  let stored: Buffer[];
  try {
    stored = await store.ledgerNodes(org, ids);
  } catch (error) {
    checked.missing = (error as Error).message;
    return;
  }
  checked.badNodes = ids.filter((_, i) => !stored[i].equals(want[i]));
}

export interface LeafReader {
  /** Checked leaves with seq in [from, to), in chunks, in seq order (`deep`: see checkLeaves). */
  chunks(org: string, from: number, to: number, deep?: boolean): AsyncIterable<CheckedLeaves>;
  close(): Promise<void>;
}


export class InlineLeafReader implements LeafReader {
  readonly #store: Store;

  constructor(store: Store) {
    this.#store = store;
  }

  async *chunks(org: string, from: number, to: number, deep = false): AsyncIterable<CheckedLeaves> {
    for (let at = from; at < to; at += CHUNK_LEAVES) {
      const rows = (await this.#store.readLeaves(org, at, Math.min(CHUNK_LEAVES, to - at), deep)).filter((r) => r.seq < Math.min(at + CHUNK_LEAVES, to));
      const checked = checkLeaves(rows, at, deep);
      if (deep) await checkNodes(this.#store, org, at, checked);
      yield checked;
    }
  }

  async close(): Promise<void> {}
}

/** Chunks checked by worker threads, several in flight, handed back in order. */
export class ParallelLeafReader implements LeafReader {
  readonly #workers: Worker[];
  #next = 0;
  readonly #waiting = new Map<number, { resolve: (c: CheckedLeaves) => void; reject: (e: Error) => void }>();
  /** Resolves once every worker has opened its store connection. */
  readonly ready: Promise<void>;

  constructor(config: AnnalsConfig, threads = Number(process.env.ANNALS_VERIFY_THREADS ?? Math.max(1, Math.min(4, cpus().length)))) {
    const started: Promise<void>[] = [];
    this.#workers = Array.from({ length: threads }, () => {
      const worker = startWorker(new URL('./leaf-worker', import.meta.url), { config });
      started.push(new Promise((resolve, reject) => {
        worker.once('message', () => resolve());
        worker.once('error', reject);
      }));
      worker.on('message', (m: { id: number; checked?: CheckedLeaves; error?: string; ready?: true }) => {
        if (m.ready) return;
        const waiting = this.#waiting.get(m.id);
        this.#waiting.delete(m.id);
        if (m.checked) waiting?.resolve(m.checked);
        else waiting?.reject(new Error(m.error));
      });
      const fail = (error: Error) => {
        for (const w of this.#waiting.values()) w.reject(error);
        this.#waiting.clear();
      };
      worker.on('error', fail);
      worker.on('exit', (code) => fail(new Error(`a verification thread exited (code ${code})`)));
      return worker;
    });
    this.ready = Promise.all(started).then(() => undefined);
    this.ready.catch(() => {});
  }

  #ask(worker: Worker, org: string, from: number, to: number, deep: boolean): Promise<CheckedLeaves> {
    const id = this.#next++;
    return new Promise((resolve, reject) => {
      this.#waiting.set(id, { resolve, reject });
      worker.postMessage({ id, org, from, to, deep });
    });
  }

  async *chunks(org: string, from: number, to: number, deep = false): AsyncIterable<CheckedLeaves> {
    const ahead: Promise<CheckedLeaves>[] = [];
    let at = from;
    let turn = 0;
    const fill = () => {
      while (ahead.length < this.#workers.length * 2 && at < to) {
        const asked = this.#ask(this.#workers[turn++ % this.#workers.length], org, at, Math.min(at + CHUNK_LEAVES, to), deep);
        asked.catch(() => {}); // observed when its turn comes; not an unhandled rejection if iteration stops early
        ahead.push(asked);
        at += CHUNK_LEAVES;
      }
    };
    fill();
    while (ahead.length > 0) {
      const chunk = await ahead.shift()!;
      fill();
      yield chunk;
    }
  }

  async close(): Promise<void> {
    await Promise.all(this.#workers.map((w) => w.terminate()));
  }
}
