// Verifiable exports, and checking them (or one event) offline, with no server: only the export, a signed
// checkpoint and the public key.
//
// A bundle is NDJSON: a header line `{"annalsExport":1,…,"checkpoint":"<signed note>","keys":[…]}`, then every
// event of the log up to the checkpoint as its exact ledger leaf (canonical JSON, so the line's bytes are what was
// hashed), with lines `{"annalsLeafHashes":"<base64 of 32-byte hashes>","from":n}` among them. Those are the
// tree's leaf hashes: authenticated by the signed root, it lets a verifier name exactly which event was modified,
// deleted, inserted or reordered (trailer lines come after every 4096 events, so writing a bundle needs no memory
// that grows with the log). A plain NDJSON export of leaves (no header, no trailer) verifies too, with
// modifications located less precisely.
import { type StoredEvent } from '../domain/event.js';
import { type NoteVerifier, verifyCheckpoint } from '../ledger/checkpoint.js';
import { CompactRange } from '../ledger/compact-range.js';
import { HASH_SIZE, leafHash } from '../ledger/hasher.js';
import { leafText } from '../ledger/leaf.js';
import { verifyInclusion } from '../ledger/verify.js';
import type { Store, StoredCheckpoint } from '../store/store.js';
import type { LedgerService } from './ledger-service.js';
import { leafSeqAndId } from './leaf-reader.js';
import type { Finding, VerifyReport } from './verify-store.js';

export interface BundleHeader {
  annalsExport: 1;
  org: string;
  origin: string;
  treeSize: number;
  checkpoint: string;
  keys: string[];
}

const HASHES_PER_LINE = 4096;

/** The lines of a bundle of the org's log up to `checkpoint` (each without its newline). */
export async function* bundleLines(store: Store, ledger: LedgerService, org: string, checkpoint: StoredCheckpoint): AsyncGenerator<string> {
  const header: BundleHeader = {
    annalsExport: 1, org, origin: ledger.origin(org), treeSize: checkpoint.size, checkpoint: checkpoint.note,
    keys: (await ledger.publicKeys()).map((k) => k.verifierKey),
  };
  yield JSON.stringify(header);
  // Leaf hashes follow the events they cover, HASHES_PER_LINE at a time: nothing grows with the log.
  let hashes: Buffer[] = [];
  let covered = 0;
  for (let from = 0; from < checkpoint.size;) {
    const rows = await store.readLeaves(org, from, Math.min(5000, checkpoint.size - from));
    if (rows.length === 0) break;
    for (const row of rows) {
      yield row.leaf.toString('utf8');
      hashes.push(row.leafHash);
      if (hashes.length === HASHES_PER_LINE) {
        yield JSON.stringify({ annalsLeafHashes: Buffer.concat(hashes).toString('base64'), from: covered });
        covered += hashes.length;
        hashes = [];
      }
    }
    from = rows[rows.length - 1].seq + 1;
  }
  if (hashes.length > 0) yield JSON.stringify({ annalsLeafHashes: Buffer.concat(hashes).toString('base64'), from: covered });
}

export interface OfflineOptions {
  /** The signed checkpoint note; defaults to the bundle header's. */
  checkpoint?: string;
  /** The org the export must be of: the checkpoint's origin must be `…/orgs/<org>`. */
  org?: string;
  /** Keys to trust; when empty, the bundle's own keys are used and the report says so. */
  verifiers: NoteVerifier[];
  parseVerifier: (vkey: string) => NoteVerifier;
}

export interface OfflineReport extends VerifyReport {
  /** Set when the keys came from the bundle itself rather than from the auditor: never reported OK. */
  keysFromBundle: boolean;
  checkpointSize: number;
  /** The signed checkpoint's origin: which log the export was proven against. */
  origin?: string;
}

/** Proves that the lines are exactly the log up to the checkpoint, or names what differs. */
export async function verifyExport(lines: AsyncIterable<string>, options: OfflineOptions): Promise<OfflineReport> {
  const findings: Finding[] = [];
  let header: BundleHeader | undefined;
  const recorded: Buffer[] = [];
  const events: { hash: Buffer; seq?: number; id?: string; line: number }[] = [];
  let n = 0;
  for await (const raw of lines) {
    n++;
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (line.trim() === '') continue;
    if (n === 1 && line.startsWith('{"annalsExport"')) {
      header = JSON.parse(line) as BundleHeader;
      continue;
    }
    if (line.startsWith('{"annalsLeafHashes"')) {
      const { annalsLeafHashes, from } = JSON.parse(line) as { annalsLeafHashes: string; from: number };
      const bytes = Buffer.from(annalsLeafHashes, 'base64');
      if (from !== recorded.length) {
        findings.push({ kind: 'root', detail: `line ${n}: leaf hashes from ${from} where ${recorded.length} was expected: the hash list was altered` });
        continue;
      }
      for (let i = 0; i + HASH_SIZE <= bytes.length; i += HASH_SIZE) recorded.push(bytes.subarray(i, i + HASH_SIZE));
      continue;
    }
    events.push({ hash: leafHash(line), ...leafSeqAndId(line), line: n });
  }
  const keysFromBundle = options.verifiers.length === 0;
  const verifiers = keysFromBundle ? (header?.keys ?? []).map(options.parseVerifier) : options.verifiers;
  const note = options.checkpoint ?? header?.checkpoint;
  const base = { org: header?.org ?? '', events: events.length, checkpoints: note ? 1 : 0, keysFromBundle };
  if (!note) {
    return { ...base, ok: false, checkpointSize: 0, findings: [{ kind: 'checkpoint', detail: 'no checkpoint: give one with --checkpoint, or verify a bundle' }] };
  }
  let signed;
  try {
    signed = verifyCheckpoint(note, verifiers, header?.origin);
  } catch (error) {
    return { ...base, ok: false, checkpointSize: 0, findings: [{ kind: 'checkpoint', detail: `the checkpoint does not verify: ${(error as Error).message}` }] };
  }
  if (options.org !== undefined && !signed.origin.endsWith(`/orgs/${options.org}`)) {
    findings.push({ kind: 'checkpoint', detail: `the checkpoint is for ${signed.origin}, not for organization '${options.org}'` });
  }
  if (keysFromBundle) {
    // Anyone can sign a forged export with a key of their own and ship that key inside it.
    findings.push({ kind: 'checkpoint', detail: 'no trusted key was given (--key): the bundle is only self-consistent, not verified' });
  }
  const size = signed.size;

  // The recorded leaf hashes, if any, are trusted only if they add up to the signed root.
  let trusted: Buffer[] | undefined;
  if (recorded.length === size && rootOf(recorded).equals(signed.rootHash)) trusted = recorded;
  else if (recorded.length > 0) findings.push({ kind: 'root', detail: 'the bundle\'s leaf hash list does not add up to the signed checkpoint: it was altered too' });

  // Each seq's line, when several claim it: with trusted hashes the one the log holds (a forged copy may come
  // first), else the first.
  const owner = new Map<number, number>();
  events.forEach((e, position) => {
    if (e.seq === undefined || e.id === undefined || e.seq >= size) return;
    const held = owner.get(e.seq);
    if (held === undefined || (trusted && !events[held].hash.equals(trusted[e.seq]) && e.hash.equals(trusted[e.seq]))) owner.set(e.seq, position);
  });
  // Where each event claims to be, against where it is.
  const seen = new Map<number, number>();
  events.forEach((e, position) => {
    const where = `line ${e.line}`;
    if (e.seq === undefined || e.id === undefined) {
      findings.push({ kind: 'modified', detail: `${where} is not an Annals event leaf` });
      return;
    }
    if (e.seq >= size) {
      findings.push({ kind: 'inserted', seq: e.seq, id: e.id, detail: `event ${e.id} (${where}) claims seq ${e.seq}, beyond the checkpoint's ${size} events: inserted` });
      return;
    }
    if (owner.get(e.seq) !== position) {
      findings.push({ kind: 'inserted', seq: e.seq, id: e.id, detail: `event ${e.id} (${where}) repeats seq ${e.seq}: inserted` });
      return;
    }
    seen.set(e.seq, position);
    if (trusted && !e.hash.equals(trusted[e.seq])) {
      findings.push({ kind: 'modified', seq: e.seq, id: e.id, detail: `event ${e.id} (seq ${e.seq}, ${where}) was modified: it does not match the log` });
    }
  });
  // Reordered: the fewest events that, moved back, put the rest in order (those off a longest increasing run).
  const placed = [...seen.entries()].sort((a, b) => a[1] - b[1]);
  const inOrder = longestIncreasing(placed.map(([seq]) => seq));
  placed.forEach(([seq, position], i) => {
    if (inOrder.has(i)) return;
    const e = events[position];
    findings.push({ kind: 'reordered', seq, id: e.id, detail: `event ${e.id} (seq ${seq}) is out of order at line ${e.line}` });
  });
  // Missing seqs, as ranges (one finding per gap, however large the checkpoint claims to be).
  let next = 0;
  for (const seq of [...seen.keys(), size].sort((a, b) => a - b)) {
    if (seq > next) {
      findings.push({ kind: 'deleted', seq: next, detail: seq - next === 1
        ? `event seq ${next} is missing: deleted from the export`
        : `events seq ${next} to ${seq - 1} are missing: deleted from the export` });
    }
    next = seq + 1;
  }
  // Finally the proof itself: the lines, in order, are exactly the signed tree.
  const exact = events.length === size && rootOf(events.map((e) => e.hash)).equals(signed.rootHash);
  if (!exact && !findings.some((f) => f.kind !== 'checkpoint')) {
    findings.push({ kind: 'root', detail: 'the events do not add up to the signed checkpoint (an event was modified; a bundle with leaf hashes names it)' });
  }
  findings.sort((a, b) => (a.seq ?? Infinity) - (b.seq ?? Infinity));
  return { ...base, ok: exact && findings.length === 0, checkpointSize: size, origin: signed.origin, findings };
}

/** Indices of one longest strictly increasing subsequence of `values` (patience sorting, O(n log n)). */
export function longestIncreasing(values: number[]): Set<number> {
  const tails: number[] = [];
  const previous = new Array<number>(values.length).fill(-1);
  for (let i = 0; i < values.length; i++) {
    let lo = 0;
    let hi = tails.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (values[tails[mid]] < values[i]) lo = mid + 1;
      else hi = mid;
    }
    if (lo > 0) previous[i] = tails[lo - 1];
    tails[lo] = i;
  }
  const out = new Set<number>();
  for (let i = tails.length > 0 ? tails[tails.length - 1] : -1; i !== -1; i = previous[i]) out.add(i);
  return out;
}

function rootOf(hashes: Buffer[]): Buffer {
  const range = CompactRange.empty();
  for (const h of hashes) range.append(h);
  return range.rootHash();
}

/** An event as the API serves it (the Atlassian envelope) back to the event as stored, whose leaf was hashed. */
export function fromEnvelope(envelope: { id: string; attributes: Record<string, unknown>; message?: unknown }): StoredEvent {
  const event = { ...envelope.attributes, id: envelope.id } as Record<string, unknown>;
  if (envelope.message !== undefined) event.message = envelope.message;
  return event as unknown as StoredEvent;
}

export interface ProofFile {
  leafIndex: number;
  treeSize: number;
  hashes: string[];
  checkpoint?: { note: string };
}

/** Checks one event against an inclusion proof and a signed checkpoint. Throws (with the reason) if it fails. */
export function verifyEventProof(event: StoredEvent, proof: ProofFile, note: string, verifiers: NoteVerifier[], org?: string): { size: number; index: number; origin: string } {
  const signed = verifyCheckpoint(note, verifiers);
  if (org !== undefined && !signed.origin.endsWith(`/orgs/${org}`)) throw new Error(`the checkpoint is for ${signed.origin}, not for organization '${org}'`);
  if (!signed.origin.endsWith(`/orgs/${event.org}`)) throw new Error(`the event belongs to '${event.org}' but the checkpoint is for ${signed.origin}`);
  if (proof.treeSize !== signed.size) throw new Error(`the proof is for a tree of ${proof.treeSize} events, the checkpoint for ${signed.size}`);
  if (event.seq !== proof.leafIndex) throw new Error(`the event is seq ${event.seq} but the proof is for leaf ${proof.leafIndex}`);
  verifyInclusion(proof.leafIndex, proof.treeSize, leafHash(leafText(event)), proof.hashes.map((h) => Buffer.from(h, 'base64')), signed.rootHash);
  return { size: signed.size, index: proof.leafIndex, origin: signed.origin };
}
