/**
 * The gateway agent's two figures, against the real server (`monitor/src/node.ts`, its own process, a
 * fresh libSQL file):
 *
 * 1. Fleet: how many simulated phones one process drives at the server's 30 s heartbeat interval (target
 *    10,000). Each phone is a full `Agent` with a simulated engine, all sharing one in-memory journal. The
 *    baseline is a bare loop posting the same heartbeats from the same process (no agent, journal or
 *    driver); the ratio is the agent's CPU per heartbeat against the bare loop's.
 * 2. One phone: the bundled agent (dist/lifeline-agent.mjs) as a child process with the simulated engine
 *    while messages flow, launched with the node flags of the shipped Termux:Boot script (read from the
 *    script) and once with node's defaults; its peak RSS (target < 60 MB), and the ratio to a bare `node`
 *    process with the same flags.
 */
import { execFile, spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { httpRequest } from '../../gateway-agent/src/http.ts';
import { Fleet } from '../../gateway-agent/src/simulator/fleet.ts';
import {
  type Bench,
  type BenchContext,
  type BenchOutcome,
  type Check,
  type Child,
  formatChecks,
  formatTable,
  int,
  ms,
  repoRoot,
  startLifeline,
} from './harness.ts';

export const TARGET_DEVICES = 10_000;
export const TARGET_RSS_MB = 60;
const INTERVAL_S = 30;

const buildScript = fileURLToPath(new URL('../../gateway-agent/scripts/build.mjs', import.meta.url));
const bundle = fileURLToPath(new URL('../../gateway-agent/dist/lifeline-agent.mjs', import.meta.url));
const run = promisify(execFile);
const sleep = (t: number) => new Promise((r) => setTimeout(r, t));

/** Memory only this process holds (private pages, USS): RSS without the shared pages of node's own binary. */
async function privateMb(pid: number): Promise<number | undefined> {
  try {
    const t = await readFile(`/proc/${pid}/smaps_rollup`, 'utf8');
    const clean = Number(/Private_Clean:\s+(\d+)/.exec(t)?.[1] ?? Number.NaN);
    const dirty = Number(/Private_Dirty:\s+(\d+)/.exec(t)?.[1] ?? Number.NaN);
    return (clean + dirty) / 1024;
  } catch {
    return undefined;
  }
}

async function rssMb(pid: number): Promise<number | undefined> {
  try {
    const m = /VmRSS:\s+(\d+)/.exec(await readFile(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : undefined;
  } catch {
    return undefined;
  }
}

function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

function heartbeatBody(i: number, seq: number) {
  return JSON.stringify({
    runId: `bare-${i}`,
    seq,
    monotonicMs: seq * INTERVAL_S * 1000,
    bootId: 'bare',
    deviceTime: Date.now(),
    appVersion: '0.1.0',
    driver: { name: 'simulated', status: 'pass' },
    battery: { percent: 80, charging: true },
    network: { type: 'cellular', connected: true },
    sims: [{ slot: 0, carrier: 'Vodafone UK', mccMnc: '23415', signalDbm: -85, signalLevel: 3 }],
    queue: { depth: 0, oldestPendingAgeS: null },
    counters: { sent: 0, delivered: 0, failed: 0 },
    lastSendSuccessAt: null,
    lastError: null,
  });
}

interface PhaseResult {
  heartbeats: number;
  failures: number;
  perS: number;
  cpuPerHeartbeatMs: number;
  loopP99Ms: number;
  rssMb: number;
}

/**
 * Heartbeats due in the first `spanMs` after a start whose first beats are spread evenly over `rampMs`,
 * at one per 30 s (jitter averages out).
 */
export function expectedHeartbeats(devices: number, rampMs: number, spanMs: number): number {
  let n = 0;
  for (let i = 0; i < devices; i++) {
    const first = (i / devices) * rampMs;
    if (first < spanMs) n += 1 + Math.floor((spanMs - first) / (INTERVAL_S * 1000));
  }
  return n;
}

async function measure(windowS: number, count: () => { ok: number; failed: number }): Promise<PhaseResult> {
  const loop = monitorEventLoopDelay({ resolution: 10 });
  loop.enable();
  const c0 = count();
  const cpu0 = cpuMs();
  const t0 = Date.now();
  await sleep(windowS * 1000);
  const c1 = count();
  const cpu = cpuMs() - cpu0;
  loop.disable();
  const heartbeats = c1.ok - c0.ok;
  return {
    heartbeats,
    failures: c1.failed - c0.failed,
    perS: heartbeats / ((Date.now() - t0) / 1000),
    cpuPerHeartbeatMs: heartbeats > 0 ? cpu / heartbeats : Number.NaN,
    loopP99Ms: loop.percentile(99) / 1e6,
    rssMb: process.memoryUsage().rss / 2 ** 20,
  };
}

/** The bare loop: each device posts a fixed heartbeat every 30 s, nothing else. */
async function bareFleet(
  url: string,
  tokens: string[],
  rampMs: number,
  windowS: number,
): Promise<PhaseResult> {
  let ok = 0;
  let failed = 0;
  let stopped = false;
  const timers: NodeJS.Timeout[] = [];
  tokens.forEach((token, i) => {
    let seq = 0;
    const beat = async () => {
      if (stopped) return;
      try {
        const res = await httpRequest(`${url}/v1/heartbeats`, {
          method: 'POST',
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
          body: heartbeatBody(i, seq++),
          timeoutMs: 15_000,
        });
        if (res.status === 202) ok++;
        else failed++;
      } catch {
        failed++;
      }
      if (!stopped) timers[i] = setTimeout(beat, INTERVAL_S * 1000);
    };
    timers[i] = setTimeout(beat, Math.floor((i / tokens.length) * rampMs));
  });
  const result = await measure(windowS, () => ({ ok, failed }));
  stopped = true;
  for (const t of timers) clearTimeout(t);
  return result;
}

async function onlineOnServer(url: string, key: string): Promise<number> {
  let online = 0;
  let cursor: string | null = null;
  do {
    const res = await httpRequest(`${url}/v1/devices?limit=200${cursor ? `&cursor=${cursor}` : ''}`, {
      method: 'GET',
      headers: { authorization: `Bearer ${key}` },
      timeoutMs: 60_000,
    });
    const page = JSON.parse(res.text) as { devices: { liveness: string }[]; nextCursor: string | null };
    online += page.devices.filter((d) => d.liveness === 'online').length;
    cursor = page.nextCursor;
  } while (cursor);
  return online;
}

const bootScript = fileURLToPath(new URL('../../gateway-agent/termux/boot/lifeline-agent', import.meta.url));

/**
 * The node flags the shipped Termux:Boot script runs the agent with, read from the script itself (its
 * `node FLAGS "$AGENT" run` line), so the bench launches the agent exactly as a phone does.
 */
export async function bootScriptNodeFlags(): Promise<string[]> {
  const script = await readFile(bootScript, 'utf8');
  const line = script.split('\n').find((l) => /^\s*node\s.*"\$AGENT"\s+run\b/.test(l));
  if (!line) throw new Error(`no 'node … "$AGENT" run' line in ${bootScript}`);
  const words = line.trim().split(/\s+/);
  const flags = words.slice(1, words.indexOf('"$AGENT"'));
  if (flags.some((f) => !/^--[a-z0-9-]+(=[\w.]+)?$/.test(f)))
    throw new Error(`unexpected node arguments in ${bootScript}: ${flags.join(' ')}`);
  return flags;
}

async function onePhone(
  url: string,
  key: string,
  windowS: number,
  log: (l: string) => void,
  nodeFlags: string[],
): Promise<{ peakMb: number; bareMb: number; privateMb: number; barePrivateMb: number }> {
  const home = await mkdtemp(join(tmpdir(), 'lifeline-bench-agent-'));
  try {
    const auth = { authorization: `Bearer ${key}`, 'content-type': 'application/json' };
    const code = JSON.parse(
      (
        await httpRequest(`${url}/v1/enrollment-codes`, {
          method: 'POST',
          headers: auth,
          body: '{}',
          timeoutMs: 10_000,
        })
      ).text,
    ).code as string;
    await run(process.execPath, [
      bundle,
      'enroll',
      '--server',
      url,
      '--code',
      code,
      '--driver',
      'simulated',
      '--home',
      home,
    ]);
    const config = JSON.parse(await readFile(join(home, 'config.json'), 'utf8'));
    await httpRequest(`${url}/v1/devices/${config.deviceId}`, {
      method: 'PATCH',
      headers: auth,
      body: JSON.stringify({ weight: 1000, simRatePerMinute: 1_000, simRatePerDay: 100_000 }),
      timeoutMs: 10_000,
    });
    config.limits = { perMinute: 1_000, perDay: 100_000 };
    // The simulated engine in memory: on a phone the engine is another app, not a second database here.
    config.drivers = { simulated: { latencyMs: { sent: [50, 500], delivered: [100, 2_000] } } };
    await writeFile(join(home, 'config.json'), JSON.stringify(config));
    const child = spawn(process.execPath, [...nodeFlags, bundle, 'run', '--home', home], {
      stdio: ['ignore', 'ignore', 'ignore'],
    });
    let peak = 0;
    let peakPrivate = 0;
    try {
      await sleep(1_000);
      const until = Date.now() + windowS * 1000;
      let sent = 0;
      while (Date.now() < until) {
        // Two messages a second to this phone (the fleet's phones are standby).
        await httpRequest(`${url}/v1/messages/batch`, {
          method: 'POST',
          headers: auth,
          body: JSON.stringify({
            messages: [0, 1].map((j) => ({
              to: `+4477009${String(sent + j).padStart(5, '0')}`,
              text: `bench ${sent + j}`,
            })),
          }),
          timeoutMs: 10_000,
        });
        sent += 2;
        for (let k = 0; k < 4; k++) {
          peak = Math.max(peak, (await rssMb(child.pid!)) ?? 0);
          peakPrivate = Math.max(peakPrivate, (await privateMb(child.pid!)) ?? 0);
          await sleep(250);
        }
      }
      log(`  one phone: ${sent} messages submitted while sampling RSS`);
    } finally {
      child.kill('SIGTERM');
      await new Promise((r) => (child.exitCode !== null ? r(null) : child.once('exit', r)));
    }
    const bare = spawn(process.execPath, [...nodeFlags, '-e', 'setInterval(() => {}, 1000)'], {
      stdio: 'ignore',
    });
    await sleep(1_000);
    const bareMb = (await rssMb(bare.pid!)) ?? Number.NaN;
    const barePrivateMb = (await privateMb(bare.pid!)) ?? Number.NaN;
    bare.kill('SIGKILL');
    return { peakMb: peak, bareMb, privateMb: peakPrivate, barePrivateMb };
  } finally {
    await rm(home, { recursive: true, force: true });
  }
}

export const agentBench: Bench = {
  name: 'agent',
  summary: `simulated phones one process drives at 30 s heartbeats (target ${int(TARGET_DEVICES)}); the agent's RSS (target < ${TARGET_RSS_MB} MB)`,
  async run(ctx: BenchContext): Promise<BenchOutcome> {
    const { log } = ctx;
    const devices = ctx.quick ? 300 : TARGET_DEVICES;
    const rampMs = ctx.quick ? 3_000 : INTERVAL_S * 1000;
    // Measured from the start of each fleet: its first heartbeats (spread over the ramp), then the next ones.
    const spanS = ctx.quick ? 5 : 70;
    const dir = await mkdtemp(join(tmpdir(), 'lifeline-bench-agent-srv-'));
    let server: Child | undefined;
    const checks: Check[] = [];
    try {
      const started = await startLifeline({ dbPath: join(dir, 'lifeline.db'), label: 'server' });
      server = started.child;
      const { adminKey: key, url } = started;

      const fleet = new Fleet({
        server: url,
        adminKey: key,
        devices,
        ratePerMin: 0,
        pollers: 0,
        rampMs,
        seed: 1,
      });
      const t0 = Date.now();
      await fleet.enroll();
      log(`  enrolled ${int(devices)} phones through the API in ${((Date.now() - t0) / 1000).toFixed(1)} s`);

      // Baseline first (same tokens, its own run ids), then the agents.
      const bare = await bareFleet(
        url,
        fleet.phones.map((p) => p.token),
        rampMs,
        spanS,
      );
      fleet.start();
      const agents = await measure(spanS, () => {
        const s = fleet.stats();
        return { ok: s.heartbeats, failed: s.heartbeatFailures };
      });
      const online = await onlineOnServer(url, key);
      await fleet.stop();
      fleet.close();

      const expectedBeats = expectedHeartbeats(devices, rampMs, spanS * 1000);
      const expected = expectedBeats / spanS;
      for (const line of formatTable(
        [
          'fleet',
          'phones',
          'heartbeats/s',
          'expected/s',
          'errors',
          'CPU ms/heartbeat',
          'loop p99 ms',
          'RSS MB',
        ],
        [
          [
            'bare loop',
            int(devices),
            bare.perS.toFixed(1),
            expected.toFixed(1),
            int(bare.failures),
            ms(Number(bare.cpuPerHeartbeatMs.toFixed(3))),
            ms(Number(bare.loopP99Ms.toFixed(1))),
            bare.rssMb.toFixed(0),
          ],
          [
            'agents',
            int(devices),
            agents.perS.toFixed(1),
            expected.toFixed(1),
            int(agents.failures),
            ms(Number(agents.cpuPerHeartbeatMs.toFixed(3))),
            ms(Number(agents.loopP99Ms.toFixed(1))),
            agents.rssMb.toFixed(0),
          ],
        ],
      ))
        log(`  ${line}`);
      const ratio = agents.cpuPerHeartbeatMs / bare.cpuPerHeartbeatMs;
      log(
        `  ratio: agent CPU per heartbeat / bare loop = ${ratio.toFixed(2)}x; ${int(online)}/${int(devices)} online on the server`,
      );
      checks.push(
        {
          name: `${int(devices)} simulated phones at 30 s heartbeats`,
          passed: agents.heartbeats >= 0.95 * expectedBeats && agents.failures === 0,
          detail: `${int(agents.heartbeats)} of ${int(expectedBeats)} due in ${spanS} s answered 202 (${agents.perS.toFixed(1)}/s), ${agents.failures} errors`,
        },
        {
          name: 'every simulated phone online on the server',
          passed: online >= 0.99 * devices,
          detail: `${int(online)} of ${int(devices)}`,
        },
        {
          name: 'the simulator keeps up (event loop p99 < 200 ms)',
          passed: agents.loopP99Ms < 200,
          detail: `${agents.loopP99Ms.toFixed(1)} ms`,
        },
      );

      await run(process.execPath, [buildScript], { cwd: repoRoot });
      const rows: string[][] = [];
      let boot: Awaited<ReturnType<typeof onePhone>> | undefined;
      const bootFlags = await bootScriptNodeFlags();
      for (const flags of [[], bootFlags]) {
        const phone = await onePhone(url, key, ctx.quick ? 5 : 30, log, flags);
        if (flags === bootFlags) boot = phone;
        rows.push([
          flags === bootFlags ? `boot script: ${flags.join(' ') || '(none)'}` : '(defaults)',
          phone.peakMb.toFixed(1),
          phone.bareMb.toFixed(1),
          `${(phone.peakMb / phone.bareMb).toFixed(2)}x`,
          phone.privateMb.toFixed(1),
          phone.barePrivateMb.toFixed(1),
        ]);
      }
      for (const line of formatTable(
        [
          'one phone: node flags',
          'agent peak RSS MB',
          'bare node MB',
          'ratio',
          'agent private MB',
          'bare private MB',
        ],
        rows,
      ))
        log(`  ${line}`);
      checks.push({
        name: `agent RSS, one phone, as the boot script runs it < ${TARGET_RSS_MB} MB`,
        passed: boot !== undefined && boot.peakMb > 0 && boot.peakMb < TARGET_RSS_MB,
        detail: `${boot?.peakMb.toFixed(1)} MB peak (a bare node with the same flags: ${boot?.bareMb.toFixed(1)} MB on this machine, most of it node's own binary)`,
      });
    } finally {
      await server?.stop('SIGTERM', 10_000);
      await rm(dir, { recursive: true, force: true });
    }
    for (const line of formatChecks(checks)) log(line);
    return { name: 'agent', checks };
  },
};
