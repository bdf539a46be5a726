import { execFile } from 'node:child_process';
import { access, copyFile, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { createDb } from '@lifeline/db';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../src/clock.ts';
import { ConfigError } from '../src/config.ts';
import { jsonLogger } from '../src/logger.ts';
import { startNodeServer } from '../src/server.ts';
import { heartbeat, startTestServer, T0, type TestServer } from './helpers.ts';

const cliScript = fileURLToPath(new URL('../src/backup-cli.ts', import.meta.url));
const DAY = 86_400_000;

/** `npm run backup` / `npm run restore` as a user runs them, against `databasePath`. */
async function cli(databasePath: string, ...args: string[]) {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [cliScript, ...args], {
      env: { PATH: process.env.PATH, DATABASE_URL: `file:${databasePath}` },
      timeout: 60_000,
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number; stdout: string; stderr: string };
    return { code: e.code ?? -1, stdout: e.stdout, stderr: e.stderr };
  }
}

/** Heartbeats stored in a database file. Reads a scratch copy: opening a file as Lifeline does turns it to WAL, which would change a backup. */
async function heartbeatsIn(databasePath: string): Promise<number> {
  const scratch = `${databasePath}.${process.pid}.scratch`;
  await copyFile(databasePath, scratch);
  const copy = await createDb(`file:${scratch}`);
  try {
    const r = await copy.client!.execute('SELECT count(*) FROM heartbeats');
    return Number(r.rows[0]![0]);
  } finally {
    copy.close();
    await rm(scratch, { force: true });
  }
}

let s: TestServer;
let backupDir = '';

beforeAll(async () => {
  s = await startTestServer();
  backupDir = join(s.dir, 'backups');
});
afterAll(() => s.close().catch(() => {}));

describe('backups on a running server', () => {
  it('npm run backup copies the live database while phones keep reporting; restore waits for the server to stop', async () => {
    const phone = await s.enrollDevice('Till 1');
    const post = () => s.request('POST', '/v1/heartbeats', { token: phone.token, body: heartbeat() });
    for (let i = 0; i < 20; i++) expect((await post()).status).toBe(202);

    let done = false;
    let acknowledged = 20;
    const load = (async () => {
      while (!done) if ((await post()).status === 202) acknowledged++;
    })();
    const taken = await cli(s.databasePath, 'backup', '--out', backupDir, '--keep', '3').finally(() => {
      done = true;
    });
    await load;
    expect(taken.code, taken.stderr).toBe(0);
    expect(taken.stdout).toMatch(/Backup written to .*lifeline-\d{4}-\d\d-\d\dT\d\d-\d\d-\d\dZ in \d+ ms/);
    expect(taken.stdout).toContain('integrity ok');
    expect(taken.stdout).toContain('secrets.key  included');
    const [name] = await readdir(backupDir);
    const inCopy = await heartbeatsIn(join(backupDir, name!, 'lifeline.db'));
    expect(inCopy).toBeGreaterThanOrEqual(20);
    expect(inCopy).toBeLessThanOrEqual(acknowledged);

    const refused = await cli(s.databasePath, '--from', join(backupDir, name!));
    expect(refused.code, 'restore without the subcommand is usage').toBe(2);
    const running = await cli(s.databasePath, 'restore', '--from', join(backupDir, name!));
    expect(running.code).toBe(1);
    expect(running.stderr).toMatch(
      /Lifeline is running on .*test\.db \(pid \d+, http:\/\/127\.0\.0\.1:\d+\): stop it first/,
    );

    await s.stop();
    await expect(access(`${s.databasePath}.instance`)).rejects.toThrow(); // removed on a clean stop
    const restored = await cli(s.databasePath, 'restore', '--from', join(backupDir, name!));
    expect(restored.code, restored.stderr).toBe(0);
    expect(restored.stdout).toContain(`Restored ${name}`);
    expect(await heartbeatsIn(s.databasePath)).toBe(inCopy);

    // The restored database serves: the same admin key, device and token.
    const again = await startNodeServer({
      databaseUrl: `file:${s.databasePath}`,
      clock: new ManualClock(T0),
      logger: jsonLogger('silent'),
    });
    try {
      const list = await fetch(`${again.url}/v1/devices`, {
        headers: { authorization: `Bearer ${s.creds.apiKey}` },
      });
      expect(list.status).toBe(200);
      const body = (await list.json()) as { devices: { id: string; name: string }[] };
      expect(body.devices.map((d) => d.name)).toEqual(['Till 1']);
      const hb = await fetch(`${again.url}/v1/heartbeats`, {
        method: 'POST',
        headers: { authorization: `Bearer ${phone.token}`, 'content-type': 'application/json' },
        body: JSON.stringify(heartbeat()),
      });
      expect(hb.status).toBe(202);
    } finally {
      await again.close();
    }
  });
});

describe('scheduled backups (BACKUP_DIR)', () => {
  it('the server backs up when due on its tick and keeps the newest few', async () => {
    const dir = join(s.dir, 'scheduled');
    const t = await startTestServer({ backup: { dir, intervalMs: DAY, keep: 2 } });
    try {
      for (let day = 0; day < 3; day++) {
        const outcome = await t.backups!.runIfDue(t.clock.now());
        expect(outcome?.ok, JSON.stringify(outcome)).toBe(true);
        expect(await t.backups!.runIfDue(t.clock.now() + 60_000)).toBeNull();
        t.clock.advance(DAY);
      }
      expect(await readdir(dir)).toEqual(['lifeline-2026-11-02T12-00-00Z', 'lifeline-2026-11-03T12-00-00Z']);
      // The installation's owner (the default workspace) sees them in its metrics; another workspace does not.
      const metrics = await t.request('GET', '/v1/metrics', { token: t.creds.apiKey });
      expect(metrics.json).toContain(
        `lifeline_backup_last_success_timestamp_seconds ${(t.clock.now() - DAY) / 1000}`,
      );
      expect(metrics.json).toContain('lifeline_backup_interval_seconds 86400');
      expect(metrics.json).not.toContain('lifeline_backup_last_failure_timestamp_seconds 1');
      const other = await t.createWorkspace('tenant');
      expect((await t.request('GET', '/v1/metrics', { token: other.apiKey })).json).not.toContain(
        'lifeline_backup',
      );
    } finally {
      await t.close();
    }
  });

  it('need a file database, and say so at start', async () => {
    await expect(
      startNodeServer({
        databaseUrl: 'libsql://lifeline-example.turso.io',
        secretsKey: Buffer.alloc(32).toString('base64'),
        backup: { dir: '/tmp/x', intervalMs: DAY, keep: 1 },
        logger: jsonLogger('silent'),
      }),
    ).rejects.toThrow(ConfigError);
  });
});

describe('the backup command refuses', () => {
  it('bad usage and a remote database, with exit code 2', async () => {
    expect((await cli('x.db', 'backup', '--keep', '0')).stderr).toMatch(/--keep: must be a whole number/);
    expect((await cli('x.db', 'backup', '--bogus')).code).toBe(2);
    expect((await cli('x.db', 'restore')).stderr).toMatch(/restore needs --from/);
    const remote = await promisify(execFile)(process.execPath, [cliScript, 'backup'], {
      env: { PATH: process.env.PATH, DATABASE_URL: 'libsql://lifeline-example.turso.io' },
    }).catch((err: { code: number; stderr: string }) => err);
    expect(remote).toMatchObject({ code: 2, stderr: expect.stringMatching(/point-in-time restore/) });
  });

  it('a database that is not there, with exit code 1 and nothing written', async () => {
    const out = join(s.dir, 'none');
    const r = await cli(join(s.dir, 'missing.db'), 'backup', '--out', out);
    expect(r).toMatchObject({ code: 1, stderr: expect.stringMatching(/There is no database at/) });
    await rm(out, { recursive: true, force: true });
  });
});
