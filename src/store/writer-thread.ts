// Where a store's appends run: on a writer thread of their own (so sequencing, hashing and index work use a second
// core while the main thread parses, validates and answers requests), or inline on the main thread. The writer
// side of each adapter is a worker module (sqlite/sqlite-writer.ts, postgres/postgres-writer.ts) that calls
// serveWrites. Groups and results cross the thread boundary in columns (wire-columns.ts), errors as plain data
// (WireResult).
import { parentPort, type Worker } from 'node:worker_threads';
import { AnnalsError } from '../domain/errors.js';
import { startWorker } from '../threads.js';
import type { AppendedEvent, AppendGroup, AppendResult } from './store.js';
import { type AppendedColumns, appendedFromColumns, appendedToColumns, fromColumns, type GroupColumns, toColumns } from './wire-columns.js';

/** An append result as it crosses threads: errors as plain data, rebuilt into AnnalsError by the caller. */
export type WireResult =
  | { ok: true; events: AppendedEvent[] }
  | { ok: false; error: WireError };

interface WireError { code?: string; message: string; details?: Record<string, unknown> }

export function toWire(error: unknown): WireError {
  if (error instanceof AnnalsError) return { code: error.code, message: error.message, details: error.details };
  return { message: error instanceof Error ? error.message : String(error) };
}

/** Rebuilds a WireResult's error on the caller's side. */
export function fromWire(error: WireError): Error {
  if (error.code) return new AnnalsError(error.code as never, error.message, error.details ?? {});
  return new Error(error.message);
}

export const toWireResults = (results: AppendResult[]): WireResult[] => results.map((r) => (r.ok ? r : { ok: false, error: toWire(r.error) }));

export interface Writer {
  append(groups: AppendGroup[]): Promise<WireResult[]>;
  close(): Promise<void>;
  /** Why appends are refused, if they are. */
  readonly failure: Error | null;
}

/** Appends on the main thread (for `:memory:`, which a second connection cannot share, and read-mostly uses). */
export class InlineWriter implements Writer {
  readonly failure = null;
  constructor(readonly append: (groups: AppendGroup[]) => Promise<WireResult[]>, readonly close: () => Promise<void> = async () => {}) {}
}

/** What crosses between ThreadWriter and serveWrites: groups and results in columns (wire-columns.ts). */
interface AppendMessage { id: number; groups: GroupColumns[] }
type ColumnResult = { ok: true; events: AppendedColumns } | { ok: false; error: WireError };
interface ResultMessage { id: number; results: ColumnResult[] }

/** Appends on a worker thread running `module` (a URL without extension, see startWorker) with `workerData`. */
export class ThreadWriter implements Writer {
  readonly #worker: Worker;
  readonly #waiting = new Map<number, { resolve: (r: WireResult[]) => void; reject: (e: Error) => void }>();
  #next = 0;
  #failed: Error | null = null;

  constructor(module: URL, workerData: unknown) {
    this.#worker = startWorker(module, workerData);
    this.#worker.on('message', (message: ResultMessage) => {
      const waiting = this.#waiting.get(message.id);
      this.#waiting.delete(message.id);
      waiting?.resolve(message.results.map((r): WireResult => (r.ok ? { ok: true, events: appendedFromColumns(r.events) } : r)));
    });
    const fail = (cause: Error) => {
      const error = new AnnalsError('ANN_ERR_SERVICE_UNAVAILABLE',
        `the store's writer thread stopped (${cause.message}); nothing more is acknowledged until Annals restarts`, {}, { cause });
      this.#failed ??= error;
      for (const w of this.#waiting.values()) w.reject(error);
      this.#waiting.clear();
    };
    this.#worker.on('error', fail);
    this.#worker.on('exit', (code) => fail(new Error(`exit code ${code}`)));
  }

  /** Why appends are refused, if the writer thread has stopped. */
  get failure(): Error | null {
    return this.#failed;
  }

  append(groups: AppendGroup[]): Promise<WireResult[]> {
    if (this.#failed) return Promise.reject(this.#failed);
    return new Promise((resolve, reject) => {
      const id = this.#next++;
      const message: AppendMessage = { id, groups: groups.map(toColumns) };
      this.#waiting.set(id, { resolve, reject });
      this.#worker.postMessage(message);
    });
  }

  async close(): Promise<void> {
    if (this.#failed) return;
    const exited = new Promise<void>((resolve) => this.#worker.once('exit', () => resolve()));
    this.#worker.postMessage({ close: true });
    await exited;
  }
}

/**
 * The worker side: `{ id, groups }` in, `{ id, results }` out, appends handled as they come (an asynchronous
 * `append` may have several in progress); `{ close: true }` waits for them, then calls `close` and ends the thread.
 */
export function serveWrites(append: (groups: AppendGroup[]) => WireResult[] | Promise<WireResult[]>, close: () => void | Promise<void>): void {
  const port = parentPort!;
  const pending = new Set<Promise<void>>();
  port.on('message', (message: AppendMessage | { close: true }) => {
    if ('close' in message) {
      void Promise.all(pending).then(close).then(() => port.close());
      return;
    }
    const groups = message.groups.map(fromColumns);
    const done: Promise<void> = Promise.resolve(append(groups))
      .catch((error: unknown) => groups.map((): WireResult => ({ ok: false, error: toWire(error) })))
      .then((results) => {
        const reply: ResultMessage = { id: message.id, results: results.map((r): ColumnResult => (r.ok ? { ok: true, events: appendedToColumns(r.events) } : r)) };
        port.postMessage(reply);
      })
      .finally(() => pending.delete(done));
    pending.add(done);
  });
}
