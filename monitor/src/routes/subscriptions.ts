/**
 * Public subscriptions to a status page's incident and maintenance updates.
 *
 * For visitors (no authentication; the default workspace at the root, the others under `/s/<slug>`):
 *   - `POST /api/subscriptions`: email (pending until confirmed: double opt-in), web push, or webhook;
 *   - `POST /api/subscriptions/push/unsubscribe`: a browser turning its notifications off;
 *   - `/subscriptions/confirm?token=` and `/subscriptions/unsubscribe?token=`: the links of the emails, a
 *     page with a button on GET, the action on POST. The unsubscribe POST is RFC 8058's one-click
 *     unsubscribe, so a mail client can do it without a page.
 * For admins: `/v1/subscriptions` lists, adds and removes a workspace's subscribers.
 */
import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import { listStatusSubscribers, unsubscribeStatusSubscriber } from '@lifeline/db';
import type { StatusSubscriber } from '@lifeline/db/schema';
import type { Context } from 'hono';
import {
  newStatusSubscriptionSchema,
  publicSubscribeAnswerSchema,
  pushUnsubscribeSchema,
  statusSubscriberListQuery,
  statusSubscriberSchema,
  subscriberIdParam,
} from '../contract/subscriptions.ts';
import { requireAdmin } from '../http/auth.ts';
import type { AppEnv } from '../http/env.ts';
import { ApiError } from '../http/errors.ts';
import { errorResponses, jsonBody, jsonContent } from '../http/openapi.ts';
import { statusReadModelFor } from '../site/read-model.ts';
import {
  confirmByToken,
  type SubscribeOutcome,
  subscribe,
  type TokenOutcome,
  unsubscribeByToken,
  unsubscribePush,
} from '../subscriptions/service.ts';

const security = [{ apiKey: [] }];
const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

export function subscriberView(s: StatusSubscriber): z.infer<typeof statusSubscriberSchema> {
  let target = s.email ?? s.endpoint ?? '';
  if (s.channel === 'web_push' && s.endpoint) {
    try {
      target = `${new URL(s.endpoint).host} (push endpoint)`;
    } catch {
      target = 'push endpoint';
    }
  }
  return {
    id: s.id,
    channel: s.channel,
    status: s.status,
    target,
    createdAt: iso(s.createdAt)!,
    confirmedAt: iso(s.confirmedAt),
    unsubscribedAt: iso(s.unsubscribedAt),
    unsubscribedReason: s.unsubscribedReason,
  };
}

/** What a visitor is told: never whether an address was known already. */
export function publicAnswer(o: SubscribeOutcome): z.infer<typeof publicSubscribeAnswerSchema> {
  if (o.subscriber.channel === 'email')
    return {
      status: 'pending',
      message: 'Check your inbox: nothing is sent to this address until you confirm it from the email.',
    };
  return {
    status: 'confirmed',
    id: o.subscriber.id,
    message:
      o.subscriber.channel === 'webhook'
        ? 'Subscribed: updates are posted to this URL, signed with the secret below (shown once).'
        : 'Subscribed: this browser will show incident and maintenance updates.',
    ...(o.secret ? { secret: o.secret } : {}),
  };
}

async function workspaceIdOf(c: Context<AppEnv>): Promise<string> {
  const model = statusReadModelFor(c.var.deps);
  const slug = c.req.param('slug');
  const ws = slug === undefined ? await model.defaultWorkspace() : await model.workspaceBySlug(slug);
  if (!ws) throw new ApiError(404, 'not_found', 'No status page here.');
  return ws.id;
}

export const subscriptionRoutes = new OpenAPIHono<AppEnv>();

for (const prefix of ['', '/s/{slug}']) {
  const params = prefix ? { params: z.object({ slug: z.string().min(1).max(64) }) } : {};
  subscriptionRoutes
    .openapi(
      createRoute({
        method: 'post',
        path: `${prefix}/api/subscriptions`,
        tags: ['Public subscriptions'],
        summary: 'Subscribe to this status page’s incident and maintenance updates',
        description:
          'Email: the address gets a confirmation link and nothing else until it is used (double opt-in); every later email has a one-click unsubscribe link (RFC 8058). Web push: the browser’s PushSubscription. Webhook: updates are POSTed to the URL, signed per Standard Webhooks with the returned secret. Loopback, private and link-local targets are refused.',
        request: { ...params, body: jsonBody(newStatusSubscriptionSchema) },
        responses: {
          201: jsonContent(publicSubscribeAnswerSchema, 'Subscribed (web push, webhook)'),
          202: jsonContent(publicSubscribeAnswerSchema, 'Pending confirmation (email)'),
          ...errorResponses(400, 404, 409, 413, 415, 429),
        },
      }),
      async (c) => {
        const workspaceId = await workspaceIdOf(c);
        const outcome = await subscribe(c.var.deps, workspaceId, c.req.valid('json'), c.var.deps.clock.now());
        c.header('Cache-Control', 'no-store');
        return c.json(publicAnswer(outcome), outcome.status === 'pending' ? 202 : 201);
      },
    )
    .openapi(
      createRoute({
        method: 'post',
        path: `${prefix}/api/subscriptions/push/unsubscribe`,
        tags: ['Public subscriptions'],
        summary: 'Turn off this browser’s push notifications (proved by the subscription’s auth secret)',
        request: { ...params, body: jsonBody(pushUnsubscribeSchema) },
        responses: {
          200: jsonContent(z.object({ unsubscribed: z.boolean() }), 'Done (false: no such subscription)'),
          ...errorResponses(400, 404, 413, 415),
        },
      }),
      async (c) => {
        const workspaceId = await workspaceIdOf(c);
        const done = await unsubscribePush(
          c.var.deps.db,
          workspaceId,
          c.req.valid('json'),
          c.var.deps.clock.now(),
        );
        return c.json({ unsubscribed: done }, 200);
      },
    );
}

subscriptionRoutes
  .openapi(
    createRoute({
      method: 'get',
      path: '/v1/subscriptions',
      tags: ['Public subscriptions'],
      security,
      middleware: [requireAdmin] as const,
      summary: 'The status page’s subscribers, newest first',
      request: { query: statusSubscriberListQuery },
      responses: {
        200: jsonContent(z.object({ subscriptions: z.array(statusSubscriberSchema) }), 'Subscribers'),
        ...errorResponses(400, 401),
      },
    }),
    async (c) => {
      const q = c.req.valid('query');
      const rows = await listStatusSubscribers(c.var.deps.db, c.var.admin.workspaceId, q);
      return c.json({ subscriptions: rows.map(subscriberView) }, 200);
    },
  )
  .openapi(
    createRoute({
      method: 'post',
      path: '/v1/subscriptions',
      tags: ['Public subscriptions'],
      security,
      middleware: [requireAdmin] as const,
      summary: 'Subscribe someone (an email address still has to confirm)',
      request: { body: jsonBody(newStatusSubscriptionSchema) },
      responses: {
        201: jsonContent(statusSubscriberSchema, 'The subscriber (a webhook’s secret is shown once)'),
        ...errorResponses(400, 401, 409, 413, 415),
      },
    }),
    async (c) => {
      const o = await subscribe(
        c.var.deps,
        c.var.admin.workspaceId,
        c.req.valid('json'),
        c.var.deps.clock.now(),
        'admin',
      );
      return c.json({ ...subscriberView(o.subscriber), ...(o.secret ? { secret: o.secret } : {}) }, 201);
    },
  )
  .openapi(
    createRoute({
      method: 'delete',
      path: '/v1/subscriptions/{id}',
      tags: ['Public subscriptions'],
      security,
      middleware: [requireAdmin] as const,
      summary: 'Unsubscribe a subscriber (kept for the record; queued messages are dropped)',
      request: { params: subscriberIdParam },
      responses: { 204: { description: 'Unsubscribed' }, ...errorResponses(401, 404) },
    }),
    async (c) => {
      const done = await unsubscribeStatusSubscriber(c.var.deps.db, {
        id: c.req.valid('param').id,
        workspaceId: c.var.admin.workspaceId,
        reason: 'removed by an admin',
        now: c.var.deps.clock.now(),
      });
      if (!done) throw new ApiError(404, 'not_found', 'No such active subscriber in this workspace.');
      return c.body(null, 204);
    },
  );

// The links of the emails: plain pages, the same on Node and Workers.

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
}

function page(c: Context<AppEnv>, status: 200 | 400 | 404 | 503, title: string, body: string) {
  c.header('Cache-Control', 'no-store');
  c.header('Content-Security-Policy', "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'");
  c.header('Referrer-Policy', 'no-referrer');
  c.header('X-Content-Type-Options', 'nosniff');
  return c.html(
    `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><meta name="robots" content="noindex"><title>${escapeHtml(title)}</title><style>:root{color-scheme:light dark;font-family:system-ui,sans-serif}main{max-width:34rem;margin:4rem auto;padding:0 1rem;line-height:1.5}button{font:inherit;padding:.5rem 1rem;cursor:pointer}</style></head><body><main><h1>${escapeHtml(title)}</h1>${body}</main></body></html>`,
    status,
  );
}

function tokenProblem(c: Context<AppEnv>, outcome: Extract<TokenOutcome, { ok: false }>) {
  if (outcome.reason === 'unavailable')
    return page(c, 503, 'Not available', '<p>Subscriptions are not set up on this installation.</p>');
  return page(
    c,
    outcome.reason === 'invalid_token' ? 400 : 404,
    'This link does not work',
    '<p>The link is incomplete or no longer valid. Copy the whole link from the email, or subscribe again from the status page.</p>',
  );
}

function tokenForm(c: Context<AppEnv>, action: string, title: string, text: string, button: string) {
  const token = c.req.query('token') ?? '';
  return page(
    c,
    200,
    title,
    `<p>${escapeHtml(text)}</p><form method="post" action="${escapeHtml(action)}?token=${encodeURIComponent(token)}"><button type="submit">${escapeHtml(button)}</button></form>`,
  );
}

subscriptionRoutes.get('/subscriptions/confirm', (c) =>
  tokenForm(
    c,
    '/subscriptions/confirm',
    'Confirm your subscription',
    'Confirm that you want incident and maintenance updates at this address.',
    'Confirm',
  ),
);
subscriptionRoutes.post('/subscriptions/confirm', async (c) => {
  const outcome = await confirmByToken(c.var.deps, c.req.query('token') ?? '', c.var.deps.clock.now());
  if (!outcome.ok) return tokenProblem(c, outcome);
  if (outcome.result === 'unsubscribed')
    return page(
      c,
      200,
      'You had unsubscribed',
      '<p>This address unsubscribed; subscribe again from the status page to hear from it.</p>',
    );
  return page(
    c,
    200,
    'Subscription confirmed',
    '<p>You will get an email when an incident or maintenance is posted. Every email has a link to unsubscribe.</p>',
  );
});
subscriptionRoutes.get('/subscriptions/unsubscribe', (c) =>
  tokenForm(
    c,
    '/subscriptions/unsubscribe',
    'Unsubscribe',
    'Stop receiving incident and maintenance updates.',
    'Unsubscribe',
  ),
);
// RFC 8058: a mail client POSTs `List-Unsubscribe=One-Click` to the link; a person presses the button.
subscriptionRoutes.post('/subscriptions/unsubscribe', async (c) => {
  const outcome = await unsubscribeByToken(c.var.deps, c.req.query('token') ?? '', c.var.deps.clock.now());
  if (!outcome.ok) return tokenProblem(c, outcome);
  return page(
    c,
    200,
    'Unsubscribed',
    '<p>You will get no more updates. Subscribe again from the status page at any time.</p>',
  );
});
