import { closeSync, createReadStream, openSync, readFileSync, readSync, statSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { Command } from 'commander';
import type { Annals } from '../../annals.js';
import { AnnalsError } from '../../domain/errors.js';
import { withAnnals } from '../context.js';
import { progress } from '../progress.js';

const BATCH = 1000;

/** The file's events in batches: a JSON array (or one object), or NDJSON read line by line. */
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
    batch.push(parseJson(line, `line ${n}`));
    if (batch.length === BATCH) {
      yield batch;
      batch = [];
    }
  }
  if (batch.length > 0) yield batch;
  if (events === 0) throw new AnnalsError('ANN_ERR_EVENT_BATCH_EMPTY', 'the file holds no events');
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

/**
 * Two passes: first every event is validated (nothing is written if any is bad), then the events are stored in
 * batches of 1000, each batch all-or-nothing.
 */
export async function ingestFile(annals: Annals, org: string, file: string): Promise<{ stored: number; duplicates: number }> {
  if (!(await annals.store.getOrg(org))) {
    throw new AnnalsError('ANN_ERR_ORG_NOT_FOUND', `organization '${org}' does not exist (create it with: annals orgs create ${org})`);
  }
  let total = 0;
  for await (const batch of batches(file)) {
    try {
      await annals.ingest.prepare(org, batch);
    } catch (error) {
      if (error instanceof AnnalsError && typeof error.details.index === 'number') {
        throw new AnnalsError(error.code, `event ${total + error.details.index + 1} of the file: ${error.message.replace(/^item \d+(: |, )/, '')}`, error.details);
      }
      throw error;
    }
    total += batch.length;
  }
  const bar = progress(`ingest ${file}`, total);
  let stored = 0;
  let duplicates = 0;
  for await (const batch of batches(file)) {
    const appended = await annals.ingest.ingest(org, batch);
    for (const e of appended) if (e.duplicate) duplicates++; else stored++;
    bar.increment(batch.length);
  }
  bar.stop();
  return { stored, duplicates };
}

export function ingestCommand(): Command {
  return new Command('ingest')
    .description('record the events in a JSON (array) or NDJSON file; nothing is written if any event is invalid')
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
