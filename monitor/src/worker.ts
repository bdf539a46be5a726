/**
 * Lifeline on Cloudflare Workers: the same Hono app as on Node, with Cloudflare D1 (`env.DB`) or a remote
 * libSQL database (Turso: `DATABASE_URL` / `DATABASE_AUTH_TOKEN` secrets), and the tick on a Cron Trigger.
 * The public status pages are rendered by the status site's edge build (the same Astro pages, built by
 * `ensure-built.mjs --edge`, which wrangler.toml runs first); their assets are Workers static assets.
 * Alerts are delivered from the Cron event too. Nothing here (or below it) may import a Node module that
 * workerd's `nodejs_compat` lacks; `wrangler deploy --dry-run` checks the bundle, the workerd test runs it.
 */
import { createClient } from '@libsql/client/web';
import { createDb, type Database } from '@lifeline/db';
import { createD1Db, type D1Binding } from '@lifeline/db/d1';
import { render } from '@lifeline/status-site/edge';
import type { ExecutionContext } from 'hono';
import type { SiteLocals } from '../../status-site/src/read-model.ts';
import { createAlertChannels, defaultVapidSubject } from './alerting/channels.ts';
import { createApp } from './app.ts';
import { systemClock } from './clock.ts';
import { retentionFromEnv } from './config.ts';
import type { Deps } from './deps.ts';
import { createAuthCache } from './http/auth-cache.ts';
import { DirectWriter } from './ingest/group-commit.ts';
import { createHeartbeatFlush } from './ingest/heartbeats.ts';
import { jsonLogger } from './logger.ts';
import { WorkNotifier } from './pipeline/notifier.ts';
import { configureRetention } from './reliability/retention.ts';
import { SecretBox } from './secret-box.ts';
import { isSitePath, siteContext } from './site/context.ts';
import { CustomDomains, hostOf, mayBeMapped, OWN_DOMAIN_HEADER } from './site/custom-domains.ts';
import { dispatchAlerts, tick } from './tick.ts';
import { ensureWorkspaceDefaults } from './workspace-defaults.ts';

/** The bindings and variables wrangler.toml and `wrangler secret put` give the Worker. */
export interface Env {
  /** Cloudflare D1; when bound, it is the database. */
  DB?: D1Binding;
  /** Otherwise a remote libSQL database: `libsql://…` or `https://…`. */
  DATABASE_URL?: string;
  DATABASE_AUTH_TOKEN?: string;
  /** Base URL printed in links; defaults to the origin of the first request. */
  PUBLIC_URL?: string;
  LOG_LEVEL?: string;
  /**
   * Encrypts stored secrets (webhook signing secrets, the VAPID private key): base64 of 32 bytes, a
   * `wrangler secret`. Webhooks, subscriptions and web push need it.
   */
  SECRETS_KEY?: string;
  /** Alert and subscriber email through Resend (a `wrangler secret`); without it, emails wait in the outbox. */
  RESEND_API_KEY?: string;
  /** Resend's API base, for a self-hosted or test stand-in. */
  RESEND_BASE_URL?: string;
  ALERT_EMAIL_FROM?: string;
  /** The contact push services see; default PUBLIC_URL if https, else a placeholder mailbox. */
  VAPID_SUBJECT?: string;
  /** Retention in days, as on Node (`[vars]`; defaults 7, 400 and 30). */
  RETENTION_DAYS?: string;
  ROLLUP_RETENTION_DAYS?: string;
  MESSAGE_RETENTION_DAYS?: string;
}

/**
 * How long a Cron event stays to deliver notifications that fall due after its tick (a group gathering
 * companions for a couple of seconds), rather than leaving them to the next event a minute later.
 */
const FOLLOW_UP_WINDOW_MS = 15_000;

interface ScheduledController {
  scheduledTime: number;
  cron: string;
}

interface Isolate {
  deps: Deps;
  app: ReturnType<typeof createApp>;
  database: Database;
  locals: SiteLocals;
}

// Built on the first event and kept for the isolate's life; a failed build is retried on the next event.
let isolate: Promise<Isolate> | undefined;

function getIsolate(env: Env): Promise<Isolate> {
  isolate ??= buildIsolate(env).catch((err: unknown) => {
    isolate = undefined;
    throw err;
  });
  return isolate;
}

async function buildIsolate(env: Env): Promise<Isolate> {
  configureRetention(retentionFromEnv(env as unknown as Record<string, unknown>));
  const database = await openDatabase(env);
  // Workspaces edge:bootstrap's SQL made get their default components and alert rules (also on each Cron event).
  await ensureWorkspaceDefaults(database.db, Date.now());
  const secretBox = env.SECRETS_KEY
    ? await SecretBox.fromBase64(env.SECRETS_KEY).catch((err: Error) => {
        throw new Error(`SECRETS_KEY ${err.message}`);
      })
    : null;
  const deps: Deps = {
    db: database.db,
    clock: systemClock,
    // A promise must not outlive its request on Workers, so each heartbeat commits on its own.
    heartbeats: new DirectWriter(createHeartbeatFlush(database.db)),
    authCache: createAuthCache(30_000, () => Date.now()),
    logger: jsonLogger(logLevel(env.LOG_LEVEL)),
    // Wakes long polls in this isolate only; the outbox long poll also re-checks every few seconds.
    notifier: new WorkNotifier(),
    publicUrl: env.PUBLIC_URL?.replace(/\/+$/, '') ?? '',
    // Without it the API still runs; creating webhooks answers 503 and none are dispatched.
    secretBox,
    customDomains: new CustomDomains(database.db),
    // The same channels as on Node (web-push runs on workerd's node:crypto), except the mail log: with no
    // disk, email waits in the outbox until RESEND_API_KEY is set.
    alerts: await createAlertChannels({
      db: database.db,
      secretBox,
      now: Date.now(),
      vapidSubject: env.VAPID_SUBJECT ?? defaultVapidSubject(env.PUBLIC_URL),
      resendApiKey: env.RESEND_API_KEY,
      resendBaseUrl: env.RESEND_BASE_URL,
      emailFrom: env.ALERT_EMAIL_FROM ?? 'Lifeline <alerts@lifeline.invalid>',
      mailLogPath: null,
    }),
  };
  return { deps, app: createApp(deps), database, locals: { site: siteContext(deps) } };
}

async function openDatabase(env: Env): Promise<Database> {
  if (env.DB) return createD1Db(env.DB);
  const url = env.DATABASE_URL;
  if (url && /^(libsql|https?):\/\//.test(url)) {
    return createDb(url, { authToken: env.DATABASE_AUTH_TOKEN, createClient });
  }
  throw new Error(
    'No database: bind a D1 database as DB in wrangler.toml, or set the DATABASE_URL secret to a libsql:// or https:// URL.',
  );
}

/**
 * Delivers the notifications that fall due before `until` (Workers have no timers between events, so
 * this is what Node's AlertScheduler does between ticks), waiting for each in turn.
 */
async function followUpDispatch(deps: Deps, wakeAt: number | null, until: number): Promise<void> {
  let next = wakeAt;
  // Bounded: a notification due again at once (a channel failing fast) waits for the next event.
  for (let round = 0; round < 5 && deps.alerts && next !== null && next <= until; round++) {
    const wait = next - Date.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    next = (await dispatchAlerts(deps, Date.now())).wakeAt;
  }
}

function logLevel(value: string | undefined): 'info' | 'warn' | 'error' | 'silent' {
  return value === 'warn' || value === 'error' || value === 'silent' ? value : 'info';
}

export default {
  async fetch(incoming: Request, env: Env, ctx: ExecutionContext): Promise<Response> {
    const { app, deps, locals } = await getIsolate(env);
    const url = new URL(incoming.url);
    const host = hostOf(url.host);
    // A workspace's own host name serves its status page (see site/custom-domains.ts); only this Worker
    // says a request came in on one.
    const mapped = mayBeMapped(url.pathname)
      ? await deps.customDomains!.route(host, url.pathname)
      : url.pathname;
    let request = incoming;
    if (mapped !== url.pathname || incoming.headers.has(OWN_DOMAIN_HEADER)) {
      const headers = new Headers(incoming.headers);
      headers.delete(OWN_DOMAIN_HEADER);
      if (mapped !== url.pathname) {
        url.pathname = mapped;
        headers.set(OWN_DOMAIN_HEADER, '1');
      }
      request = new Request(url, {
        method: incoming.method,
        headers,
        body: incoming.body,
        redirect: 'manual',
      });
    }
    // Links the API prints use the first address it is reached at, unless that is a workspace's own.
    if (!deps.publicUrl && (await deps.customDomains!.slugFor(host)) === null) deps.publicUrl = url.origin;
    // A fresh locals object per request: the site's middleware stores per-request state on it.
    // Cloudflare names the visitor's address in CF-Connecting-IP (sign-in counts failures per address).
    if (isSitePath(url.pathname))
      return render(request, { ...locals }, request.headers.get('cf-connecting-ip') ?? undefined);
    return app.fetch(request, env, ctx);
  },

  scheduled(_controller: ScheduledController, env: Env, ctx: ExecutionContext): Promise<void> {
    const work = (async () => {
      const { deps } = await getIsolate(env);
      try {
        // One query when no workspace lacks its defaults.
        await ensureWorkspaceDefaults(deps.db, Date.now());
        const report = await tick(deps, Date.now());
        for (const change of report.livenessChanges) deps.logger.info('device liveness', change);
        await followUpDispatch(
          deps,
          report.alerts.dispatch?.wakeAt ?? null,
          Date.now() + FOLLOW_UP_WINDOW_MS,
        );
      } catch (err) {
        deps.logger.error('tick failed', { error: err instanceof Error ? err.message : String(err) });
        throw err;
      }
    })();
    ctx.waitUntil(work);
    // Also returned, so a failed tick fails the Cron event (and `wrangler dev`'s /__scheduled answers 500).
    return work;
  },
};
