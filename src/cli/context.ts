// What every CLI command shares: opening Annals on the data directory given by the global options.
import { type Command, InvalidArgumentError } from 'commander';
import { type Annals, type AnnalsConfig, openAnnals } from '../annals.js';

export function dataDir(command: Command): string {
  return (command.optsWithGlobals() as { dataDir: string }).dataDir;
}

/** What the global options say about where Annals keeps its data. */
export function storeConfig(command: Command): AnnalsConfig {
  const { dataDir, databaseUrl } = command.optsWithGlobals() as { dataDir: string; databaseUrl?: string };
  return databaseUrl ? { dataDir, databaseUrl } : { dataDir };
}

/** Runs `fn` with Annals open on the command's data directory, and closes it afterwards (even on error). */
export async function withAnnals<T>(command: Command, fn: (annals: Annals) => Promise<T>): Promise<T> {
  const annals = await openAnnals(storeConfig(command));
  try {
    return await fn(annals);
  } finally {
    await annals.close();
  }
}

/**
 * An option's parser for a whole number, of at least `min` when given, written in decimal (`1e6` is a million;
 * `1.5`, `ten`, `0x10` or `12abc` are refused with commander's error, where parseInt would read `1e9` as 1).
 */
export function wholeNumber(min?: number): (value: string) => number {
  const expected = `expected a whole number${min === undefined ? '' : ` of at least ${min}`}`;
  return (value) => {
    const n = DECIMAL.test(value) ? Number(value) : Number.NaN;
    if (!Number.isInteger(n) || (min !== undefined && n < min)) throw new InvalidArgumentError(expected);
    if (!Number.isSafeInteger(n)) throw new InvalidArgumentError(`${expected}, and at most ${Number.MAX_SAFE_INTEGER}`);
    return n;
  };
}

const DECIMAL = /^\s*[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:e[+-]?\d+)?\s*$/i;

/** `a,b` and repeated flags both mean "any of". */
export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, ...value.split(',').map((v) => v.trim()).filter((v) => v !== '')];
}

/** A repeatable option whose values may hold commas (names, places). */
export function repeat(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}
