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
  /** Commits in progress: at most the store's concurrentAppends. */
  #inFlight = 0;
  /** Woken whenever a commit ends (for drain). */
  #ended: (() => void)[] = [];

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
    while (this.#queue.length > 0 || this.#inFlight > 0 || this.#scheduled) {
      await (this.#inFlight > 0 ? new Promise<void>((r) => this.#ended.push(r)) : new Promise((r) => setImmediate(r)));
    }
  }

  #schedule(): void {
    if (this.#scheduled || this.#inFlight >= this.#store.concurrentAppends) return;
    this.#scheduled = true;
    // setImmediate, not a microtask: lets every request already read from the sockets join this group.
    setImmediate(() => {
      this.#scheduled = false;
      if (this.#queue.length > 0 && this.#inFlight < this.#store.concurrentAppends) this.#start();
    });
  }

  #start(): void {
    this.#inFlight++;
    void this.#commit();
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
    // With room for another commit, what is left of the queue goes at once, beside this one.
    if (this.#queue.length > 0) this.#schedule();
    let results;
    try {
      results = await this.#store.append(batch.map((w) => w.group));
    } catch (error) {
      this.#ending();
      for (const w of batch) w.reject(error as Error);
      return;
    }
    this.#ending();
    results.forEach((result, i) => {
      if (result.ok) batch[i].resolve(result.events);
      else batch[i].reject(result.error);
    });
  }

  /**
   * A commit has landed: hands the store its next commit at once, before the waiters are woken. They run their
   * continuations (parsing and validating the requests behind them) as microtasks: were the next commit started
   * after them, the store would sit idle while they run. Started first, the store commits while the main thread
   * parses: the two overlap. Whatever they submit afterwards finds room or a commit that will take it.
   */
  #ending(): void {
    this.#inFlight--;
    if (this.#queue.length > 0) this.#start();
    for (const wake of this.#ended.splice(0)) wake();
  }
}
