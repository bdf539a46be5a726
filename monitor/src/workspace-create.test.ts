import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { createDb, findActiveApiKeyByHash, findAdminUserByEmail, findWorkspaceBySlug } from '@lifeline/db';
import { alertRules, components } from '@lifeline/db/schema';
import { verifyPassword } from '@lifeline/status-site/password';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sha256Hex } from './secrets.ts';

const script = fileURLToPath(new URL('./workspace-create.ts', import.meta.url));
let dir = '';
let env: NodeJS.ProcessEnv = {};

/** Runs the CLI as `npm run workspace:create` would; never throws on a non-zero exit. */
async function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [script, ...args], {
      env,
      timeout: 60_000,
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number; stdout: string; stderr: string };
    return { code: e.code ?? -1, stdout: e.stdout, stderr: e.stderr };
  }
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'lifeline-ws-cli-'));
  env = {
    PATH: process.env.PATH,
    DATABASE_URL: `file:${join(dir, 'lifeline.db')}`,
    PUBLIC_URL: 'https://status.example.com',
  };
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('npm run workspace:create', () => {
  it('creates a ready workspace and prints its secrets once; only their hashes are stored', async () => {
    const run = await cli('--slug', 'acme', '--name', 'Acme Ltd', '--admin-email', 'Ops@Acme.example');
    expect(run.code, run.stderr).toBe(0);
    const apiKey = /Admin API key:\s+(ll_admin_\S+)/.exec(run.stdout)?.[1];
    const password = /email ops@acme\.example\s+password (\S+)/.exec(run.stdout)?.[1];
    expect(apiKey, run.stdout).toBeDefined();
    expect(password, run.stdout).toBeDefined();
    expect(run.stdout).toMatch(/Device enrolment code:\s+[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}/);
    expect(run.stdout).toContain('Status page:           https://status.example.com/s/acme');

    const database = await createDb(env.DATABASE_URL!);
    try {
      const { db } = database;
      const ws = await findWorkspaceBySlug(db, 'acme');
      expect(ws).toMatchObject({ name: 'Acme Ltd', heartbeatIntervalMs: 30_000 });
      expect((await findActiveApiKeyByHash(db, sha256Hex(apiKey!)))?.workspaceId).toBe(ws!.id);
      const admin = await findAdminUserByEmail(db, 'ops@acme.example');
      expect(admin?.workspaceId).toBe(ws!.id);
      expect(admin?.passwordHash).not.toContain(password!);
      expect(await verifyPassword(password!, admin!.passwordHash)).toBe(true);
      expect(await db.$count(alertRules, eq(alertRules.workspaceId, ws!.id))).toBeGreaterThan(0);
      expect(await db.$count(components, eq(components.workspaceId, ws!.id))).toBeGreaterThan(0);
    } finally {
      database.close();
    }
  });

  it('refuses a taken slug or admin email (exit 1) and bad options (exit 2), creating nothing', async () => {
    const taken = await cli('--slug', 'acme', '--name', 'Again');
    expect(taken.code).toBe(1);
    expect(taken.stderr).toContain('"acme" already exists');
    const email = await cli('--slug', 'acme-two', '--name', 'Two', '--admin-email', 'ops@acme.example');
    expect(email.code).toBe(1);
    expect(email.stderr).toContain('ops@acme.example already exists');
    for (const [args, says] of [
      [['--slug', 'Acme Two', '--name', 'x'], '--slug:'],
      [['--slug', 'ok'], '--name:'],
      [['--slug', 'ok', '--name', 'x', '--admin-email', 'nope'], '--admin-email:'],
      [['--slug', 'ok', '--name', 'x', '--plan', 'pro'], "Unknown option '--plan'"],
    ] as const) {
      const run = await cli(...args);
      expect(run.code, run.stderr).toBe(2);
      expect(run.stderr).toContain(says);
      expect(run.stderr).toContain('Usage: npm run workspace:create');
    }
    const database = await createDb(env.DATABASE_URL!);
    try {
      expect(await findWorkspaceBySlug(database.db, 'acme-two')).toBeUndefined();
      expect(await findWorkspaceBySlug(database.db, 'ok')).toBeUndefined();
    } finally {
      database.close();
    }
  });
});
