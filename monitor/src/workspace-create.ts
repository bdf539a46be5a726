/**
 * Creates another workspace (another business, brand or site, with its own phones, keys and status page at
 * `/s/<slug>`) and prints its secrets once:
 *
 *   npm run workspace:create -- --slug acme --name "Acme Ltd" [--admin-email ops@acme.example]
 *
 * The workspace starts with the default components and alert rules, an admin API key and a one-time
 * device enrolment code; with `--admin-email`, also a status-site admin with a random password. Uses
 * DATABASE_URL (and DATABASE_AUTH_TOKEN, HEARTBEAT_INTERVAL_S, PUBLIC_URL) like `npm start`, and applies
 * pending migrations first. Exit codes: 0 created, 1 the slug or admin email is taken, 2 bad usage.
 */
import { parseArgs } from 'node:util';
import { createDb, findAdminUserByEmail, findWorkspaceBySlug, insertAdminUserQuery } from '@lifeline/db';
import { migrateDb } from '@lifeline/db/migrate';
import { generatePassword, hashPassword } from '@lifeline/status-site/password';
import { z } from 'zod';
import { createWorkspaceWithCredentials } from './bootstrap.ts';
import { loadConfigOrReport } from './config.ts';
import { workspaceNameSchema, workspaceSlugSchema } from './contract/workspace.ts';

const USAGE = 'Usage: npm run workspace:create -- --slug <slug> --name <name> [--admin-email <email>]';

const optionsSchema = z.object({
  slug: workspaceSlugSchema,
  name: workspaceNameSchema,
  'admin-email': z.email().max(254).optional(),
});

export async function main(argv: string[], env: NodeJS.ProcessEnv): Promise<number> {
  let values: Record<string, unknown>;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: { slug: { type: 'string' }, name: { type: 'string' }, 'admin-email': { type: 'string' } },
      strict: true,
    }));
  } catch (err) {
    console.error(`${(err as Error).message}\n${USAGE}`);
    return 2;
  }
  const parsed = optionsSchema.safeParse(values);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    console.error(`--${issue.path.join('.')}: ${issue.message}\n${USAGE}`);
    return 2;
  }
  const config = loadConfigOrReport(env);
  if (!config) return 2;
  const { slug, name } = parsed.data;
  const adminEmail = parsed.data['admin-email'];
  const database = await createDb(config.DATABASE_URL, { authToken: config.DATABASE_AUTH_TOKEN });
  try {
    await migrateDb(database);
    const { db } = database;
    if (await findWorkspaceBySlug(db, slug)) {
      console.error(`A workspace with the slug "${slug}" already exists.`);
      return 1;
    }
    if (adminEmail && (await findAdminUserByEmail(db, adminEmail))) {
      console.error(
        `An admin with the email ${adminEmail} already exists (each admin belongs to one workspace).`,
      );
      return 1;
    }
    const now = Date.now();
    const creds = await createWorkspaceWithCredentials(db, {
      slug,
      name,
      now,
      heartbeatIntervalMs: config.HEARTBEAT_INTERVAL_S * 1000,
    });
    let password: string | null = null;
    if (adminEmail) {
      password = generatePassword();
      const { query } = insertAdminUserQuery(db, {
        workspaceId: creds.workspaceId,
        email: adminEmail,
        passwordHash: await hashPassword(password),
        now,
      });
      await query;
    }
    const base = config.PUBLIC_URL?.replace(/\/+$/, '') ?? `http://${config.HOST}:${config.PORT}`;
    console.log(
      [
        '',
        `  Lifeline: workspace "${name}" created. These secrets are shown once; they are stored only as hashes.`,
        '',
        `  Admin API key:         ${creds.apiKey}`,
        `  Device enrolment code: ${creds.enrollmentCode}  (one-time, expires ${new Date(creds.enrollmentCodeExpiresAt).toISOString()})`,
        ...(password
          ? [
              `  Admin sign-in:         ${base}/admin  email ${adminEmail!.toLowerCase()}  password ${password}`,
            ]
          : []),
        `  Status page:           ${base}/s/${slug}`,
        '',
      ].join('\n'),
    );
    return 0;
  } finally {
    database.close();
  }
}

if (import.meta.main) process.exitCode = await main(process.argv.slice(2), process.env);
