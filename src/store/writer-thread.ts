// Where a store's appends run: on a writer thread of their own (so sequencing, hashing and index work use a second
// core while the main thread parses, validates and answers requests), or inline on the main thread. The writer
// side of each adapter is a worker module (sqlite/sqlite-writer.ts, postgres/postgres-writer.ts) that calls
// serveWrites. Groups and results cross the thread boundary in columns (wire-columns.ts), errors as plain data
// (WireResult).
import { parentPort, type Worker } from 'node:worker_threads';
import { AnnalsError, unavailableForNow } from '../domain/errors.js';
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

/** How long a stopped writer thread waits before it is started again: doubling from the first, up to the last. */
export const RESTART_DELAY_MS = { first: 250, most: 30_000 };

/**
 * Appends on a worker thread running `module` (a URL without extension, see startWorker) with `workerData`. If the
 * thread stops (an uncaught error, running out of memory), the appends it had in hand are refused with a 503 (they
 * may or may not have committed: a retry with the same Idempotency-Key stores each event once), appends are refused
 * while it is down, and a new thread is started on the same module, after a delay that doubles while threads keep
 * stopping without completing an append. Every append reads the log's head inside its own transaction, so a new
 * thread goes on where the committed log ends.
 */
export class ThreadWriter implements Writer {
  readonly #module: URL;
  readonly #workerData: unknown;
  #worker!: Worker;
  readonly #waiting = new Map<number, { resolve: (r: WireResult[]) => void; reject: (e: Error) => void }>();
  #next = 0;
  #failed: Error | null = null;
  #delayMs = RESTART_DELAY_MS.first;
  #restart: NodeJS.Timeout | undefined;
  #closing = false;
  #closed: Promise<void> | undefined;

  constructor(module: URL, workerData: unknown) {
    this.#module = module;
    this.#workerData = workerData;
    this.#start();
  }

  #start(): void {
    const worker = startWorker(this.#module, this.#workerData);
    this.#worker = worker;
    worker.on('message', (message: ResultMessage) => {
      const waiting = this.#waiting.get(message.id);
      this.#waiting.delete(message.id);
      // An append went through: the thread works, and the next stop starts over from the first delay.
      this.#delayMs = RESTART_DELAY_MS.first;
      waiting?.resolve(message.results.map((r): WireResult => (r.ok ? { ok: true, events: appendedFromColumns(r.events) } : r)));
    });
    let stopped = false;
    const stop = (cause: Error) => {
      if (stopped) return;
      stopped = true;
      const error = unavailableForNow(`the store's writer thread stopped (${cause.message}); it is being started again`, cause);
      for (const w of this.#waiting.values()) w.reject(error);
      this.#waiting.clear();
      // Closing ends the thread (having let it finish its appends): it is not started again.
      if (this.#closing) return;
      this.#failed = error;
      // An 'error' is followed by 'exit': the thread is gone either way.
      void worker.terminate();
      this.#restart = setTimeout(() => {
        this.#restart = undefined;
        this.#failed = null;
        this.#start();
      }, this.#delayMs);
      this.#delayMs = Math.min(this.#delayMs * 2, RESTART_DELAY_MS.most);
    };
    worker.on('error', stop);
    worker.on('exit', (code) => stop(new Error(`exit code ${code}`)));
  }

  /** Why appends are refused, while the writer thread is down. */
  get failure(): Error | null {
    return this.#failed;
  }

  append(groups: AppendGroup[]): Promise<WireResult[]> {
    if (this.#closing) return Promise.reject(new AnnalsError('ANN_ERR_SERVICE_UNAVAILABLE', 'the store is closing'));
    if (this.#failed) return Promise.reject(this.#failed);
    return new Promise((resolve, reject) => {
      const id = this.#next++;
      const message: AppendMessage = { id, groups: groups.map(toColumns) };
      this.#waiting.set(id, { resolve, reject });
      this.#worker.postMessage(message);
    });
  }

  /** Lets the thread finish the appends it has, then ends it; a stopped thread is not started again. */
  close(): Promise<void> {
    this.#closed ??= this.#close();
    return this.#closed;
  }

  async #close(): Promise<void> {
    this.#closing = true;
    clearTimeout(this.#restart);
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
