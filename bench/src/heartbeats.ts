/**
 * Heartbeat ingest: the real server (`monitor/src/node.ts`, its own process, a fresh libSQL file) takes
 * `POST /v1/heartbeats` from many enrolled devices over 64 connections, driven by autocannon from this
 * process; then a bare Hono app answering `ok` (also its own process) takes the same load. Prints
 * heartbeats/s, p50/p99 and the ratio to the bare endpoint, then checks that every acknowledged (202)
 * heartbeat is in the database after a graceful stop.
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
  runLoad,
  startBareServer,
  startDurableFloorServer,
  startLifeline,
} from './harness.ts';

export const TARGET_RATIO = 0.5;
export const TARGET_P99_MS = 25;

export interface HeartbeatBenchOptions {
  quick?: boolean;
  /** Enrolled devices the load rotates over (default 1,000; 200 with `quick`). */
  devices?: number;
  /** Concurrent connections (default 64). */
  connections?: number;
  /** Seconds of load per endpoint (default 10; 2 with `quick`). */
  durationS?: number;
  /**
   * Send exactly this many requests per endpoint instead of running for `durationS`: every request is
   * answered before the server stops, so acknowledged == stored exactly.
   */
  amount?: number;
  /** Extra node flags for the Lifeline server, e.g. `--cpu-prof`. */
  serverNodeArgs?: string[] | undefined;
  /**
   * The server script (default `monitor/src/node.ts`), for measuring a variant; it must print the
   * first-run banner and the `Lifeline is listening on URL` line as node.ts does.
   */
  serverEntry?: string;
  log?(line: string): void;
}

export interface Durability {
  /** Heartbeats answered 202. */
  acknowledged: number;
  /** Rows in the heartbeats table after the server stopped. */
  stored: number;
  /** Acknowledged heartbeats not found in the database: must be 0. */
  missing: number;
  /** Stored heartbeats that were sent but never answered (in flight when the load stopped). */
  storedUnacknowledged: number;
  /** Requests sent without an answer: in flight when the load stopped, or lost to a connection error. */
  inFlightAtStop: number;
  /** Rows that match no request sent, or the same request twice: must be 0. */
  unexpected: number;
  /** Exit code of the server after SIGTERM (0: drained and closed cleanly). */
  serverExitCode: number | null;
  ok: boolean;
}

export interface HeartbeatBenchResult {
  machine: string;
  devices: number;
  connections: number;
  heartbeats: LoadStats;
  bare: LoadStats;
  /** The durable floor: each body stored whole by group commit, nothing else (context, not a target). */
  floor: LoadStats;
  ratio: number;
  durability: Durability;
  checks: Check[];
}

interface Device {
  id: string;
  token: string;
}

export async function runHeartbeatBench(options: HeartbeatBenchOptions = {}): Promise<HeartbeatBenchResult> {
  const quick = options.quick ?? false;
  const devicesWanted = options.devices ?? (quick ? 200 : 1_000);
  const connections = options.connections ?? 64;
  const durationS = options.durationS ?? (quick ? 2 : 10);
  const log = options.log ?? (() => {});
  const measure = options.amount !== undefined ? { amount: options.amount } : { durationS };
  const warmupAmount = Math.max(devicesWanted * 2, connections * 20);

  const dir = await mkdtemp(join(tmpdir(), 'lifeline-bench-'));
  const dbPath = join(dir, 'bench.db');
  let server: Child | undefined;
  let bareServer: Child | undefined;
  let floorServer: Child | undefined;
  try {
    // --- the real server, its own process
    log(`starting Lifeline (${dbPath})`);
    const started = await startLifeline({
      dbPath,
      entry: options.serverEntry,
      nodeArgs: options.serverNodeArgs,
    });
    server = started.child;
    const { adminKey, url } = started;

    log(`enrolling ${devicesWanted} devices`);
    const devices = await enrolDevices(url, adminKey, devicesWanted);

    // --- heartbeats
    const load = new HeartbeatLoad(devices);
    log(`warm-up: ${int(warmupAmount)} heartbeats`);
    await runLoad({ url, path: '/v1/heartbeats', connections, amount: warmupAmount, ...load.handlers() });
    log(
      options.amount !== undefined
        ? `POST /v1/heartbeats: ${int(options.amount)} requests, ${connections} connections`
        : `POST /v1/heartbeats: ${durationS} s, ${connections} connections`,
    );
    const heartbeats = await runLoad({
      url,
      serverPid: server.process.pid,
      path: '/v1/heartbeats',
      connections,
      ...measure,
      ...load.handlers(),
    });

    // --- durability: stop gracefully, then read the file from here
    log('stopping Lifeline (SIGTERM) and counting stored heartbeats');
    const stopped = await server.stop('SIGTERM', 30_000);
    server = undefined;
    const durability = await load.verify(dbPath, stopped.killed ? null : stopped.code);

    // --- the bare endpoint, its own process, the same load
    log('starting the bare Hono server');
    const bareStart = await startBareServer();
    bareServer = bareStart.child;
    const bareUrl = bareStart.url;
    const bareLoad = new HeartbeatLoad(devices);
    await runLoad({
      url: bareUrl,
      path: '/v1/heartbeats',
      connections,
      amount: warmupAmount,
      ...bareLoad.handlers(),
    });
    log(`bare "ok": same load`);
    const bare = await runLoad({
      url: bareUrl,
      serverPid: bareServer.process.pid,
      path: '/v1/heartbeats',
      connections,
      ...measure,
      ...bareLoad.handlers(),
    });
    await bareServer.stop('SIGTERM', 10_000);
    bareServer = undefined;

    // --- the durable floor: the same load stored whole, nothing else (for context; no check)
    log('starting the durable floor server');
    const floorStart = await startDurableFloorServer(join(dir, 'floor.db'));
    floorServer = floorStart.child;
    const floorLoad = new HeartbeatLoad(devices);
    const floorRun = { url: floorStart.url, path: '/v1/heartbeats', connections };
    await runLoad({ ...floorRun, amount: warmupAmount, ...floorLoad.handlers() });
    log('durable floor: same load');
    const floor = await runLoad({
      ...floorRun,
      serverPid: floorServer.process.pid,
      ...measure,
      ...floorLoad.handlers(),
    });
    await floorServer.stop('SIGTERM', 10_000);
    floorServer = undefined;

    const ratio = bare.rps > 0 ? heartbeats.rps / bare.rps : 0;
    const checks: Check[] = [
      {
        name: 'every acknowledged heartbeat is durable',
        passed: durability.ok,
        detail: durabilityDetail(durability),
      },
      {
        name: 'no errors',
        passed: heartbeats.non2xx === 0 && heartbeats.errors === 0 && bare.non2xx === 0 && bare.errors === 0,
        detail: `heartbeats ${heartbeats.non2xx} non-2xx, ${heartbeats.errors} errors; bare ${bare.non2xx} non-2xx, ${bare.errors} errors`,
      },
      {
        name: `ratio >= ${TARGET_RATIO}`,
        passed: ratio >= TARGET_RATIO,
        detail: `${ratio.toFixed(2)} (${int(heartbeats.rps)} heartbeats/s / ${int(bare.rps)} bare/s)`,
      },
      {
        name: `p99 < ${TARGET_P99_MS} ms`,
        passed: heartbeats.p99 < TARGET_P99_MS,
        detail: `${ms(heartbeats.p99)} ms`,
      },
    ];
    return {
      machine: machineLine(),
      devices: devices.length,
      connections,
      heartbeats,
      bare,
      floor,
      ratio,
      durability,
      checks,
    };
  } finally {
    await server?.stop('SIGKILL', 5_000);
    await bareServer?.stop('SIGKILL', 5_000);
    await floorServer?.stop('SIGKILL', 5_000);
    await rm(dir, { recursive: true, force: true });
  }
}

/** Creates one enrolment code per device with the admin key, and enrols each through the public API. */
async function enrolDevices(url: string, adminKey: string, count: number): Promise<Device[]> {
  const deadline = Date.now() + 120_000;
  const post = async (path: string, body: unknown, token?: string) => {
    if (Date.now() > deadline) throw new Error('enrolment took longer than 120 s');
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (token) headers.authorization = `Bearer ${token}`;
    const res = await fetch(`${url}${path}`, { method: 'POST', headers, body: JSON.stringify(body) });
    const json = (await res.json()) as Record<string, unknown>;
    if (res.status !== 201) throw new Error(`POST ${path}: ${res.status} ${JSON.stringify(json)}`);
    return json;
  };
  return mapLimit(
    Array.from({ length: count }, (_, i) => i),
    16,
    async (i) => {
      const code = await post('/v1/enrollment-codes', {}, adminKey);
      const enrolled = await post('/v1/devices/enroll', { code: code.code, name: `Bench phone ${i + 1}` });
      return { id: String(enrolled.deviceId), token: String(enrolled.token) };
    },
  );
}

/**
 * The request stream: devices in rotation, each with its own run and a `seq` that goes up by one per
 * heartbeat. Remembers every (device, seq) sent and every one answered 202, to check them against the
 * database afterwards.
 */
class HeartbeatLoad {
  readonly #devices: Device[];
  readonly #headers: Record<string, string>[];
  readonly #nextSeq: Int32Array;
  readonly #acked = new Set<number>();
  #turn = 0;
  #sent = 0;
  #answered = 0;

  constructor(devices: Device[]) {
    this.#devices = devices;
    this.#headers = devices.map((d) => ({
      'content-type': 'application/json',
      authorization: `Bearer ${d.token}`,
    }));
    this.#nextSeq = new Int32Array(devices.length);
  }

  handlers() {
    return {
      next: (): LoadRequest => {
        const i = this.#turn;
        this.#turn = (i + 1) % this.#devices.length;
        const seq = this.#nextSeq[i]!++;
        this.#sent++;
        return { headers: this.#headers[i]!, body: heartbeatBody(i, seq), key: this.#key(i, seq) };
      },
      onResponse: (status: number, key: number) => {
        this.#answered++;
        if (status === 202) this.#acked.add(key);
      },
    };
  }

  #key(device: number, seq: number): number {
    return seq * this.#devices.length + device;
  }

  async verify(dbPath: string, serverExitCode: number | null): Promise<Durability> {
    const index = new Map(this.#devices.map((d, i) => [d.id, i]));
    const client = createClient({ url: `file:${dbPath}` });
    try {
      const rs = await client.execute('SELECT device_id, seq FROM heartbeats');
      const seen = new Set<number>();
      let unexpected = 0;
      let storedAcked = 0;
      for (const row of rs.rows) {
        const device = index.get(String(row.device_id));
        const seq = Number(row.seq);
        if (device === undefined || !(seq >= 0 && seq < this.#nextSeq[device]!)) {
          unexpected++;
          continue;
        }
        const key = this.#key(device, seq);
        if (seen.has(key)) {
          unexpected++;
          continue;
        }
        seen.add(key);
        if (this.#acked.has(key)) storedAcked++;
      }
      const acknowledged = this.#acked.size;
      const stored = rs.rows.length;
      const missing = acknowledged - storedAcked;
      const storedUnacknowledged = seen.size - storedAcked;
      const inFlightAtStop = this.#sent - this.#answered;
      return {
        acknowledged,
        stored,
        missing,
        storedUnacknowledged,
        inFlightAtStop,
        unexpected,
        serverExitCode,
        ok:
          missing === 0 && unexpected === 0 && storedUnacknowledged <= inFlightAtStop && serverExitCode === 0,
      };
    } finally {
      client.close();
    }
  }
}

function heartbeatBody(device: number, seq: number): string {
  return JSON.stringify({
    runId: `bench-run-${device}`,
    seq,
    monotonicMs: 1_000 + seq * 30_000,
    bootId: `bench-boot-${device}`,
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
    counters: { sent: seq, delivered: seq, failed: 0 },
    lastSendSuccessAt: null,
    lastError: null,
  });
}

function durabilityDetail(d: Durability): string {
  const parts = [
    `${int(d.acknowledged)} acknowledged, ${int(d.stored)} stored`,
    d.missing === 0 ? 'every acknowledged one found' : `${int(d.missing)} acknowledged but MISSING`,
  ];
  if (d.storedUnacknowledged > 0 || d.inFlightAtStop > 0)
    parts.push(`${d.storedUnacknowledged} stored of the ${d.inFlightAtStop} in flight when the load stopped`);
  if (d.unexpected > 0) parts.push(`${d.unexpected} unexpected rows`);
  if (d.serverExitCode !== 0) parts.push(`server exit code ${d.serverExitCode ?? 'none (killed)'}`);
  return parts.join('; ');
}

export function formatHeartbeatResult(r: HeartbeatBenchResult): string[] {
  const row = (label: string, s: LoadStats) => [
    label,
    int(s.rps),
    ms(s.p50),
    ms(s.p99),
    ms(s.max),
    s.serverCpuUs === undefined ? 'n/a' : int(s.serverCpuUs),
    `${Math.round(s.clientCpuShare * 100)}%`,
    int(s.ok),
    int(s.non2xx),
    int(s.errors),
  ];
  return [
    `${r.devices} devices, ${r.connections} connections, ${r.heartbeats.durationS} s per endpoint`,
    '',
    ...formatTable(
      [
        'endpoint',
        'req/s',
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
        row('POST /v1/heartbeats', r.heartbeats),
        row('bare Hono "ok"', r.bare),
        row('durable floor (store body)', r.floor),
      ],
    ),
    '',
    `ratio heartbeats/s ÷ bare/s: ${r.ratio.toFixed(2)}   (target >= ${TARGET_RATIO}, p99 < ${TARGET_P99_MS} ms)`,
    `for context: durable floor/s ÷ bare/s: ${ratioOf(r.floor, r.bare)}; heartbeats/s ÷ durable floor/s: ${ratioOf(r.heartbeats, r.floor)}`,
    ...(r.heartbeats.serverCpuUs !== undefined && r.bare.serverCpuUs !== undefined
      ? [
          `server CPU per request: ${int(r.heartbeats.serverCpuUs)} µs vs ${int(r.bare.serverCpuUs)} µs bare (${(r.heartbeats.serverCpuUs / r.bare.serverCpuUs).toFixed(1)}×)`,
        ]
      : []),
    ...formatChecks(r.checks),
  ];
}

function ratioOf(a: LoadStats, b: LoadStats): string {
  return b.rps > 0 ? (a.rps / b.rps).toFixed(2) : 'n/a';
}

export const heartbeatBench: Bench = {
  name: 'heartbeats',
  summary: 'POST /v1/heartbeats against a bare Hono endpoint, and durability of every 202',
  async run(ctx: BenchContext) {
    const result = await runHeartbeatBench({
      quick: ctx.quick,
      log: (line) => ctx.log(`  · ${line}`),
      serverNodeArgs: process.env.BENCH_SERVER_NODE_ARGS?.split(/\s+/).filter(Boolean),
    });
    for (const line of formatHeartbeatResult(result)) ctx.log(line);
    return { name: 'heartbeats', checks: result.checks };
  },
};
