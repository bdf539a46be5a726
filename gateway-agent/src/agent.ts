/**
 * The gateway agent: heartbeats, pulls its outbox, hands messages to the SMS engine through a driver and
 * reports what became of them. Every step is journalled before it is acted on (see journal.ts), so it can
 * be killed at any moment and resume without losing or duplicating a message:
 *
 * 1. Leased messages are journalled as soon as the long poll returns.
 * 2. A `submitted` receipt is posted (the journal first notes that it was posted); only if the server
 *    answers `applied` (or, for a re-post, `duplicate` while the message is `submitted`) is the message
 *    journalled `submit_confirmed` and handed to the engine, then journalled `handed`.
 * 3. Engine events become receipts in the journal's outbox (deduplicated by message, attempt and status),
 *    flushed in batches of up to 500 with exponential backoff and jitter while the server is away.
 * 4. After a restart, a message left `submit_confirmed` may or may not have reached the engine: the agent
 *    asks the engine (`lookup`) and reports what it says, `failed` with the retryable ENGINE_UNREACHABLE
 *    only when the engine provably never had it, `unknown` when it cannot tell. It never sends again.
 * 5. The engine knows each attempt by its own id (`<messageId>-<attempt>`, engine-id.ts): a retry the
 *    server leases to the same phone is a new hand-over, while the engine's duplicate guard and `lookup`
 *    still work within one attempt.
 *
 * Heartbeats are never queued: a missed one is gone, and the next simply continues the sequence.
 */
import type { HeartbeatBody, LeasedMessage, Receipt } from '@lifeline/monitor/contract';
import { type BackoffPolicy, backoffDelayMs, DEFAULT_BACKOFF, jittered } from './backoff.ts';
import { type Clock, sleep, systemClock } from './clock.ts';
import {
  awaitingEngine,
  movesForward,
  type ReportedReceipt,
  receiptOfEvent,
  resolveDoubt,
  sendFailure,
  statusOfReceipt,
  submitDecision,
} from './decisions.ts';
import {
  type Driver,
  type DriverEvent,
  type DriverHealth,
  type LookupResult,
  SendError,
  type Telemetry,
} from './drivers/driver.ts';
import { engineIdOf, parseEngineId } from './engine-id.ts';
import { InboundForwarder, InboundOutbox } from './inbound.ts';
import type { Journal, JournalMessage, JournalReceipt } from './journal.ts';
import { SegmentRateLimiter, type SimLimits } from './rate-limit.ts';
import {
  ApiError,
  AuthError,
  MAX_RECEIPTS_PER_BATCH,
  type ServerClient,
  TransientError,
} from './server-client.ts';

export const APP_VERSION = '0.1.0';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
export type Logger = (level: LogLevel, message: string, fields?: Record<string, unknown>) => void;

export const silentLogger: Logger = () => {};

export interface AgentOptions {
  journal: Journal;
  driver: Driver;
  client: ServerClient;
  clock?: Clock;
  appVersion?: string;
  runId?: string;
  bootId?: string;
  /** Per-SIM limits in segments (default 30/min, 1,000/day; the server enforces its own as well). */
  limits?: SimLimits;
  /** Most messages to lease per poll (default 20). */
  outboxMax?: number;
  /** Seconds the outbox long poll waits (default 25; 0 polls without waiting). */
  outboxWaitS?: number;
  /** Pull the outbox (default true; the heartbeat-only benchmark turns it off). */
  poll?: boolean;
  /** Until the server says otherwise (default 30). */
  heartbeatIntervalS?: number;
  backoff?: BackoffPolicy;
  /** How often to ask the engine about handed messages that have gone quiet (default 60 s). */
  reconcileIntervalMs?: number;
  /** After a send the engine may or may not have taken, wait this long before asking it (default 2 s). */
  maybeLookupDelayMs?: number;
  random?: () => number;
  log?: Logger;
  /** Keep the `status` snapshot in the journal (default true; the fleet simulator turns it off). */
  persistStatus?: boolean;
}

export type StopReason =
  | { kind: 'stopped' }
  | { kind: 'revoked'; code: string; message: string }
  | { kind: 'fatal'; code: string; message: string };

export interface AgentCounters {
  sent: number;
  delivered: number;
  failed: number;
  received: number;
  heartbeats: number;
  heartbeatFailures: number;
  leased: number;
  handed: number;
  receiptsPosted: number;
}

export interface LastError {
  code?: string;
  message: string;
  at: number;
}

const DAY = 86_400_000;

/** 128 random bits as hex: a run id is not a secret, and this spares loading crypto (3 MB of RSS). */
function randomRunId(): string {
  let id = '';
  for (let i = 0; i < 4; i++)
    id += Math.floor(Math.random() * 2 ** 32)
      .toString(16)
      .padStart(8, '0');
  return id;
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    p.finally(() => clearTimeout(timer)),
    new Promise<T>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms);
    }),
  ]);
}

export class Agent {
  readonly journal: Journal;
  readonly driver: Driver;
  readonly client: ServerClient;
  readonly clock: Clock;
  readonly runId: string;
  readonly bootId: string;
  readonly appVersion: string;
  readonly counters: AgentCounters = {
    sent: 0,
    delivered: 0,
    failed: 0,
    received: 0,
    heartbeats: 0,
    heartbeatFailures: 0,
    leased: 0,
    handed: 0,
    receiptsPosted: 0,
  };
  readonly limiter: SegmentRateLimiter;
  /** Received SMS canaries on their way to the server (nothing else the phone receives leaves it). */
  readonly inbound: InboundForwarder;
  heartbeatIntervalS: number;
  /** `online` once a heartbeat was answered; `offline` while the server cannot be reached. */
  connection: 'connecting' | 'online' | 'offline' | 'paused' = 'connecting';
  lastError: LastError | null = null;
  lastSendSuccessAt: number | null = null;
  lastHeartbeatAt: number | null = null;
  clockSkewMs: number | null = null;

  readonly #opts: AgentOptions;
  readonly #log: Logger;
  readonly #random: () => number;
  readonly #backoff: BackoffPolicy;
  readonly #persist: boolean;
  #seq = 0;
  #abort = new AbortController();
  #stopReason: StopReason | null = null;
  #kickReceipts: (() => void) | null = null;
  #wakeHeartbeat: AbortController | null = null;
  #processing: Promise<void> = Promise.resolve();
  #running = false;

  constructor(options: AgentOptions) {
    this.#opts = options;
    this.journal = options.journal;
    this.driver = options.driver;
    this.client = options.client;
    this.clock = options.clock ?? systemClock;
    this.runId = options.runId ?? randomRunId();
    this.bootId = options.bootId ?? 'unknown-boot';
    this.appVersion = options.appVersion ?? APP_VERSION;
    this.limiter = new SegmentRateLimiter(options.limits ?? { perMinute: 30, perDay: 1_000 });
    this.heartbeatIntervalS = options.heartbeatIntervalS ?? 30;
    this.#log = options.log ?? silentLogger;
    this.#random = options.random ?? Math.random;
    this.#backoff = options.backoff ?? DEFAULT_BACKOFF;
    this.#persist = options.persistStatus ?? true;
    this.inbound = new InboundForwarder({
      outbox: new InboundOutbox(this.journal),
      client: this.client,
      clock: this.clock,
      backoff: this.#backoff,
      random: this.#random,
      onRefused: (_sms, err) =>
        this.#log('error', 'server refused a received canary; dropping it', { code: err.code }),
    });
  }

  get stopped(): boolean {
    return this.#abort.signal.aborted;
  }

  /** Runs until `stop()` or a refused token; resolves with why it stopped. */
  async run(signal?: AbortSignal): Promise<StopReason> {
    if (this.#running) throw new Error('agent already running');
    this.#running = true;
    const onAbort = () => this.stop();
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      const now = this.clock.now();
      for (const h of this.journal.handedSince(now - DAY)) this.limiter.record(h.simSlot, h.segments, h.at);
      // The last successful send outlives a restart (the server judges the SMS path by it).
      this.lastSendSuccessAt = this.journal.getMeta<number>('lastSendSuccessAt') ?? null;
      this.#saveMeta('agent', {
        state: 'running',
        pid: process.pid,
        runId: this.runId,
        startedAt: now,
        driver: this.driver.name,
        server: this.client.url,
      });
      await this.driver.start((event) => this.#onEvent(event));
      await this.#recover();
      // Announce this run before asking for work: the server routes only to devices it sees online.
      await this.heartbeat();
      const loops = [
        this.#heartbeatLoop(true),
        this.#receiptLoop(),
        this.#reconcileLoop(),
        this.#inboundLoop(),
      ];
      if (this.#opts.poll !== false) loops.push(this.#pollLoop());
      await Promise.all(loops);
      await this.#processing.catch(() => {});
    } catch (err) {
      if (!this.#stopReason) {
        const message = err instanceof Error ? err.message : String(err);
        this.#stopReason = { kind: 'fatal', code: 'agent_crashed', message };
      }
    } finally {
      signal?.removeEventListener('abort', onAbort);
      await this.driver.stop().catch(() => {});
      this.#running = false;
    }
    const reason = this.#stopReason ?? { kind: 'stopped' };
    this.#saveMeta('agent', {
      ...(this.journal.getMeta<Record<string, unknown>>('agent') ?? {}),
      state: reason.kind === 'stopped' ? 'stopped' : reason.kind,
      stoppedAt: this.clock.now(),
      ...(reason.kind === 'stopped' ? {} : { reason: `${reason.code}: ${reason.message}` }),
    });
    return reason;
  }

  stop(reason: StopReason = { kind: 'stopped' }): void {
    if (!this.#stopReason) this.#stopReason = reason;
    this.#abort.abort();
    this.#kickReceipts?.();
  }

  // ------------------------------------------------------------------------------------------------------
  // Journal helpers

  #saveMeta(key: string, value: unknown): void {
    if (this.#persist || key === 'agent') this.journal.setMeta(key, value);
  }

  #error(code: string | undefined, message: string): void {
    this.lastError = { message: message.slice(0, 500), at: this.clock.now() };
    if (code) this.lastError.code = code.slice(0, 64);
    this.#saveMeta('lastError', this.lastError);
  }

  /** Journals a receipt (once per message, attempt and status) and moves the local status forward. */
  #record(row: JournalMessage, r: ReportedReceipt): void {
    const isNew = this.journal.transaction(() => {
      const inserted = this.journal.addReceipt({ messageId: row.id, attempt: row.attempt, ...r });
      const current = this.journal.get(row.id);
      if (current && current.attempt === row.attempt && movesForward(current.status, r.status)) {
        this.journal.setStatus(row.id, row.attempt, statusOfReceipt(r.status), this.clock.now());
      }
      return inserted;
    });
    if (!isNew) return;
    if (r.status === 'sent') {
      this.counters.sent++;
      this.lastSendSuccessAt = r.at;
      this.#saveMeta('lastSendSuccessAt', r.at);
    } else if (r.status === 'delivered') this.counters.delivered++;
    else if (r.status === 'failed' || r.status === 'undelivered') this.counters.failed++;
    this.#kickReceipts?.();
  }

  #onEvent(event: DriverEvent): void {
    if (event.type === 'received') {
      this.counters.received++;
      this.inbound.accept(event);
      return;
    }
    const receipt = receiptOfEvent(event);
    const { messageId, attempt } = parseEngineId(event.id);
    const row = this.journal.get(messageId);
    if (!receipt || !row) {
      this.#log('warn', 'engine event for a message not in the journal', { id: event.id, type: event.type });
      return;
    }
    if (attempt !== null && attempt !== row.attempt) {
      if (attempt > row.attempt) {
        this.#log('error', 'engine event for an attempt never leased', { id: event.id, type: event.type });
        return;
      }
      // A late event about an earlier attempt (engines repeat webhooks): the server files it against that
      // attempt; the journal's row, on a newer attempt now, stays as it is.
      this.#record({ ...row, attempt }, receipt);
      return;
    }
    if (row.status === 'submit_confirmed') {
      // The engine reports on it, so it has it: a send interrupted by a crash did get through.
      this.#markHanded(row, this.clock.now());
    } else if (row.status === 'leased' || row.status === 'dropped') {
      this.#log('error', 'engine event for a message never handed to it', { id: row.id, status: row.status });
      return;
    }
    this.#record(row, receipt);
  }

  #markHanded(row: JournalMessage, at: number): void {
    if (this.journal.markHanded(row.id, row.attempt, at)) {
      this.limiter.record(row.simSlot, row.segments, at);
      this.counters.handed++;
    }
  }

  // ------------------------------------------------------------------------------------------------------
  // Recovery and doubt

  async #lookup(row: JournalMessage): Promise<LookupResult> {
    try {
      const hint = row.text
        ? {
            to: row.to,
            text: row.text,
            submittedAt: row.handedAt ?? row.updatedAt,
            leasedAt: row.receivedAt,
          }
        : undefined;
      const id = engineIdOf(row.id, row.attempt);
      return await withTimeout(this.driver.lookup(id, hint), 15_000, 'engine lookup');
    } catch (err) {
      return { known: 'cannot_tell', reason: err instanceof Error ? err.message : String(err) };
    }
  }

  /** A message the engine may or may not have: ask it, and report what it says. Never sends. */
  async #settleDoubt(row: JournalMessage): Promise<void> {
    const lookup = await this.#lookup(row);
    const now = this.clock.now();
    const current = this.journal.get(row.id);
    if (!current || current.attempt !== row.attempt || current.status !== 'submit_confirmed') return;
    const outcome = resolveDoubt(lookup, now);
    this.#log('info', 'settled a message in doubt', { id: row.id, outcome: outcome.kind });
    if (outcome.kind === 'handed') {
      this.#markHanded(current, now);
      const handed = this.journal.get(row.id)!;
      for (const r of outcome.receipts) this.#record(handed, r);
    } else {
      this.#record(current, outcome.receipt);
    }
  }

  /** After a start: settle what a crash left in doubt, then catch up with what the engine did meanwhile. */
  async #recover(): Promise<void> {
    const doubtful = this.journal.byStatus('submit_confirmed', 100_000);
    if (doubtful.length > 0)
      this.#log('info', 'recovering messages left in doubt by the last run', { count: doubtful.length });
    for (const row of doubtful) await this.#settleDoubt(row);
    await this.#reconcile(0);
  }

  /** Asks the engine about handed messages quiet for `quietMs` (their events may have been lost). */
  async #reconcile(quietMs: number): Promise<void> {
    const now = this.clock.now();
    const rows = [...this.journal.byStatus('handed', 10_000), ...this.journal.byStatus('sent', 10_000)];
    for (const row of rows) {
      if (this.stopped && quietMs > 0) return;
      if (!awaitingEngine(row.status, this.driver.capabilities.deliveryReports)) continue;
      if (now - row.updatedAt < quietMs) continue;
      const lookup = await this.#lookup(row);
      if (lookup.known === true) {
        const outcome = resolveDoubt(lookup, now);
        if (outcome.kind === 'handed') for (const r of outcome.receipts) this.#record(row, r);
      }
    }
  }

  // ------------------------------------------------------------------------------------------------------
  // Heartbeats

  async #telemetry(): Promise<{ health: DriverHealth; telemetry: Telemetry }> {
    const [health, telemetry] = await Promise.all([
      withTimeout(this.driver.health(), 10_000, 'driver health').catch(
        (err): DriverHealth => ({
          status: 'fail',
          checks: { engine: { status: 'fail', detail: String(err instanceof Error ? err.message : err) } },
        }),
      ),
      withTimeout(this.driver.telemetry(), 10_000, 'telemetry').catch((): Telemetry => ({})),
    ]);
    return { health, telemetry };
  }

  /** Builds the heartbeat as the server's schema wants it (values clamped into its ranges). */
  async heartbeatBody(): Promise<HeartbeatBody> {
    const { health, telemetry } = await this.#telemetry();
    const now = this.clock.now();
    const checks: NonNullable<HeartbeatBody['driver']['checks']> = {};
    for (const [name, c] of Object.entries(health.checks).slice(0, 32)) {
      checks[name.slice(0, 64)] =
        c.detail === undefined ? { status: c.status } : { status: c.status, detail: c.detail.slice(0, 500) };
    }
    const body: HeartbeatBody = {
      runId: this.runId,
      seq: this.#seq++,
      monotonicMs: Math.max(0, Math.floor(this.clock.monotonic())),
      bootId: this.bootId,
      deviceTime: now,
      appVersion: this.appVersion,
      driver: {
        name: this.driver.name,
        status: health.status,
        checks,
        capabilities: { ...this.driver.capabilities },
      },
      sims: (telemetry.sims ?? []).slice(0, 8).map((s) => {
        const sim: HeartbeatBody['sims'][number] = { slot: s.slot };
        if (s.carrier !== undefined) sim.carrier = s.carrier?.slice(0, 64) ?? null;
        if (s.mccMnc !== undefined) sim.mccMnc = s.mccMnc && /^\d{5,6}$/.test(s.mccMnc) ? s.mccMnc : null;
        if (s.signalDbm !== undefined)
          sim.signalDbm =
            s.signalDbm === null ? null : Math.max(-150, Math.min(-20, Math.round(s.signalDbm)));
        if (s.signalLevel !== undefined)
          sim.signalLevel =
            s.signalLevel === null ? null : Math.max(0, Math.min(4, Math.round(s.signalLevel)));
        return sim;
      }),
      queue: this.journal.queue(now),
      counters: {
        sent: this.counters.sent,
        delivered: this.counters.delivered,
        failed: this.counters.failed,
        received: this.counters.received,
      },
      lastSendSuccessAt: this.lastSendSuccessAt,
      lastError: this.lastError,
    };
    if (telemetry.battery) {
      const b = telemetry.battery;
      body.battery = { percent: Math.max(0, Math.min(100, b.percent)), charging: b.charging };
      if (b.temperatureC !== undefined)
        body.battery.temperatureC = Math.max(-40, Math.min(100, b.temperatureC));
      if (b.health !== undefined) body.battery.health = b.health.slice(0, 32);
    }
    if (telemetry.network) body.network = telemetry.network;
    return body;
  }

  /** Sends one heartbeat now; returns whether the server took it. Throws on a refused token. */
  async heartbeat(): Promise<boolean> {
    const body = await this.heartbeatBody();
    try {
      const ack = await this.client.heartbeat(body, this.#abort.signal);
      this.counters.heartbeats++;
      if (this.connection === 'paused') {
        this.#log('info', 'device resumed by an admin');
        this.#saveMeta('agent', { ...(this.journal.getMeta<object>('agent') ?? {}), state: 'running' });
      }
      this.connection = 'online';
      this.heartbeatIntervalS = ack.heartbeatIntervalS > 0 ? ack.heartbeatIntervalS : this.heartbeatIntervalS;
      this.lastHeartbeatAt = this.clock.now();
      this.clockSkewMs = ack.clockSkewMs;
      this.#saveMeta('lastHeartbeat', {
        at: this.lastHeartbeatAt,
        seq: body.seq,
        intervalS: this.heartbeatIntervalS,
        clockSkewMs: ack.clockSkewMs,
        serverTime: ack.serverTime,
      });
      return true;
    } catch (err) {
      this.counters.heartbeatFailures++;
      this.#handleServerError(err, 'heartbeat');
      return false;
    }
  }

  /** The server answered again after an outage: heartbeat now, so it sees the device online at once. */
  #reachedServer(): void {
    if (this.connection === 'offline') {
      this.connection = 'online';
      this.#log('info', 'the server is reachable again');
      this.#wakeHeartbeat?.abort();
    }
  }

  /** Token refused: revoked or unknown stops the agent; paused waits for an admin to resume it. */
  #handleServerError(err: unknown, what: string): void {
    if (this.stopped) return;
    if (err instanceof AuthError) {
      this.#error(err.code, err.message);
      if (err.paused) {
        if (this.connection !== 'paused') this.#log('warn', 'device paused by an admin', { code: err.code });
        this.connection = 'paused';
        this.#saveMeta('agent', { ...(this.journal.getMeta<object>('agent') ?? {}), state: 'paused' });
        return;
      }
      this.#log('error', `the server refused this device's token: ${err.message}`, { code: err.code });
      this.stop({ kind: 'revoked', code: err.code, message: err.message });
      return;
    }
    const message = err instanceof Error ? err.message : String(err);
    const code = err instanceof TransientError ? 'server_unreachable' : 'server_error';
    if (this.connection !== 'offline' && err instanceof TransientError)
      this.#log('warn', `${what} failed; the server is unreachable`, { error: message });
    if (err instanceof TransientError) this.connection = 'offline';
    else this.#log('error', `${what} failed`, { error: message });
    this.#error(code, `${what}: ${message}`);
  }

  async #heartbeatLoop(justBeat = false): Promise<void> {
    while (!this.stopped) {
      if (!justBeat) await this.heartbeat();
      justBeat = false;
      if (this.stopped) return;
      const wake = new AbortController();
      this.#wakeHeartbeat = wake;
      await sleep(
        jittered(this.heartbeatIntervalS * 1000, 0.1, this.#random),
        AbortSignal.any([this.#abort.signal, wake.signal]),
      );
      this.#wakeHeartbeat = null;
    }
  }

  // ------------------------------------------------------------------------------------------------------
  // Outbox and sending

  async #pollLoop(): Promise<void> {
    let failures = 0;
    while (!this.stopped) {
      if (this.connection === 'paused') {
        await sleep(this.heartbeatIntervalS * 1000, this.#abort.signal);
        continue;
      }
      const max = Math.max(0, Math.min(this.#opts.outboxMax ?? 20, this.#room()));
      if (max === 0) {
        await sleep(1_000, this.#abort.signal);
        continue;
      }
      try {
        const { messages } = await this.client.outbox(
          { waitS: this.#opts.outboxWaitS ?? 25, max },
          this.#abort.signal,
        );
        failures = 0;
        this.#reachedServer();
        this.#log('debug', 'outbox', { leased: messages.length, max });
        if (messages.length > 0) this.accept(messages);
        await this.processLeased();
      } catch (err) {
        if (this.stopped) return;
        this.#handleServerError(err, 'outbox');
        failures++;
        await sleep(backoffDelayMs(failures, this.#backoff, this.#random), this.#abort.signal);
        // Leased rows whose `submitted` post failed are retried here too.
        await this.processLeased().catch(() => {});
      }
    }
  }

  /** Segments the busiest SIM may still send: a bound on how much to lease. */
  #room(): number {
    const now = this.clock.now();
    const slots = new Set<number | null>([null]);
    for (const h of this.journal.handedSince(now - 60_000)) slots.add(h.simSlot);
    let room = Number.POSITIVE_INFINITY;
    for (const slot of slots) room = Math.min(room, this.limiter.room(slot, now));
    return Number.isFinite(room) ? room : 1_000;
  }

  /** Journals leased messages: nothing else happens to a message before this. */
  accept(messages: LeasedMessage[]): JournalMessage[] {
    const rows = this.journal.addLeased(messages, this.clock.now());
    this.counters.leased += rows.length;
    return rows;
  }

  /** Works through every `leased` row (serialized: one pass at a time). */
  processLeased(): Promise<void> {
    const next = this.#processing.then(() => this.#processLeasedNow());
    this.#processing = next.catch(() => {});
    return next;
  }

  async #processLeasedNow(): Promise<void> {
    for (;;) {
      if (this.stopped) return;
      const rows = this.journal.byStatus('leased', 100);
      if (rows.length === 0) return;
      const now = this.clock.now();
      const ready: JournalMessage[] = [];
      const planned = new Map<string, number>();
      let waitMs = Number.POSITIVE_INFINITY;
      for (const row of rows) {
        const leaseLeft = row.receivedAt + row.leaseMs - now;
        // Never posted and the lease is over: the server takes it back; nothing was sent.
        if (!row.submitPosted && (leaseLeft <= 0 || row.expiresAt <= now)) {
          this.journal.setStatus(row.id, row.attempt, 'dropped', now, 'leased');
          continue;
        }
        if (row.submitPosted) {
          ready.push(row);
          continue;
        }
        // Rate limit (segments per SIM), counting what this pass already plans to send.
        const key = SegmentRateLimiter.key(row.simSlot);
        const already = planned.get(key) ?? 0;
        const wait = this.limiter.waitMs(row.simSlot, row.segments + already, now);
        if (wait === 0) {
          planned.set(key, already + row.segments);
          ready.push(row);
        } else if (wait >= leaseLeft) {
          this.#log('info', 'rate limit: letting a lease lapse', { id: row.id });
          this.journal.setStatus(row.id, row.attempt, 'dropped', now, 'leased');
        } else waitMs = Math.min(waitMs, wait);
      }
      if (ready.length === 0) {
        if (!Number.isFinite(waitMs)) continue;
        await sleep(Math.min(waitMs, 5_000), this.#abort.signal);
        continue;
      }
      await this.#submitAndHand(ready);
      if (ready.length < rows.length && !Number.isFinite(waitMs)) continue;
      if (Number.isFinite(waitMs)) await sleep(Math.min(waitMs, 5_000), this.#abort.signal);
    }
  }

  async #submitAndHand(rows: JournalMessage[]): Promise<void> {
    const now = this.clock.now();
    // Noted before posting: if the answer is lost, a later post is a re-post and `duplicate` means applied.
    this.journal.transaction(() => {
      for (const row of rows) if (!row.submitPosted) this.journal.markSubmitPosted(row.id, row.attempt);
    });
    const receipts: Receipt[] = rows.map((r) => ({
      messageId: r.id,
      attempt: r.attempt,
      status: 'submitted',
      at: now,
    }));
    const results = await this.client.receipts(receipts, this.#abort.signal);
    this.counters.receiptsPosted += receipts.length;
    for (let i = 0; i < rows.length; i++) {
      const row = rows[i]!;
      const result = results[i];
      if (!result) continue;
      if (submitDecision(result) === 'hand') {
        if (this.journal.setStatus(row.id, row.attempt, 'submit_confirmed', this.clock.now(), 'leased')) {
          await this.#hand({ ...row, status: 'submit_confirmed' });
        }
      } else {
        this.#log('info', 'server did not confirm a lease; not sending', {
          id: row.id,
          outcome: result.outcome,
        });
        this.journal.setStatus(row.id, row.attempt, 'dropped', this.clock.now(), 'leased');
      }
      // Even when stopping: the server now counts on these, and handing one over takes a moment.
    }
  }

  /** Hands a `submit_confirmed` message to the engine, exactly once. */
  async #hand(row: JournalMessage): Promise<void> {
    try {
      await this.driver.send({
        id: engineIdOf(row.id, row.attempt),
        to: row.to,
        text: row.text,
        simSlot: row.simSlot,
        segments: row.segments,
        expiresAt: row.expiresAt,
      });
      this.#markHanded(row, this.clock.now());
    } catch (err) {
      const sendErr =
        err instanceof SendError
          ? err
          : new SendError('ENGINE_ERROR', err instanceof Error ? err.message : String(err), 'maybe');
      this.#error(sendErr.code, `send: ${sendErr.message}`);
      const decided = sendFailure(sendErr, this.clock.now());
      if (decided === 'lookup') {
        // The engine may still be taking it: give it a moment, then ask. Never send again.
        await sleep(this.#opts.maybeLookupDelayMs ?? 2_000);
        await this.#settleDoubt(row);
      } else {
        this.#record(row, decided);
      }
    }
  }

  // ------------------------------------------------------------------------------------------------------
  // Receipts

  async #receiptLoop(): Promise<void> {
    let failures = 0;
    while (!this.stopped) {
      if (this.connection === 'paused') {
        // The server refuses a paused device's receipts; they wait in the journal until it is resumed.
        await sleep(this.heartbeatIntervalS * 1000, this.#abort.signal);
        continue;
      }
      const batch = this.journal.pendingReceipts(MAX_RECEIPTS_PER_BATCH);
      if (batch.length === 0) {
        await this.#waitForReceipts(5_000);
        continue;
      }
      try {
        const receipts: Receipt[] = batch.map(({ seq: _seq, ...r }) => r);
        const results = await this.client.receipts(receipts, this.#abort.signal);
        this.counters.receiptsPosted += receipts.length;
        failures = 0;
        this.#reachedServer();
        // Answered (with any outcome): the server has them; only a 5xx or no answer keeps them.
        this.journal.ackReceipts(
          batch.map((r) => r.seq),
          this.clock.now(),
        );
        for (const r of results)
          if (r.outcome === 'rejected')
            this.#log('warn', 'server rejected a receipt', { id: r.messageId, status: r.status });
      } catch (err) {
        if (this.stopped) return;
        if (err instanceof ApiError) {
          // The server refused the batch itself (a 4xx other than auth): find the receipt it cannot take,
          // so one bad receipt never blocks the others.
          await this.#postOneByOne(batch);
          continue;
        }
        this.#handleServerError(err, 'receipts');
        failures++;
        await sleep(backoffDelayMs(failures, this.#backoff, this.#random), this.#abort.signal);
      }
    }
  }

  async #postOneByOne(batch: JournalReceipt[]): Promise<void> {
    for (const { seq, ...r } of batch) {
      try {
        await this.client.receipts([r], this.#abort.signal);
      } catch (err) {
        if (!(err instanceof ApiError)) return; // transient or auth: the loop deals with it
        this.#log('error', 'server refused a receipt; dropping it', {
          id: r.messageId,
          status: r.status,
          code: err.code,
          error: err.message,
        });
      }
      this.journal.ackReceipts([seq], this.clock.now());
    }
  }

  #waitForReceipts(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        if (this.#kickReceipts === done) this.#kickReceipts = null;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.#kickReceipts = done;
    });
  }

  /** Sends every pending receipt now (for tests and a graceful stop); returns how many are left. */
  async flushReceipts(): Promise<number> {
    for (;;) {
      const batch = this.journal.pendingReceipts(MAX_RECEIPTS_PER_BATCH);
      if (batch.length === 0) return 0;
      const receipts: Receipt[] = batch.map(({ seq: _seq, ...r }) => r);
      await this.client.receipts(receipts);
      this.journal.ackReceipts(
        batch.map((r) => r.seq),
        this.clock.now(),
      );
    }
  }

  async #reconcileLoop(): Promise<void> {
    const every = this.#opts.reconcileIntervalMs ?? 60_000;
    while (!this.stopped) {
      await sleep(every, this.#abort.signal);
      if (this.stopped) return;
      await this.#reconcile(every).catch((err) =>
        this.#log('warn', 'reconcile failed', { error: err instanceof Error ? err.message : String(err) }),
      );
      this.journal.prune(this.clock.now());
      this.inbound.outbox.prune(this.clock.now());
    }
  }

  /** Posts received canaries (held while paused: the server refuses a paused device). */
  #inboundLoop(): Promise<void> {
    return this.inbound.run({
      signal: this.#abort.signal,
      ready: () => this.connection !== 'paused',
      onError: (err) => this.#handleServerError(err, 'inbound'),
      onPosted: () => this.#reachedServer(),
    });
  }
}
