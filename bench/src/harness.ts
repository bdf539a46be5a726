/**
 * What every bench shares: the machine line, child processes (servers under test run apart from the load
 * generator), autocannon runs reduced to the figures we print, and plain-text tables.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, platform, release, totalmem } from 'node:os';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';

export interface BenchContext {
  /** Short durations and small data sets, for the smoke test and a quick look. */
  quick: boolean;
  /** Progress and result lines. */
  log(line: string): void;
}

export interface Check {
  name: string;
  passed: boolean;
  detail: string;
}

export interface BenchOutcome {
  name: string;
  checks: Check[];
}

export interface Bench {
  /** What `--only NAME` matches. */
  name: string;
  summary: string;
  run(ctx: BenchContext): Promise<BenchOutcome>;
}

/** The machine the absolute figures were measured on. */
export function machineLine(): string {
  const cpu = cpus()[0]?.model.trim() || 'unknown CPU';
  const gib = (totalmem() / 2 ** 30).toFixed(0);
  return `${cpu}, ${availableParallelism()} cores, ${gib} GiB, Node ${process.version}, ${platform()} ${release()}`;
}

/**
 * Other work on the machine skews every figure (the load generator and the server already share it); a
 * busy machine is worth saying next to the numbers.
 */
export function loadLine(): string {
  const [one, five] = loadavg();
  return `load average ${one?.toFixed(2)} (1 min), ${five?.toFixed(2)} (5 min) on ${availableParallelism()} cores`;
}

/**
 * CPU time (user + system) a process has used, in ms; Linux only (undefined elsewhere). Per request, it
 * is steadier than throughput on a shared machine, since time spent waiting for a core is not counted.
 */
export function processCpuMs(pid: number | undefined): number | undefined {
  if (pid === undefined || platform() !== 'linux') return undefined;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces), from field 3 on: utime is 14, stime 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]);
    return Number.isFinite(ticks) ? ticks * 10 : undefined; // USER_HZ is 100 on Linux
  } catch {
    return undefined;
  }
}

// ---------------------------------------------------------------------------------------------------------
// Child processes

const children = new Set<ChildProcess>();
let exitHookInstalled = false;

/** Makes sure no server we started outlives us, whatever happens (each is killed by its own pid). */
function trackChild(child: ChildProcess): void {
  children.add(child);
  child.once('exit', () => children.delete(child));
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  });
}

export interface Child {
  readonly process: ChildProcess;
  /** Resolves with the first capture group of the first stdout line matching `pattern`. */
  waitForLine(pattern: RegExp, timeoutMs: number): Promise<string>;
  /** Sends `signal` and waits for the exit; SIGKILL after `timeoutMs`. Resolves with the exit code. */
  stop(signal: NodeJS.Signals, timeoutMs: number): Promise<{ code: number | null; killed: boolean }>;
}

/**
 * Starts `node <script>` in `cwd` with `env`. Its stderr is passed through with a prefix (servers log
 * there); its stdout is read line by line for `waitForLine`.
 */
export function startChild(
  script: string,
  opts: { cwd: string; env: NodeJS.ProcessEnv; label: string; nodeArgs?: string[] | undefined },
): Child {
  const child = spawn(process.execPath, [...(opts.nodeArgs ?? []), script], {
    cwd: opts.cwd,
    env: opts.env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  trackChild(child);
  const lines: string[] = [];
  const waiters = new Set<(line: string) => void>();
  createInterface({ input: child.stdout! }).on('line', (line) => {
    lines.push(line);
    for (const w of waiters) w(line);
  });
  const stderrTail: string[] = [];
  createInterface({ input: child.stderr! }).on('line', (line) => {
    stderrTail.push(line);
    if (stderrTail.length > 20) stderrTail.shift();
    process.stderr.write(`[${opts.label}] ${line}\n`);
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));

  return {
    process: child,
    waitForLine(pattern, timeoutMs) {
      return new Promise<string>((resolve, reject) => {
        const match = (line: string) => {
          const m = pattern.exec(line);
          if (!m) return false;
          done();
          resolve(m[1] ?? m[0]);
          return true;
        };
        const timer = setTimeout(() => {
          done();
          reject(new Error(`${opts.label}: no line matching ${pattern} within ${timeoutMs} ms`));
        }, timeoutMs);
        const onExit = (code: number | null) => {
          done();
          reject(new Error(`${opts.label} exited (code ${code}) early:\n${stderrTail.join('\n')}`));
        };
        const waiter = (line: string) => void match(line);
        const done = () => {
          clearTimeout(timer);
          waiters.delete(waiter);
          child.off('exit', onExit);
        };
        if (lines.some(match)) return;
        if (child.exitCode !== null || child.signalCode !== null) return onExit(child.exitCode);
        waiters.add(waiter);
        child.once('exit', onExit);
      });
    },
    async stop(signal, timeoutMs) {
      if (child.exitCode !== null || child.signalCode !== null)
        return { code: child.exitCode, killed: false };
      child.kill(signal);
      let timer: NodeJS.Timeout | undefined;
      const timedOut = new Promise<'timeout'>((r) => {
        timer = setTimeout(() => r('timeout'), timeoutMs);
      });
      const first = await Promise.race([exited, timedOut]);
      clearTimeout(timer);
      if (first !== 'timeout') return { code: first, killed: false };
      child.kill('SIGKILL');
      return { code: await exited, killed: true };
    },
  };
}

/** The repository root, and the entries benches start. */
export const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
export const serverEntry = fileURLToPath(new URL('../../monitor/src/node.ts', import.meta.url));
const bareEntry = fileURLToPath(new URL('./bare-server.ts', import.meta.url));
const floorEntry = fileURLToPath(new URL('./durable-floor-server.ts', import.meta.url));

/**
 * Starts Lifeline as `npm start` does (its own process, the embedded default) on a fresh database file,
 * on a free port of 127.0.0.1, and reads the first-run admin key and the URL it prints. Settings that
 * would point it elsewhere (a remote database, a public URL, Resend) are removed from the environment.
 */
export async function startLifeline(opts: {
  dbPath: string;
  env?: Record<string, string>;
  nodeArgs?: string[] | undefined;
  entry?: string;
  label?: string;
  timeoutMs?: number;
}): Promise<{ child: Child; adminKey: string; url: string }> {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PORT: '0',
    HOST: '127.0.0.1',
    DATABASE_URL: `file:${opts.dbPath}`,
    LOG_LEVEL: 'warn',
    ...opts.env,
  };
  for (const k of ['PUBLIC_URL', 'DATABASE_AUTH_TOKEN', 'SECRETS_KEY', 'RESEND_API_KEY']) delete env[k];
  const child = startChild(opts.entry ?? serverEntry, {
    cwd: repoRoot,
    env,
    label: opts.label ?? 'lifeline',
    nodeArgs: opts.nodeArgs,
  });
  const timeoutMs = opts.timeoutMs ?? 120_000;
  try {
    const adminKey = await child.waitForLine(/Admin API key:\s+(\S+)/, timeoutMs);
    const url = await child.waitForLine(/Lifeline is listening on (\S+)/, timeoutMs);
    return { child, adminKey, url };
  } catch (err) {
    await child.stop('SIGKILL', 5_000);
    throw err;
  }
}

/** The baseline server: a bare Hono app answering `ok` on @hono/node-server, in its own process. */
export async function startBareServer(): Promise<{ child: Child; url: string }> {
  const child = startChild(bareEntry, { cwd: repoRoot, env: process.env, label: 'bare' });
  const url = await child.waitForLine(/"url":"([^"]+)"/, 30_000);
  return { child, url };
}

/** The durable floor (`durable-floor-server.ts`): bodies stored whole by group commit, in its own process. */
export async function startDurableFloorServer(dbPath: string): Promise<{ child: Child; url: string }> {
  const env = { ...process.env, FLOOR_DATABASE: dbPath };
  const child = startChild(floorEntry, { cwd: repoRoot, env, label: 'floor' });
  const url = await child.waitForLine(/"url":"([^"]+)"/, 30_000);
  return { child, url };
}

export interface Timing {
  p50: number;
  p99: number;
}

/** Runs `fn` `n` times in a row (after a few warm-up runs) and returns the p50 and p99 of its wall time in ms. */
export async function timeRuns(n: number, fn: () => Promise<void>, warmup = 5): Promise<Timing> {
  for (let i = 0; i < Math.min(warmup, n); i++) await fn();
  const samples: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    await fn();
    samples.push(performance.now() - t);
  }
  samples.sort((a, b) => a - b);
  const at = (q: number) => samples[Math.min(samples.length - 1, Math.floor(q * samples.length))]!;
  return { p50: at(0.5), p99: at(0.99) };
}

// ---------------------------------------------------------------------------------------------------------
// Load

export interface LoadRequest {
  headers: Record<string, string>;
  body: string;
  /** Identifies the request when its answer comes back (see `onResponse`). */
  key: number;
}

export interface LoadOptions {
  url: string;
  path: string;
  connections: number;
  /** Run for this long... */
  durationS?: number;
  /** ...or send exactly this many requests and wait for every answer (nothing is in flight at the end). */
  amount?: number;
  /** The server's pid, to measure the CPU time it spends on the load. */
  serverPid?: number | undefined;
  /** Builds the next request; called once per request sent. */
  next(): LoadRequest;
  onResponse?(status: number, key: number): void;
}

export interface LoadStats {
  durationS: number;
  /** Requests written to a connection. */
  sent: number;
  /** Answers received, any status. */
  completed: number;
  ok: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  /** 2xx answers per second. */
  rps: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  /** Server CPU time per answered request, in µs (Linux; undefined elsewhere). */
  serverCpuUs: number | undefined;
  /** Share of one core the load generator (this process) used: near 1, it may be the bottleneck. */
  clientCpuShare: number;
}

/** Drives `POST url+path` with autocannon in this process; resolves with the figures we print. */
export function runLoad(opts: LoadOptions): Promise<LoadStats> {
  const { next, onResponse } = opts;
  const request: autocannon.Request = {
    method: 'POST',
    path: opts.path,
    setupRequest(req, context) {
      const r = next();
      (context as { key?: number }).key = r.key;
      req.headers = { ...req.headers, ...r.headers };
      req.body = r.body;
      return req;
    },
  };
  if (onResponse) {
    request.onResponse = (status, _body, context) => onResponse(status, (context as { key: number }).key);
  }
  const limitMs = ((opts.durationS ?? 0) + 120) * 1000;
  const serverCpuBefore = processCpuMs(opts.serverPid);
  const clientCpuBefore = process.cpuUsage();
  const startedAt = performance.now();
  return new Promise<LoadStats>((resolve, reject) => {
    let timer: NodeJS.Timeout | undefined;
    const instance = autocannon(
      {
        url: opts.url,
        connections: opts.connections,
        pipelining: 1,
        timeout: 10,
        requests: [request],
        ...(opts.amount !== undefined ? { amount: opts.amount } : { duration: opts.durationS ?? 10 }),
      },
      (err, result) => {
        clearTimeout(timer);
        if (err) return reject(err);
        const durationS = result.duration;
        const serverCpuAfter = processCpuMs(opts.serverPid);
        const serverCpuMs =
          serverCpuBefore === undefined || serverCpuAfter === undefined
            ? undefined
            : serverCpuAfter - serverCpuBefore;
        const client = process.cpuUsage(clientCpuBefore);
        const wallMs = performance.now() - startedAt;
        resolve({
          durationS,
          sent: result.requests.sent,
          completed: result.requests.total,
          ok: result['2xx'],
          non2xx: result.non2xx,
          errors: result.errors,
          timeouts: result.timeouts,
          rps: durationS > 0 ? result['2xx'] / durationS : 0,
          p50: result.latency.p50,
          p90: result.latency.p90,
          p99: result.latency.p99,
          max: result.latency.max,
          serverCpuUs:
            serverCpuMs === undefined || result.requests.total === 0
              ? undefined
              : (serverCpuMs * 1000) / result.requests.total,
          clientCpuShare: wallMs > 0 ? (client.user + client.system) / 1000 / wallMs : 0,
        });
      },
    );
    // A hung server must not hang the bench: stop the load well after its planned end.
    timer = setTimeout(() => instance.stop(), limitMs);
  });
}

// ---------------------------------------------------------------------------------------------------------
// Formatting

export function formatTable(header: string[], rows: string[][]): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)];
}

export const int = (n: number) => Math.round(n).toLocaleString('en-US');
export const ms = (n: number) => (Number.isInteger(n) ? String(n) : n.toFixed(1));

export function formatChecks(checks: Check[]): string[] {
  return checks.map((c) => `  ${c.passed ? 'PASS' : 'FAIL'}  ${c.name}: ${c.detail}`);
}

/** Runs `fn` over `items` with at most `limit` at a time; results in input order. */
export async function mapLimit<T, R>(items: T[], limit: number, fn: (item: T, i: number) => Promise<R>) {
  const out: R[] = new Array(items.length);
  let nextIndex = 0;
  const worker = async () => {
    while (nextIndex < items.length) {
      const i = nextIndex++;
      out[i] = await fn(items[i]!, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}
