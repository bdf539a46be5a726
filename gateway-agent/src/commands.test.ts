import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { doctorChecks, doctorCommand, type Output, readStatus, runCommand } from './commands.ts';
import { saveConfig, saveToken } from './config.ts';

const dirs: string[] = [];
function tmp(): string {
  const d = mkdtempSync(join(tmpdir(), 'agent-cmd-'));
  dirs.push(d);
  return d;
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
function capture(): Output & { lines: string[] } {
  const lines: string[] = [];
  return { lines, out: (l) => lines.push(l), err: (l) => lines.push(l) };
}

describe('commands without a server', () => {
  it('run refuses to start before enrolment (exit 2) and says how to enrol', async () => {
    const io = capture();
    expect(await runCommand({ home: tmp() }, io)).toBe(2);
    expect(io.lines.join('\n')).toContain('lifeline-agent enroll --server URL --code CODE');
  });

  it('status reads an empty state directory', () => {
    const s = readStatus(tmp());
    expect(s).toMatchObject({
      enrolled: false,
      daemon: 'not running',
      connection: 'unknown',
      pendingReceipts: 0,
    });
  });

  it('doctor prints a fix for every failed check, and skips the Android checks elsewhere', async () => {
    const home = tmp();
    const io = capture();
    expect(await doctorCommand({ home, android: false }, io)).toBe(1);
    const text = io.lines.join('\n');
    expect(text).toMatch(/FAIL\s+enrolled: .*\n\s+fix: lifeline-agent enroll/);
    expect(text).toMatch(/SKIP\s+wake lock: skipped: not on Android/);
  });

  it('doctor flags a token file other users can read', async () => {
    const home = tmp();
    saveToken(home, 'll_dev_x');
    saveConfig(home, { server: 'http://127.0.0.1:9', deviceId: 'dev_1', driver: 'simulated' });
    chmodSync(join(home, 'token'), 0o644);
    const checks = await doctorChecks({ home, android: false });
    const token = checks.find((c) => c.name === 'token permissions')!;
    expect(token.status).toBe('fail');
    expect(token.fix).toBe(`chmod 600 ${join(home, 'token')}`);
    // Nothing listens on port 9: the server check fails with a fix; the simulated engine is healthy.
    expect(checks.find((c) => c.name === 'server')).toMatchObject({ status: 'fail' });
    expect(checks.find((c) => c.name === 'driver simulated')).toMatchObject({ status: 'pass' });
  });

  it('doctor on Android: the Termux:Boot script and its wake lock', async () => {
    const home = tmp();
    const bootDir = join(tmp(), 'boot');
    let checks = await doctorChecks({ home, android: true, bootDir });
    expect(checks.find((c) => c.name === 'Termux:Boot script')).toMatchObject({ status: 'fail' });
    expect(checks.find((c) => c.name === 'wake lock')).toMatchObject({ status: 'fail' });
    // Battery optimisation: each app is checked (or, without permission to read the list, flagged to check by hand).
    const battery = checks.filter((c) => c.name.startsWith('battery optimisation'));
    expect(battery.map((c) => c.name)).toEqual([
      'battery optimisation: Termux',
      'battery optimisation: Termux:API',
      'battery optimisation: Termux:Boot',
      'battery optimisation: SMSGate (SMS Gateway for Android)',
    ]);
    expect(battery.every((c) => c.status === 'pass' || c.fix?.includes('Unrestricted'))).toBe(true);
    mkdirSync(bootDir, { recursive: true });
    writeFileSync(join(bootDir, 'lifeline-agent'), '#!/bin/sh\ntermux-wake-lock\nnode agent.mjs run\n', {
      mode: 0o700,
    });
    checks = await doctorChecks({ home, android: true, bootDir });
    expect(checks.find((c) => c.name === 'Termux:Boot script')).toMatchObject({ status: 'pass' });
    expect(checks.find((c) => c.name === 'wake lock')).toMatchObject({ status: 'pass' });
  });
});
