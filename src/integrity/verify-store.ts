// `annals verify` against the store: recompute every leaf and every checkpointed root from the stored events, check
// every checkpoint's signature and the consistency of consecutive checkpoints, and name what does not add up.
import { HASH_SIZE, leafHash, nodeHash } from '../ledger/hasher.js';
import { verifyCheckpoint, type NoteVerifier } from '../ledger/checkpoint.js';
import { CompactRange, perfectSubtrees } from '../ledger/compact-range.js';
import { coverage, type NodeID, parentOf } from '../ledger/node-id.js';
import { verifyConsistency } from '../ledger/verify.js';
import type { Store, StoredCheckpoint } from '../store/store.js';
import type { LedgerService } from './ledger-service.js';
import {
  ALTERED, CHUNK_LEVEL, checkLeaves, InlineLeafReader, type LeafReader, leafSeqAndId, MISINDEXED, MOVED,
} from './leaf-reader.js';

export type FindingKind = 'modified' | 'deleted' | 'inserted' | 'reordered' | 'checkpoint' | 'root' | 'node';

export interface Finding {
  kind: FindingKind;
  /** The event's position in the log, when the finding is about one event. */
  seq?: number;
  id?: string;
  detail: string;
}

export interface VerifyReport {
  ok: boolean;
  org: string;
  events: number;
  checkpoints: number;
  findings: Finding[];
}

const PAGE = 5000;

export interface VerifyOptions {
  /** Reads and checks the stored leaves (default: inline on this thread). */
  reader?: LeafReader;
  /**
   * Also check the copies of each event's fields that searches use (time, action, actor, ip, country, city, outcome;
   * one parse per event), the store's entity index and rollup counts, and the interior Merkle nodes proofs are
   * built from. (The full-text index is contentless: it holds nothing to check against.)
   */
  deep?: boolean;
  progress?: (done: number, total: number) => void;
}

export async function verifyStore(
  store: Store, ledger: LedgerService, org: string, verifiers: readonly NoteVerifier[], options: VerifyOptions = {},
): Promise<VerifyReport> {
  const reader = options.reader ?? new InlineLeafReader(store);
  const progress = options.progress ?? (() => {});
  const findings: Finding[] = [];
  const origin = ledger.origin(org);

  // 1. Every checkpoint: its signature, its origin, and that it says what the store says it says. Read before the
  // head: the server may go on appending and cutting while this runs, and every checkpoint read now was cut from
  // a tree no larger than the head read next.
  const checkpoints: StoredCheckpoint[] = [];
  for (let from = 0; ;) {
    const page = await store.listCheckpoints(org, from, 1000);
    checkpoints.push(...page);
    if (page.length < 1000) break;
    from = page[page.length - 1].size + 1;
  }
  const head = await store.ledgerHead(org);
  const trusted: StoredCheckpoint[] = [];
  for (const c of checkpoints) {
    try {
      const signed = verifyCheckpoint(c.note, verifiers, origin);
      if (signed.size !== c.size || !signed.rootHash.equals(c.rootHash)) {
        findings.push({ kind: 'checkpoint', detail: `the checkpoint kept at size ${c.size} does not match its signed note (size ${signed.size})` });
      }
      if (signed.size > head.size) {
        findings.push({ kind: 'deleted', seq: head.size, detail: `a signed checkpoint covers ${signed.size} events but the log holds ${head.size}: `
          + `events seq ${head.size} to ${signed.size - 1} were removed` });
      }
      trusted.push({ ...c, size: signed.size, rootHash: signed.rootHash });
    } catch (error) {
      findings.push({ kind: 'checkpoint', detail: `the checkpoint at size ${c.size} does not verify: ${(error as Error).message}` });
    }
  }
  // 2. Consecutive checkpoints: each tree is a prefix of the next (proof from the stored nodes).
  for (let i = 1; i < trusted.length; i++) {
    const [a, b] = [trusted[i - 1], trusted[i]];
    if (b.size > head.size) continue;
    try {
      verifyConsistency(a.size, b.size, await ledger.consistency(org, a.size, b.size), a.rootHash, b.rootHash);
    } catch (error) {
      findings.push({ kind: 'checkpoint', detail: `checkpoints ${a.size} and ${b.size} are not consistent: ${(error as Error).message}` });
    }
  }

  // 3. Every stored event, in order: its leaf against its recorded hash, its place, and the roots it adds up to.
  const range = CompactRange.empty();
  // deep: the nodes above a chunk (whose own nodes the reader checks), as the rebuilt tree completes them.
  const upper: { ids: NodeID[]; hashes: Buffer[] } = { ids: [], hashes: [] };
  const visitUpper = options.deep ? (id: NodeID, hash: Buffer) => {
    if (id.level > CHUNK_LEVEL) {
      upper.ids.push(id);
      upper.hashes.push(hash);
    }
  } : undefined;
  let cp = 0;
  while (cp < trusted.length && trusted[cp].size === 0) cp++;
  let expected = 0;
  let lastGood = 0;
  /** Events stored at one place holding the content of another: named after the loop, runs of them as one move. */
  const moved: Moved[] = [];
  /** deep: stored nodes that differ from the rebuilt tree's, named after the loop (see nodeFindings). */
  const badNodes: NodeID[] = [];
  /** Findings about the search copies of intact events: they leave the tree as it is. */
  const indexOnly = new Set<Finding>();
  /** Whether a finding says events are not where they should be, or not their own (the tree rebuilt from them differs). */
  const aboutEvents = (f: Finding) => f.kind !== 'node' && f.kind !== 'checkpoint' && !indexOnly.has(f);
  /** Checks every signed checkpoint of this size against the tree rebuilt so far. */
  const checkpointsAt = async (size: number) => {
    while (cp < trusted.length && trusted[cp].size === size) {
      // A root covers every event before it: one already named explains a mismatch.
      const explained = findings.some((f) => aboutEvents(f) && f.seq !== undefined && f.seq < size) || moved.some((m) => m.seq < size);
      if (!explained && !range.rootHash().equals(trusted[cp].rootHash)) {
        const located = await locate(store, org, lastGood, size);
        findings.push(...(located.length > 0 ? located : [{ kind: 'root' as const, detail: `the events up to seq ${size - 1} do not add up to the signed checkpoint of size ${size}` }]));
      }
      lastGood = size;
      cp++;
    }
  };
  for await (const chunk of reader.chunks(org, 0, head.size, options.deep)) {
    const { first, last } = chunk;
    for (const id of chunk.badNodes ?? []) badNodes.push(id);
    if (chunk.missing !== undefined) {
      findings.push({ kind: 'node', seq: first, detail: `the Merkle nodes stored for events seq ${first} to ${last} cannot all be read (${chunk.missing}): proofs through them fail` });
    }
    // A clean chunk with no checkpoint strictly inside it joins the tree as one subtree.
    if (chunk.root && range.size === first && expected === first
      && !(cp < trusted.length && trusted[cp].size > first && trusted[cp].size <= last)) {
      range.appendSubtree(CHUNK_LEVEL, Buffer.from(chunk.root), visitUpper);
      expected = last + 1;
      await checkpointsAt(range.size);
      progress(Math.min(expected, head.size), head.size);
      continue;
    }
    if (chunk.root) {
      // A checkpoint falls inside: the leaf hashes are needed after all.
      const rows = await store.readLeaves(org, first, last - first + 1, options.deep);
      Object.assign(chunk, checkLeaves(rows, undefined, options.deep), { root: undefined });
    }
    for (let i = 0; i < chunk.seqs.length; i++) {
      const seq = chunk.seqs[i];
      const id = chunk.ids[i];
      if (seq > expected) {
        findings.push({ kind: 'deleted', seq: expected, detail: seq - expected === 1
          ? `event seq ${expected} is missing (deleted); the next stored event is ${id}`
          : `events seq ${expected} to ${seq - 1} are missing (deleted); the next stored event is ${id}` });
      }
      const hash = Buffer.from(chunk.hashes.buffer, chunk.hashes.byteOffset + i * HASH_SIZE, HASH_SIZE);
      if (chunk.flags[i] === MOVED) {
        moved.push({ seq, id, claim: chunk.claims[i]! });
      } else if (chunk.flags[i] === MISINDEXED) {
        const finding: Finding = { kind: 'modified', seq, id, detail: `event ${id} (seq ${seq}) is intact but its search index copy was altered: ${chunk.claims[i]!.field}; searches would hide or misattribute it` };
        findings.push(finding);
        indexOnly.add(finding);
      } else if (chunk.flags[i] === ALTERED) {
        findings.push({ kind: 'modified', seq, id, detail: `event ${id} (seq ${seq}) was altered: its content no longer matches the hash recorded when it was appended` });
      }
      if (range.size === seq) range.append(hash, visitUpper);
      expected = seq + 1;
      await checkpointsAt(range.size);
    }
    progress(Math.min(expected, head.size), head.size);
  }
  // Rows stored beyond the tree were never appended by Annals. (The tree may have grown while this ran: only rows
  // beyond its size now count.)
  const now = await store.countEvents(org);
  for (let from = now; ;) {
    const rows = await store.readLeaves(org, from, PAGE);
    for (const row of rows) {
      const claim = leafSeqAndId(row.leaf);
      const last = moved[moved.length - 1];
      if (last && last.seq === row.seq - 1 && claim.seq !== undefined && claim.seq !== row.seq
        && last.claim.seq !== undefined && last.seq - last.claim.seq === row.seq - claim.seq) {
        // The end of a run of events moved later: one stored here because an event was inserted before them.
        moved.push({ seq: row.seq, id: row.id, claim });
        continue;
      }
      findings.push({ kind: 'inserted', seq: row.seq, id: row.id, detail: `event ${row.id} at seq ${row.seq} lies beyond the ledger's ${now} events: it was inserted behind Annals' back` });
    }
    if (rows.length < PAGE) break;
    from = rows[rows.length - 1].seq + 1;
  }
  const runs = runsOf(moved);
  findings.push(...await movedFindings(store, org, moved, runs, now));
  // A gap closed by moving the later events down leaves the end of the log empty: that run names it already.
  const closed = runs.find((r) => r.shift !== undefined && r.shift < 0 && r.events.length >= RUN && r.b === expected - 1 && head.size - expected === -r.shift);
  if (expected < head.size && !closed) {
    findings.push({ kind: 'deleted', seq: expected, detail: `events seq ${expected} to ${head.size - 1} are missing (deleted)` });
  }
  if (options.deep) {
    // The nodes, when every event is where it should be and its own (else the tree differs for that reason).
    if (!findings.some(aboutEvents) && range.size === head.size) {
      try {
        const stored = upper.ids.length === 0 ? [] : await store.ledgerNodes(org, upper.ids);
        upper.ids.forEach((id, i) => { if (!stored[i].equals(upper.hashes[i])) badNodes.push(id); });
      } catch (error) {
        findings.push({ kind: 'node', detail: `the Merkle nodes stored above level ${CHUNK_LEVEL} cannot all be read (${(error as Error).message}): proofs through them fail` });
      }
      findings.push(...nodeFindings(badNodes, head.size, range.hashes, recordedRange(head)?.hashes));
    }
    // The store's other indexes (entities, rollup counts) against the leaves.
    for (const f of await store.checkIndexes(org, 100)) {
      const finding: Finding = { kind: 'modified', ...f };
      findings.push(finding);
      indexOnly.add(finding);
    }
  }
  if (!findings.some(aboutEvents) && range.size === head.size) {
    const recorded = recordedRange(head)?.rootHash();
    if (recorded === undefined) {
      findings.push({ kind: 'root', detail: `the tree Annals recorded (${head.hashes.length} subtree hashes) cannot be one of ${head.size} events: `
        + `the log's size was changed behind its back${trusted.length > 0 ? `; events from seq ${trusted[trusted.length - 1].size} on are signed by no checkpoint` : ''}` });
    } else if (!range.rootHash().equals(recorded)) {
      findings.push({ kind: 'root', detail: 'the stored events do not add up to the tree Annals recorded: the log was changed behind its back' });
    }
  }
  findings.sort((a, b) => (a.seq ?? Infinity) - (b.seq ?? Infinity));
  return { ok: findings.length === 0, org, events: head.size, checkpoints: checkpoints.length, findings };
}

/** The tree the store recorded (its size and compact range), or undefined if they do not fit together. */
function recordedRange(head: { size: number; hashes: Buffer[] }): CompactRange | undefined {
  try {
    return CompactRange.from(head.size, head.hashes);
  } catch {
    return undefined;
  }
}

interface Moved { seq: number; id: string; claim: { seq?: number; id?: string } }

/** Consecutive moved events, each holding the content of the place `shift` before it (undefined: no seq claimed). */
interface Run { a: number; b: number; shift?: number; events: Moved[] }

/** Runs shorter than this are named event by event (two swapped events are two runs of one). */
const RUN = 2;

function runsOf(moved: Moved[]): Run[] {
  const runs: Run[] = [];
  for (let i = 0; i < moved.length;) {
    const shift = moved[i].claim.seq === undefined ? undefined : moved[i].seq - moved[i].claim.seq!;
    let j = i + 1;
    while (shift !== undefined && j < moved.length && moved[j].seq === moved[j - 1].seq + 1 && moved[j].claim.seq !== undefined
      && moved[j].seq - moved[j].claim.seq! === shift) j++;
    runs.push({ a: moved[i].seq, b: moved[j - 1].seq, shift, events: moved.slice(i, j) });
    i = j;
  }
  return runs;
}

/**
 * Names the moved events. A run of consecutive events each holding the content of the place `shift` before it is
 * one move: the events before it were inserted (shift > 0; named, unless they are themselves moved events), or
 * deleted and the gap closed (shift < 0; unless their content is found moved elsewhere). Anything else (swaps, an
 * event moved alone) is named event by event.
 */
async function movedFindings(store: Store, org: string, moved: Moved[], runs: Run[], size: number): Promise<Finding[]> {
  const out: Finding[] = [];
  const at = new Set(moved.map((m) => m.seq));
  const claimed = new Set(moved.map((m) => m.claim.seq));
  const places = (n: number) => (n === 1 ? 'one place' : `${n} places`);
  for (const { a, b, shift, events } of runs) {
    if (shift === undefined || events.length < RUN) {
      for (const m of events) {
        out.push({ kind: 'reordered', seq: m.seq, id: m.id, detail: `the event stored at seq ${m.seq} (id ${m.id}) holds the content of seq ${m.claim.seq ?? '?'} (id ${m.claim.id ?? '?'}): events were swapped or moved` });
      }
      continue;
    }
    const [from, to] = [a - shift, b - shift];
    if (shift > 0) {
      out.push({ kind: 'reordered', seq: a, detail: `the ${b - a + 1} events stored at seq ${a} to ${b} hold the content of seq ${from} to ${to}: they were moved ${places(shift)} later` });
      const before = await store.readLeaves(org, a - shift, Math.min(shift, 1000));
      for (const row of before.filter((r) => r.seq < a && !at.has(r.seq))) {
        out.push({ kind: 'inserted', seq: row.seq, id: row.id, detail: `event ${row.id} at seq ${row.seq} was inserted behind Annals' back, moving the ${b - a + 1} events after it ${places(shift)} later` });
      }
      // The content the run would have pushed on, if it is stored nowhere (an insert can hide a delete).
      const lost = Array.from({ length: Math.min(shift, 1000) }, (_, k) => to + 1 + k).filter((seq) => seq < size && !claimed.has(seq));
      if (lost.length > 0) {
        out.push({ kind: 'deleted', seq: lost[0], detail: `${lost.length === 1 ? `the event of seq ${lost[0]} is` : `the events of seq ${lost[0]} to ${lost[lost.length - 1]} are`} `
          + `stored nowhere: deleted behind Annals' back` });
      }
    } else {
      const gone = Array.from({ length: Math.min(-shift, 1000) }, (_, k) => a + k).filter((seq) => !claimed.has(seq));
      if (gone.length > 0) {
        out.push({ kind: 'deleted', seq: gone[0], detail: `${gone.length === 1 ? `the event of seq ${gone[0]} was` : `the events of seq ${gone[0]} to ${gone[gone.length - 1]} were`} `
          + `deleted behind Annals' back, and the ${b - a + 1} after ${gone.length === 1 ? 'it' : 'them'} moved ${places(-shift)} earlier to close the gap` });
      }
      out.push({ kind: 'reordered', seq: a, detail: `the ${b - a + 1} events stored at seq ${a} to ${b} hold the content of seq ${from} to ${to}: they were moved ${places(-shift)} earlier` });
    }
  }
  return out;
}

/**
 * The stored nodes that were altered, among `bad`, those that differ from the tree rebuilt from the events (whose
 * perfect subtrees are `rebuilt`; `recorded` are those the store recorded as it appended). An altered node differs
 * alone: its parent, built from its true children, is the stored one. A node whose parent differs too lies on a path
 * up from an event rewritten together with its recorded hash, which the checkpoints (or the recorded root) name.
 * At the top, a node differs alone when the rebuilt subtree is the one recorded.
 */
function nodeFindings(bad: readonly NodeID[], size: number, rebuilt: readonly Buffer[], recorded: readonly Buffer[] | undefined): Finding[] {
  const key = (id: NodeID) => `${id.level}/${id.index}`;
  const differs = new Set(bad.map(key));
  const tops = new Map(perfectSubtrees(0, size).map((id, j) => [key(id), j]));
  const altered = bad.filter((id) => {
    const top = tops.get(key(id));
    if (top !== undefined) return recorded !== undefined && rebuilt[top].equals(recorded[top]);
    return !differs.has(key(parentOf(id)));
  });
  return altered.map((id) => {
    const [begin, end] = coverage(id);
    return {
      kind: 'node', seq: begin,
      detail: `the Merkle node stored at level ${id.level}, index ${id.index} is not the hash of events seq ${begin} to ${end - 1}, `
        + 'which are intact: proofs through it fail to verify',
    };
  });
}

/**
 * Finds the events in [begin, end) whose leaf hashes were rewritten together with their content (so each event
 * matches its own hash) by comparing recomputed parent nodes with the interior nodes stored when they were appended.
 */
async function locate(store: Store, org: string, begin: number, end: number): Promise<Finding[]> {
  const found: Finding[] = [];
  const start = begin - (begin % 2);
  for (let from = start; from < end - 1;) {
    const rows = await store.readLeaves(org, from, PAGE);
    const pairs = Math.floor(rows.length / 2);
    if (pairs === 0) break;
    const ids = Array.from({ length: pairs }, (_, i) => ({ level: 1, index: rows[2 * i].seq / 2 }))
      .filter((id) => 2 * id.index + 2 <= end);
    const stored = await store.ledgerNodes(org, ids).catch(() => []);
    ids.forEach((_, i) => {
      const [left, right] = [rows[2 * i], rows[2 * i + 1]];
      if (stored[i] && !nodeHash(leafHash(left.leaf), leafHash(right.leaf)).equals(stored[i])) {
        for (const row of [left, right]) {
          found.push({ kind: 'modified', seq: row.seq, id: row.id, detail: `event ${row.id} (seq ${row.seq}) or its neighbour seq ${row.seq % 2 === 0 ? row.seq + 1 : row.seq - 1} was altered together with its recorded hash` });
        }
      }
    });
    from = rows[2 * pairs - 1].seq + 1;
    if (rows.length < PAGE) break;
  }
  return found;
}
