/**
 * The ingest API's 5xx share per minute, counted in memory by this process (Layer 1: a minute is good when
 * the self-probe succeeded AND fewer than 1 % of ingest requests failed with a 5xx). The self-probe reads
 * the last complete minute and adds its counts to the platform rollups. Per process: on Node (one server)
 * it is the whole API; on Workers each isolate sees only its own requests, so there it is a sample.
 */
import type { Db } from '@lifeline/db';

const MINUTE = 60_000;
/** Paths of the ingest API (POSTs to them): what devices and businesses push. */
export const INGEST_PATH = /^\/v1\/(heartbeats|receipts|messages)(\/|$)/;
export const MAX_5XX_SHARE = 0.01;

export class MinuteErrorCounter {
  readonly #minutes = new Map<number, { requests: number; errors5xx: number }>();

  record(now: number, status: number): void {
    const minute = Math.floor(now / MINUTE) * MINUTE;
    const m = this.#minutes.get(minute) ?? { requests: 0, errors5xx: 0 };
    m.requests++;
    if (status >= 500) m.errors5xx++;
    this.#minutes.set(minute, m);
    if (this.#minutes.size > 10)
      for (const k of this.#minutes.keys()) if (k < minute - 5 * MINUTE) this.#minutes.delete(k);
  }

  /** Counts of the last complete minute before `now`, taken once (a second read of it is empty). */
  takeLastMinute(now: number): { minute: number; requests: number; errors5xx: number } {
    const minute = Math.floor(now / MINUTE) * MINUTE - MINUTE;
    const m = this.#minutes.get(minute) ?? { requests: 0, errors5xx: 0 };
    this.#minutes.delete(minute);
    return { minute, ...m };
  }
}

/** Whether a minute's 5xx share breaks Layer 1 (no requests: nothing failed). */
export function tooManyErrors(c: { requests: number; errors5xx: number }): boolean {
  return c.requests > 0 && c.errors5xx / c.requests >= MAX_5XX_SHARE;
}

const counters = new WeakMap<Db, MinuteErrorCounter>();

export function ingestErrorsFor(db: Db): MinuteErrorCounter {
  let c = counters.get(db);
  if (!c) {
    c = new MinuteErrorCounter();
    counters.set(db, c);
  }
  return c;
}
