import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import { findMessage, listMessageEvents, listMessages } from '@lifeline/db';
import {
  idempotencyHeaders,
  messageBatchSchema,
  messageListQuery,
  messageSchema,
  newMessageSchema,
} from '../contract/messages.ts';
import { requireAdmin } from '../http/auth.ts';
import type { AppEnv } from '../http/env.ts';
import { ApiError } from '../http/errors.ts';
import { errorResponses, jsonBody, jsonContent } from '../http/openapi.ts';
import { acceptMessages } from '../pipeline/accept.ts';
import { cancelMessage } from '../pipeline/cancel.ts';
import { toMessageView } from '../pipeline/view.ts';

const tags = ['Messages'];
const security = [{ apiKey: [] }];

const sendRoute = createRoute({
  method: 'post',
  path: '/v1/messages',
  tags,
  security,
  summary: 'Queue an SMS; it is routed to a healthy device of the workspace',
  middleware: [requireAdmin] as const,
  request: { headers: idempotencyHeaders, body: jsonBody(newMessageSchema) },
  responses: {
    201: jsonContent(messageSchema, 'Queued'),
    200: jsonContent(messageSchema, 'A retry with the same Idempotency-Key: the first result'),
    ...errorResponses(400, 401, 409, 413, 415),
  },
});

const batchRoute = createRoute({
  method: 'post',
  path: '/v1/messages/batch',
  tags,
  security,
  summary: 'Queue up to 1,000 SMS at once, all or nothing',
  middleware: [requireAdmin] as const,
  request: { headers: idempotencyHeaders, body: jsonBody(messageBatchSchema) },
  responses: {
    201: jsonContent(z.object({ messages: z.array(messageSchema) }), 'Queued, in request order'),
    200: jsonContent(z.object({ messages: z.array(messageSchema) }), 'A retry with the same Idempotency-Key'),
    ...errorResponses(400, 401, 409, 413, 415),
  },
});

const getRoute = createRoute({
  method: 'get',
  path: '/v1/messages/{id}',
  tags,
  security,
  summary: 'A message with its full event history',
  middleware: [requireAdmin] as const,
  request: { params: z.object({ id: z.string().min(1).max(64) }) },
  responses: { 200: jsonContent(messageSchema, 'The message'), ...errorResponses(401, 404) },
});

const cancelRoute = createRoute({
  method: 'post',
  path: '/v1/messages/{id}/cancel',
  tags,
  security,
  summary: 'Cancel a message that no phone holds yet (queued); a no-op if it is cancelled already',
  middleware: [requireAdmin] as const,
  request: { params: z.object({ id: z.string().min(1).max(64) }) },
  responses: {
    200: jsonContent(messageSchema, 'Cancelled'),
    ...errorResponses(401, 403, 404, 409),
  },
});

const listRoute = createRoute({
  method: 'get',
  path: '/v1/messages',
  tags,
  security,
  summary: 'Messages, newest first, filtered and paginated',
  middleware: [requireAdmin] as const,
  request: { query: messageListQuery },
  responses: {
    200: jsonContent(
      z.object({ messages: z.array(messageSchema), nextCursor: z.string().nullable() }),
      'A page',
    ),
    ...errorResponses(400, 401),
  },
});

export const messageRoutes = new OpenAPIHono<AppEnv>()
  .openapi(sendRoute, async (c) => {
    const { db, clock, notifier } = c.var.deps;
    const workspaceId = c.var.admin.workspaceId;
    const result = await acceptMessages(db, {
      workspaceId,
      items: [c.req.valid('json')],
      idempotencyKey: c.req.valid('header')['idempotency-key'],
      batch: false,
      now: clock.now(),
    });
    if (!result.replayed) notifier.notify(workspaceId);
    return c.json(toMessageView(result.messages[0]!), result.replayed ? 200 : 201);
  })
  .openapi(batchRoute, async (c) => {
    const { db, clock, notifier } = c.var.deps;
    const workspaceId = c.var.admin.workspaceId;
    const result = await acceptMessages(db, {
      workspaceId,
      items: c.req.valid('json').messages,
      idempotencyKey: c.req.valid('header')['idempotency-key'],
      batch: true,
      now: clock.now(),
    });
    if (!result.replayed) notifier.notify(workspaceId);
    return c.json({ messages: result.messages.map((m) => toMessageView(m)) }, result.replayed ? 200 : 201);
  })
  .openapi(getRoute, async (c) => {
    const { db } = c.var.deps;
    const { id } = c.req.valid('param');
    const workspaceId = c.var.admin.workspaceId;
    const message = await findMessage(db, workspaceId, id);
    if (!message) throw new ApiError(404, 'message_not_found', `No message '${id}' in this workspace.`, 'id');
    return c.json(toMessageView(message, await listMessageEvents(db, workspaceId, id)), 200);
  })
  .openapi(cancelRoute, async (c) => {
    const { db, clock } = c.var.deps;
    const { id } = c.req.valid('param');
    const workspaceId = c.var.admin.workspaceId;
    const message = await cancelMessage(db, workspaceId, id, clock.now());
    return c.json(toMessageView(message, await listMessageEvents(db, workspaceId, id)), 200);
  })
  .openapi(listRoute, async (c) => {
    const q = c.req.valid('query');
    const rows = await listMessages(c.var.deps.db, c.var.admin.workspaceId, {
      status: q.status,
      deviceId: q.deviceId,
      recipient: q.to,
      createdFrom: q.from,
      createdTo: q.until,
      before: q.cursor,
      limit: q.limit + 1,
    });
    const page = rows.slice(0, q.limit);
    const nextCursor = rows.length > q.limit ? page[page.length - 1]!.id : null;
    return c.json({ messages: page.map((m) => toMessageView(m)), nextCursor }, 200);
  });
