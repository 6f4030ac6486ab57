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
  /**
   * Upper bound of events in one commit (default 2000). Small enough that while one commit runs on the writer,
   * the requests behind it are being parsed and validated (the two overlap on two cores); large enough that the
   * fsync is shared by many events.
   */
  maxEvents?: number;
}

export class GroupCommitter {
  readonly #store: Store;
  readonly #maxEvents: number;
  #queue: Waiting[] = [];
  #scheduled = false;
  /** Commits in progress (at most the store's concurrentAppends). */
  readonly #flushing = new Set<Promise<void>>();

  constructor(store: Store, options: GroupCommitOptions = {}) {
    this.#store = store;
    this.#maxEvents = options.maxEvents ?? 2_000;
  }

  submit(group: AppendGroup): Promise<AppendedEvent[]> {
    return new Promise((resolve, reject) => {
      this.#queue.push({ group, resolve, reject });
      this.#schedule();
    });
  }

  /** Resolves once everything submitted so far has been committed (or failed). */
  async drain(): Promise<void> {
    while (this.#queue.length > 0 || this.#flushing.size > 0 || this.#scheduled) {
      await (this.#flushing.size > 0 ? Promise.race(this.#flushing) : new Promise((r) => setImmediate(r)));
    }
  }

  #schedule(): void {
    if (this.#scheduled || this.#flushing.size >= this.#store.concurrentAppends) return;
    this.#scheduled = true;
    // setImmediate, not a microtask: lets every request already read from the sockets join this group.
    setImmediate(() => {
      this.#scheduled = false;
      if (this.#queue.length > 0 && this.#flushing.size < this.#store.concurrentAppends) this.#start();
    });
  }

  #start(): void {
    const commit: Promise<void> = this.#commit().finally(() => this.#flushing.delete(commit));
    this.#flushing.add(commit);
  }

  /** Commits what is queued; when it lands, starts the next commit (if any) before waking its waiters. */
  async #commit(): Promise<void> {
    let count = 0;
    let take = 0;
    while (take < this.#queue.length && (take === 0 || count + this.#queue[take].group.events.length <= this.#maxEvents)) {
      count += this.#queue[take].group.events.length;
      take++;
    }
    const batch = this.#queue.splice(0, take);
    // With room for another commit, what is left of the queue starts at once, beside this one.
    if (this.#queue.length > 0) this.#schedule();
    let results;
    try {
      results = await this.#store.append(batch.map((w) => w.group));
    } catch (error) {
      this.#next();
      for (const w of batch) w.reject(error as Error);
      return;
    }
    this.#next();
    results.forEach((result, i) => {
      if (result.ok) batch[i].resolve(result.events);
      else batch[i].reject(result.error);
    });
  }

  /**
   * Hands the store its next commit at once. The waiters woken next run their continuations (parsing and validating
   * the requests behind them) as microtasks: were the next commit started after them, the store would sit idle while
   * they run. Started first, the store commits while the main thread parses: the two overlap.
   */
  #next(): void {
    // This commit still counts as in progress (it is removed once its waiters are woken): room for one more.
    if (this.#queue.length > 0 && this.#flushing.size <= this.#store.concurrentAppends) this.#start();
  }
}
