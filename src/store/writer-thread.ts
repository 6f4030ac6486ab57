// Where a store's appends run: on a writer thread of their own (so sequencing, hashing and index work use a second
// core while the main thread parses, validates and answers requests), or inline on the main thread. The writer
// side of each adapter is a worker module (sqlite/sqlite-writer.ts, postgres/postgres-writer.ts) that calls
// serveWrites. Groups and results cross the thread boundary in columns (wire-columns.ts), errors as plain data
// (WireResult).
import diagnostics_channel from 'node:diagnostics_channel';
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

/**
 * Where a writer thread's stops and restarts are told (node:diagnostics_channel): every app built by buildApp logs
 * them. A channel rather than a logger, so that the stores need none.
 */
export const writerThreadChannel = diagnostics_channel.channel('annals:writer-thread');

export type WriterThreadEvent =
  | { event: 'stopped'; cause: Error; restartInMs: number }
  | { event: 'restarted' };

/** How long a stopped writer thread waits before it is started again: doubling from the first, up to the last. */
export const RESTART_DELAY_MS = { first: 250, most: 30_000 };

/**
 * Appends on a worker thread running `module` (a URL without extension, see startWorker) with `workerData`. If the
 * thread stops (an uncaught error, running out of memory), the appends it had in hand are refused with a 503 (they
 * may or may not have committed: a retry with the same Idempotency-Key stores each event once), appends are refused
 * until a new thread, started on the same module after a delay, says it is ready; the delay doubles while threads
 * keep stopping without an append going through. Every append reads the log's head inside its own transaction, so a
 * new thread goes on where the committed log ends.
 */
export class ThreadWriter implements Writer {
  readonly #module: URL;
  readonly #workerData: unknown;
  #worker!: Worker;
  /** The current thread's end, once it stops or is told to close. */
  #ended: Promise<unknown> = Promise.resolve();
  readonly #waiting = new Map<number, { resolve: (r: WireResult[]) => void; reject: (e: Error) => void }>();
  #next = 0;
  #failed: Error | null = null;
  readonly #delays: { first: number; most: number };
  #delayMs: number;
  #restart: NodeJS.Timeout | undefined;
  #closing = false;
  #closed: Promise<void> | undefined;

  /** `delays`: how long to wait before starting a stopped thread again (see RESTART_DELAY_MS). */
  constructor(module: URL, workerData: unknown, delays = RESTART_DELAY_MS) {
    this.#module = module;
    this.#workerData = workerData;
    this.#delays = delays;
    this.#delayMs = delays.first;
    // The first thread takes appends at once (they wait in its queue while it starts); a restarted one once ready.
    // A first thread that cannot be started at all fails the store's opening.
    this.#watch(startWorker(module, workerData));
  }

  /** Starts a thread again; one that cannot be started counts as one that stopped. */
  #restartThread(): void {
    let worker: Worker;
    try {
      worker = startWorker(this.#module, this.#workerData);
    } catch (error) {
      this.#stopped(error instanceof Error ? error : new Error(String(error)));
      return;
    }
    this.#watch(worker);
  }

  #watch(worker: Worker): void {
    this.#worker = worker;
    worker.on('message', (message: ResultMessage | { ready: true }) => {
      if (worker !== this.#worker) return;
      if ('ready' in message) {
        if (this.#failed && !this.#closing) {
          this.#failed = null;
          writerThreadChannel.publish({ event: 'restarted' } satisfies WriterThreadEvent);
        }
        return;
      }
      const waiting = this.#waiting.get(message.id);
      this.#waiting.delete(message.id);
      if (!waiting) return;
      // An append went through: the thread works, and the next stop starts over from the first delay.
      if (message.results.some((r) => r.ok)) this.#delayMs = this.#delays.first;
      waiting.resolve(message.results.map((r): WireResult => (r.ok ? { ok: true, events: appendedFromColumns(r.events) } : r)));
    });
    let stopped = false;
    const stop = (cause: Error) => {
      if (stopped) return;
      stopped = true;
      // After an 'error' the thread may still be unwinding: make sure it is gone before another one is started.
      this.#ended = worker.terminate();
      this.#stopped(cause);
    };
    worker.on('error', stop);
    worker.on('exit', (code) => stop(new Error(`exit code ${code}`)));
  }

  /** The current thread stopped (or could not be started): refuse what it had, and start another one later. */
  #stopped(cause: Error): void {
    if (this.#closing) {
      // Closing ends the thread, having let it finish its appends; anything still waiting is refused, and no new
      // thread is started.
      this.#refuseWaiting(unavailableForNow(`the store closed while appending (${cause.message})`, cause));
      return;
    }
    const delayMs = this.#delayMs;
    // Retry-After: when the new thread should be taking appends (it starts after the delay, then opens the store).
    const error = unavailableForNow(`the store's writer thread stopped (${cause.message}); it is being started again`, cause,
      Math.ceil(delayMs / 1000) + 1);
    this.#failed = error;
    this.#refuseWaiting(error);
    writerThreadChannel.publish({ event: 'stopped', cause, restartInMs: delayMs } satisfies WriterThreadEvent);
    this.#restart = setTimeout(() => {
      this.#restart = undefined;
      // Appends stay refused until the new thread says it is ready (see serveWrites).
      this.#restartThread();
    }, delayMs);
    this.#delayMs = Math.min(delayMs * 2, this.#delays.most);
  }

  /** Refuses every append the thread had in hand. */
  #refuseWaiting(error: Error): void {
    for (const w of this.#waiting.values()) w.reject(error);
    this.#waiting.clear();
  }

  /** Why appends are refused, while the writer thread is down. */
  get failure(): Error | null {
    return this.#failed;
  }

  append(groups: AppendGroup[]): Promise<WireResult[]> {
    if (this.#closing) return Promise.reject(unavailableForNow('the store is closing'));
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
    if (this.#failed) {
      // Down: the stopped thread may still be ending, and a new one may be starting (not ready yet): end both.
      await Promise.all([this.#ended, this.#worker.terminate()]);
      return;
    }
    const exited = new Promise<void>((resolve) => this.#worker.once('exit', () => resolve()));
    this.#worker.postMessage({ close: true });
    await exited;
  }
}

/**
 * The worker side, called by the worker module once it has opened what it appends with: `{ ready: true }` out
 * first, then `{ id, groups }` in, `{ id, results }` out, appends handled as they come (an asynchronous `append` may
 * have several in progress); `{ close: true }` waits for them, then calls `close` and ends the thread.
 */
export function serveWrites(append: (groups: AppendGroup[]) => WireResult[] | Promise<WireResult[]>, close: () => void | Promise<void>): void {
  const port = parentPort!;
  // The module has opened what it appends with (it calls this last): a restarted thread may now take appends.
  port.postMessage({ ready: true });
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
