/**
 * Received SMS canaries, forwarded to the server (`POST /v1/inbound`) for the SMS canary probe, which
 * measures how long a test message from another phone of the workspace took to arrive here.
 *
 * Privacy first: only a received text that carries the canary marker and a nonce is kept, and only it
 * ever leaves the phone; every other SMS the phone receives is dropped here, unstored and unsent. A canary
 * is journalled (a table of the agent's journal database) before anything else, and stays there until
 * the server has answered for it, like receipts, so an outage or a restart loses none; a repeat of the
 * same canary (engines repeat webhooks) is kept once. Once answered, its text is forgotten.
 */
import type { DatabaseSync, StatementSync } from 'node:sqlite';
import type { InboundResult, InboundSms } from '@lifeline/monitor/contract';
import { type BackoffPolicy, backoffDelayMs, DEFAULT_BACKOFF } from './backoff.ts';
import { type Clock, sleep } from './clock.ts';
import type { DriverEvent } from './drivers/driver.ts';
import type { Journal } from './journal.ts';
import { ApiError } from './server-client.ts';

/**
 * The server's canary marker (`monitor/src/contract/inbound.ts`), restated here because the agent bundle
 * takes only types from the contract (its runtime would pull in zod); `inbound.test.ts` holds the two
 * to the same texts.
 */
const CANARY_PATTERN = /Lifeline canary ([0-9A-HJKMNP-TV-Z]{16})(?![0-9A-Z])/;
export const MAX_INBOUND_PER_BATCH = 100;

/** The nonce of a canary text, or null for any other SMS (which must not leave the phone). */
export function canaryNonceOf(text: string): string | null {
  return CANARY_PATTERN.exec(text)?.[1] ?? null;
}

export interface InboundClient {
  inbound(messages: InboundSms[], signal?: AbortSignal): Promise<InboundResult[]>;
}

export type ReceivedEvent = Extract<DriverEvent, { type: 'received' }>;

interface PendingInbound extends InboundSms {
  seq: number;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS inbound (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  scope TEXT NOT NULL,
  nonce TEXT NOT NULL,
  sender TEXT NOT NULL,
  body TEXT NOT NULL,
  received_at INTEGER NOT NULL,
  sim_slot INTEGER,
  acked_at INTEGER,
  UNIQUE (scope, nonce)
);
CREATE INDEX IF NOT EXISTS inbound_pending ON inbound (scope, acked_at, seq);
`;

function prepare(db: DatabaseSync) {
  db.exec(SCHEMA);
  const s = (sql: string): StatementSync => db.prepare(sql);
  return {
    add: s(`INSERT INTO inbound (scope, nonce, sender, body, received_at, sim_slot)
      VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`),
    pending: s('SELECT * FROM inbound WHERE scope = ? AND acked_at IS NULL ORDER BY seq LIMIT ?'),
    count: s('SELECT count(*) AS n FROM inbound WHERE scope = ? AND acked_at IS NULL'),
    ack: s(`UPDATE inbound SET acked_at = ?, body = '' WHERE scope = ? AND seq = ?`),
    prune: s('DELETE FROM inbound WHERE scope = ? AND acked_at IS NOT NULL AND acked_at < ?'),
  };
}

const statementCache = new WeakMap<DatabaseSync, ReturnType<typeof prepare>>();

/** The journal's table of received canaries not yet answered by the server. */
export class InboundOutbox {
  readonly #journal: Journal;
  readonly #st: ReturnType<typeof prepare>;

  constructor(journal: Journal) {
    this.#journal = journal;
    let st = statementCache.get(journal.db);
    if (!st) {
      st = prepare(journal.db);
      statementCache.set(journal.db, st);
    }
    this.#st = st;
  }

  /** Journals a received SMS if it is a canary (once per nonce); anything else is dropped. Returns whether it was new. */
  add(sms: Omit<ReceivedEvent, 'type'>): boolean {
    const nonce = canaryNonceOf(sms.text);
    if (nonce === null) return false;
    const res = this.#st.add.run(
      this.#journal.scope,
      nonce,
      // Within the server's schema, so no canary is ever refused for its shape.
      (sms.from || 'unknown').slice(0, 32),
      sms.text.slice(0, 1_600),
      Math.max(0, Math.round(sms.at)),
      sms.simSlot !== undefined && sms.simSlot >= 0 && sms.simSlot <= 7 ? sms.simSlot : null,
    );
    return Number(res.changes) > 0;
  }

  pending(limit = MAX_INBOUND_PER_BATCH): PendingInbound[] {
    const rows = this.#st.pending.all(this.#journal.scope, limit) as Record<string, string | number | null>[];
    return rows.map((r) => {
      const sms: PendingInbound = {
        seq: r.seq as number,
        from: r.sender as string,
        text: r.body as string,
        receivedAt: r.received_at as number,
      };
      if (r.sim_slot !== null) sms.simSlot = r.sim_slot as number;
      return sms;
    });
  }

  pendingCount(): number {
    return (this.#st.count.get(this.#journal.scope) as { n: number }).n;
  }

  /** The server answered these (with any outcome): forget their text; the row stays a while for deduplication. */
  ack(seqs: number[], now: number): void {
    this.#journal.transaction(() => {
      for (const seq of seqs) this.#st.ack.run(now, this.#journal.scope, seq);
    });
  }

  prune(now: number, keepMs = 2 * 86_400_000): void {
    this.#st.prune.run(this.#journal.scope, now - keepMs);
  }
}

export interface InboundForwarderOptions {
  outbox: InboundOutbox;
  client: InboundClient;
  clock: Clock;
  backoff?: BackoffPolicy;
  random?: () => number;
  /** A refused batch's canary the server cannot take either on its own (logged, then dropped). */
  onRefused?: (sms: InboundSms, err: ApiError) => void;
}

/**
 * Posts journalled canaries while the agent runs: at once when one arrives, in batches of up to 100,
 * with backoff while the server is away. A batch the server refuses (a 4xx) is posted one by one, so one
 * bad canary never blocks the others.
 */
export class InboundForwarder {
  readonly outbox: InboundOutbox;
  readonly #opts: InboundForwarderOptions;
  #kick: (() => void) | null = null;

  constructor(options: InboundForwarderOptions) {
    this.outbox = options.outbox;
    this.#opts = options;
  }

  /** A received SMS from the engine: journalled if it is a canary, and posted soon. */
  accept(event: ReceivedEvent): boolean {
    const { type: _type, ...sms } = event;
    const kept = this.outbox.add(sms);
    if (kept) this.#kick?.();
    return kept;
  }

  /**
   * Runs until `signal` aborts. `ready()` false (the device is paused: the server refuses it) holds the
   * canaries in the journal; `onError` hears of every failed post (auth errors stop the agent there),
   * `onPosted` of every answered one.
   */
  async run(ctx: {
    signal: AbortSignal;
    ready: () => boolean;
    onError: (err: unknown) => void;
    onPosted?: () => void;
  }): Promise<void> {
    let failures = 0;
    const onAbort = () => this.#kick?.();
    ctx.signal.addEventListener('abort', onAbort, { once: true });
    try {
      while (!ctx.signal.aborted) {
        if (!ctx.ready() || this.outbox.pendingCount() === 0) {
          // A canary arriving wakes the loop at once; the timer only catches a resume after a pause (and
          // stays long, so 10,000 simulated phones in one process cost little while idle).
          await this.#wait(30_000);
          continue;
        }
        try {
          await this.flushOnce(ctx.signal);
          failures = 0;
          ctx.onPosted?.();
        } catch (err) {
          if (ctx.signal.aborted) return;
          ctx.onError(err);
          failures++;
          await sleep(
            backoffDelayMs(failures, this.#opts.backoff ?? DEFAULT_BACKOFF, this.#opts.random ?? Math.random),
            ctx.signal,
          );
        }
      }
    } finally {
      ctx.signal.removeEventListener('abort', onAbort);
    }
  }

  /** Posts one batch of pending canaries; returns how many it settled. Throws what the server threw. */
  async flushOnce(signal?: AbortSignal): Promise<number> {
    const batch = this.outbox.pending();
    if (batch.length === 0) return 0;
    const strip = ({ seq: _seq, ...sms }: PendingInbound): InboundSms => sms;
    try {
      await this.#opts.client.inbound(batch.map(strip), signal);
    } catch (err) {
      if (!(err instanceof ApiError)) throw err;
      for (const one of batch) {
        try {
          await this.#opts.client.inbound([strip(one)], signal);
        } catch (e) {
          if (!(e instanceof ApiError)) throw e;
          this.#opts.onRefused?.(strip(one), e);
        }
        this.outbox.ack([one.seq], this.#opts.clock.now());
      }
      return batch.length;
    }
    this.outbox.ack(
      batch.map((b) => b.seq),
      this.#opts.clock.now(),
    );
    return batch.length;
  }

  /** Posts every pending canary now (tests, a graceful stop); returns how many are left. */
  async flush(signal?: AbortSignal): Promise<number> {
    while ((await this.flushOnce(signal)) > 0);
    return this.outbox.pendingCount();
  }

  #wait(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        if (this.#kick === done) this.#kick = null;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.#kick = done;
    });
  }
}
