/**
 * Lifeline on Node: the embedded default (`npm start`). Reads the configuration from the environment,
 * serves the API on HOST:PORT with a libSQL file database, and runs the tick every few seconds.
 */
import { CronJob } from 'cron';
import { bootstrapFirstRun, firstRunBanner } from './bootstrap.ts';
import { systemClock } from './clock.ts';
import { ConfigError, loadConfig, retentionFromEnv } from './config.ts';
import { jsonLogger } from './logger.ts';
import { configureRetention } from './reliability/retention.ts';
import { startNodeServer } from './server.ts';
import { ensureFirstAdmin, firstAdminBanner } from './site/first-admin.ts';
import { tick } from './tick.ts';

async function main(): Promise<void> {
  let config: ReturnType<typeof loadConfig>;
  try {
    config = loadConfig(process.env);
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message);
      process.exit(2);
    }
    throw err;
  }
  const logger = jsonLogger(config.LOG_LEVEL);
  configureRetention(retentionFromEnv(config));
  let server: Awaited<ReturnType<typeof startNodeServer>>;
  try {
    server = await startNodeServer({
      databaseUrl: config.DATABASE_URL,
      databaseAuthToken: config.DATABASE_AUTH_TOKEN,
      secretsKey: config.SECRETS_KEY,
      host: config.HOST,
      port: config.PORT,
      publicUrl: config.PUBLIC_URL,
      clock: systemClock,
      logger,
      site: true,
      ...(config.BACKUP_DIR
        ? {
            backup: {
              dir: config.BACKUP_DIR,
              intervalMs: config.BACKUP_INTERVAL_H * 3_600_000,
              keep: config.BACKUP_KEEP,
            },
          }
        : {}),
      alerts: {
        resendApiKey: config.RESEND_API_KEY,
        emailFrom: config.ALERT_EMAIL_FROM,
        ...(config.MAIL_LOG ? { mailLogPath: config.MAIL_LOG } : {}),
        ...(config.VAPID_SUBJECT ? { vapidSubject: config.VAPID_SUBJECT } : {}),
      },
    });
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message);
      process.exit(2);
    }
    throw err;
  }
  const url = server.deps.publicUrl;
  const creds = await bootstrapFirstRun(server.deps.db, systemClock.now(), {
    heartbeatIntervalMs: config.HEARTBEAT_INTERVAL_S * 1000,
  });
  if (creds) console.log(firstRunBanner(creds, url));
  const admin = await ensureFirstAdmin(server.deps.db, systemClock.now());
  if (admin)
    console.log(
      `${creds ? '' : '\n  Lifeline: the status site has no admin yet, so one was made.\n\n'}${firstAdminBanner(admin, url)}`,
    );
  if (server.site?.built) logger.info('status site built', { ms: Math.round(server.site.ms) });
  console.log(
    `Lifeline is listening on ${server.url} (database ${redact(config.DATABASE_URL)}); API reference at ${url}/docs`,
  );

  let ticking = false;
  const job = CronJob.from({
    cronTime: `*/${config.TICK_INTERVAL_S} * * * * *`,
    start: true,
    onTick: async () => {
      // A backup runs on its own thread and never holds the tick; it starts when one is due.
      void server.backups?.runIfDue(systemClock.now());
      if (ticking) return; // never pile up ticks behind a slow one
      ticking = true;
      try {
        const report = await tick(server.deps, systemClock.now());
        for (const change of report.livenessChanges) logger.info('device liveness', change);
        server.alertScheduler.dispatchAt(report.alerts.dispatch?.wakeAt ?? null);
      } catch (err) {
        logger.error('tick failed', { error: err instanceof Error ? err.message : String(err) });
      } finally {
        ticking = false;
      }
    },
  });

  const stop = async () => {
    await job.stop();
    await server.close();
    process.exit(0);
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

/** A database URL without credentials, for the log. */
function redact(url: string): string {
  try {
    const u = new URL(url);
    u.password = '';
    u.search = '';
    return u.toString();
  } catch {
    return url.split('?')[0] ?? '';
  }
}

await main();
