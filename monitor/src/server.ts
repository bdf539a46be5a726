import { link, mkdir, readFile, unlink, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type RequestListener } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { getRequestListener } from '@hono/node-server';
import { createDb, type Db } from '@lifeline/db';
import { migrateDb } from '@lifeline/db/migrate';
import { webhooks } from '@lifeline/db/schema';
import { createAlertChannels, defaultVapidSubject } from './alerting/channels.ts';
import { AlertScheduler } from './alerting/scheduler.ts';
import { createApp } from './app.ts';
import { type BackupSchedule, BackupScheduler } from './backup/scheduler.ts';
import { type Clock, systemClock } from './clock.ts';
import { ConfigError } from './config.ts';
import type { Deps } from './deps.ts';
import { createAuthCache } from './http/auth-cache.ts';
import { GroupCommitWriter, type Writer } from './ingest/group-commit.ts';
import { HeartbeatWriterThread } from './ingest/heartbeat-thread.ts';
import { createHeartbeatFlush, type HeartbeatWrite } from './ingest/heartbeats.ts';
import { writeInstanceFile } from './instance-file.ts';
import { jsonLogger, type Logger } from './logger.ts';
import { WorkNotifier } from './pipeline/notifier.ts';
import { nodeFetcher } from './probes/fetch-node.ts';
import { decodeSecretsKey, generateSecretsKey, SecretBox, SecretBoxError } from './secret-box.ts';
import { CustomDomains, hostOf, mayBeMapped, OWN_DOMAIN_HEADER } from './site/custom-domains.ts';
import { loadSite } from './site/mount.ts';
import { createGuardedFetch } from './subscriptions/guarded-fetch.ts';
import { dispatchAlerts } from './tick.ts';
import { ensureWorkspaceDefaults } from './workspace-defaults.ts';

export interface NodeServerOptions {
  databaseUrl: string;
  databaseAuthToken?: string;
  host?: string;
  /** 0 picks a free port. */
  port?: number;
  clock?: Clock;
  logger?: Logger;
  publicUrl?: string;
  /** `SECRETS_KEY` (base64 of 32 bytes); without it, `secrets.key` beside a file database. */
  secretsKey?: string;
  /**
   * Mount the status site (public pages and admin pages) on the same port, building it first if its
   * sources changed. `npm start` does; the API's own tests do not need it.
   */
  site?: boolean;
  /** Alert delivery settings; see `alerting/channels.ts`. */
  alerts?: {
    resendApiKey?: string;
    /** Resend's API base (the SDK also reads `RESEND_BASE_URL`). */
    resendBaseUrl?: string;
    emailFrom?: string;
    /** Default: `mail.log` beside a file database (used when there is no Resend key). */
    mailLogPath?: string | null;
    vapidSubject?: string;
  };
  /** Scheduled backups (`BACKUP_DIR`); a `file:` database only. */
  backup?: BackupSchedule;
  /** Let public subscriptions point at loopback/private addresses (tests with local fakes only). */
  allowPrivateSubscriptionTargets?: boolean;
}

export interface NodeServer {
  url: string;
  deps: Deps;
  /** The status site's build/load, when mounted. */
  site: { built: boolean; ms: number } | null;
  /** Alert work between ticks: device-health rules on ingest, notification groups when ready. */
  alertScheduler: AlertScheduler;
  /** Scheduled backups, when configured: the tick calls `runIfDue`. */
  backups: BackupScheduler | null;
  close(): Promise<void>;
}

/** Opens the database, applies migrations and serves the app on Node. Used by `node.ts` and the tests. */
export async function startNodeServer(options: NodeServerOptions): Promise<NodeServer> {
  const clock = options.clock ?? systemClock;
  const databasePath = fileDatabasePath(options.databaseUrl);
  if (options.backup && databasePath === null)
    throw new ConfigError(
      'Invalid configuration:\n  BACKUP_DIR: backups need a file: database (Turso keeps its own; see its point-in-time restore).',
    );
  const secrets = await nodeSecretBox(options.databaseUrl, options.secretsKey);
  const database = await createDb(options.databaseUrl, { authToken: options.databaseAuthToken });
  await migrateDb(database);
  const db = database.db;
  let alertScheduler: AlertScheduler | null = null;
  const logger = options.logger ?? jsonLogger('info');
  const heartbeats = startHeartbeatWriter(options, db, logger, (items) =>
    alertScheduler?.noticeHeartbeats(items),
  );
  const host = options.host ?? '127.0.0.1';
  const deps: Deps = {
    db,
    clock,
    heartbeats,
    authCache: createAuthCache(30_000, () => Date.now()),
    logger,
    notifier: new WorkNotifier(),
    publicUrl: options.publicUrl ?? '',
    secretBox: secrets.box,
    alerts: null,
    // A hanging probe target must not hold the device-liveness tick: wait a few seconds, then move on.
    probes: { fetcher: nodeFetcher, waitMs: 3_000 },
    allowPrivateSubscriptionTargets: options.allowPrivateSubscriptionTargets === true,
    customDomains: new CustomDomains(db),
  };
  deps.alerts = await createAlertChannels({
    db,
    secretBox: secrets.box,
    now: clock.now(),
    vapidSubject: options.alerts?.vapidSubject ?? defaultVapidSubject(options.publicUrl),
    resendApiKey: options.alerts?.resendApiKey,
    resendBaseUrl: options.alerts?.resendBaseUrl,
    emailFrom: options.alerts?.emailFrom ?? 'Lifeline <alerts@lifeline.invalid>',
    publicFetch: createGuardedFetch(options.allowPrivateSubscriptionTargets === true),
    mailLogPath:
      options.alerts?.mailLogPath === undefined
        ? besideFileDatabase(options.databaseUrl, 'mail.log')
        : options.alerts.mailLogPath,
  });
  await ensureWorkspaceDefaults(db, clock.now());
  alertScheduler = new AlertScheduler({
    db,
    clock,
    logger: deps.logger,
    dispatch: (now) => (deps.alerts ? dispatchAlerts(deps, now) : Promise.resolve(null)),
  });
  if (secrets.createdKeyFile && (await db.$count(webhooks)) > 0) {
    deps.logger.warn(
      'secrets.key was missing, so a new one was made: existing webhook signing secrets cannot be opened until each webhook rotates its secret',
      { keyFile: secrets.createdKeyFile },
    );
  }
  const backups =
    options.backup && databasePath !== null
      ? new BackupScheduler({ databasePath, schedule: options.backup, logger })
      : null;
  if (backups) deps.backups = backups;
  const app = createApp(deps);
  const api = getRequestListener(app.fetch);
  let site: Awaited<ReturnType<typeof loadSite>> | null = null;
  try {
    site = options.site ? await loadSite(deps) : null;
  } catch (err) {
    database.close();
    throw err;
  }
  const server = createServer(onCustomDomains(deps.customDomains!, site ? site.listener(api) : api));
  await new Promise<void>((resolve, reject) => {
    server.once('listening', () => resolve());
    server.once('error', reject);
    server.listen(options.port ?? 0, host);
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  if (!deps.publicUrl) deps.publicUrl = url;
  const releaseInstance =
    databasePath === null
      ? async () => {}
      : await writeInstanceFile(databasePath, {
          pid: process.pid,
          url,
          startedAt: new Date(clock.now()).toISOString(),
        });
  return {
    url,
    deps,
    site: site && { built: site.built, ms: site.ms },
    alertScheduler: alertScheduler!,
    backups,
    async close() {
      server.closeIdleConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await heartbeats.close();
      await backups?.idle();
      alertScheduler?.close();
      await releaseInstance();
      database.close();
    },
  };
}

/**
 * Serves a workspace's status page on its custom domain: the path of a request for that host is mapped
 * under `/s/<slug>` before the site or the API sees it. Paths that are the same on every host (the API,
 * heartbeats included) pass straight through.
 */
function onCustomDomains(domains: CustomDomains, next: RequestListener): RequestListener {
  return (req, res) => {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const pathname = q === -1 ? url : url.slice(0, q);
    // Only this server says a request came in on a workspace's own host name (pages link from its root).
    if (req.headers[OWN_DOMAIN_HEADER] !== undefined) setOwnDomainHeader(req, false);
    if (!mayBeMapped(pathname)) return next(req, res);
    void domains.route(hostOf(req.headers.host), pathname).then((mapped) => {
      if (mapped !== pathname) {
        req.url = mapped + (q === -1 ? '' : url.slice(q));
        setOwnDomainHeader(req, true);
      }
      next(req, res);
    });
  };
}

/** Sets or removes the own-domain marker in both header views Node keeps (frameworks read either). */
function setOwnDomainHeader(req: IncomingMessage, on: boolean): void {
  const raw = req.rawHeaders;
  for (let i = raw.length - 2; i >= 0; i -= 2)
    if (raw[i]!.toLowerCase() === OWN_DOMAIN_HEADER) raw.splice(i, 2);
  delete req.headers[OWN_DOMAIN_HEADER];
  if (!on) return;
  raw.push(OWN_DOMAIN_HEADER, '1');
  req.headers[OWN_DOMAIN_HEADER] = '1';
}

/**
 * The heartbeat group-commit writer. With a file database it runs on its own thread (and connection),
 * so SQLite commits on one core while the event loop answers requests on another; a memory database
 * cannot be shared with a thread, and a remote one gains nothing from it, so they flush in-process.
 */
function startHeartbeatWriter(
  options: NodeServerOptions,
  db: Db,
  logger: Logger,
  onFlushed: (items: HeartbeatWrite[]) => void,
): Writer<HeartbeatWrite> & { close(): Promise<void> } {
  const maxBatch = 1_000;
  if (fileDatabasePath(options.databaseUrl) !== null) {
    // Not awaited: the thread loads while the server starts; the first heartbeats wait for it.
    const writer = new HeartbeatWriterThread(
      { databaseUrl: options.databaseUrl, databaseAuthToken: options.databaseAuthToken, maxBatch },
      onFlushed,
    );
    writer.ready().catch((err: unknown) =>
      logger.error('the heartbeat writer thread could not start; heartbeats are refused', {
        error: err instanceof Error ? err.message : String(err),
      }),
    );
    return writer;
  }
  const flush = createHeartbeatFlush(db);
  const writer = new GroupCommitWriter(
    async (items: HeartbeatWrite[]) => {
      await flush(items);
      onFlushed(items);
    },
    { maxBatch },
  );
  return Object.assign(writer, { close: () => writer.drain() });
}

/**
 * The key for stored secrets on Node: `SECRETS_KEY` when set; otherwise, with a `file:` database, the
 * `secrets.key` file beside it (created on first start, mode 0600; back it up with the database); a remote
 * database needs `SECRETS_KEY`, since a key on one machine's disk would not be there on the next.
 */
/** A file next to a `file:` database (null for memory or remote databases). */
export function besideFileDatabase(databaseUrl: string, name: string): string | null {
  const path = fileDatabasePath(databaseUrl);
  return path === null ? null : join(dirname(path), name);
}

/** The path of a `file:` database; null for memory or remote databases. */
function fileDatabasePath(databaseUrl: string): string | null {
  if (!databaseUrl.startsWith('file:')) return null;
  const path = databaseUrl.slice('file:'.length).split('?')[0] ?? '';
  return !path || path === ':memory:' ? null : path;
}

async function nodeSecretBox(
  databaseUrl: string,
  secretsKey: string | undefined,
): Promise<{ box: SecretBox; createdKeyFile?: string }> {
  if (secretsKey) {
    try {
      return { box: await SecretBox.fromBase64(secretsKey) };
    } catch (err) {
      if (err instanceof SecretBoxError)
        throw new ConfigError(`Invalid configuration:\n  SECRETS_KEY: ${err.message}`);
      throw err;
    }
  }
  if (!databaseUrl.startsWith('file:')) {
    throw new ConfigError(
      'SECRETS_KEY is required with a remote database: it encrypts webhook signing secrets. Generate one with `openssl rand -base64 32`, set it here and on every instance (and `npx wrangler secret put SECRETS_KEY` on Workers).',
    );
  }
  const path = databaseUrl.slice('file:'.length).split('?')[0] ?? '';
  if (!path || path === ':memory:') return { box: await SecretBox.fromBase64(generateSecretsKey()) };
  const keyPath = join(dirname(path), 'secrets.key');
  try {
    return { box: await SecretBox.fromKey(decodeSecretsKey(await readFile(keyPath, 'utf8'))) };
  } catch (err) {
    if (err instanceof SecretBoxError) throw new ConfigError(`${keyPath}: ${err.message}`);
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  // Written whole under a temporary name, then linked into place: if two processes start at once, one
  // link wins and the other reads the winner's key.
  await mkdir(dirname(keyPath), { recursive: true });
  const key = generateSecretsKey();
  const tmp = `${keyPath}.${process.pid}.${Date.now()}.tmp`;
  await writeFile(tmp, `${key}\n`, { flag: 'wx', mode: 0o600 });
  try {
    await link(tmp, keyPath);
    return { box: await SecretBox.fromBase64(key), createdKeyFile: keyPath };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    return { box: await SecretBox.fromKey(decodeSecretsKey(await readFile(keyPath, 'utf8'))) };
  } finally {
    await unlink(tmp).catch(() => {});
  }
}
