import { OpenAPIHono } from '@hono/zod-openapi';
import { findMovedWorkspace } from '@lifeline/db';
import { HTTPException } from 'hono/http-exception';
import type { Deps } from './deps.ts';
import { auditApi } from './http/audit.ts';
import { limitBody } from './http/body-limit.ts';
import type { AppEnv } from './http/env.ts';
import { ApiError, errorBody, renderError, validationError } from './http/errors.ts';
import { INGEST_PATH, ingestErrorsFor } from './probes/ingest-errors.ts';
import { alertRoutes } from './routes/alerts.ts';
import { apiKeyRoutes } from './routes/api-keys.ts';
import { auditRoutes } from './routes/audit.ts';
import { componentRoutes } from './routes/components.ts';
import { devicesRoutes } from './routes/devices.ts';
import { mountDocs } from './routes/docs.ts';
import { enrollmentRoutes } from './routes/enrollment.ts';
import { heartbeatRoutes } from './routes/heartbeats.ts';
import { inboundRoutes } from './routes/inbound.ts';
import { incidentRoutes } from './routes/incidents.ts';
import { messageRoutes } from './routes/messages.ts';
import { metricsRoutes } from './routes/metrics.ts';
import { outboxRoutes } from './routes/outbox.ts';
import { probeRoutes } from './routes/probes.ts';
import { receiptRoutes } from './routes/receipts.ts';
import { reliabilityRoutes } from './routes/reliability.ts';
import { statusFeedRoutes } from './routes/status-feeds.ts';
import { subscriptionRoutes } from './routes/subscriptions.ts';
import { webhookRoutes } from './routes/webhooks.ts';
import { workspaceRoutes } from './routes/workspace.ts';

/** Largest request body the API reads; larger ones are refused with 413 before parsing. */
export const MAX_BODY_BYTES = 256 * 1024;
/** A batch of 1,000 long messages needs more. */
export const MAX_BATCH_BODY_BYTES = 4 * 1024 * 1024;
/** What anyone may post to a status page's API (a push subscription is under 1 KB). */
export const MAX_PUBLIC_BODY_BYTES = 16 * 1024;
const PUBLIC_API_PATH = /^(?:\/s\/[^/]+)?\/api\//;

/** The runtime-agnostic Lifeline app. Node (`node.ts`) and Workers (`worker.ts`) each pass their deps. */
export function createApp(deps: Deps) {
  const app = new OpenAPIHono<AppEnv>({
    defaultHook: (result, c) => {
      if (!result.success) return renderError(c, validationError(result.error, result.target));
    },
  });

  app.use('*', async (c, next) => {
    c.set('deps', deps);
    c.set('requestId', c.req.header('X-Request-Id')?.slice(0, 64) || crypto.randomUUID());
    await next();
  });

  const limit = (maxSize: number) =>
    limitBody(maxSize, (c) =>
      c.json(errorBody('payload_too_large', `The body is larger than ${maxSize} bytes.`), 413),
    );
  const batchLimit = limit(MAX_BATCH_BODY_BYTES);
  const defaultLimit = limit(MAX_BODY_BYTES);
  app.use('/v1/*', (c, next) =>
    c.req.path === '/v1/messages/batch' ? batchLimit(c, next) : defaultLimit(c, next),
  );
  // The public subscribe endpoints take small bodies from anyone.
  const publicLimit = limit(MAX_PUBLIC_BODY_BYTES);
  app.use('*', (c, next) =>
    c.req.method === 'POST' && PUBLIC_API_PATH.test(c.req.path) ? publicLimit(c, next) : next(),
  );
  app.use('/v1/*', async (c, next) => {
    const method = c.req.method;
    // A body must be JSON; a POST without one (`…/cancel`) needs no Content-Type.
    const hasBody =
      Number(c.req.header('Content-Length') ?? '0') > 0 || c.req.header('Transfer-Encoding') !== undefined;
    if ((method === 'POST' || method === 'PATCH' || method === 'PUT') && hasBody) {
      const type = c.req.header('Content-Type') ?? '';
      if (!/^application\/(?:[\w.-]+\+)?json\b/i.test(type)) {
        throw new ApiError(
          415,
          'unsupported_media_type',
          'Send the body as JSON with Content-Type: application/json.',
        );
      }
    }
    await next();
  });

  app.use('/v1/*', auditApi);

  // A status page that moved to another slug: its old address (feeds, JSON twins, badges) redirects.
  app.use('/s/:slug/*', async (c, next) => {
    await next();
    if (c.res.status !== 404 || (c.req.method !== 'GET' && c.req.method !== 'HEAD')) return;
    const slug = c.req.param('slug');
    const moved = await findMovedWorkspace(deps.db, slug);
    if (!moved) return;
    const url = new URL(c.req.url);
    const rest = url.pathname.slice(`/s/${slug}`.length);
    c.res = c.redirect(`/s/${encodeURIComponent(moved.slug)}${rest}${url.search}`, 301);
  });

  // Layer 1 counts the ingest API's 5xx share per minute (read by the self-probe).
  const ingestErrors = ingestErrorsFor(deps.db);
  app.use('/v1/*', async (c, next) => {
    await next();
    if (c.req.method === 'POST' && INGEST_PATH.test(c.req.path))
      ingestErrors.record(deps.clock.now(), c.res.status);
  });

  app.onError((err, c) => {
    if (err instanceof ApiError) return renderError(c, err);
    if (err instanceof HTTPException) {
      if (err.status === 400) return c.json(errorBody('invalid_json', 'The body is not valid JSON.'), 400);
      return c.json(errorBody('http_error', err.message), err.status);
    }
    const requestId = c.var.requestId;
    deps.logger.error('unhandled error', {
      requestId,
      method: c.req.method,
      path: c.req.path,
      error: err instanceof Error ? (err.stack ?? err.message) : String(err),
    });
    return c.json(
      errorBody('internal_error', 'Something went wrong on our side.', undefined, requestId),
      500,
    );
  });

  app.notFound((c) => c.json(errorBody('not_found', `No route for ${c.req.method} ${c.req.path}.`), 404));

  app.get('/healthz', (c) => c.json({ ok: true, time: deps.clock.now() }));

  app.route('/', enrollmentRoutes);
  app.route('/', outboxRoutes);
  app.route('/', devicesRoutes);
  app.route('/', heartbeatRoutes);
  app.route('/', receiptRoutes);
  app.route('/', inboundRoutes);
  app.route('/', apiKeyRoutes);
  app.route('/', workspaceRoutes);
  app.route('/', auditRoutes);
  app.route('/', messageRoutes);
  app.route('/', reliabilityRoutes);
  app.route('/', metricsRoutes);
  app.route('/', componentRoutes);
  app.route('/', webhookRoutes);
  app.route('/', alertRoutes);
  app.route('/', incidentRoutes);
  app.route('/', probeRoutes);
  app.route('/', statusFeedRoutes);
  app.route('/', subscriptionRoutes);
  mountDocs(app);
  return app;
}

export type App = ReturnType<typeof createApp>;
