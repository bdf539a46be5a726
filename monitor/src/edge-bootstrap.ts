/**
 * First run on the edge, where no console shows the Worker's output: creates the default workspace (if it
 * is missing), an admin API key, a one-time device enrolment code and the admin pages' sign-in
 * (`admin@localhost` with a random password) in the D1 database bound as DB, and prints the three secrets
 * once. Only hashes are written (SHA-256; scrypt for the password). Running it again adds a new key and
 * code to the existing default workspace and sets a new password, which is also how to recover them.
 *
 *   npm run edge:bootstrap -- --remote                 # the deployed D1 database
 *   npm run edge:bootstrap -- --local [--persist-to d]  # the one `wrangler dev` uses
 *   npm run edge:bootstrap -- --print                  # only print the SQL (for another SQL client)
 *
 * Every argument except --print is passed to `wrangler d1 execute DB`.
 */
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { newId } from '@lifeline/db';
import { generatePassword, hashPassword } from '@lifeline/status-site/password';
import { generateEnrollmentCode, generateToken, normalizeEnrollmentCode, sha256Hex } from './secrets.ts';
import { FIRST_ADMIN_EMAIL } from './site/first-admin.ts';

const ENROLLMENT_TTL_MS = 7 * 86_400_000;

export interface EdgeBootstrap {
  sql: string;
  apiKey: string;
  enrollmentCode: string;
  enrollmentCodeExpiresAt: number;
  /** The admin pages' sign-in (`admin@localhost`); a run sets a fresh password, which is how to recover it. */
  admin: { email: string; password: string };
}

/** The INSERTs for the default workspace, a fresh admin key, a fresh enrolment code and the admin's password. */
export async function edgeBootstrapSql(now: number): Promise<EdgeBootstrap> {
  const apiKey = generateToken('admin');
  const enrollmentCode = generateEnrollmentCode();
  const expiresAt = now + ENROLLMENT_TTL_MS;
  const admin = { email: FIRST_ADMIN_EMAIL, password: generatePassword() };
  const q = (v: string) => `'${v.replaceAll("'", "''")}'`;
  const workspaceOf = `FROM workspaces WHERE slug = 'default'`;
  const sql = [
    `INSERT INTO workspaces (id, slug, name, heartbeat_interval_ms, created_at) VALUES (${q(newId('ws', now))}, 'default', 'My workspace', 30000, ${now}) ON CONFLICT (slug) DO NOTHING;`,
    `INSERT INTO api_keys (id, workspace_id, name, scope, token_hash, prefix, created_at) SELECT ${q(newId('key', now))}, id, 'Edge bootstrap admin key', 'admin', ${q(sha256Hex(apiKey))}, ${q(apiKey.slice(0, 13))}, ${now} ${workspaceOf};`,
    `INSERT INTO enrollment_codes (id, workspace_id, code_hash, device_name, created_at, expires_at) SELECT ${q(newId('enr', now))}, id, ${q(sha256Hex(normalizeEnrollmentCode(enrollmentCode)))}, NULL, ${now}, ${expiresAt} ${workspaceOf};`,
    // Only the scrypt hash is stored. Signing in again needs the new password; open sessions stay open.
    `INSERT INTO admin_users (id, workspace_id, email, password_hash, created_at) SELECT ${q(newId('usr', now))}, id, ${q(admin.email)}, ${q(await hashPassword(admin.password))}, ${now} ${workspaceOf} ON CONFLICT (email) DO UPDATE SET password_hash = excluded.password_hash, disabled_at = NULL;`,
  ].join('\n');
  return { sql, apiKey, enrollmentCode, enrollmentCodeExpiresAt: expiresAt, admin };
}

async function main(args: string[]): Promise<number> {
  const printOnly = args.includes('--print');
  const boot = await edgeBootstrapSql(Date.now());
  if (printOnly) {
    console.log(boot.sql);
  } else {
    const wranglerPackage = createRequire(import.meta.url).resolve('wrangler/package.json');
    const wrangler = join(dirname(wranglerPackage), 'bin', 'wrangler.js');
    const run = spawnSync(
      process.execPath,
      [wrangler, 'd1', 'execute', 'DB', '--command', boot.sql, ...args.filter((a) => a !== '--print')],
      { stdio: ['ignore', 'inherit', 'inherit'] },
    );
    if (run.status !== 0) {
      console.error(
        'wrangler d1 execute failed, so the secrets are not shown; run this again once it works.',
      );
      return run.status ?? 1;
    }
  }
  console.log(
    [
      '',
      `  Lifeline: ${printOnly ? 'once that SQL has run, these' : 'These'} secrets work. They are shown once; only their hashes are stored.`,
      '',
      `  Admin API key:         ${boot.apiKey}`,
      `  Device enrolment code: ${boot.enrollmentCode}  (one-time, expires ${new Date(boot.enrollmentCodeExpiresAt).toISOString()})`,
      `  Admin sign-in (/admin): email ${boot.admin.email}  password ${boot.admin.password}`,
      '',
    ].join('\n'),
  );
  return 0;
}

if (import.meta.main) process.exitCode = await main(process.argv.slice(2));
