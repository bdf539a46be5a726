import { Worker } from 'node:worker_threads';
import type { Writer } from './group-commit.ts';
import type { FromWriterThread, ToWriterThread, WriterThreadData } from './heartbeat-thread-protocol.ts';
import type { HeartbeatWrite } from './heartbeats.ts';

/** At most this many items per message, so the thread can start on the first ones while more arrive. */
const MESSAGE_ITEMS = 64;

interface Caller {
  resolve: () => void;
  reject: (err: unknown) => void;
}

/** One message to the thread: the items of one turn of the event loop, and who waits for them. */
interface Sent {
  items: HeartbeatWrite[];
  callers: Caller[];
  /** Settles (never rejects) when the thread has answered, or is gone. */
  answered: Promise<void>;
  answer: (error?: unknown) => void;
}

/**
 * The heartbeat group-commit writer on its own thread, with its own connection to the `file:` database.
 * The event loop keeps answering HTTP (parsing, validating, authenticating) while SQLite commits on the
 * other core. Items written in one turn of the event loop travel as one message; the thread groups the
 * messages that arrive while it commits into one transaction (a `GroupCommitWriter` of its own), and each
 * `write` resolves only after its transaction is durable.
 *
 * If the thread dies, the writes it held are rejected (their requests fail; nothing unwritten is
 * acknowledged) and the next write starts a new thread.
 */
export class HeartbeatWriterThread implements Writer<HeartbeatWrite> {
  readonly #data: WriterThreadData;
  readonly #onFlushed: (items: HeartbeatWrite[]) => void;
  #worker: Promise<Worker> | null = null;
  /** The thread of `#worker`, for ref/unref without waiting. */
  #thread: Worker | null = null;
  #nextId = 1;
  readonly #sent = new Map<number, Sent>();
  #next: { items: HeartbeatWrite[]; callers: Caller[] } | null = null;
  #closed = false;

  /**
   * Starts the thread at once; writes made before it has opened the database wait for it (about 0.4 s to
   * load its modules). `onFlushed` runs on this thread after each durable batch.
   */
  constructor(data: WriterThreadData, onFlushed: (items: HeartbeatWrite[]) => void = () => {}) {
    this.#data = data;
    this.#onFlushed = onFlushed;
    this.#spawn();
  }

  /** Resolves once the thread has opened the database; rejects if it could not. */
  ready(): Promise<void> {
    return (this.#worker ?? this.#spawn()).then(() => {});
  }

  write(item: HeartbeatWrite): Promise<void> {
    if (this.#closed) return Promise.reject(new Error('the heartbeat writer is closed'));
    return new Promise<void>((resolve, reject) => {
      if (!this.#next) {
        this.#next = { items: [], callers: [] };
        setImmediate(() => void this.#send());
      }
      this.#next.items.push(item);
      this.#next.callers.push({ resolve, reject });
      if (this.#next.items.length >= MESSAGE_ITEMS) void this.#send();
    });
  }

  async drain(): Promise<void> {
    while (this.#next || this.#sent.size > 0) {
      if (this.#next) await new Promise<void>((r) => setImmediate(r));
      await Promise.all([...this.#sent.values()].map((s) => s.answered));
    }
  }

  /** Drains, then ends the thread, which closes its connection first. */
  async close(): Promise<void> {
    await this.drain();
    this.#closed = true;
    const worker = await this.#worker?.catch(() => null);
    this.#worker = null;
    if (!worker) return;
    const exited = new Promise<void>((r) => worker.once('exit', () => r()));
    worker.ref();
    worker.postMessage({ type: 'close' } satisfies ToWriterThread);
    await exited;
  }

  /** Ends the thread at once, as a crash would (for tests): the writes it holds are rejected. */
  async terminate(): Promise<void> {
    await this.#thread?.terminate();
  }

  #spawn(): Promise<Worker> {
    const worker = new Worker(new URL('./heartbeat-thread-worker.ts', import.meta.url), {
      workerData: this.#data,
    });
    // An idle thread does not keep the process alive; one holding writes does (see #send / #answer).
    worker.unref();
    this.#thread = worker;
    const started = new Promise<Worker>((resolve, reject) => {
      worker.on('message', (msg: FromWriterThread) => {
        if (msg.type === 'ready') resolve(worker);
        else if (msg.type === 'failed') reject(new Error(`heartbeat writer thread: ${msg.error}`));
        else this.#answer(msg);
      });
      const lost = (err: unknown) => {
        reject(err);
        if (this.#worker === started) {
          this.#worker = null;
          this.#thread = null;
        }
        for (const [id, sent] of this.#sent) {
          this.#sent.delete(id);
          sent.answer(err);
        }
      };
      worker.on('error', lost);
      worker.on('exit', (code) => lost(new Error(`the heartbeat writer thread exited (code ${code})`)));
    });
    started.catch(() => {}); // reported to whoever waits for it: `ready()` or the writes
    this.#worker = started;
    return started;
  }

  async #send(): Promise<void> {
    const next = this.#next;
    this.#next = null;
    if (!next) return;
    const id = this.#nextId++;
    let answer!: (error?: unknown) => void;
    const answered = new Promise<void>((resolve) => {
      answer = (error) => {
        if (error === undefined) for (const c of next.callers) c.resolve();
        else for (const c of next.callers) c.reject(error);
        resolve();
      };
    });
    const sent: Sent = { ...next, answered, answer };
    this.#sent.set(id, sent);
    try {
      const worker = await (this.#worker ?? this.#spawn());
      worker.ref();
      worker.postMessage({ type: 'write', id, items: next.items } satisfies ToWriterThread);
    } catch (err) {
      this.#sent.delete(id);
      answer(err);
    }
  }

  #answer(msg: Extract<FromWriterThread, { type: 'done' }>): void {
    const sent = this.#sent.get(msg.id);
    if (!sent) return;
    this.#sent.delete(msg.id);
    if (this.#sent.size === 0 && !this.#next) this.#thread?.unref();
    if (msg.error !== undefined) {
      sent.answer(new Error(`heartbeat flush failed: ${msg.error}`));
      return;
    }
    sent.answer();
    this.#onFlushed(sent.items);
  }
}
