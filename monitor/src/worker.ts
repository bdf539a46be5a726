/**
 * Lifeline on Cloudflare Workers: the same Hono app as on Node, with Cloudflare D1 (`env.DB`) or a remote
 * libSQL database (Turso: `DATABASE_URL` / `DATABASE_AUTH_TOKEN` secrets), and the tick on a Cron Trigger.
 * The public status pages are rendered by the status site's edge build (the same Astro pages, built by
 * `ensure-built.mjs --edge`, which wrangler.toml runs first); their assets are Workers static assets.
 * Nothing here (or below it) may import node-only modules; `wrangler deploy --dry-run` checks the bundle.
 */
import { createClient } from '@libsql/client/web';
import { createDb, type Database } from '@lifeline/db';
import { createD1Db, type D1Binding } from '@lifeline/db/d1';
import { render } from '@lifeline/status-site/edge';
import type { ExecutionContext } from 'hono';
import type { SiteLocals } from '../../status-site/src/read-model.ts';
import { createApp } from './app.ts';
import { systemClock } from './clock.ts';
import type { Deps } from './deps.ts';
import { createAuthCache } from './http/auth-cache.ts';
import { DirectWriter } from './ingest/group-commit.ts';
import { createHeartbeatFlush } from './ingest/heartbeats.ts';
import { jsonLogger } from './logger.ts';
import { WorkNotifier } from './pipeline/notifier.ts';
import { SecretBox } from './secret-box.ts';
import { isAdminPath, isSitePath, siteContext } from './site/context.ts';
import { tick } from './tick.ts';

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
  /** Encrypts stored secrets (webhook signing secrets): base64 of 32 bytes, a `wrangler secret`. Webhooks need it. */
  SECRETS_KEY?: string;
}

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
  const database = await openDatabase(env);
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
    secretBox: env.SECRETS_KEY
      ? await SecretBox.fromBase64(env.SECRETS_KEY).catch((err: Error) => {
          throw new Error(`SECRETS_KEY ${err.message}`);
        })
      : null,
    // Alerts are evaluated and recorded by the cron tick here too; their delivery (web push's encryption
    // and VAPID signing come from Node's crypto) runs on Node for now, so notifications wait in the outbox.
    alerts: null,
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

function logLevel(value: string | undefined): 'info' | 'warn' | 'error' | 'silent' {
  return value === 'warn' || value === 'error' || value === 'silent' ? value : 'info';
}

export default {
  async fetch(request: Request, env: Env, ctx: ExecutionContext): Promise<Response> {
    const { app, deps, locals } = await getIsolate(env);
    const url = new URL(request.url);
    if (!deps.publicUrl) deps.publicUrl = url.origin;
    if (isAdminPath(url.pathname))
      // Admin sign-in hashes passwords with Node's scrypt and delivers push from Node: the Node server's job.
      return new Response('The admin pages are served by the Node server (npm start), not at the edge.\n', {
        status: 404,
        headers: { 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-store' },
      });
    // A fresh locals object per request: the site's middleware stores per-request state on it.
    if (isSitePath(url.pathname)) return render(request, { ...locals });
    return app.fetch(request, env, ctx);
  },

  scheduled(_controller: ScheduledController, env: Env, ctx: ExecutionContext): Promise<void> {
    const work = (async () => {
      const { deps } = await getIsolate(env);
      try {
        const report = await tick(deps, Date.now());
        for (const change of report.livenessChanges) deps.logger.info('device liveness', change);
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
