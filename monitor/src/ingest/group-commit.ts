/**
 * Group commit: writes that arrive while a flush is running wait for the next one, which commits them
 * all in one transaction. Each `write` resolves only after the batch holding its item is durable, so
 * the caller may acknowledge it; a failed flush rejects every item of its batch and nothing else.
 *
 * Under no load a write is flushed at once (no timer adds latency); under load one fsync serves many
 * requests.
 */
export interface Writer<T> {
  write(item: T): Promise<void>;
  /** Resolves when everything written so far is flushed. */
  drain(): Promise<void>;
}

interface Pending<T> {
  item: T;
  resolve: () => void;
  reject: (err: unknown) => void;
}

export class GroupCommitWriter<T> implements Writer<T> {
  readonly #flush: (items: T[]) => Promise<void>;
  readonly #maxBatch: number;
  #pending: Pending<T>[] = [];
  #running: Promise<void> | null = null;

  constructor(flush: (items: T[]) => Promise<void>, options: { maxBatch?: number } = {}) {
    this.#flush = flush;
    this.#maxBatch = options.maxBatch ?? 1_000;
  }

  write(item: T): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.#pending.push({ item, resolve, reject });
      this.#running ??= this.#run();
    });
  }

  async drain(): Promise<void> {
    while (this.#running) await this.#running;
  }

  async #run(): Promise<void> {
    // Let requests that arrived in the same turn of the event loop join the first batch.
    await new Promise<void>((r) => setImmediate(r));
    while (this.#pending.length > 0) {
      const batch = this.#pending.splice(0, this.#maxBatch);
      try {
        await this.#flush(batch.map((p) => p.item));
        for (const p of batch) p.resolve();
      } catch (err) {
        for (const p of batch) p.reject(err);
      }
      if (this.#pending.length > 0) await new Promise<void>((r) => setImmediate(r));
    }
    this.#running = null;
  }
}

/** No grouping: each write is its own flush. For runtimes where a promise must not outlive its request. */
export class DirectWriter<T> implements Writer<T> {
  readonly #flush: (items: T[]) => Promise<void>;
  constructor(flush: (items: T[]) => Promise<void>) {
    this.#flush = flush;
  }
  write(item: T): Promise<void> {
    return this.#flush([item]);
  }
  async drain(): Promise<void> {}
}
