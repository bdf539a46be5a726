/**
 * `termux` driver (fallback): Android's SMS stack through Termux:API.
 *
 * - send: `termux-sms-send -n NUMBER [-s SLOT]` with the text on stdin (never in an argument, never in a
 *   shell), with a timeout. The command says nothing about the outcome, so:
 * - sent: confirmed by polling `termux-sms-list -t all` for the outgoing row with this number and text
 *   written after the hand-over (type `sent` -> event sent, `failed` -> event failed; `-t` has no `failed`
 *   type, so failures are only visible through `all`). No delivery reports.
 * - lookup: finds the message in the SMS store by number + text + time, from the agent's journal (hint) or
 *   from what this process remembers; anything else is `cannot_tell` (the agent reports unknown). A row
 *   written before the attempt was leased is an earlier attempt's (a retry sends the same text to the same
 *   number again), never this one's.
 * - received: the inbox is read every `inboxPollMs` (`termux-sms-list -t inbox`), and each new row is an
 *   event `received` (the agent keeps only SMS canaries and drops the rest unstored). The first read
 *   reports what arrived within `inboxLookbackMs` before the driver started (a canary that landed while
 *   the agent restarted); after that, rows with a higher `_id` than any seen (Android numbers rows in
 *   order).
 * - telemetry: Termux:API battery, telephony and Wi-Fi (see termux-telemetry.ts).
 * Message text and numbers are never logged.
 */
import {
  type Driver,
  type DriverCapabilities,
  type DriverEvent,
  type DriverHealth,
  type LookupHint,
  type LookupResult,
  SendError,
  type SendRequest,
  type Telemetry,
} from './driver.ts';
import { onPath, RunError, type Runner, type RunOptions, runCommand } from './exec.ts';
import type { DriverLog } from './smsgate.ts';
import { findOutgoing, isSafeRecipient, parseSmsList, type SmsRow, smsSendArgs } from './termux-sms.ts';
import { readTermuxTelemetry } from './termux-telemetry.ts';

export interface TermuxDriverOptions {
  /** Environment of the commands (PATH must reach the termux-* commands); default process.env. */
  env?: NodeJS.ProcessEnv;
  /** termux-sms-send timeout; default 20 s. */
  sendTimeoutMs?: number;
  /** termux-sms-list timeout; default 10 s. */
  listTimeoutMs?: number;
  /** How often the SMS store is polled while messages wait for confirmation; default 2 s. */
  confirmPollMs?: number;
  /** How long a message is watched for its sent/failed row; default 10 min. */
  confirmTimeoutMs?: number;
  /** Rows read per poll (`-l`); default 50. */
  listLimit?: number;
  /**
   * How far before the hint's `submittedAt` a lookup accepts a row; default 60 s (the journal may stamp the
   * hand-over after termux-sms-send returned, later than Android wrote the row).
   */
  lookupToleranceMs?: number;
  /** Per telemetry command; default 5 s. */
  telemetryTimeoutMs?: number;
  /**
   * How often the inbox is read for received SMS (the SMS canary); default 30 s (each read starts
   * Termux:API's Android side, so not more often); 0: never. A canary's arrival time is the row's own,
   * not the read's.
   */
  inboxPollMs?: number;
  /** On the first inbox read, how far back a received SMS is still reported; default 15 min. */
  inboxLookbackMs?: number;
  run?: Runner;
  clock?: { now(): number };
  log?: DriverLog;
}

export const TERMUX_CAPABILITIES: DriverCapabilities = {
  sentReports: true,
  deliveryReports: false,
  simChoice: true,
};

interface Outgoing {
  id: string;
  to: string;
  text: string;
  submittedAt: number;
  /** Still polled for a sent/failed row. */
  watching: boolean;
}

export function createTermuxDriver(options: TermuxDriverOptions = {}): Driver & {
  /** Polls the SMS store once (the timer does this on its own; tests call it to avoid waiting). */
  pollNow(): Promise<void>;
  /** Reads the inbox once (the inbox timer does this on its own). */
  readInboxNow(): Promise<void>;
} {
  const run = options.run ?? runCommand;
  const clock = options.clock ?? { now: () => Date.now() };
  const log: DriverLog = options.log ?? (() => {});
  const sendTimeoutMs = options.sendTimeoutMs ?? 20_000;
  const listTimeoutMs = options.listTimeoutMs ?? 10_000;
  const confirmPollMs = options.confirmPollMs ?? 2000;
  const confirmTimeoutMs = options.confirmTimeoutMs ?? 10 * 60_000;
  const listLimit = options.listLimit ?? 50;
  const lookupToleranceMs = options.lookupToleranceMs ?? 60_000;
  const inboxPollMs = options.inboxPollMs ?? 30_000;
  const inboxLookbackMs = options.inboxLookbackMs ?? 15 * 60_000;

  /** Messages this process handed over, kept for lookups after confirmation ends (bounded). */
  const outgoing = new Map<string, Outgoing>();
  /** SMS store rows already matched to a message (the same text to the same number twice). */
  const claimed = new Map<number, string>();
  let onEvent: ((event: DriverEvent) => void) | null = null;
  let timer: NodeJS.Timeout | null = null;
  let polling: Promise<void> | null = null;
  /** Messages whose sent/failed row never appeared within confirmTimeoutMs. */
  let unconfirmed = 0;
  let inboxTimer: NodeJS.Timeout | null = null;
  let inboxReading: Promise<void> | null = null;
  /** The highest inbox row id reported; null until the first read after start. */
  let inboxHighWater: number | null = null;
  let startedAt = 0;

  const runOptions = (timeoutMs: number, stdin?: string): RunOptions => {
    const o: RunOptions = { timeoutMs };
    if (options.env) o.env = options.env;
    if (stdin !== undefined) o.stdin = stdin;
    return o;
  };

  const emit = (event: DriverEvent) => {
    if (!onEvent) return;
    try {
      onEvent(event);
    } catch (error) {
      log('error', 'termux: event handler threw', { type: event.type, error: String(error) });
    }
  };

  async function listSms(type: 'all' | 'sent' | 'inbox', limit: number): Promise<SmsRow[]> {
    const result = await run('termux-sms-list', ['-t', type, '-l', String(limit)], runOptions(listTimeoutMs));
    if (result.code !== 0) throw new Error(`termux-sms-list exited with ${result.code}`);
    const rows = parseSmsList(result.stdout);
    if (!rows) throw new Error('termux-sms-list printed no JSON list');
    return rows;
  }

  function remember(entry: Outgoing) {
    outgoing.set(entry.id, entry);
    while (outgoing.size > 5000) {
      const oldest = outgoing.keys().next().value;
      if (oldest === undefined) break;
      outgoing.delete(oldest);
    }
  }

  function claimedSet(exceptId: string): Set<number> {
    const set = new Set<number>();
    for (const [rowId, id] of claimed) if (id !== exceptId) set.add(rowId);
    return set;
  }

  async function pollOnce(): Promise<void> {
    const watching = [...outgoing.values()].filter((o) => o.watching);
    if (watching.length === 0) return;
    let rows: SmsRow[];
    try {
      rows = await listSms('all', listLimit);
    } catch (error) {
      log('warn', 'termux: reading the SMS store failed', { error: errorKind(error) });
      return;
    }
    const now = clock.now();
    for (const entry of watching.sort((a, b) => a.submittedAt - b.submittedAt)) {
      const found = findOutgoing(rows, { ...entry, claimed: claimedSet(entry.id) });
      if (found) claimed.set(found.row.id, entry.id);
      if (found?.state === 'sent') {
        entry.watching = false;
        emit({ type: 'sent', id: entry.id, at: found.row.at ?? now });
      } else if (found?.state === 'failed') {
        entry.watching = false;
        emit({
          type: 'failed',
          id: entry.id,
          at: found.row.at ?? now,
          stage: 'send',
          errorCode: 'TERMUX_SEND_FAILED',
          errorMessage: 'the phone marked the message as failed',
        });
      } else if (now - entry.submittedAt > confirmTimeoutMs) {
        entry.watching = false;
        unconfirmed++;
        log('warn', 'termux: no sent-box confirmation in time', { id: entry.id });
      }
    }
  }

  async function readInboxOnce(): Promise<void> {
    let rows: SmsRow[];
    try {
      rows = await listSms('inbox', listLimit);
    } catch (error) {
      log('warn', 'termux: reading the inbox failed', { error: errorKind(error) });
      return;
    }
    const first = inboxHighWater === null;
    const since = startedAt - inboxLookbackMs;
    const fresh = rows.filter((r) =>
      first ? r.at !== null && r.at >= since : r.id > (inboxHighWater as number),
    );
    for (const r of rows) inboxHighWater = Math.max(inboxHighWater ?? r.id, r.id);
    if (first && rows.length === 0) inboxHighWater = 0;
    for (const r of fresh.sort((a, b) => a.id - b.id))
      emit({ type: 'received', from: r.address, text: r.body, at: r.at ?? clock.now() });
  }

  function readInbox(): Promise<void> {
    inboxReading ??= readInboxOnce().finally(() => {
      inboxReading = null;
    });
    return inboxReading;
  }

  function poll(): Promise<void> {
    polling ??= pollOnce().finally(() => {
      polling = null;
    });
    return polling;
  }

  function schedule() {
    if (timer || !onEvent) return;
    timer = setInterval(() => {
      if (![...outgoing.values()].some((o) => o.watching)) {
        if (timer) clearInterval(timer);
        timer = null;
        return;
      }
      void poll();
    }, confirmPollMs);
    timer.unref();
  }

  return {
    name: 'termux',
    capabilities: TERMUX_CAPABILITIES,

    pollNow: poll,
    readInboxNow: readInbox,

    async start(handler) {
      onEvent = handler;
      startedAt = clock.now();
      inboxHighWater = null;
      if ([...outgoing.values()].some((o) => o.watching)) schedule();
      if (inboxPollMs > 0 && !inboxTimer) {
        inboxTimer = setInterval(() => void readInbox(), inboxPollMs);
        inboxTimer.unref();
        void readInbox();
      }
    },

    async stop() {
      onEvent = null;
      if (timer) clearInterval(timer);
      timer = null;
      if (inboxTimer) clearInterval(inboxTimer);
      inboxTimer = null;
      await Promise.all([polling, inboxReading]);
    },

    async send(request: SendRequest) {
      if (request.expiresAt <= clock.now()) {
        throw new SendError('EXPIRED', 'the message expired before it was handed over', false);
      }
      if (!isSafeRecipient(request.to)) {
        throw new SendError('INVALID_RECIPIENT', 'the recipient is not a plain phone number', false);
      }
      if (request.simSlot !== null && (!Number.isInteger(request.simSlot) || request.simSlot < 0)) {
        throw new SendError('INVALID_SIM', 'the SIM slot is not a slot number', false);
      }
      const entry: Outgoing = {
        id: request.id,
        to: request.to,
        text: request.text,
        submittedAt: clock.now(),
        watching: false,
      };
      remember(entry);
      let result: Awaited<ReturnType<Runner>>;
      try {
        result = await run(
          'termux-sms-send',
          smsSendArgs(request.to, request.simSlot),
          runOptions(sendTimeoutMs, request.text),
        );
      } catch (error) {
        if (error instanceof RunError && error.kind === 'spawn_failed') {
          outgoing.delete(request.id);
          throw new SendError(
            'ENGINE_UNREACHABLE',
            `termux-sms-send could not be started (${error.errno ?? 'error'})`,
            false,
          );
        }
        entry.watching = true;
        schedule();
        throw new SendError('ENGINE_TIMEOUT', 'termux-sms-send did not finish in time', 'maybe');
      }
      // Whatever the exit code, the message may be on its way: watch the store either way.
      entry.watching = true;
      schedule();
      if (result.code !== 0) {
        throw new SendError(
          'ENGINE_ERROR',
          `termux-sms-send exited with ${result.code ?? result.signal}`,
          'maybe',
        );
      }
    },

    async lookup(id: string, hint?: LookupHint): Promise<LookupResult> {
      const known = outgoing.get(id);
      const base = hint ?? known;
      if (!base)
        return { known: 'cannot_tell', reason: 'termux has no ids; nothing to match in the SMS store' };
      const query = {
        to: base.to,
        text: base.text,
        submittedAt: base.submittedAt,
        // This process stamped its own hand-over just before the command ran; a journal may stamp it later.
        toleranceMs: known && !hint ? 2000 : lookupToleranceMs,
        ...(hint?.leasedAt === undefined ? {} : { notBefore: hint.leasedAt }),
      };
      let rows: SmsRow[];
      try {
        // Most recent first in the store; a long lookback for the sent box, then everything for failures.
        rows = await listSms('sent', 500);
        if (!findOutgoing(rows, { ...query, claimed: claimedSet(id) }))
          rows = rows.concat(await listSms('all', 100));
      } catch (error) {
        return { known: 'cannot_tell', reason: `SMS store unreadable (${errorKind(error)})` };
      }
      const found = findOutgoing(rows, { ...query, claimed: claimedSet(id) });
      if (!found) return { known: 'cannot_tell', reason: 'not in the SMS store' };
      claimed.set(found.row.id, id);
      const result: LookupResult =
        found.state === 'failed'
          ? { known: true, state: 'failed', errorCode: 'TERMUX_SEND_FAILED' }
          : { known: true, state: found.state };
      if (found.row.at !== null) result.at = found.row.at;
      return result;
    },

    async health(): Promise<DriverHealth> {
      const checks: DriverHealth['checks'] = {};
      try {
        await listSms('sent', 1);
        checks['termux-api'] = { status: 'pass' };
      } catch (error) {
        checks['termux-api'] = { status: 'fail', detail: `termux-sms-list: ${errorKind(error)}` };
      }
      checks['termux-sms-send'] = onPath('termux-sms-send', options.env ?? process.env)
        ? { status: 'pass' }
        : { status: 'fail', detail: 'termux-sms-send not found on PATH (pkg install termux-api)' };
      const waiting = [...outgoing.values()].filter((o) => o.watching).length;
      checks.confirmations = {
        status: unconfirmed > 0 ? 'warn' : 'pass',
        detail: `${waiting} waiting for the sent box, ${unconfirmed} never confirmed`,
      };
      const statuses = Object.values(checks).map((c) => c.status);
      const status = statuses.includes('fail') ? 'fail' : statuses.includes('warn') ? 'warn' : 'pass';
      return { status, checks };
    },

    async telemetry(): Promise<Telemetry> {
      const o: Parameters<typeof readTermuxTelemetry>[0] = {
        run,
        timeoutMs: options.telemetryTimeoutMs ?? 5000,
      };
      if (options.env) o.env = options.env;
      return readTermuxTelemetry(o);
    },
  };
}

function errorKind(error: unknown): string {
  if (error instanceof RunError) return error.kind === 'timeout' ? 'timed out' : 'not installed';
  return error instanceof Error ? error.message : 'error';
}
