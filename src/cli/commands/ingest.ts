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
    const all = parseJson(readFileSync(file, 'utf8'), 'the file');
    if (!Array.isArray(all)) throw new AnnalsError('ANN_ERR_EVENT_INVALID', 'the file must hold a JSON array or NDJSON');
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
      item = parseJson(line, `line ${n}`);
    } catch (error) {
      // Not NDJSON from its first line on: it may be one event written over several lines.
      const one = events === 1 ? oneObject(file) : undefined;
      if (one === undefined) throw error;
      yield [one];
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

/** The file's content when the whole of it is one JSON object, else undefined. */
function oneObject(file: string): object | undefined {
  try {
    const value: unknown = JSON.parse(readFileSync(file, 'utf8'));
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

/** The first non-blank character of a file, read from its first 4 KiB. */
function firstCharacter(file: string): string {
  const fd = openSync(file, 'r');
  try {
    const buffer = Buffer.alloc(4096);
    return buffer.toString('utf8', 0, readSync(fd, buffer, 0, buffer.length, 0)).trimStart().slice(0, 1);
  } finally {
    closeSync(fd);
  }
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
 * conflicting key in between, a full disk) can stop the second midway; the error then says how far it got.
 */
export async function ingestFile(annals: Annals, org: string, file: string): Promise<{ stored: number; duplicates: number }> {
  if (!(await annals.store.getOrg(org))) {
    throw new AnnalsError('ANN_ERR_ORG_NOT_FOUND', `organization '${org}' does not exist (create it with: annals orgs create ${org})`);
  }
  let total = 0;
  /** Each idempotency key of the file: the first event (1-based) that has it, and its fingerprint. */
  const keys = new Map<string, { event: number; fingerprint: Buffer }>();
  for await (const batch of batches(file)) {
    let pending;
    try {
      pending = await annals.ingest.prepare(org, batch);
    } catch (error) {
      throw inFile(error, total);
    }
    pending.forEach((p, i) => {
      if (p.idempotencyKey === undefined || p.fingerprint === undefined) return;
      const fingerprint = Buffer.from(p.fingerprint);
      const first = keys.get(p.idempotencyKey);
      if (first === undefined) keys.set(p.idempotencyKey, { event: total + i + 1, fingerprint });
      else if (!first.fingerprint.equals(fingerprint)) throw conflict(total + i + 1, p.idempotencyKey, `event ${first.event} of the file`);
    });
    total += batch.length;
  }
  const names = [...keys.keys()];
  for (let i = 0; i < names.length; i += BATCH) {
    for (const [key, stored] of await annals.store.fingerprints(org, names.slice(i, i + BATCH))) {
      const mine = keys.get(key)!;
      if (!mine.fingerprint.equals(stored)) throw conflict(mine.event, key, 'an event already stored');
    }
  }
  const bar = progress(`ingest ${file}`, total);
  let stored = 0;
  let duplicates = 0;
  let done = 0;
  try {
    for await (const batch of batches(file)) {
      let appended;
      try {
        appended = await annals.ingest.ingest(org, batch);
      } catch (error) {
        const reason = inFile(error, done);
        throw new AnnalsError(reason instanceof AnnalsError ? reason.code : 'ANN_ERR_INTERNAL',
          `${(reason as Error).message} (events 1 to ${done} of the file were stored before this; events ${done + 1} on were not)`,
          { ...(reason instanceof AnnalsError ? reason.details : {}), storedEvents: done });
      }
      for (const e of appended) if (e.duplicate) duplicates++; else stored++;
      done += batch.length;
      bar.increment(batch.length);
    }
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
