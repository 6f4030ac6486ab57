// The ledger as a service: signed checkpoints (cut on demand and on a schedule, kept forever) and inclusion and
// consistency proofs read from the store's Merkle nodes. The maths is in src/ledger/; this only fetches and signs.
import { AnnalsError } from '../domain/errors.js';
import { formatCheckpoint, noteSigners, parseVerifierKey, signNote } from '../ledger/checkpoint.js';
import { foldRoot } from '../ledger/compact-range.js';
import { consistencyNodes, inclusionNodes, rehash } from '../ledger/proof.js';
import type { PublishedKey, Store, StoredCheckpoint } from '../store/store.js';
import type { PublicKeyInfo, SigningKeys } from './signing-keys.js';

/** A checkpoint key as the ledger lists it. */
export interface LogKey extends PublicKeyInfo {
  /** Kept in the store, so every node lists it (a key is published by the first checkpoint it signs). */
  published: boolean;
}

export interface InclusionProof {
  leafIndex: number;
  treeSize: number;
  leafHash: Buffer;
  hashes: Buffer[];
}

export class LedgerService {
  readonly #store: Store;
  readonly keys: SigningKeys;
  readonly logName: string;
  /** This node's keys known to be in the store's published keys. */
  readonly #published = new Set<string>();

  constructor(store: Store, keys: SigningKeys, logName: string) {
    this.#store = store;
    this.keys = keys;
    this.logName = logName;
  }

  /** The checkpoint origin of an org's log: `<log name>/orgs/<org>`. */
  origin(org: string): string {
    return `${this.logName}/orgs/${org}`;
  }

  /** Signs and keeps a checkpoint of the org's tree as it is now (or returns the one kept at this size). */
  async cut(org: string): Promise<StoredCheckpoint> {
    const head = await this.#store.ledgerHead(org);
    const existing = await this.#store.getCheckpoint(org, head.size);
    if (existing) return existing;
    await this.#holdsLogKey(org);
    await this.#publish();
    const timeMs = Date.now();
    const rootHash = foldRoot(head.hashes);
    const body = formatCheckpoint({ origin: this.origin(org), size: head.size, rootHash, extensions: [`time ${timeMs}`] });
    const checkpoint = { size: head.size, rootHash, timeMs, note: signNote(body, [this.keys.signer]) };
    if (await this.#store.addCheckpoint(org, checkpoint)) return checkpoint;
    // Another node cut this size first: theirs is the one kept.
    return (await this.#store.getCheckpoint(org, head.size))!;
  }

  /**
   * Refuses to sign unless this node holds a key that signed the org's latest checkpoint (it signs with its newest,
   * which after `rotate-key` is newer than that one), or, for an org's first checkpoint, one of the published keys
   * (when any is). A node started with a `keys/` of its own (not copied from the others, or lost) would otherwise
   * sign part of the log with a key no auditor was given.
   */
  async #holdsLogKey(org: string): Promise<void> {
    const mine = this.#keyNames();
    const latest = await this.#store.latestCheckpoint(org);
    if (latest) {
      const signers = noteSigners(latest.note);
      if (signers.some((s) => mine.has(s))) return;
      throw keyMissing(`the latest checkpoint of '${org}' (size ${latest.size}) is signed by ${signers.join(', ') || 'no key'}`);
    }
    const published = (await this.#store.publishedKeys()).map((k) => keyName(k.verifierKey));
    if (published.some((k) => mine.has(k))) return;
    if (published.length > 0) throw keyMissing(`the log's published keys are ${published.join(', ')}`);
    // Nothing published yet (a new store, or one from before keys were published): the keys that signed the
    // latest checkpoint of each org are the log's, if there are any.
    const signers = new Set<string>();
    for (const o of await this.#store.listOrgs()) {
      const last = await this.#store.latestCheckpoint(o.id);
      if (last) for (const s of noteSigners(last.note)) signers.add(s);
    }
    if (signers.size === 0 || [...signers].some((s) => mine.has(s))) return;
    throw keyMissing(`the log's checkpoints are signed by ${[...signers].join(', ')}`);
  }

  /** This node's keys, by `<name>+<key ID>` (as signature lines and published keys name them). */
  #keyNames(): Set<string> {
    return new Set(this.keys.list().map((k) => keyName(k.verifierKey)));
  }

  /** Publishes this node's keys (they belong to the log: it may sign) that it has not published yet. */
  async #publish(): Promise<void> {
    const fresh = this.keys.list().filter((k) => !this.#published.has(k.verifierKey));
    if (fresh.length === 0) return;
    await this.#store.publishKeys(fresh.map((k) => ({ verifierKey: k.verifierKey, createdMs: Date.parse(k.createdAt) })));
    for (const k of fresh) this.#published.add(k.verifierKey);
  }

  /**
   * Makes a new signing key (SigningKeys.rotate); published at once if this node's keys are the log's (one of them
   * is published already), otherwise by the first checkpoint it signs.
   */
  async rotateKey(): Promise<PublicKeyInfo> {
    // Read first: a store that cannot answer leaves the keys as they were.
    const published = (await this.#store.publishedKeys()).map((k) => keyName(k.verifierKey));
    const mine = this.#keyNames();
    const key = this.keys.rotate();
    if (published.some((k) => mine.has(k))) await this.#publish();
    return key;
  }

  /**
   * The checkpoint keys an auditor may need: every published key (any node's), and this node's own; `active` marks
   * the one this node signs with.
   */
  async publicKeys(): Promise<LogKey[]> {
    const keys = new Map<string, LogKey>(this.keys.list().map((k) => [k.verifierKey, { ...k, published: false }]));
    for (const p of await this.#store.publishedKeys()) {
      const mine = keys.get(p.verifierKey);
      if (mine) mine.published = true;
      else keys.set(p.verifierKey, publishedKeyInfo(p));
    }
    return [...keys.values()].sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.verifierKey.localeCompare(b.verifierKey));
  }

  /**
   * Cuts a checkpoint for every org whose log grew since its latest one. One that cannot be cut (this node lacks
   * its key, say) does not hold up the others: the first such error is thrown after all were tried.
   */
  async cutAll(): Promise<number> {
    let cut = 0;
    let failed: unknown;
    for (const org of await this.#store.listOrgs()) {
      try {
        const [latest, size] = await Promise.all([this.#store.latestCheckpoint(org.id), this.#store.countEvents(org.id)]);
        if (latest?.size === size) continue;
        await this.cut(org.id);
        cut++;
      } catch (error) {
        failed ??= error;
      }
    }
    if (failed !== undefined) throw failed;
    return cut;
  }

  async latest(org: string): Promise<StoredCheckpoint> {
    return (await this.#store.latestCheckpoint(org)) ?? this.cut(org);
  }

  async at(org: string, size: number): Promise<StoredCheckpoint> {
    const checkpoint = await this.#store.getCheckpoint(org, size);
    if (!checkpoint) {
      throw new AnnalsError('ANN_ERR_CHECKPOINT_NOT_FOUND', `no checkpoint of size ${size} was cut for organization '${org}'`, { parameter: 'size' });
    }
    return checkpoint;
  }

  /** Proof that leaf `index` is in the org's tree of `treeSize` leaves. */
  async inclusion(org: string, index: number, treeSize: number): Promise<InclusionProof> {
    await this.#inRange(org, treeSize, 'treeSize');
    if (!Number.isSafeInteger(index) || index < 0 || index >= treeSize) {
      throw new AnnalsError('ANN_ERR_PROOF_RANGE', `leaf ${index} is not in a tree of ${treeSize} leaves`, { parameter: 'index' });
    }
    const nodes = inclusionNodes(index, treeSize);
    const [leafHash, ...fetched] = await this.#store.ledgerNodes(org, [{ level: 0, index }, ...nodes.ids]);
    return { leafIndex: index, treeSize, leafHash, hashes: rehash(nodes, fetched) };
  }

  /** Proof that the org's tree of `from` leaves is a prefix of its tree of `to` leaves. */
  async consistency(org: string, from: number, to: number): Promise<Buffer[]> {
    await this.#inRange(org, to, 'to');
    if (!Number.isSafeInteger(from) || from < 0 || from > to) {
      throw new AnnalsError('ANN_ERR_PROOF_RANGE', `from (${from}) must be between 0 and to (${to})`, { parameter: 'from' });
    }
    const nodes = consistencyNodes(from, to);
    return rehash(nodes, await this.#store.ledgerNodes(org, nodes.ids));
  }

  async #inRange(org: string, size: number, parameter: string): Promise<void> {
    const head = await this.#store.countEvents(org);
    if (!Number.isSafeInteger(size) || size < 1 || size > head) {
      throw new AnnalsError('ANN_ERR_PROOF_RANGE', `${parameter} must be from 1 to the log's size (${head})`, { parameter });
    }
  }
}

function keyMissing(why: string): AnnalsError {
  return new AnnalsError('ANN_ERR_CHECKPOINT_KEY', `${why}, which this node's keys/ does not hold: `
    + `replace its keys/ with a copy of a signing node's, so that every node signs with the log's key`);
}

/** `<name>+<key ID>` of a verifier key, as signature lines name it (noteSigners). */
function keyName(verifierKey: string): string {
  return verifierKey.split('+', 2).join('+');
}

function publishedKeyInfo(p: PublishedKey): LogKey {
  const verifier = parseVerifierKey(p.verifierKey);
  return {
    name: verifier.name, keyId: verifier.keyHash.toString('hex'), verifierKey: p.verifierKey,
    createdAt: new Date(p.createdMs).toISOString(), active: false, published: true,
  };
}
