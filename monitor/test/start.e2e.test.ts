import { type ChildProcess, spawn } from 'node:child_process';
import { access, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const ENTRY = new URL('../src/node.ts', import.meta.url).pathname;
const children: ChildProcess[] = [];
let dir = '';

afterAll(async () => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** Starts `node monitor/src/node.ts` as `npm start` does, and collects its output until it listens or exits. */
function start(env: Record<string, string>) {
  const child = spawn(process.execPath, [ENTRY], {
    env: { ...process.env, LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let out = '';
  child.stdout!.on('data', (d) => {
    out += d;
  });
  child.stderr!.on('data', (d) => {
    out += d;
  });
  return new Promise<{ child: ChildProcess; out: string; code: number | null }>((resolve) => {
    const timer = setTimeout(() => resolve({ child, out, code: null }), 20_000);
    child.stdout!.on('data', () => {
      if (out.includes('Lifeline is listening on')) {
        clearTimeout(timer);
        resolve({ child, out, code: null });
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ child, out, code });
    });
  });
}

const pathExists = (path: string) =>
  access(path).then(
    () => true,
    () => false,
  );

async function stop(child: ChildProcess) {
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await exited;
}

describe('npm start', () => {
  it('prints the first-run credentials once, then not again; serves the API and its reference', async () => {
    dir = await mkdtemp(join(tmpdir(), 'lifeline-start-'));
    const env = { DATABASE_URL: `file:${join(dir, 'lifeline.db')}`, PORT: '0' };
    const first = await start(env);
    expect(first.out).toMatch(/Admin API key: +ll_admin_\S+/);
    expect(first.out).toMatch(/Device enrolment code: +[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}/);
    expect(first.out).toContain('/docs');
    const url = /listening on (http:\/\/\S+) /.exec(first.out)![1]!;
    const key = /ll_admin_\S+/.exec(first.out)![0];
    const devices = await fetch(`${url}/v1/devices`, { headers: { authorization: `Bearer ${key}` } });
    expect(devices.status).toBe(200);
    const doc = await (await fetch(`${url}/openapi.json`)).json();
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining(['/v1/heartbeats', '/v1/receipts', '/v1/devices/enroll', '/v1/devices/{id}']),
    );
    const ref = await fetch(`${url}/docs`);
    expect(ref.headers.get('content-type')).toContain('text/html');
    expect(await ref.text()).toContain('POST /v1/heartbeats');
    await stop(first.child);

    // Again, with scheduled backups: the first is due at once, on the first tick.
    const backups = join(dir, 'backups');
    const second = await start({ ...env, BACKUP_DIR: backups, TICK_INTERVAL_S: '1' });
    expect(second.out).toContain('Lifeline is listening on');
    expect(second.out).not.toContain('ll_admin_');
    expect(await pathExists(join(dir, 'lifeline.db.instance')), 'the running server is recorded').toBe(true);
    let taken: string[] = [];
    for (let i = 0; i < 100 && taken.length === 0; i++) {
      await new Promise((r) => setTimeout(r, 100));
      taken = (await readdir(backups).catch(() => [])).filter((n) => n.startsWith('lifeline-'));
    }
    expect(taken).toHaveLength(1);
    expect((await readdir(join(backups, taken[0]!))).sort()).toEqual([
      'lifeline.db',
      'manifest.json',
      'secrets.key',
    ]);
    await stop(second.child);
    expect(await pathExists(join(dir, 'lifeline.db.instance')), 'removed on a clean stop').toBe(false);
  });

  it('stops with a message naming a bad setting', async () => {
    const bad = await start({ PORT: 'eighty' });
    expect(bad.code).toBe(2);
    expect(bad.out).toContain('PORT');
  });
});
