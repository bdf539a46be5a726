/**
 * The `lifeline-agent` commands: enroll, run, status, doctor. Each takes parsed options and an output
 * sink and returns an exit code, so tests call them directly and `cli.ts` only parses argv.
 *
 * Exit codes: 0 fine; 1 a check failed or the agent crashed; 2 usage or configuration error; 3 the
 * server refused the device's token (revoked or unknown): enrol again. The Termux:Boot script stops
 * restarting on 2 and 3.
 */
import { accessSync, constants, existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { Agent, APP_VERSION, type Logger, type StopReason } from './agent.ts';
import { type Clock, systemClock } from './clock.ts';
import {
  type AgentConfig,
  agentHome,
  onAndroid,
  paths,
  readBootId,
  readConfig,
  readToken,
  saveConfig,
  saveToken,
  tokenMode,
} from './config.ts';
import type { CheckStatus, Driver } from './drivers/driver.ts';
import { driverFactories, driverNames } from './drivers/index.ts';
import { httpRequest } from './http.ts';
import { Journal, openJournalDb } from './journal.ts';
import { AuthError, enroll, ServerClient } from './server-client.ts';

export const EXIT = { ok: 0, failed: 1, usage: 2, revoked: 3 } as const;

export interface Output {
  out(line: string): void;
  err(line: string): void;
}

export const consoleOutput: Output = {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
};

export interface CommonOptions {
  home?: string | undefined;
  env?: NodeJS.ProcessEnv;
}

function homeOf(opts: CommonOptions): string {
  return opts.home ?? agentHome(opts.env ?? process.env);
}

// ---------------------------------------------------------------------------------------------------------
// enroll

export interface EnrollOptions extends CommonOptions {
  server: string;
  code: string;
  name?: string | undefined;
  /** Default driver written to config.json. */
  driver?: string | undefined;
}

export async function enrollCommand(opts: EnrollOptions, io: Output = consoleOutput): Promise<number> {
  const home = homeOf(opts);
  let server: string;
  try {
    server = new URL(opts.server).toString().replace(/\/+$/, '');
  } catch {
    io.err(`--server must be a URL such as https://lifeline.example.com (got '${opts.server}')`);
    return EXIT.usage;
  }
  try {
    const res = await enroll(server, opts.code, opts.name);
    saveToken(home, res.token);
    const previous = readConfig(home);
    const config: AgentConfig = {
      ...(previous ?? {}),
      server,
      deviceId: res.deviceId,
      workspaceId: res.workspaceId,
      name: res.name,
      driver: opts.driver ?? previous?.driver ?? 'smsgate',
    };
    saveConfig(home, config);
    io.out(`Enrolled as '${res.name}' (device ${res.deviceId}) with ${server}.`);
    io.out(`Token stored in ${paths(home).token} (mode 0600). Start the agent with: lifeline-agent run`);
    return EXIT.ok;
  } catch (err) {
    io.err(`Enrolment failed: ${err instanceof Error ? err.message : String(err)}`);
    return EXIT.failed;
  }
}

// ---------------------------------------------------------------------------------------------------------
// run

export interface RunOptions extends CommonOptions {
  driver?: string | undefined;
  clock?: Clock;
  signal?: AbortSignal;
  log?: Logger;
  /** Called with the agent once it is built (tests watch it). */
  onAgent?: (agent: Agent) => void;
}

function loadSetup(home: string, io: Output): { config: AgentConfig; token: string } | null {
  const config = readConfig(home);
  const token = readToken(home);
  if (!config || !token) {
    io.err(`Not enrolled (no ${config ? 'token' : 'config.json'} in ${home}).`);
    io.err('Enrol first: lifeline-agent enroll --server URL --code CODE');
    return null;
  }
  return { config, token };
}

export async function buildDriver(
  name: string,
  home: string,
  config: AgentConfig,
  clock: Clock,
  log: Logger = () => {},
): Promise<Driver | null> {
  const factory = driverFactories[name];
  if (!factory) return null;
  const p = paths(home);
  return factory({ home, settings: config.drivers?.[name] ?? {}, clock, resolve: p.resolve, log });
}

export function jsonLogger(io: Output, debug = Boolean(process.env.LIFELINE_AGENT_DEBUG)): Logger {
  return (level, message, fields) => {
    if (level === 'debug' && !debug) return;
    io.err(JSON.stringify({ t: new Date().toISOString(), level, msg: message, ...fields }));
  };
}

export async function runCommand(opts: RunOptions, io: Output = consoleOutput): Promise<number> {
  const home = homeOf(opts);
  const setup = loadSetup(home, io);
  if (!setup) return EXIT.usage;
  const { config, token } = setup;
  const clock = opts.clock ?? systemClock;
  const driverName = opts.driver ?? config.driver ?? 'smsgate';
  const log = opts.log ?? jsonLogger(io);
  let driver: Driver | null;
  try {
    driver = await buildDriver(driverName, home, config, clock, log);
  } catch (err) {
    io.err(`Driver '${driverName}': ${err instanceof Error ? err.message : String(err)}`);
    return EXIT.usage;
  }
  if (!driver) {
    io.err(`Unknown driver '${driverName}'. Available: ${driverNames().join(', ')}.`);
    return EXIT.usage;
  }
  const db = openJournalDb(paths(home).journal);
  const journal = new Journal(db);
  const agent = new Agent({
    journal,
    driver,
    client: new ServerClient({ url: config.server, token, userAgent: `lifeline-agent/${APP_VERSION}` }),
    clock,
    bootId: readBootId(),
    ...(config.limits ? { limits: config.limits } : {}),
    ...(config.outboxMax ? { outboxMax: config.outboxMax } : {}),
    ...(config.outboxWaitS !== undefined ? { outboxWaitS: config.outboxWaitS } : {}),
    ...(config.reconcileIntervalMs ? { reconcileIntervalMs: config.reconcileIntervalMs } : {}),
    ...(config.backoff ? { backoff: config.backoff } : {}),
    log,
  });
  opts.onAgent?.(agent);
  const controller = new AbortController();
  const onSignal = () => controller.abort();
  const external = opts.signal;
  external?.addEventListener('abort', onSignal, { once: true });
  if (!opts.signal) {
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
  }
  log('info', 'agent started', {
    driver: driver.name,
    server: config.server,
    deviceId: config.deviceId,
    runId: agent.runId,
  });
  let reason: StopReason;
  try {
    reason = await agent.run(controller.signal);
  } finally {
    external?.removeEventListener('abort', onSignal);
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    (driver as { close?: () => void }).close?.();
    db.close();
  }
  if (reason.kind === 'revoked') {
    io.err(`Stopped: the server refused this device's token (${reason.code}): ${reason.message}`);
    io.err('Enrol the phone again with a new code: lifeline-agent enroll --server URL --code CODE');
    return EXIT.revoked;
  }
  if (reason.kind === 'fatal') {
    io.err(`Stopped: ${reason.code}: ${reason.message}`);
    return EXIT.failed;
  }
  log('info', 'agent stopped', {});
  return EXIT.ok;
}

// ---------------------------------------------------------------------------------------------------------
// status

function pidAlive(pid: unknown): boolean {
  if (typeof pid !== 'number') return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function ago(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 120) return `${s} s ago`;
  if (s < 7200) return `${Math.round(s / 60)} min ago`;
  return `${Math.round(s / 3600)} h ago`;
}

export interface StatusReport {
  enrolled: boolean;
  server: string | null;
  deviceId: string | null;
  daemon: 'running' | 'not running';
  state: string | null;
  connection: 'connected' | 'not connected' | 'unknown';
  lastHeartbeat: { at: number; seq: number; intervalS: number; clockSkewMs: number } | null;
  queue: { depth: number; oldestPendingAgeS: number | null };
  inFlight: number;
  pendingReceipts: number;
  lastError: { code?: string; message: string; at: number } | null;
  reason: string | null;
}

export function readStatus(home: string, now = Date.now()): StatusReport {
  const config = readConfig(home);
  const report: StatusReport = {
    enrolled: Boolean(config && readToken(home)),
    server: config?.server ?? null,
    deviceId: config?.deviceId ?? null,
    daemon: 'not running',
    state: null,
    connection: 'unknown',
    lastHeartbeat: null,
    queue: { depth: 0, oldestPendingAgeS: null },
    inFlight: 0,
    pendingReceipts: 0,
    lastError: null,
    reason: null,
  };
  const p = paths(home);
  if (!existsSync(p.journal)) return report;
  const db = openJournalDb(p.journal);
  try {
    const journal = new Journal(db);
    const meta = journal.allMeta() as {
      agent?: { state?: string; pid?: number; reason?: string };
      lastHeartbeat?: StatusReport['lastHeartbeat'];
      lastError?: StatusReport['lastError'];
    };
    const running =
      meta.agent?.state !== 'stopped' && meta.agent?.state !== 'revoked' && pidAlive(meta.agent?.pid);
    report.daemon = running ? 'running' : 'not running';
    report.state = running
      ? (meta.agent?.state ?? null)
      : meta.agent?.state === 'running'
        ? 'died'
        : (meta.agent?.state ?? null);
    report.reason = meta.agent?.reason ?? null;
    report.lastHeartbeat = meta.lastHeartbeat ?? null;
    if (report.lastHeartbeat) {
      const fresh = now - report.lastHeartbeat.at <= 2.5 * report.lastHeartbeat.intervalS * 1000;
      report.connection = running && fresh ? 'connected' : 'not connected';
    } else report.connection = 'not connected';
    report.queue = journal.queue(now);
    report.inFlight = journal.inFlight();
    report.pendingReceipts = journal.pendingReceiptCount();
    report.lastError = meta.lastError ?? null;
  } finally {
    db.close();
  }
  return report;
}

export function statusCommand(opts: CommonOptions & { json?: boolean }, io: Output = consoleOutput): number {
  const home = homeOf(opts);
  const s = readStatus(home);
  if (opts.json) {
    io.out(JSON.stringify(s, null, 2));
    return EXIT.ok;
  }
  const now = Date.now();
  io.out(
    `Enrolled:        ${s.enrolled ? `yes, device ${s.deviceId} with ${s.server}` : `no (state dir ${home})`}`,
  );
  io.out(`Daemon:          ${s.daemon}${s.state && s.state !== 'running' ? ` (${s.state})` : ''}`);
  if (s.reason) io.out(`Stopped because: ${s.reason}`);
  io.out(`Connection:      ${s.connection}`);
  io.out(
    `Last heartbeat:  ${s.lastHeartbeat ? `${ago(now - s.lastHeartbeat.at)} (seq ${s.lastHeartbeat.seq}, every ${s.lastHeartbeat.intervalS} s, clock skew ${s.lastHeartbeat.clockSkewMs} ms)` : 'never'}`,
  );
  io.out(
    `Queue:           ${s.queue.depth} waiting for the engine${s.queue.oldestPendingAgeS !== null ? ` (oldest ${s.queue.oldestPendingAgeS} s)` : ''}, ${s.inFlight} with the engine awaiting an outcome`,
  );
  io.out(`Receipts:        ${s.pendingReceipts} not yet acknowledged by the server`);
  io.out(
    `Last error:      ${s.lastError ? `${s.lastError.code ? `${s.lastError.code}: ` : ''}${s.lastError.message} (${ago(now - s.lastError.at)})` : 'none'}`,
  );
  return EXIT.ok;
}

// ---------------------------------------------------------------------------------------------------------
// doctor

export interface DoctorCheck {
  name: string;
  status: CheckStatus | 'skipped';
  detail: string;
  fix?: string;
}

/** Android packages that must be exempt from battery optimisation for a gateway phone to stay alive. */
export const ANDROID_PACKAGES: Record<string, string> = {
  'com.termux': 'Termux',
  'com.termux.api': 'Termux:API',
  'com.termux.boot': 'Termux:Boot',
  'me.capcom.smsgateway': 'SMSGate (SMS Gateway for Android)',
};

async function tryExec(cmd: string, args: string[], timeoutMs = 5_000): Promise<string | null> {
  const { execFile } = await import('node:child_process');
  return new Promise((resolve) => {
    execFile(cmd, args, { timeout: timeoutMs }, (err, stdout) => resolve(err ? null : stdout));
  });
}

export interface DoctorOptions extends CommonOptions {
  driver?: string | undefined;
  /** Force or skip the Android checks (default: detect). */
  android?: boolean;
  /** Where Termux:Boot scripts live (default ~/.termux/boot). */
  bootDir?: string;
}

export async function doctorChecks(opts: DoctorOptions): Promise<DoctorCheck[]> {
  const home = homeOf(opts);
  const checks: DoctorCheck[] = [];
  const config = readConfig(home);
  const token = readToken(home);
  const p = paths(home);

  // Enrolment and token permissions.
  if (!config || !token) {
    checks.push({
      name: 'enrolled',
      status: 'fail',
      detail: `no ${config ? 'token' : 'config.json'} in ${home}`,
      fix: 'lifeline-agent enroll --server URL --code CODE (an admin creates the code in Lifeline)',
    });
  } else {
    checks.push({
      name: 'enrolled',
      status: 'pass',
      detail: `device ${config.deviceId} with ${config.server}`,
    });
    const mode = tokenMode(home);
    checks.push(
      mode !== null && (mode & 0o077) === 0
        ? {
            name: 'token permissions',
            status: 'pass',
            detail: `${p.token} is ${mode.toString(8).padStart(4, '0')}`,
          }
        : {
            name: 'token permissions',
            status: 'fail',
            detail: `${p.token} is ${mode?.toString(8).padStart(4, '0')}: other users can read the device token`,
            fix: `chmod 600 ${p.token}`,
          },
    );
  }

  // Journal.
  try {
    accessSync(home, constants.W_OK);
    checks.push({ name: 'state directory', status: 'pass', detail: `${home} is writable` });
  } catch {
    checks.push({
      name: 'state directory',
      status: 'fail',
      detail: `${home} is missing or not writable`,
      fix: `mkdir -p ${home} && chmod 700 ${home}`,
    });
  }

  // Server, token and clock skew.
  if (config && token) {
    const client = new ServerClient({ url: config.server, token });
    const sentAt = Date.now();
    try {
      const res = await httpRequest(`${config.server}/v1/devices/me`, {
        method: 'GET',
        headers: { authorization: `Bearer ${token}` },
        timeoutMs: 10_000,
      });
      const receivedAt = Date.now();
      if (res.status === 401 || res.status === 403) {
        await client.me().catch((err) => {
          if (err instanceof AuthError) {
            checks.push({
              name: 'server',
              status: 'fail',
              detail: `${config.server} refused the token: ${err.code}: ${err.message}`,
              fix: err.paused
                ? 'An admin paused this device; resume it in Lifeline (PATCH /v1/devices/ID {"paused": false}).'
                : 'Enrol again with a new code: lifeline-agent enroll --server URL --code CODE',
            });
          }
        });
      } else if (res.status !== 200) {
        checks.push({
          name: 'server',
          status: 'fail',
          detail: `${config.server} answered ${res.status}`,
          fix: 'Check the server URL in config.json and the server logs.',
        });
      } else {
        checks.push({
          name: 'server',
          status: 'pass',
          detail: `${config.server} accepts this device's token`,
        });
      }
      const date = res.headers.date;
      if (date) {
        // HTTP dates have 1 s resolution: compare against the middle of the round trip.
        const skew = Math.round((sentAt + receivedAt) / 2 - (Date.parse(date) + 500));
        const bad = Math.abs(skew) > 10_000;
        checks.push({
          name: 'clock skew',
          status: bad ? 'warn' : 'pass',
          detail: `phone clock is ${Math.abs(skew)} ms ${skew >= 0 ? 'ahead of' : 'behind'} the server (±1 s)`,
          ...(bad
            ? { fix: 'Turn on automatic date & time in Android settings (Settings > System > Date & time).' }
            : {}),
        });
      }
    } catch (err) {
      checks.push({
        name: 'server',
        status: 'fail',
        detail: `${config.server} unreachable: ${err instanceof Error ? err.message : err}`,
        fix: 'Check the phone has network (Wi-Fi or mobile data) and the server URL in config.json.',
      });
    }
  }

  // Driver.
  const driverName = opts.driver ?? config?.driver ?? 'smsgate';
  const driver = config ? await buildDriver(driverName, home, config, systemClock).catch(() => null) : null;
  if (!driver) {
    checks.push({
      name: 'driver',
      status: 'fail',
      detail: config ? `unknown driver '${driverName}'` : 'not enrolled',
      fix: `Use one of: ${driverNames().join(', ')} (lifeline-agent run --driver NAME or "driver" in config.json)`,
    });
  } else {
    try {
      const health = await Promise.race([
        driver.health(),
        new Promise<never>((_, reject) =>
          setTimeout(() => reject(new Error('timed out after 10 s')), 10_000),
        ),
      ]);
      const failing = Object.entries(health.checks).filter(([, c]) => c.status !== 'pass');
      checks.push({
        name: `driver ${driver.name}`,
        status: health.status,
        detail:
          failing.length === 0
            ? 'engine reachable and healthy'
            : failing.map(([n, c]) => `${n}: ${c.status}${c.detail ? ` (${c.detail})` : ''}`).join('; '),
        ...(health.status === 'pass'
          ? {}
          : {
              fix:
                driver.name === 'smsgate'
                  ? 'Open SMSGate, switch on Local server, and check its port and credentials in config.json.'
                  : 'Check the engine is installed and running (see lifeline-agent --help for drivers).',
            }),
      });
    } catch (err) {
      checks.push({
        name: `driver ${driver.name}`,
        status: 'fail',
        detail: `health check failed: ${err instanceof Error ? err.message : err}`,
        fix: 'Check the SMS engine app is installed and running.',
      });
    } finally {
      (driver as { close?: () => void }).close?.();
    }
  }

  // Android settings.
  const android = opts.android ?? onAndroid(opts.env ?? process.env);
  if (!android) {
    for (const name of ['battery optimisation', 'Termux:Boot script', 'wake lock'])
      checks.push({ name, status: 'skipped', detail: 'skipped: not on Android' });
    return checks;
  }
  const whitelist = await tryExec('dumpsys', ['deviceidle', 'whitelist']);
  for (const [pkg, label] of Object.entries(ANDROID_PACKAGES)) {
    const fix = `Settings > Apps > ${label} > Battery > Unrestricted (or "Don't optimise"); some phones also need it removed from "sleeping apps".`;
    if (whitelist === null) {
      checks.push({
        name: `battery optimisation: ${label}`,
        status: 'warn',
        detail: 'cannot read the exemption list from Termux (needs adb/shell permission); check by hand',
        fix,
      });
    } else if (whitelist.includes(pkg)) {
      checks.push({ name: `battery optimisation: ${label}`, status: 'pass', detail: 'exempt' });
    } else {
      checks.push({
        name: `battery optimisation: ${label}`,
        status: 'fail',
        detail: 'optimised: Android may stop it',
        fix,
      });
    }
  }
  const bootDir = opts.bootDir ?? join(homedir(), '.termux', 'boot');
  const bootScript = join(bootDir, 'lifeline-agent');
  let script = '';
  try {
    accessSync(bootScript, constants.X_OK);
    script = readFileSync(bootScript, 'utf8');
    checks.push({ name: 'Termux:Boot script', status: 'pass', detail: `${bootScript} is executable` });
  } catch {
    checks.push({
      name: 'Termux:Boot script',
      status: 'fail',
      detail: `${bootScript} missing or not executable`,
      fix: `mkdir -p ${bootDir} && cp termux/boot/lifeline-agent ${bootScript} && chmod 700 ${bootScript}; install Termux:Boot from F-Droid and open it once`,
    });
  }
  checks.push(
    script.includes('termux-wake-lock')
      ? { name: 'wake lock', status: 'pass', detail: 'the boot script takes termux-wake-lock' }
      : {
          name: 'wake lock',
          status: 'fail',
          detail: 'nothing takes a wake lock: Android will put Termux to sleep',
          fix: 'Run termux-wake-lock (the boot script in termux/boot does) or use "Acquire wakelock" in the Termux notification.',
        },
  );
  return checks;
}

export async function doctorCommand(opts: DoctorOptions, io: Output = consoleOutput): Promise<number> {
  const checks = await doctorChecks(opts);
  for (const c of checks) {
    const tag = c.status === 'skipped' ? 'SKIP' : c.status.toUpperCase();
    io.out(`${tag.padEnd(5)} ${c.name}: ${c.detail}`);
    if (c.fix && c.status !== 'pass' && c.status !== 'skipped') io.out(`      fix: ${c.fix}`);
  }
  const failed = checks.filter((c) => c.status === 'fail').length;
  io.out(failed === 0 ? 'All checks passed.' : `${failed} check(s) failed.`);
  return failed === 0 ? EXIT.ok : EXIT.failed;
}
