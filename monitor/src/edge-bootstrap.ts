/**
 * First run on the edge, where no console shows the Worker's output: creates the default workspace (if it
 * is missing), an admin API key, a one-time device enrolment code and the admin pages' sign-in
 * (`admin@localhost` with a random password) in the D1 database bound as DB, and prints the three secrets
 * once. Only hashes are written (SHA-256; scrypt for the password). Running it again adds a new key and
 * code to the existing workspace and sets a new password, which is also how to recover them. With
 * `--slug`, `--name` and `--admin-email` it does the same for another workspace (its page at `/s/<slug>`).
 *
 *   npm run edge:bootstrap -- --remote                 # the deployed D1 database
 *   npm run edge:bootstrap -- --local [--persist-to d]  # the one `wrangler dev` uses
 *   npm run edge:bootstrap -- --print                  # only print the SQL (for another SQL client)
 *   npm run edge:bootstrap -- --remote --slug acme --name "Acme Ltd" --admin-email ops@acme.example
 *
 * Every other argument is passed to `wrangler d1 execute DB`.
 */
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { newId } from '@lifeline/db';
import { generatePassword, hashPassword } from '@lifeline/status-site/password';
import { z } from 'zod';
import { workspaceNameSchema, workspaceSlugSchema } from './contract/workspace.ts';
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

export interface EdgeBootstrapOptions {
  /** The workspace's slug; default `default` (the page at `/`). Another slug adds a workspace. */
  slug?: string;
  /** Its name, used only when the workspace is new; default `My workspace`. */
  name?: string;
  /** The admin whose password is set; default `admin@localhost`. */
  adminEmail?: string;
}

/**
 * The SQL that creates the workspace (if it is missing), a fresh admin key, a fresh enrolment code and the
 * admin's password, ending with a `SELECT … AS admin_ok` that is 1 when the admin belongs to this
 * workspace (an admin of another workspace with that email is left alone: its password is not changed).
 * The workspace's default components and alert rules come from the Worker's next event.
 */
export async function edgeBootstrapSql(
  now: number,
  options: EdgeBootstrapOptions = {},
): Promise<EdgeBootstrap> {
  const slug = options.slug ?? 'default';
  const name = options.name ?? 'My workspace';
  const apiKey = generateToken('admin');
  const enrollmentCode = generateEnrollmentCode();
  const expiresAt = now + ENROLLMENT_TTL_MS;
  const admin = {
    email: (options.adminEmail ?? FIRST_ADMIN_EMAIL).trim().toLowerCase(),
    password: generatePassword(),
  };
  const q = (v: string) => `'${v.replaceAll("'", "''")}'`;
  const workspaceOf = `FROM workspaces WHERE slug = ${q(slug)}`;
  const sql = [
    `INSERT INTO workspaces (id, slug, name, heartbeat_interval_ms, created_at) VALUES (${q(newId('ws', now))}, ${q(slug)}, ${q(name)}, 30000, ${now}) ON CONFLICT (slug) DO NOTHING;`,
    `INSERT INTO api_keys (id, workspace_id, name, scope, token_hash, prefix, created_at) SELECT ${q(newId('key', now))}, id, 'Edge bootstrap admin key', 'admin', ${q(sha256Hex(apiKey))}, ${q(apiKey.slice(0, 13))}, ${now} ${workspaceOf};`,
    `INSERT INTO enrollment_codes (id, workspace_id, code_hash, device_name, created_at, expires_at) SELECT ${q(newId('enr', now))}, id, ${q(sha256Hex(normalizeEnrollmentCode(enrollmentCode)))}, NULL, ${now}, ${expiresAt} ${workspaceOf};`,
    // Only the scrypt hash is stored. Signing in again needs the new password; open sessions stay open.
    `INSERT INTO admin_users (id, workspace_id, email, password_hash, created_at) SELECT ${q(newId('usr', now))}, id, ${q(admin.email)}, ${q(await hashPassword(admin.password))}, ${now} ${workspaceOf} ON CONFLICT (email) DO UPDATE SET password_hash = excluded.password_hash, disabled_at = NULL WHERE admin_users.workspace_id = excluded.workspace_id;`,
    `SELECT (SELECT workspace_id FROM admin_users WHERE email = ${q(admin.email)}) = (SELECT id ${workspaceOf}) AS admin_ok;`,
  ].join('\n');
  return { sql, apiKey, enrollmentCode, enrollmentCodeExpiresAt: expiresAt, admin };
}

const USAGE =
  'Usage: npm run edge:bootstrap -- (--remote | --local [--persist-to DIR] | --print) [--slug SLUG --name NAME] [--admin-email EMAIL]';

/** Splits our options from the ones for `wrangler d1 execute`; throws on a bad value, naming the option. */
export function parseBootstrapArgs(args: string[]): {
  options: EdgeBootstrapOptions;
  printOnly: boolean;
  wranglerArgs: string[];
} {
  const options: EdgeBootstrapOptions = {};
  const wranglerArgs: string[] = [];
  let printOnly = false;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '--print') printOnly = true;
    else if (arg === '--slug' || arg === '--name' || arg === '--admin-email') {
      const value = args[++i];
      if (value === undefined) throw new Error(`${arg} needs a value`);
      const parsed = (
        arg === '--slug' ? workspaceSlugSchema : arg === '--name' ? workspaceNameSchema : z.email().max(254)
      ).safeParse(value);
      if (!parsed.success) throw new Error(`${arg}: ${parsed.error.issues[0]!.message}`);
      if (arg === '--slug') options.slug = parsed.data;
      else if (arg === '--name') options.name = parsed.data;
      else options.adminEmail = parsed.data;
    } else wranglerArgs.push(arg);
  }
  if (options.slug && options.slug !== 'default' && !options.name)
    throw new Error('--name: name the new workspace');
  if (options.slug && options.slug !== 'default' && !options.adminEmail)
    throw new Error(
      "--admin-email: another workspace needs its own admin (admin@localhost is the default workspace's)",
    );
  return { options, printOnly, wranglerArgs };
}

async function main(args: string[]): Promise<number> {
  let parsed: ReturnType<typeof parseBootstrapArgs>;
  try {
    parsed = parseBootstrapArgs(args);
  } catch (err) {
    console.error(`${(err as Error).message}\n${USAGE}`);
    return 2;
  }
  const { options, printOnly, wranglerArgs } = parsed;
  const boot = await edgeBootstrapSql(Date.now(), options);
  let adminOk = true;
  if (printOnly) {
    console.log(boot.sql);
  } else {
    const wranglerPackage = createRequire(import.meta.url).resolve('wrangler/package.json');
    const wrangler = join(dirname(wranglerPackage), 'bin', 'wrangler.js');
    const run = spawnSync(
      process.execPath,
      [wrangler, 'd1', 'execute', 'DB', '--json', '--command', boot.sql, ...wranglerArgs],
      { stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8' },
    );
    if (run.status !== 0) {
      console.error(run.stdout);
      console.error(
        'wrangler d1 execute failed, so the secrets are not shown; run this again once it works.',
      );
      return run.status ?? 1;
    }
    adminOk = adminOkFrom(run.stdout);
  }
  console.log(
    [
      '',
      `  Lifeline: ${printOnly ? 'once that SQL has run, these' : 'These'} secrets work for the workspace "${options.slug ?? 'default'}". They are shown once; only their hashes are stored.`,
      '',
      `  Admin API key:         ${boot.apiKey}`,
      `  Device enrolment code: ${boot.enrollmentCode}  (one-time, expires ${new Date(boot.enrollmentCodeExpiresAt).toISOString()})`,
      adminOk
        ? `  Admin sign-in (/admin): email ${boot.admin.email}  password ${boot.admin.password}${printOnly ? "  (if the SQL's last line says admin_ok 1)" : ''}`
        : `  Admin sign-in: ${boot.admin.email} is an admin of another workspace, so its password was not changed; use --admin-email with another address.`,
      '',
    ].join('\n'),
  );
  return 0;
}

/** The `admin_ok` of the last statement in `wrangler d1 execute --json` output. */
function adminOkFrom(stdout: string): boolean {
  try {
    const results = JSON.parse(stdout) as { results?: { admin_ok?: number | null }[] }[];
    return results.at(-1)?.results?.[0]?.admin_ok === 1;
  } catch {
    return false;
  }
}

if (import.meta.main) process.exitCode = await main(process.argv.slice(2));
