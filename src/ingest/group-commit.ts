// Group commit: requests that arrive while the store is busy (or within one turn of the event loop) are appended
// together, in one transaction and one fsync. Each request still succeeds or fails on its own, and its promise
// resolves only after the transaction that holds its events has committed.
import type { AppendGroup, AppendedEvent, Store } from '../store/store.js';

interface Waiting {
  group: AppendGroup;
  resolve: (events: AppendedEvent[]) => void;
  reject: (error: Error) => void;
}

export interface GroupCommitOptions {
  /** Upper bound of events in one transaction (a long transaction delays every reader of a single-file store). */
  maxEvents?: number;
}

export class GroupCommitter {
  readonly #store: Store;
  readonly #maxEvents: number;
  #queue: Waiting[] = [];
  #scheduled = false;
  #flushing: Promise<void> | null = null;

  constructor(store: Store, options: GroupCommitOptions = {}) {
    this.#store = store;
    this.#maxEvents = options.maxEvents ?? 10_000;
  }

  submit(group: AppendGroup): Promise<AppendedEvent[]> {
    return new Promise((resolve, reject) => {
      this.#queue.push({ group, resolve, reject });
      this.#schedule();
    });
  }

  /** Resolves once everything submitted so far has been committed (or failed). */
  async drain(): Promise<void> {
    while (this.#queue.length > 0 || this.#flushing || this.#scheduled) {
      await (this.#flushing ?? new Promise((r) => setImmediate(r)));
    }
  }

  #schedule(): void {
    if (this.#scheduled || this.#flushing) return;
    this.#scheduled = true;
    // setImmediate, not a microtask: lets every request already read from the sockets join this group.
    setImmediate(() => {
      this.#scheduled = false;
      this.#flushing = this.#flush().finally(() => {
        this.#flushing = null;
        if (this.#queue.length > 0) this.#schedule();
      });
    });
  }

  async #flush(): Promise<void> {
    let count = 0;
    let take = 0;
    while (take < this.#queue.length && (take === 0 || count + this.#queue[take].group.events.length <= this.#maxEvents)) {
      count += this.#queue[take].group.events.length;
      take++;
    }
    const batch = this.#queue.splice(0, take);
    try {
      const results = await this.#store.append(batch.map((w) => w.group));
      results.forEach((result, i) => {
        if (result.ok) batch[i].resolve(result.events);
        else batch[i].reject(result.error);
      });
    } catch (error) {
      for (const w of batch) w.reject(error as Error);
    }
  }
}
