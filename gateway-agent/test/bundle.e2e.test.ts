/**
 * The one-file bundle, as a phone runs it: build dist/lifeline-agent.mjs, then enrol, run, `status` and
 * `doctor` through it against a real server, as child processes. Then an admin revokes the device: the
 * running agent stops at once with exit code 3 and says why.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { readConfig, saveConfig } from '../src/config.ts';
import { type AgentTestServer, startAgentTestServer, waitFor } from './server.ts';

const run = promisify(execFile);
const buildScript = fileURLToPath(new URL('../scripts/build.mjs', import.meta.url));
const bundle = fileURLToPath(new URL('../dist/lifeline-agent.mjs', import.meta.url));

let s: AgentTestServer;
let home: string;
let child: ChildProcess | null = null;

beforeAll(async () => {
  await run(process.execPath, [buildScript]);
  s = await startAgentTestServer();
  home = await mkdtemp(join(tmpdir(), 'lifeline-agent-bundle-'));
});
afterAll(async () => {
  if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  await s?.close();
  await rm(home, { recursive: true, force: true });
});

function agentCli(args: string[]) {
  return run(process.execPath, [bundle, ...args, '--home', home]).catch(
    (err: { code: number; stdout: string; stderr: string }) => err,
  );
}

it('is one file with no runtime dependencies, and every command has help', async () => {
  const text = await readFile(bundle, 'utf8');
  expect(text.startsWith('#!/usr/bin/env node\n')).toBe(true);
  // Nothing is imported: node's builtins come from process.getBuiltinModule (see scripts/build.mjs).
  expect(text).not.toMatch(/^import\b|\bimport\(|\brequire\(/m);
  const builtins = [...text.matchAll(/process\.getBuiltinModule\("([^"]+)"\)/g)].map((m) => m[1]);
  expect(builtins).toContain('node:sqlite');
  expect(builtins.every((p) => p!.startsWith('node:'))).toBe(true);
  expect((await stat(bundle)).mode & 0o111).not.toBe(0);
  for (const cmd of ['enroll', 'run', 'status', 'doctor']) {
    const { stdout } = await run(process.execPath, [bundle, cmd, '--help']);
    expect(stdout).toContain(`usage: lifeline-agent ${cmd}`);
  }
});

it('enrols, runs and reports status through the bundle; a revoked token stops it with exit code 3', async () => {
  const enrolled = await agentCli([
    'enroll',
    '--server',
    s.url,
    '--code',
    await s.enrollmentCode(),
    '--name',
    'Bundle phone',
    '--driver',
    'simulated',
  ]);
  expect(enrolled.stdout).toContain("Enrolled as 'Bundle phone'");
  expect((await stat(join(home, 'token'))).mode & 0o777).toBe(0o600);
  const config = readConfig(home)!;
  saveConfig(home, { ...config, outboxWaitS: 1 });

  const stderr: string[] = [];
  child = spawn(process.execPath, [bundle, 'run', '--home', home], { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stderr!.setEncoding('utf8').on('data', (d: string) => stderr.push(d));
  const exited = new Promise<number | null>((r) => child!.once('exit', (code) => r(code)));
  await waitFor(async () => (await s.device(config.deviceId)).liveness === 'online', 10_000, 'online');

  const status = await agentCli(['status']);
  expect(status.stdout).toMatch(/Daemon:\s+running/);
  expect(status.stdout).toMatch(/Connection:\s+connected/);
  const doctor = await agentCli(['doctor']);
  expect(doctor.stdout).toMatch(/PASS\s+token permissions/);
  expect(doctor.stdout).toMatch(/PASS\s+server/);
  expect(doctor.stdout).toMatch(/PASS\s+driver simulated/);

  // The agent's own memory in the one-phone case (Linux): printed for the record.
  const rss = await readFile(`/proc/${child.pid}/status`, 'utf8')
    .then((t) => /VmRSS:\s+(\d+)/.exec(t)?.[1])
    .catch(() => undefined);
  if (rss) console.log(`bundled agent RSS: ${(Number(rss) / 1024).toFixed(1)} MB`);

  const revoked = await s.request('DELETE', `/v1/devices/${config.deviceId}`);
  expect(revoked.status).toBe(200);
  const code = await Promise.race([exited, new Promise((r) => setTimeout(() => r('still running'), 15_000))]);
  expect(code).toBe(3);
  const err = stderr.join('');
  expect(err).toContain('device_revoked');
  expect(err).toContain('Enrol the phone again');
  const after = await agentCli(['status']);
  expect(after.stdout).toMatch(/Daemon:\s+not running \(revoked\)/);
  expect(after.stdout).toContain('device_revoked');
}, 60_000);
