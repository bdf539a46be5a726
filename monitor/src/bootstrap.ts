import { countWorkspaces, type Db, insertWorkspaceQuery } from '@lifeline/db';
import { createApiKey } from './routes/api-keys.ts';
import { createEnrollmentCode } from './services/enrollment.ts';
import { workspaceDefaultsQueries } from './workspace-defaults.ts';

/** A new workspace's secrets, to show once. */
export interface WorkspaceCredentials {
  workspaceId: string;
  apiKey: string;
  enrollmentCode: string;
  enrollmentCodeExpiresAt: number;
}

export type FirstRunCredentials = WorkspaceCredentials;

/**
 * Creates a workspace ready to use: its default components and alert rules, an admin API key and a
 * one-time device enrolment code (valid 7 days). A slug another workspace holds throws a UNIQUE violation
 * and creates nothing.
 */
export async function createWorkspaceWithCredentials(
  db: Db,
  input: { slug: string; name: string; now: number; heartbeatIntervalMs?: number },
): Promise<WorkspaceCredentials> {
  const { now } = input;
  const ws = insertWorkspaceQuery(db, input);
  const key = await createApiKey(db, { workspaceId: ws.row.id, name: 'First admin key', now });
  await db.batch([ws.query, key.query, ...workspaceDefaultsQueries(db, ws.row.id, now)]);
  const code = await createEnrollmentCode(db, {
    workspaceId: ws.row.id,
    deviceName: null,
    now,
    ttlMs: 7 * 86_400_000,
  });
  return {
    workspaceId: ws.row.id,
    apiKey: key.key,
    enrollmentCode: code.code,
    enrollmentCodeExpiresAt: code.expiresAt,
  };
}

/**
 * On an empty database, creates the default workspace with an admin API key and a one-time device
 * enrolment code. Returns the secrets so the caller can show them once; returns null otherwise.
 */
export async function bootstrapFirstRun(
  db: Db,
  now: number,
  options: { heartbeatIntervalMs?: number } = {},
): Promise<FirstRunCredentials | null> {
  if ((await countWorkspaces(db)) > 0) return null;
  return createWorkspaceWithCredentials(db, {
    slug: 'default',
    name: 'My workspace',
    now,
    heartbeatIntervalMs: options.heartbeatIntervalMs,
  });
}

export function firstRunBanner(creds: FirstRunCredentials, url: string): string {
  return [
    '',
    '  Lifeline: first run. These secrets are shown once; they are stored only as hashes.',
    '',
    `  Admin API key:         ${creds.apiKey}`,
    `  Device enrolment code: ${creds.enrollmentCode}  (one-time, expires ${new Date(creds.enrollmentCodeExpiresAt).toISOString()})`,
    '',
    `  Enrol a phone:   lifeline-agent enroll --server ${url} --code ${creds.enrollmentCode}`,
    `  API reference:   ${url}/docs`,
    `  List devices:    curl -H "Authorization: Bearer <admin key>" ${url}/v1/devices`,
    '',
  ].join('\n');
}
