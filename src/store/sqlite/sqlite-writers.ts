// Where appends run: on a writer thread (files), or inline on the main connection (`:memory:`, which a second
// connection cannot share). Both run the same SqliteAppender.
import type { Worker } from 'node:worker_threads';
import type Database from 'better-sqlite3';
import { startWorker } from '../../threads.js';
import type { AppendGroup } from '../store.js';
import { SqliteAppender, type WireResult } from './sqlite-append.js';
import type { Synchronous } from './sqlite-connection.js';

export interface Writer {
  append(groups: AppendGroup[]): Promise<WireResult[]>;
  close(): Promise<void>;
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
    const fail = (error: Error) => {
      this.#failed = error;
      for (const w of this.#waiting.values()) w.reject(error);
      this.#waiting.clear();
    };
    this.#worker.on('error', fail);
    this.#worker.on('exit', (code) => fail(new Error(`the store's writer thread exited (code ${code})`)));
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
