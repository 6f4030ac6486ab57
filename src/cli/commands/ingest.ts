import { closeSync, createReadStream, openSync, readFileSync, readSync, statSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { Command } from 'commander';
import type { Annals } from '../../annals.js';
import { AnnalsError } from '../../domain/errors.js';
import { withAnnals } from '../context.js';
import { progress } from '../progress.js';

const BATCH = 1000;

/** The file's events in batches: a JSON array, one JSON object (over any number of lines), or NDJSON read line by line. */
async function* batches(file: string): AsyncGenerator<unknown[]> {
  if (firstCharacter(file) === '[') {
    const all = parseJson(withoutBom(readFileSync(file, 'utf8')), 'the file');
    if (!Array.isArray(all)) throw new AnnalsError('ANN_ERR_EVENT_INVALID', 'the file must hold a JSON array or NDJSON');
    if (all.length === 0) throw new AnnalsError('ANN_ERR_EVENT_BATCH_EMPTY', 'the file holds no events');
    for (let i = 0; i < all.length; i += BATCH) yield all.slice(i, i + BATCH);
    return;
  }
  let batch: unknown[] = [];
  let n = 0;
  let events = 0;
  for await (const line of createInterface({ input: createReadStream(file, 'utf8'), crlfDelay: Infinity })) {
    n++;
    if (line.trim() === '') continue;
    events++;
    let item: unknown;
    try {
      item = parseJson(n === 1 ? withoutBom(line) : line, `line ${n}`);
    } catch (error) {
      // Not NDJSON from its first line on: it may be one event written over several lines.
      if (events !== 1 || !line.trimStart().startsWith('{')) throw error;
      yield [oneEvent(file, error as AnnalsError)];
      return;
    }
    batch.push(item);
    if (batch.length === BATCH) {
      yield batch;
      batch = [];
    }
  }
  if (batch.length > 0) yield batch;
  if (events === 0) throw new AnnalsError('ANN_ERR_EVENT_BATCH_EMPTY', 'the file holds no events');
}

/** Most bytes a file of one event, written over several lines, may have (an event is at most 64 KiB as JSON). */
const ONE_EVENT_BYTES = 1 << 20;

/**
 * The event a file holds when the whole of it is one JSON object. `lineError` is what reading it as NDJSON said: the
 * answer when the file is too large to be one event, or when its first line alone is not just `{` (then it looked
 * like NDJSON).
 */
function oneEvent(file: string, lineError: AnnalsError): object {
  if (statSync(file).size > ONE_EVENT_BYTES) throw lineError;
  const text = withoutBom(readFileSync(file, 'utf8'));
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    if (text.trimStart().split('\n', 1)[0].trim() !== '{') throw lineError;
    throw new AnnalsError('ANN_ERR_REQUEST_MALFORMED_JSON', `the file is not valid JSON: ${(error as Error).message}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw lineError;
  return value;
}

/** The first non-blank character of a file, read from its first 4 KiB (trimStart drops a byte order mark too). */
function firstCharacter(file: string): string {
  const fd = openSync(file, 'r');
  try {
    const buffer = Buffer.alloc(4096);
    return buffer.toString('utf8', 0, readSync(fd, buffer, 0, buffer.length, 0)).trimStart().slice(0, 1);
  } finally {
    closeSync(fd);
  }
}

/** A file's text without the byte order mark an editor may have put first (JSON.parse refuses one; the API takes it). */
function withoutBom(text: string): string {
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

function parseJson(text: string, where: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new AnnalsError('ANN_ERR_REQUEST_MALFORMED_JSON', `${where} is not valid JSON: ${(error as Error).message}`);
  }
}

/** An error about the file's event `n` (1-based), for an error that names an item of its batch. */
function inFile(error: unknown, first: number): unknown {
  if (error instanceof AnnalsError && typeof error.details.index === 'number') {
    return new AnnalsError(error.code, `event ${first + error.details.index + 1} of the file: ${error.message.replace(/^item \d+(: |, )/, '')}`, error.details);
  }
  return error;
}

/**
 * Two passes. The first validates every event and checks every idempotency key, against the rest of the file and
 * against the store: nothing is written if any event is bad or reuses a key for other content. The second stores
 * the events in batches of 1000, each all-or-nothing. Only what the first pass cannot see (a producer storing a
 * conflicting key in between, a full disk, the file changed) can stop the second midway; the error then says how
 * far it got. Memory: the first pass keeps about a hundred bytes per idempotency key of the file.
 */
export async function ingestFile(annals: Annals, org: string, file: string): Promise<{ stored: number; duplicates: number }> {
  if (!(await annals.store.getOrg(org))) {
    throw new AnnalsError('ANN_ERR_ORG_NOT_FOUND', `organization '${org}' does not exist (create it with: annals orgs create ${org})`);
  }
  let total = 0;
  /** Each idempotency key of the file: the first event (1-based) that has it, and 64 bits of its fingerprint. */
  const keys = new Map<string, { event: number; fingerprint: string }>();
  const short = (fingerprint: Uint8Array) => Buffer.from(fingerprint.buffer, fingerprint.byteOffset, 8).toString('hex');
  for await (const batch of batches(file)) {
    let pending;
    try {
      pending = await annals.ingest.prepare(org, batch);
    } catch (error) {
      throw inFile(error, total);
    }
    const fresh: string[] = [];
    pending.forEach((p, i) => {
      if (p.idempotencyKey === undefined || p.fingerprint === undefined) return;
      const fingerprint = short(p.fingerprint);
      const first = keys.get(p.idempotencyKey);
      if (first === undefined) {
        keys.set(p.idempotencyKey, { event: total + i + 1, fingerprint });
        fresh.push(p.idempotencyKey);
      } else if (first.fingerprint !== fingerprint) {
        throw conflict(total + i + 1, p.idempotencyKey, `event ${first.event} of the file`);
      }
    });
    for (const [key, stored] of fresh.length === 0 ? [] : await annals.store.fingerprints(org, fresh)) {
      const mine = keys.get(key)!;
      if (mine.fingerprint !== short(stored)) throw conflict(mine.event, key, 'an event already stored');
    }
    total += batch.length;
  }
  keys.clear();
  const bar = progress(`ingest ${file}`, total);
  let stored = 0;
  let duplicates = 0;
  let done = 0;
  try {
    for await (const batch of batches(file)) {
      const appended = await annals.ingest.ingest(org, batch);
      for (const e of appended) if (e.duplicate) duplicates++; else stored++;
      done += batch.length;
      bar.increment(batch.length);
    }
  } catch (error) {
    const reason = inFile(error, done);
    const sofar = done === 0 ? 'nothing of the file was stored' : `events 1 to ${done} of the file were stored (or were there already); events ${done + 1} on were not`;
    throw new AnnalsError(reason instanceof AnnalsError ? reason.code : 'ANN_ERR_INTERNAL', `${(reason as Error).message} (${sofar})`,
      { ...(reason instanceof AnnalsError ? reason.details : {}), storedEvents: done }, { cause: error });
  } finally {
    bar.stop();
  }
  return { stored, duplicates };
}

function conflict(event: number, key: string, other: string): AnnalsError {
  return new AnnalsError('ANN_ERR_IDEMPOTENCY_CONFLICT',
    `event ${event} of the file: idempotency key '${key}' is also used by ${other}, for a different event`, { idempotencyKey: key });
}

export function ingestCommand(): Command {
  return new Command('ingest')
    .description('record the events in a JSON file (an array or one event) or an NDJSON file; nothing is written if any event is invalid or reuses an idempotency key for other content')
    .argument('<file>', 'the file to read')
    .requiredOption('--org <id>', 'the organization')
    .action(async (file: string, opts: { org: string }, command: Command) => {
      statSync(file);
      await withAnnals(command, async (annals) => {
        const { stored, duplicates } = await ingestFile(annals, opts.org, file);
        process.stdout.write(`stored ${stored} events${duplicates ? ` (${duplicates} were already stored)` : ''}\n`);
      });
    });
}
