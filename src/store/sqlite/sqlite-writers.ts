// Where appends run: on a writer thread (files), or inline on the main connection (`:memory:`, which a second
// connection cannot share). Both run the same SqliteAppender.
import type { Worker } from 'node:worker_threads';
import type Database from 'better-sqlite3';
import { AnnalsError } from '../../domain/errors.js';
import { startWorker } from '../../threads.js';
import type { AppendGroup } from '../store.js';
import { SqliteAppender, type WireResult } from './sqlite-append.js';
import type { Synchronous } from './sqlite-connection.js';

export interface Writer {
  append(groups: AppendGroup[]): Promise<WireResult[]>;
  close(): Promise<void>;
  /** Why appends are refused, if they are. */
  readonly failure: Error | null;
}

export class InlineWriter implements Writer {
  readonly #appender: SqliteAppender;

  constructor(db: Database.Database, ledger: boolean) {
    this.#appender = new SqliteAppender(db, { ledger });
  }

  async append(groups: AppendGroup[]): Promise<WireResult[]> {
    return this.#appender.append(groups);
  }

  async close(): Promise<void> {}

  readonly failure = null;
}

export class ThreadWriter implements Writer {
  readonly #worker: Worker;
  readonly #waiting = new Map<number, { resolve: (r: WireResult[]) => void; reject: (e: Error) => void }>();
  #next = 0;
  #failed: Error | null = null;

  constructor(path: string, synchronous: Synchronous, ledger: boolean) {
    this.#worker = startWorker(new URL('./sqlite-writer', import.meta.url), { path, synchronous, ledger });
    this.#worker.on('message', (message: { id: number; results: WireResult[] }) => {
      const waiting = this.#waiting.get(message.id);
      this.#waiting.delete(message.id);
      waiting?.resolve(message.results);
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
      this.#waiting.set(id, { resolve, reject });
      this.#worker.postMessage({ id, groups });
    });
  }

  async close(): Promise<void> {
    if (this.#failed) return;
    const exited = new Promise<void>((resolve) => this.#worker.once('exit', () => resolve()));
    this.#worker.postMessage({ close: true });
    await exited;
  }
}
