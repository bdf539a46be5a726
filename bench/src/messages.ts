/**
 * Message pipeline: the real server (`monitor/src/node.ts`, its own process, a fresh libSQL file) with 50
 * enrolled devices, in two parts.
 *
 * 1. End to end: the devices act as gateway agents from this process (long-poll the outbox, confirm
 *    `submitted`, then report `sent` + `delivered` in one receipt batch) while N messages are submitted
 *    through `POST /v1/messages/batch`. Measures accepted -> delivered throughput and latency, and that
 *    every message was handed to one device, sent once and delivered once.
 * 2. Accept rate: autocannon drives `POST /v1/messages/batch` (100 messages a request) for a fixed time;
 *    then a bare Hono app answering `ok` (also its own process) takes the same requests. Prints messages
 *    accepted/s, p50/p99 per batch and the ratio to the bare endpoint.
 *
 * Then the server is stopped with SIGTERM and the database is read from here: every accepted batch is
 * stored whole, and every end-to-end message ended `delivered` with one lease, one `submitted`, one
 * `delivered`.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient } from '@libsql/client';
import {
  type Bench,
  type BenchContext,
  type Check,
  type Child,
  formatChecks,
  formatTable,
  int,
  type LoadRequest,
  type LoadStats,
  machineLine,
  mapLimit,
  ms,
  processCpuMs,
  runLoad,
  startBareServer,
  startLifeline,
} from './harness.ts';

/** Accept: server CPU per accepted message at most this many times a bare request's (see README). */
export const TARGET_CPU_FACTOR = 20;
/** Accept, where CPU time is not available (not Linux): messages/s ÷ bare requests/s at least this. */
export const TARGET_MESSAGE_RATIO = 0.1;
/** What Android lets an app send by default, per phone: the fleet's capacity is devices × this. */
export const ANDROID_DEFAULT_PER_MINUTE = 30;
/** End to end (burst) must outpace what the phones themselves can send by this factor. */
export const TARGET_E2E_FLEET_FACTOR = 2;
/** Steady trickle: p99 accepted -> delivered under this. */
export const TARGET_STEADY_P99_MS = 1_000;

/** Seconds a device's outbox request waits for work, as the gateway agent does. */
const POLL_WAIT_S = 25;
/** Messages a device takes per outbox request (the API's maximum). */
const POLL_MAX = 100;
/** Concurrent batch submissions in the end-to-end part. */
const SUBMITTERS = 4;
/** Messages per batch in the steady phase (one batch every 200 ms at 25 messages/s). */
const STEADY_BATCH = 5;
/** Re-heartbeat the devices this often while they work, so they stay online (interval 30 s). */
const HEARTBEAT_EVERY_MS = 20_000;

export interface MessageBenchOptions {
  quick?: boolean;
  /** Enrolled devices acting as agents (default 50). */
  devices?: number;
  /** Messages per `POST /v1/messages/batch` (default 100). */
  batchSize?: number;
  /** Concurrent connections of the accept load (default 16). */
  connections?: number;
  /** Seconds of accept load per endpoint (default 10; 1 with `quick`). */
  durationS?: number;
  /**
   * Send exactly this many batch requests per endpoint instead of running for `durationS`: every request
   * is answered before the server stops, so acknowledged == stored exactly.
   */
  amount?: number;
  /** Messages of the end-to-end burst (default 5,000; 300 with `quick`). */
  e2eMessages?: number;
  /** Seconds of the steady phase (default 10; 1 with `quick`); its rate is what the fleet can send. */
  steadyS?: number;
  /** Give up on each end-to-end phase after this many seconds (default 120; 60 with `quick`). */
  e2eTimeoutS?: number;
  /** Extra node flags for the Lifeline server, e.g. `--cpu-prof`. */
  serverNodeArgs?: string[] | undefined;
  log?(line: string): void;
}

export interface AcceptDurability {
  /** Batch requests answered 201, and their messages. */
  acknowledgedBatches: number;
  acknowledgedMessages: number;
  /** Accept-load rows in the messages table after the server stopped. */
  stored: number;
  /** Messages of acknowledged batches not found in the database: must be 0. */
  missing: number;
  /** Batches stored whole although their request was never answered (in flight when the load stopped). */
  storedUnacknowledgedBatches: number;
  /** Requests sent without an answer. */
  inFlightAtStop: number;
  /** Batches stored in part (a batch is all or nothing): must be 0. */
  partialBatches: number;
  /** Rows that match no message sent, or the same message twice: must be 0. */
  unexpected: number;
  serverExitCode: number | null;
  ok: boolean;
}

export interface Percentiles {
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

/** One load shape through the whole pipeline. */
export interface Phase {
  /** Messages submitted, accepted (in a 201 batch) and seen delivered (a `delivered` receipt applied). */
  submitted: number;
  accepted: number;
  delivered: number;
  /** First submission sent -> last `delivered` receipt answered, in seconds. */
  durationS: number;
  /** Delivered messages per second over `durationS`. */
  throughput: number;
  /** First submission sent -> last 201, in seconds. */
  acceptS: number;
  /** Accepted (201 received) -> `delivered` receipt answered `applied`, per message, in ms. */
  latency: Percentiles;
  /** Server CPU time per delivered message, in µs (Linux). */
  serverCpuUsPerMessage: number | undefined;
  /** Share of one core this process used, agents and submitters together. */
  clientCpuShare: number;
}

export interface EndToEnd {
  /** A steady trickle at what the fleet can send: the latency a message sees when nothing is queued. */
  steady: Phase & { ratePerS: number };
  /** A campaign submitted at once: throughput, and latency that is mostly waiting in the queue. */
  burst: Phase;
  /** Messages submitted over both phases. */
  submitted: number;
  /** Outbox requests, and those that came back empty. */
  polls: number;
  emptyPolls: number;
  /** Messages the outbox handed out more than once, or `submitted` applied for more than once: must be 0. */
  handedOutTwice: number;
  sentTwice: number;
  /** Receipts answered anything but `applied`: must be 0 here (no lease lapses). */
  receiptsNotApplied: number;
  /** Non-2xx answers and connection errors (submissions, outbox, receipts, heartbeats): must be 0. */
  errors: number;
  /** From the database after the stop. */
  stored: EndToEndStored;
}

export interface EndToEndStored {
  /** End-to-end messages in the database, and those in state `delivered`. */
  messages: number;
  delivered: number;
  /** Messages with other than exactly one `leased`, one applied `submitted`, one applied `delivered` event. */
  notExactlyOnce: number;
  ok: boolean;
}

export interface MessageBenchResult {
  machine: string;
  devices: number;
  batchSize: number;
  connections: number;
  e2e: EndToEnd;
  accept: LoadStats;
  bare: LoadStats;
  /** Messages accepted per second (2xx batches × batch size). */
  messagesPerS: number;
  /** Batch requests/s ÷ bare requests/s (same requests, same connections). */
  requestRatio: number;
  /** Messages accepted/s ÷ bare requests/s. */
  messageRatio: number;
  durability: AcceptDurability;
  checks: Check[];
}

interface Device {
  id: string;
  token: string;
  seq: number;
}

interface Leased {
  id: string;
  attempt: number;
}

interface ReceiptResult {
  messageId: string;
  status: string;
  outcome: string;
}

export async function runMessageBench(options: MessageBenchOptions = {}): Promise<MessageBenchResult> {
  const quick = options.quick ?? false;
  const devicesWanted = options.devices ?? 50;
  const batchSize = options.batchSize ?? 100;
  const connections = options.connections ?? 16;
  const durationS = options.durationS ?? (quick ? 1 : 10);
  const e2eMessages = options.e2eMessages ?? (quick ? 300 : 5_000);
  const steadyS = options.steadyS ?? (quick ? 1 : 10);
  const steadyRate = (devicesWanted * ANDROID_DEFAULT_PER_MINUTE) / 60;
  const e2eTimeoutS = options.e2eTimeoutS ?? (quick ? 60 : 120);
  const log = options.log ?? (() => {});
  const measure = options.amount !== undefined ? { amount: options.amount } : { durationS };
  const warmupAmount = connections * (quick ? 2 : 5);

  const dir = await mkdtemp(join(tmpdir(), 'lifeline-bench-msg-'));
  const dbPath = join(dir, 'bench.db');
  let server: Child | undefined;
  let bareServer: Child | undefined;
  try {
    // --- the real server, its own process
    log(`starting Lifeline (${dbPath})`);
    const started = await startLifeline({ dbPath, nodeArgs: options.serverNodeArgs });
    server = started.child;
    const { adminKey, url } = started;

    log(
      `enrolling ${devicesWanted} devices (per-SIM limits 10,000/min, 1,000,000/day) and heartbeating them`,
    );
    const devices = await enrolDevices(url, adminKey, devicesWanted);

    // --- end to end: a steady trickle first (nothing queued), then a campaign at once
    const fleet = new Fleet({
      url,
      adminKey,
      devices,
      serverPid: server.process.pid,
      timeoutMs: e2eTimeoutS * 1000,
    });
    fleet.start();
    let steady: Phase;
    let burst: Phase;
    try {
      log(
        `end to end, steady: ${steadyRate} messages/s for ${steadyS} s in batches of ${STEADY_BATCH}, ${devices.length} devices polling`,
      );
      steady = await fleet.steady(steadyRate, steadyS, STEADY_BATCH);
      log(
        `end to end, burst: ${int(e2eMessages)} messages in batches of ${batchSize}, ${SUBMITTERS} submitters`,
      );
      burst = await fleet.burst(e2eMessages, batchSize);
    } finally {
      await fleet.stop();
    }
    const e2e: EndToEnd = {
      steady: { ...steady, ratePerS: steadyRate },
      burst,
      submitted: fleet.submitted,
      polls: fleet.polls,
      emptyPolls: fleet.emptyPolls,
      handedOutTwice: fleet.handedOutTwice,
      sentTwice: fleet.sentTwice,
      receiptsNotApplied: fleet.receiptsNotApplied,
      errors: fleet.errors,
      stored: { messages: 0, delivered: 0, notExactlyOnce: 0, ok: false },
    };

    // --- accept rate
    const load = new BatchLoad(batchSize, adminKey);
    log(`warm-up: ${int(warmupAmount)} batches`);
    await runLoad({ url, path: '/v1/messages/batch', connections, amount: warmupAmount, ...load.handlers() });
    log(
      options.amount !== undefined
        ? `POST /v1/messages/batch: ${int(options.amount)} requests of ${batchSize} messages, ${connections} connections`
        : `POST /v1/messages/batch: ${durationS} s, ${batchSize} messages a request, ${connections} connections`,
    );
    const accept = await runLoad({
      url,
      serverPid: server.process.pid,
      path: '/v1/messages/batch',
      connections,
      ...measure,
      ...load.handlers(),
    });

    // --- durability: stop gracefully, then read the file from here
    log('stopping Lifeline (SIGTERM) and reading the database');
    const stopped = await server.stop('SIGTERM', 30_000);
    server = undefined;
    const exitCode = stopped.killed ? null : stopped.code;
    const client = createClient({ url: `file:${dbPath}` });
    let durability: AcceptDurability;
    try {
      durability = await load.verify(client, exitCode);
      e2e.stored = await verifyEndToEnd(client, e2e.submitted);
    } finally {
      client.close();
    }

    // --- the bare endpoint, its own process, the same requests
    log('starting the bare Hono server');
    const bareStart = await startBareServer();
    bareServer = bareStart.child;
    const bareUrl = bareStart.url;
    const bareLoad = new BatchLoad(batchSize, adminKey);
    await runLoad({
      url: bareUrl,
      path: '/v1/messages/batch',
      connections,
      amount: warmupAmount,
      ...bareLoad.handlers(),
    });
    log('bare "ok": same requests');
    const bare = await runLoad({
      url: bareUrl,
      serverPid: bareServer.process.pid,
      path: '/v1/messages/batch',
      connections,
      ...measure,
      ...bareLoad.handlers(),
    });
    await bareServer.stop('SIGTERM', 10_000);
    bareServer = undefined;

    const messagesPerS = accept.rps * batchSize;
    const requestRatio = bare.rps > 0 ? accept.rps / bare.rps : 0;
    const messageRatio = bare.rps > 0 ? messagesPerS / bare.rps : 0;
    const acceptFigures = { accept, bare, batchSize, messagesPerS, messageRatio };
    const fleetCapacity = (devices.length * ANDROID_DEFAULT_PER_MINUTE) / 60;
    const allDelivered = [e2e.steady, e2e.burst].every(
      (p) => p.accepted === p.submitted && p.delivered === p.submitted,
    );
    const exactlyOnce =
      allDelivered &&
      e2e.handedOutTwice === 0 &&
      e2e.sentTwice === 0 &&
      e2e.stored.ok &&
      e2e.stored.messages === e2e.submitted;
    const checks: Check[] = [
      {
        name: 'every accepted message is durable',
        passed: durability.ok,
        detail: durabilityDetail(durability, batchSize),
      },
      {
        name: 'every message delivered exactly once',
        passed: exactlyOnce,
        detail: exactlyOnceDetail(e2e),
      },
      {
        name: 'no errors',
        passed:
          accept.non2xx === 0 &&
          accept.errors === 0 &&
          bare.non2xx === 0 &&
          bare.errors === 0 &&
          e2e.errors === 0 &&
          e2e.receiptsNotApplied === 0,
        detail: `batches ${accept.non2xx} non-2xx, ${accept.errors} errors; bare ${bare.non2xx} non-2xx, ${bare.errors} errors; end to end ${e2e.errors} errors, ${e2e.receiptsNotApplied} receipts not applied`,
      },
      acceptCheck(acceptFigures),
      {
        name: `end to end >= ${TARGET_E2E_FLEET_FACTOR}× what the phones can send`,
        passed: e2e.burst.throughput >= TARGET_E2E_FLEET_FACTOR * fleetCapacity,
        detail: `${int(e2e.burst.throughput)} delivered/s; ${devices.length} phones at Android's default ${ANDROID_DEFAULT_PER_MINUTE} SMS/min send ${ms(fleetCapacity)}/s`,
      },
      {
        name: `steady p99 < ${TARGET_STEADY_P99_MS} ms`,
        passed: e2e.steady.delivered > 0 && e2e.steady.latency.p99 < TARGET_STEADY_P99_MS,
        detail: `${ms(Math.round(e2e.steady.latency.p99))} ms accepted -> delivered at ${ms(e2e.steady.ratePerS)} messages/s`,
      },
    ];
    return {
      machine: machineLine(),
      devices: devices.length,
      batchSize,
      connections,
      e2e,
      accept,
      bare,
      messagesPerS,
      requestRatio,
      messageRatio,
      durability,
      checks,
    };
  } finally {
    await server?.stop('SIGKILL', 5_000);
    await bareServer?.stop('SIGKILL', 5_000);
    await rm(dir, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------------------------------------
// HTTP

interface Answer {
  status: number;
  json: unknown;
}

async function call(
  url: string,
  method: string,
  path: string,
  opts: { token?: string; body?: unknown; signal?: AbortSignal } = {},
): Promise<Answer> {
  const headers: Record<string, string> = {};
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  let body: string | undefined;
  if (opts.body !== undefined) {
    headers['content-type'] = 'application/json';
    body = typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body);
  }
  const res = await fetch(`${url}${path}`, {
    method,
    headers,
    body,
    signal: opts.signal ?? AbortSignal.timeout(60_000),
  });
  const text = await res.text();
  return { status: res.status, json: text ? JSON.parse(text) : null };
}

function expectStatus(a: Answer, status: number, what: string): Record<string, unknown> {
  if (a.status !== status) throw new Error(`${what}: ${a.status} ${JSON.stringify(a.json)}`);
  return a.json as Record<string, unknown>;
}

/**
 * One enrolment code per device, enrolment through the public API, per-SIM limits raised so the limiter
 * does not cap the measurement, and a first heartbeat (which brings a device online at once).
 */
async function enrolDevices(url: string, adminKey: string, count: number): Promise<Device[]> {
  const deadline = Date.now() + 120_000;
  return mapLimit(
    Array.from({ length: count }, (_, i) => i),
    16,
    async (i) => {
      if (Date.now() > deadline) throw new Error('enrolment took longer than 120 s');
      const code = expectStatus(
        await call(url, 'POST', '/v1/enrollment-codes', { token: adminKey, body: {} }),
        201,
        'enrolment code',
      );
      const enrolled = expectStatus(
        await call(url, 'POST', '/v1/devices/enroll', {
          body: { code: code.code, name: `Bench phone ${i + 1}` },
        }),
        201,
        'enrol',
      );
      const device: Device = { id: String(enrolled.deviceId), token: String(enrolled.token), seq: 0 };
      expectStatus(
        await call(url, 'PATCH', `/v1/devices/${device.id}`, {
          token: adminKey,
          body: { simRatePerMinute: 10_000, simRatePerDay: 1_000_000 },
        }),
        200,
        'device limits',
      );
      await heartbeat(url, device);
      return device;
    },
  );
}

async function heartbeat(url: string, d: Device): Promise<void> {
  const seq = d.seq++;
  const body = {
    runId: `bench-run-${d.id}`,
    seq,
    monotonicMs: 1_000 + seq * 20_000,
    bootId: `bench-boot-${d.id}`,
    deviceTime: Date.now(),
    appVersion: '0.1.0',
    driver: {
      name: 'bench',
      status: 'pass',
      capabilities: { sentReports: true, deliveryReports: true, simChoice: false },
    },
    battery: { percent: 80, charging: true, temperatureC: 31 },
    network: { type: 'cellular', connected: true },
    sims: [{ slot: 0, carrier: 'Vodafone UK', mccMnc: '23415', signalDbm: -85, signalLevel: 3 }],
    queue: { depth: 0, oldestPendingAgeS: null },
    counters: { sent: 0, delivered: 0, failed: 0 },
    lastSendSuccessAt: null,
    lastError: null,
  };
  expectStatus(await call(url, 'POST', '/v1/heartbeats', { token: d.token, body }), 202, 'heartbeat');
}

// ---------------------------------------------------------------------------------------------------------
// End to end

/** Distinct recipients spread the messages over the devices (routing is sticky per recipient). */
function recipient(n: number): string {
  return `+44770${String(n % 1_000_000).padStart(6, '0')}`;
}

const sleep = (msDelay: number) => new Promise<void>((r) => setTimeout(r, msDelay));

/**
 * The 50 devices as gateway agents in this process, and the submitter. Agents run from `start()` to
 * `stop()`; each phase submits its messages and waits until every accepted one is seen delivered.
 */
class Fleet {
  readonly #url: string;
  readonly #adminKey: string;
  readonly #devices: Device[];
  readonly #serverPid: number | undefined;
  readonly #timeoutMs: number;
  readonly #stop = new AbortController();
  /** Answer time of the `delivered` receipt answered `applied`, by message id. */
  readonly #deliveredAt = new Map<string, number>();
  /** Outbox hand-outs and `submitted` receipts answered `applied` ("sent to the SMS engine"), by message id. */
  readonly #handouts = new Map<string, number>();
  readonly #sends = new Map<string, number>();
  #agents: Promise<void>[] = [];
  #beating: NodeJS.Timeout | undefined;
  #nextNumber = 0;
  polls = 0;
  emptyPolls = 0;
  receiptsNotApplied = 0;
  errors = 0;

  constructor(input: {
    url: string;
    adminKey: string;
    devices: Device[];
    serverPid: number | undefined;
    timeoutMs: number;
  }) {
    this.#url = input.url;
    this.#adminKey = input.adminKey;
    this.#devices = input.devices;
    this.#serverPid = input.serverPid;
    this.#timeoutMs = input.timeoutMs;
  }

  get submitted(): number {
    return this.#nextNumber;
  }

  get handedOutTwice(): number {
    return [...this.#handouts.values()].filter((n) => n > 1).length;
  }

  get sentTwice(): number {
    return [...this.#sends.values()].filter((n) => n > 1).length;
  }

  start(): void {
    this.#agents = this.#devices.map((d) => this.#agent(d));
    this.#beating = setInterval(() => {
      void mapLimit(this.#devices, 16, (d) => heartbeat(this.#url, d)).catch(() => {
        this.errors++;
      });
    }, HEARTBEAT_EVERY_MS);
  }

  async stop(): Promise<void> {
    clearInterval(this.#beating);
    this.#stop.abort();
    await Promise.all(this.#agents);
  }

  /** `count` messages in batches of `batchSize`, `SUBMITTERS` at a time, as fast as they are accepted. */
  burst(count: number, batchSize: number): Promise<Phase> {
    const batches: number[][] = [];
    for (let i = 0; i < count; i += batchSize) batches.push(this.#numbers(Math.min(batchSize, count - i)));
    return this.#measure(count, async (acceptedAt) => {
      await mapLimit(batches, SUBMITTERS, (b) => this.#submit(b, acceptedAt));
    });
  }

  /** `ratePerS` messages a second for `seconds`, in batches of `batchSize` sent on a fixed schedule. */
  steady(ratePerS: number, seconds: number, batchSize: number): Promise<Phase> {
    const batches = Math.max(1, Math.round((seconds * ratePerS) / batchSize));
    const intervalMs = (1000 * batchSize) / ratePerS;
    return this.#measure(batches * batchSize, async (acceptedAt) => {
      const t0 = performance.now();
      const inFlight: Promise<void>[] = [];
      for (let k = 0; k < batches; k++) {
        const wait = t0 + k * intervalMs - performance.now();
        if (wait > 0) await sleep(wait);
        inFlight.push(this.#submit(this.#numbers(batchSize), acceptedAt)); // not awaited: keep the schedule
      }
      await Promise.all(inFlight);
    });
  }

  #numbers(n: number): number[] {
    return Array.from({ length: n }, () => this.#nextNumber++);
  }

  async #submit(numbers: number[], acceptedAt: Map<string, number>): Promise<void> {
    const body = JSON.stringify({
      messages: numbers.map((n) => ({ to: recipient(n), text: `Bench e2e message ${n}: your code is 4711` })),
    });
    try {
      const a = await call(this.#url, 'POST', '/v1/messages/batch', { token: this.#adminKey, body });
      if (a.status !== 201) throw new Error(String(a.status));
      const t = performance.now();
      for (const m of (a.json as { messages: { id: string }[] }).messages) acceptedAt.set(m.id, t);
    } catch {
      this.errors++;
    }
  }

  async #measure(
    submitted: number,
    submit: (acceptedAt: Map<string, number>) => Promise<void>,
  ): Promise<Phase> {
    const acceptedAt = new Map<string, number>();
    const startedAt = performance.now();
    const until = startedAt + this.#timeoutMs;
    const serverCpuBefore = processCpuMs(this.#serverPid);
    const clientCpuBefore = process.cpuUsage();
    await submit(acceptedAt);
    const acceptedAllAt = performance.now();
    const pending = new Set(acceptedAt.keys());
    while (pending.size > 0 && performance.now() < until) {
      for (const id of pending) if (this.#deliveredAt.has(id)) pending.delete(id);
      if (pending.size > 0) await sleep(10);
    }
    const serverCpuAfter = processCpuMs(this.#serverPid);
    const client = process.cpuUsage(clientCpuBefore);
    const wallMs = performance.now() - startedAt;

    const latencies: number[] = [];
    let lastDeliveredAt = startedAt;
    for (const [id, t] of acceptedAt) {
      const d = this.#deliveredAt.get(id);
      if (d === undefined) continue;
      // A device can report before this process has read the batch's 201: that counts as 0.
      latencies.push(Math.max(0, d - t));
      lastDeliveredAt = Math.max(lastDeliveredAt, d);
    }
    const delivered = latencies.length;
    const durationS = (lastDeliveredAt - startedAt) / 1000;
    return {
      submitted,
      accepted: acceptedAt.size,
      delivered,
      durationS,
      throughput: durationS > 0 ? delivered / durationS : 0,
      acceptS: (acceptedAllAt - startedAt) / 1000,
      latency: percentiles(latencies),
      serverCpuUsPerMessage:
        serverCpuBefore === undefined || serverCpuAfter === undefined || delivered === 0
          ? undefined
          : ((serverCpuAfter - serverCpuBefore) * 1000) / delivered,
      clientCpuShare: wallMs > 0 ? (client.user + client.system) / 1000 / wallMs : 0,
    };
  }

  async #receipts(d: Device, list: object[]): Promise<ReceiptResult[] | undefined> {
    const at = Date.now();
    try {
      const a = await call(this.#url, 'POST', '/v1/receipts', {
        token: d.token,
        body: { receipts: list.map((r) => ({ ...r, at })) },
      });
      if (a.status === 200) return (a.json as { results: ReceiptResult[] }).results;
    } catch {
      // counted below
    }
    this.errors++;
    return undefined;
  }

  /** A gateway agent: long-poll, confirm `submitted`, "send" what was applied, report sent + delivered. */
  async #agent(d: Device): Promise<void> {
    const signal = this.#stop.signal;
    const path = `/v1/devices/me/outbox?wait=${POLL_WAIT_S}&max=${POLL_MAX}`;
    while (!signal.aborted) {
      let leased: Leased[];
      try {
        const a = await call(this.#url, 'GET', path, { token: d.token, signal });
        if (a.status !== 200) throw new Error(String(a.status));
        leased = (a.json as { messages: Leased[] }).messages;
      } catch {
        if (signal.aborted) return;
        this.errors++;
        await sleep(100);
        continue;
      }
      this.polls++;
      if (leased.length === 0) {
        this.emptyPolls++;
        continue;
      }
      for (const m of leased) this.#handouts.set(m.id, (this.#handouts.get(m.id) ?? 0) + 1);
      const submitted = await this.#receipts(
        d,
        leased.map((m) => ({ messageId: m.id, attempt: m.attempt, status: 'submitted' })),
      );
      if (!submitted) continue;
      const sent = leased.filter((_, i) => submitted[i]?.outcome === 'applied');
      this.receiptsNotApplied += leased.length - sent.length;
      for (const m of sent) this.#sends.set(m.id, (this.#sends.get(m.id) ?? 0) + 1);
      if (sent.length === 0) continue;
      const outcomes = await this.#receipts(
        d,
        sent.flatMap((m) => [
          { messageId: m.id, attempt: m.attempt, status: 'sent' },
          { messageId: m.id, attempt: m.attempt, status: 'delivered' },
        ]),
      );
      if (!outcomes) continue;
      const now = performance.now();
      for (const r of outcomes) {
        if (r.outcome !== 'applied') this.receiptsNotApplied++;
        else if (r.status === 'delivered') this.#deliveredAt.set(r.messageId, now);
      }
    }
  }
}

function percentiles(samples: number[]): Percentiles {
  if (samples.length === 0) return { p50: 0, p90: 0, p99: 0, max: 0 };
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
  return { p50: at(0.5), p90: at(0.9), p99: at(0.99), max: sorted[sorted.length - 1]! };
}

type DbClient = ReturnType<typeof createClient>;

/** Every end-to-end message is `delivered`, with exactly one lease, one applied `submitted` and `delivered`. */
async function verifyEndToEnd(client: DbClient, submitted: number): Promise<EndToEndStored> {
  const rs = await client.execute(`
    SELECT m.id, m.status,
      (SELECT COUNT(*) FROM message_events e WHERE e.message_id = m.id AND e.status = 'leased') AS leased,
      (SELECT COUNT(*) FROM message_events e WHERE e.message_id = m.id AND e.status = 'submitted' AND e.applied = 1) AS submitted,
      (SELECT COUNT(*) FROM message_events e WHERE e.message_id = m.id AND e.status = 'delivered' AND e.applied = 1) AS delivered
    FROM messages m WHERE m.body LIKE 'Bench e2e message %'`);
  let delivered = 0;
  let notExactlyOnce = 0;
  for (const row of rs.rows) {
    if (row.status === 'delivered') delivered++;
    if (Number(row.leased) !== 1 || Number(row.submitted) !== 1 || Number(row.delivered) !== 1)
      notExactlyOnce++;
  }
  const messages = rs.rows.length;
  return {
    messages,
    delivered,
    notExactlyOnce,
    ok: messages === submitted && delivered === submitted && notExactlyOnce === 0,
  };
}

// ---------------------------------------------------------------------------------------------------------
// Accept load

/**
 * The accept-rate request stream: batch `k` holds messages whose text names `k` and their index, so the
 * rows can be matched to the requests afterwards. Remembers every batch sent and every one answered 201.
 */
class BatchLoad {
  readonly #batchSize: number;
  readonly #headers: Record<string, string>;
  /** Each message's JSON around its batch key, built once: the load generator stays cheap. */
  readonly #before: string[];
  readonly #after: string[];
  readonly #acked = new Set<number>();
  #next = 0;
  #answered = 0;

  constructor(batchSize: number, adminKey: string) {
    this.#batchSize = batchSize;
    this.#headers = { 'content-type': 'application/json', authorization: `Bearer ${adminKey}` };
    this.#before = Array.from(
      { length: batchSize },
      (_, j) => `{"to":"${recipient(j)}","text":"Bench batch `,
    );
    this.#after = Array.from({ length: batchSize }, (_, j) => ` message ${j}: your code is 4711"}`);
  }

  handlers() {
    return {
      next: (): LoadRequest => {
        const key = this.#next++;
        let body = '{"messages":[';
        for (let j = 0; j < this.#batchSize; j++)
          body += `${j > 0 ? ',' : ''}${this.#before[j]}${key}${this.#after[j]}`;
        return { headers: this.#headers, body: `${body}]}`, key };
      },
      onResponse: (status: number, key: number) => {
        this.#answered++;
        if (status === 201) this.#acked.add(key);
      },
    };
  }

  async verify(client: DbClient, serverExitCode: number | null): Promise<AcceptDurability> {
    const rs = await client.execute(`SELECT body FROM messages WHERE body LIKE 'Bench batch %'`);
    const seen = new Map<number, Set<number>>();
    let unexpected = 0;
    for (const row of rs.rows) {
      const m = /^Bench batch (\d+) message (\d+):/.exec(String(row.body));
      const key = Number(m?.[1]);
      const index = Number(m?.[2]);
      if (!m || key >= this.#next || index >= this.#batchSize) {
        unexpected++;
        continue;
      }
      let set = seen.get(key);
      if (!set) {
        set = new Set();
        seen.set(key, set);
      }
      if (set.has(index)) unexpected++;
      else set.add(index);
    }
    let missing = 0;
    for (const key of this.#acked) missing += this.#batchSize - (seen.get(key)?.size ?? 0);
    let partialBatches = 0;
    let storedUnacknowledgedBatches = 0;
    for (const [key, set] of seen) {
      if (set.size !== this.#batchSize) partialBatches++;
      else if (!this.#acked.has(key)) storedUnacknowledgedBatches++;
    }
    const inFlightAtStop = this.#next - this.#answered;
    return {
      acknowledgedBatches: this.#acked.size,
      acknowledgedMessages: this.#acked.size * this.#batchSize,
      stored: rs.rows.length,
      missing,
      storedUnacknowledgedBatches,
      inFlightAtStop,
      partialBatches,
      unexpected,
      serverExitCode,
      ok:
        missing === 0 &&
        partialBatches === 0 &&
        unexpected === 0 &&
        storedUnacknowledgedBatches <= inFlightAtStop &&
        serverExitCode === 0,
    };
  }
}

// ---------------------------------------------------------------------------------------------------------
// Output

/**
 * The accept target. Server CPU per message against a bare request's is a property of the server; the
 * throughput ratio on a shared machine is as much one of the load generator and the neighbours. The
 * throughput ratio is the check only where CPU time cannot be read.
 */
function acceptCheck(r: {
  accept: LoadStats;
  bare: LoadStats;
  batchSize: number;
  messagesPerS: number;
  messageRatio: number;
}): Check {
  const throughput = `messages/s ÷ bare requests/s ${r.messageRatio.toFixed(2)} (${int(r.messagesPerS)} / ${int(r.bare.rps)})`;
  if (r.accept.serverCpuUs === undefined || r.bare.serverCpuUs === undefined || r.bare.serverCpuUs <= 0) {
    return {
      name: `accept ratio >= ${TARGET_MESSAGE_RATIO}`,
      passed: r.messageRatio >= TARGET_MESSAGE_RATIO,
      detail: `${throughput}; no CPU figures here`,
    };
  }
  const perMessage = r.accept.serverCpuUs / r.batchSize;
  const factor = perMessage / r.bare.serverCpuUs;
  return {
    name: `accept CPU per message <= ${TARGET_CPU_FACTOR}× a bare request`,
    passed: factor <= TARGET_CPU_FACTOR,
    detail: `${factor.toFixed(1)}× (${int(perMessage)} µs per accepted message / ${int(r.bare.serverCpuUs)} µs per bare request); ${throughput}`,
  };
}

function durabilityDetail(d: AcceptDurability, batchSize: number): string {
  const parts = [
    `${int(d.acknowledgedMessages)} accepted (${int(d.acknowledgedBatches)} batches of ${batchSize}), ${int(d.stored)} stored`,
    d.missing === 0 ? 'every accepted one found' : `${int(d.missing)} accepted but MISSING`,
  ];
  if (d.storedUnacknowledgedBatches > 0 || d.inFlightAtStop > 0)
    parts.push(
      `${d.storedUnacknowledgedBatches} batches stored of the ${d.inFlightAtStop} in flight when the load stopped`,
    );
  if (d.partialBatches > 0) parts.push(`${d.partialBatches} batches stored in PART`);
  if (d.unexpected > 0) parts.push(`${d.unexpected} unexpected rows`);
  if (d.serverExitCode !== 0) parts.push(`server exit code ${d.serverExitCode ?? 'none (killed)'}`);
  return parts.join('; ');
}

function exactlyOnceDetail(e: EndToEnd): string {
  const delivered = e.steady.delivered + e.burst.delivered;
  const accepted = e.steady.accepted + e.burst.accepted;
  const parts = [
    `${int(delivered)} of ${int(e.submitted)} delivered (${int(accepted)} accepted)`,
    `${e.handedOutTwice} handed out twice, ${e.sentTwice} sent twice`,
    `database: ${int(e.stored.delivered)} of ${int(e.stored.messages)} delivered, ${e.stored.notExactlyOnce} without exactly one lease/submitted/delivered`,
  ];
  return parts.join('; ');
}

function phaseRow(label: string, p: Phase): string[] {
  return [
    label,
    int(p.delivered),
    int(p.throughput),
    int(p.latency.p50),
    int(p.latency.p90),
    int(p.latency.p99),
    int(p.latency.max),
    p.serverCpuUsPerMessage === undefined ? 'n/a' : int(p.serverCpuUsPerMessage),
    `${Math.round(p.clientCpuShare * 100)}%`,
  ];
}

export function formatMessageResult(r: MessageBenchResult): string[] {
  const e = r.e2e;
  const row = (label: string, s: LoadStats, perRequest: number) => [
    label,
    int(s.rps),
    int(s.rps * perRequest),
    ms(s.p50),
    ms(s.p99),
    ms(s.max),
    s.serverCpuUs === undefined ? 'n/a' : int(s.serverCpuUs),
    `${Math.round(s.clientCpuShare * 100)}%`,
    int(s.ok),
    int(s.non2xx),
    int(s.errors),
  ];
  const perMessageCpu =
    r.accept.serverCpuUs !== undefined && r.bare.serverCpuUs !== undefined
      ? [
          `server CPU per batch: ${int(r.accept.serverCpuUs)} µs vs ${int(r.bare.serverCpuUs)} µs bare (${(r.accept.serverCpuUs / r.bare.serverCpuUs).toFixed(1)}×); per accepted message ${int(r.accept.serverCpuUs / r.batchSize)} µs (${(r.accept.serverCpuUs / r.batchSize / r.bare.serverCpuUs).toFixed(1)}× a bare request; target <= ${TARGET_CPU_FACTOR}×)`,
        ]
      : [];
  return [
    `${r.devices} devices; accept load ${r.batchSize} messages a request, ${r.connections} connections, ${r.accept.durationS} s per endpoint`,
    '',
    ...formatTable(
      [
        'endpoint',
        'req/s',
        'msg/s',
        'p50 ms',
        'p99 ms',
        'max ms',
        'server CPU µs/req',
        'load gen CPU',
        '2xx',
        'non-2xx',
        'errors',
      ],
      [
        row('POST /v1/messages/batch', r.accept, r.batchSize),
        row('bare Hono "ok"', r.bare, 0).map((c, i) => (i === 2 ? '-' : c)),
      ],
    ),
    '',
    `ratio batches/s ÷ bare/s: ${r.requestRatio.toFixed(4)}; messages/s ÷ bare/s: ${r.messageRatio.toFixed(2)}`,
    ...perMessageCpu,
    '',
    ...formatTable(
      [
        'end to end',
        'messages',
        'delivered/s',
        'p50 ms',
        'p90 ms',
        'p99 ms',
        'max ms',
        'server CPU µs/msg',
        'agents CPU',
      ],
      [
        phaseRow(`steady ${ms(e.steady.ratePerS)} msg/s`, e.steady),
        phaseRow(`burst, ${int(e.burst.submitted)} at once`, e.burst),
      ],
    ),
    `latency: batch answered 201 -> delivered receipt answered; burst: all ${int(e.burst.accepted)} accepted in ${e.burst.acceptS.toFixed(1)} s (${int(e.burst.accepted / Math.max(e.burst.acceptS, 0.001))}/s while the devices drain), last delivered after ${e.burst.durationS.toFixed(1)} s`,
    `outbox: ${int(e.polls)} polls (${int(e.emptyPolls)} empty), ${(e.submitted / Math.max(1, e.polls - e.emptyPolls)).toFixed(1)} messages per non-empty poll`,
    ...formatChecks(r.checks),
  ];
}

export const messageBench: Bench = {
  name: 'messages',
  summary: 'POST /v1/messages/batch against a bare Hono endpoint, and accepted -> delivered with 50 devices',
  async run(ctx: BenchContext) {
    const result = await runMessageBench({
      quick: ctx.quick,
      log: (line) => ctx.log(`  · ${line}`),
      serverNodeArgs: process.env.BENCH_SERVER_NODE_ARGS?.split(/\s+/).filter(Boolean),
    });
    for (const line of formatMessageResult(result)) ctx.log(line);
    return { name: 'messages', checks: result.checks };
  },
};
