import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import {
  countEnabledWebhooks,
  findWebhook,
  insertWebhookQuery,
  listWebhookDeliveries,
  listWebhooks,
  newId,
  updateWebhook,
  type WebhookPatch,
} from '@lifeline/db';
import type { Webhook, WebhookDelivery } from '@lifeline/db/schema';
import { errorSchema } from '../contract/errors.ts';
import {
  MAX_WEBHOOKS_PER_WORKSPACE,
  newWebhookSchema,
  type WebhookView,
  webhookDeliveryListQuery,
  webhookDeliveryListSchema,
  webhookIdParam,
  webhookPatchSchema,
  webhookSchema,
  webhookWithSecretSchema,
} from '../contract/webhooks.ts';
import type { Deps } from '../deps.ts';
import { requireAdmin } from '../http/auth.ts';
import type { AppEnv } from '../http/env.ts';
import { ApiError } from '../http/errors.ts';
import { errorResponses, jsonBody, jsonContent } from '../http/openapi.ts';
import type { SecretBox } from '../secret-box.ts';
import { generateWebhookSecret, secretContext, webhookMessageId } from '../webhooks/signing.ts';

const tags = ['Webhooks'];
const security = [{ apiKey: [] }];
const noSecretsKey = {
  503: jsonContent(errorSchema, 'No SECRETS_KEY is configured (Workers), so secrets cannot be stored'),
};

const createWebhookRoute = createRoute({
  method: 'post',
  path: '/v1/webhooks',
  tags,
  security,
  summary: 'Add a webhook: every message status change is POSTed to it, signed (secret shown once)',
  description:
    'Deliveries follow the Standard Webhooks spec: headers `webhook-id` (the same on every retry), `webhook-timestamp` and `webhook-signature`; verify them with the `standardwebhooks` library and the returned secret. Failed deliveries are retried with exponential backoff for 3 days, then dead-lettered.',
  middleware: [requireAdmin] as const,
  request: { body: jsonBody(newWebhookSchema) },
  responses: {
    201: jsonContent(webhookWithSecretSchema, 'The webhook and its signing secret, shown once'),
    ...errorResponses(400, 401, 409, 413, 415),
    ...noSecretsKey,
  },
});

const listWebhooksRoute = createRoute({
  method: 'get',
  path: '/v1/webhooks',
  tags,
  security,
  summary: "The workspace's webhooks, newest first (never their secrets)",
  middleware: [requireAdmin] as const,
  responses: {
    200: jsonContent(z.object({ webhooks: z.array(webhookSchema) }), 'Webhooks'),
    ...errorResponses(401),
  },
});

const getWebhookRoute = createRoute({
  method: 'get',
  path: '/v1/webhooks/{id}',
  tags,
  security,
  summary: 'A webhook (never its secret)',
  middleware: [requireAdmin] as const,
  request: { params: webhookIdParam },
  responses: { 200: jsonContent(webhookSchema, 'The webhook'), ...errorResponses(401, 404) },
});

const patchWebhookRoute = createRoute({
  method: 'patch',
  path: '/v1/webhooks/{id}',
  tags,
  security,
  summary: 'Change a webhook’s URL, description or event types, or disable and enable it',
  description:
    'Pending deliveries go to the new URL. While a webhook is disabled no events are recorded for it, and deliveries still pending when their turn comes are dead-lettered.',
  middleware: [requireAdmin] as const,
  request: { params: webhookIdParam, body: jsonBody(webhookPatchSchema) },
  responses: {
    200: jsonContent(webhookSchema, 'The webhook after the change'),
    ...errorResponses(400, 401, 404, 409, 413, 415),
  },
});

const deleteWebhookRoute = createRoute({
  method: 'delete',
  path: '/v1/webhooks/{id}',
  tags,
  security,
  summary: 'Disable a webhook: no further events are sent to it',
  middleware: [requireAdmin] as const,
  request: { params: webhookIdParam },
  responses: { 200: jsonContent(webhookSchema, 'The disabled webhook'), ...errorResponses(401, 404) },
});

const rotateSecretRoute = createRoute({
  method: 'post',
  path: '/v1/webhooks/{id}/rotate-secret',
  tags,
  security,
  summary: 'Replace a webhook’s signing secret (the new one is shown once)',
  description: 'Every attempt from now on, retries included, is signed with the new secret. Send `{}`.',
  middleware: [requireAdmin] as const,
  request: { params: webhookIdParam, body: jsonBody(z.strictObject({})) },
  responses: {
    200: jsonContent(webhookWithSecretSchema, 'The webhook and its new secret, shown once'),
    ...errorResponses(400, 401, 404, 415),
    ...noSecretsKey,
  },
});

const listDeliveriesRoute = createRoute({
  method: 'get',
  path: '/v1/webhooks/{id}/deliveries',
  tags,
  security,
  summary: 'A webhook’s deliveries, newest first: status, attempts and the last error',
  middleware: [requireAdmin] as const,
  request: { params: webhookIdParam, query: webhookDeliveryListQuery },
  responses: {
    200: jsonContent(webhookDeliveryListSchema, 'A page'),
    ...errorResponses(400, 401, 404),
  },
});

function notFound(id: string): ApiError {
  return new ApiError(404, 'webhook_not_found', `No webhook '${id}' in this workspace.`, 'id');
}

function secretBoxOf(deps: Deps): SecretBox {
  if (!deps.secretBox) {
    throw new ApiError(
      503,
      'secrets_key_missing',
      'Webhook secrets need SECRETS_KEY: set it with `npx wrangler secret put SECRETS_KEY` (base64 of 32 bytes).',
    );
  }
  return deps.secretBox;
}

async function ensureRoom(db: Deps['db'], workspaceId: string): Promise<void> {
  if ((await countEnabledWebhooks(db, workspaceId)) >= MAX_WEBHOOKS_PER_WORKSPACE) {
    throw new ApiError(
      409,
      'too_many_webhooks',
      `A workspace may have at most ${MAX_WEBHOOKS_PER_WORKSPACE} enabled webhooks.`,
    );
  }
}

export function toWebhookView(w: Webhook): WebhookView {
  return {
    id: w.id,
    url: w.url,
    description: w.description,
    eventTypes: w.eventTypes ?? null,
    enabled: w.disabledAt === null,
    createdAt: w.createdAt,
    disabledAt: w.disabledAt,
  };
}

async function toDeliveryView(d: WebhookDelivery) {
  return {
    id: d.id,
    eventId: await webhookMessageId(d.dedupKey),
    eventType: d.eventType,
    status: d.status,
    attempts: d.attempts,
    lastStatusCode: d.lastStatusCode,
    lastError: d.lastError,
    nextAttemptAt: d.status === 'pending' ? d.nextAttemptAt : null,
    deadlineAt: d.deadlineAt,
    createdAt: d.createdAt,
    deliveredAt: d.deliveredAt,
    payload: d.payload,
  };
}

export const webhookRoutes = new OpenAPIHono<AppEnv>()
  .openapi(createWebhookRoute, async (c) => {
    const deps = c.var.deps;
    const box = secretBoxOf(deps);
    const workspaceId = c.var.admin.workspaceId;
    const body = c.req.valid('json');
    await ensureRoom(deps.db, workspaceId);
    const now = deps.clock.now();
    const id = newId('wh', now);
    const secret = generateWebhookSecret();
    const row: Webhook = {
      id,
      workspaceId,
      url: body.url,
      description: body.description ?? null,
      secretCiphertext: await box.seal(secret, secretContext(id)),
      eventTypes: body.eventTypes ?? null,
      createdAt: now,
      disabledAt: null,
    };
    await insertWebhookQuery(deps.db, row);
    return c.json({ ...toWebhookView(row), secret }, 201);
  })
  .openapi(listWebhooksRoute, async (c) => {
    const rows = await listWebhooks(c.var.deps.db, c.var.admin.workspaceId);
    return c.json({ webhooks: rows.map(toWebhookView) }, 200);
  })
  .openapi(getWebhookRoute, async (c) => {
    const { id } = c.req.valid('param');
    const row = await findWebhook(c.var.deps.db, c.var.admin.workspaceId, id);
    if (!row) throw notFound(id);
    return c.json(toWebhookView(row), 200);
  })
  .openapi(patchWebhookRoute, async (c) => {
    const { db, clock } = c.var.deps;
    const workspaceId = c.var.admin.workspaceId;
    const { id } = c.req.valid('param');
    const body = c.req.valid('json');
    const current = await findWebhook(db, workspaceId, id);
    if (!current) throw notFound(id);
    const patch: WebhookPatch = {};
    if (body.url !== undefined) patch.url = body.url;
    if (body.description !== undefined) patch.description = body.description;
    if (body.eventTypes !== undefined) patch.eventTypes = body.eventTypes;
    if (body.enabled === false && current.disabledAt === null) patch.disabledAt = clock.now();
    if (body.enabled === true && current.disabledAt !== null) {
      await ensureRoom(db, workspaceId);
      patch.disabledAt = null;
    }
    const row = Object.keys(patch).length > 0 ? await updateWebhook(db, workspaceId, id, patch) : current;
    if (!row) throw notFound(id);
    return c.json(toWebhookView(row), 200);
  })
  .openapi(deleteWebhookRoute, async (c) => {
    const { db, clock } = c.var.deps;
    const workspaceId = c.var.admin.workspaceId;
    const { id } = c.req.valid('param');
    const current = await findWebhook(db, workspaceId, id);
    if (!current) throw notFound(id);
    const row =
      current.disabledAt === null
        ? await updateWebhook(db, workspaceId, id, { disabledAt: clock.now() })
        : current;
    if (!row) throw notFound(id);
    return c.json(toWebhookView(row), 200);
  })
  .openapi(rotateSecretRoute, async (c) => {
    const deps = c.var.deps;
    const box = secretBoxOf(deps);
    const { id } = c.req.valid('param');
    const secret = generateWebhookSecret();
    const row = await updateWebhook(deps.db, c.var.admin.workspaceId, id, {
      secretCiphertext: await box.seal(secret, secretContext(id)),
    });
    if (!row) throw notFound(id);
    return c.json({ ...toWebhookView(row), secret }, 200);
  })
  .openapi(listDeliveriesRoute, async (c) => {
    const { db } = c.var.deps;
    const workspaceId = c.var.admin.workspaceId;
    const { id } = c.req.valid('param');
    const q = c.req.valid('query');
    if (!(await findWebhook(db, workspaceId, id))) throw notFound(id);
    let before: { createdAt: number; id: string } | undefined;
    if (q.cursor) {
      const dot = q.cursor.indexOf('.');
      before = { createdAt: Number(q.cursor.slice(0, dot)), id: q.cursor.slice(dot + 1) };
    }
    const rows = await listWebhookDeliveries(db, workspaceId, id, {
      status: q.status,
      before,
      limit: q.limit + 1,
    });
    const page = rows.slice(0, q.limit);
    const last = page[page.length - 1];
    const nextCursor = rows.length > q.limit && last ? `${last.createdAt}.${last.id}` : null;
    return c.json({ deliveries: await Promise.all(page.map(toDeliveryView)), nextCursor }, 200);
  });
