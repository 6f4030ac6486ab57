// COPY … FROM STDIN in text format (pg-copy-streams): the append path's bulk load, a row per line.
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { PoolClient } from 'pg';
import { from as copyFrom } from 'pg-copy-streams';

export type CopyValue = string | number | Buffer | null;

const ESCAPES: Record<string, string> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' };

/** One value in COPY's text format: \N for NULL, bytea as \x hex, text with backslash, tab, newline and CR escaped. */
function field(v: CopyValue): string {
  if (v === null) return '\\N';
  if (typeof v === 'number') return String(v);
  if (Buffer.isBuffer(v)) return `\\\\x${v.toString('hex')}`;
  return /[\\\t\n\r]/.test(v) ? v.replace(/[\\\t\n\r]/g, (c) => ESCAPES[c]) : v;
}

/** One row as a line of COPY text. */
export function copyLine(values: readonly CopyValue[]): string {
  let line = field(values[0]);
  for (let i = 1; i < values.length; i++) line += `\t${field(values[i])}`;
  return `${line}\n`;
}

/** Runs `COPY <target> FROM STDIN` on `client` with `lines` (each from copyLine). */
export async function copyLines(client: PoolClient, target: string, lines: readonly string[]): Promise<void> {
  await pipeline(Readable.from([lines.join('')]), client.query(copyFrom(`COPY ${target} FROM STDIN`)));
}
