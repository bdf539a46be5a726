/**
 * Where the agent keeps its state: `$LIFELINE_AGENT_HOME`, or `~/.lifeline-agent`. In it:
 * - `token`: the device token, mode 0600 (written by `enroll`);
 * - `config.json`: server URL, device id, driver and its settings, limits;
 * - `journal.db`: the journal (node:sqlite, WAL).
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { homedir, uptime } from 'node:os';
import { isAbsolute, join } from 'node:path';
import type { SimLimits } from './rate-limit.ts';

export interface AgentConfig {
  server: string;
  deviceId: string;
  workspaceId?: string;
  name?: string;
  /** Default driver for `run` (default `smsgate`). */
  driver?: string;
  /** Per-driver settings, e.g. `{ "simulated": { "seed": 7 } }`. */
  drivers?: Record<string, Record<string, unknown>>;
  limits?: SimLimits;
  outboxMax?: number;
  outboxWaitS?: number;
  reconcileIntervalMs?: number;
  backoff?: { baseMs: number; maxMs: number };
}

export function agentHome(env: NodeJS.ProcessEnv = process.env): string {
  return env.LIFELINE_AGENT_HOME || join(homedir(), '.lifeline-agent');
}

export function paths(home: string) {
  return {
    home,
    token: join(home, 'token'),
    config: join(home, 'config.json'),
    journal: join(home, 'journal.db'),
    log: join(home, 'agent.log'),
    resolve: (p: string) => (isAbsolute(p) ? p : join(home, p)),
  };
}

export function ensureHome(home: string): void {
  mkdirSync(home, { recursive: true, mode: 0o700 });
}

/** Written whole under a temporary name, then renamed into place, with the given mode. */
export function writeFileAtomic(path: string, data: string, mode: number): void {
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, data, { mode });
  chmodSync(tmp, mode);
  renameSync(tmp, path);
}

export function saveToken(home: string, token: string): void {
  ensureHome(home);
  writeFileAtomic(paths(home).token, `${token}\n`, 0o600);
}

export function readToken(home: string): string | null {
  const p = paths(home).token;
  if (!existsSync(p)) return null;
  return readFileSync(p, 'utf8').trim() || null;
}

/** The token file's permission bits (e.g. 0o600), or null if it is missing. */
export function tokenMode(home: string): number | null {
  const p = paths(home).token;
  if (!existsSync(p)) return null;
  return statSync(p).mode & 0o777;
}

export function readConfig(home: string): AgentConfig | null {
  const p = paths(home).config;
  if (!existsSync(p)) return null;
  return JSON.parse(readFileSync(p, 'utf8')) as AgentConfig;
}

export function saveConfig(home: string, config: AgentConfig): void {
  ensureHome(home);
  writeFileAtomic(paths(home).config, `${JSON.stringify(config, null, 2)}\n`, 0o600);
}

/** The phone's boot id (Linux/Android), so the server can tell a reboot from an agent restart. */
export function readBootId(): string {
  try {
    const id = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
    if (id) return id.slice(0, 64);
  } catch {}
  // Without it: the boot time, to the minute, so small drifts of the uptime clock do not change it.
  return `boot-${Math.round((Date.now() - uptime() * 1000) / 60_000)}`;
}

/** Whether this process runs on Android (Termux). */
export function onAndroid(env: NodeJS.ProcessEnv = process.env): boolean {
  return (
    (process.platform as string) === 'android' ||
    Boolean(env.PREFIX?.includes('com.termux')) ||
    existsSync('/system/build.prop')
  );
}
