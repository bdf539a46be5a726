import { createRoute, OpenAPIHono } from '@hono/zod-openapi';
import { receiptBatchResultSchema, receiptBatchSchema } from '../contract/receipts.ts';
import { requireDevice } from '../http/auth.ts';
import type { AppEnv } from '../http/env.ts';
import { errorResponses, jsonBody, jsonContent } from '../http/openapi.ts';
import { applyReceipts } from '../ingest/receipts.ts';

const receiptsRoute = createRoute({
  method: 'post',
  path: '/v1/receipts',
  tags: ['Collectors'],
  security: [{ deviceToken: [] }],
  summary: 'Report message status receipts in a batch; idempotent',
  description:
    'Each receipt is stored once and moves its message only forward. The answer says, per receipt, whether it was applied, a duplicate, stale (late or out of order: stored, not applied) or rejected (not a message this device holds). A device may forget a receipt once it is answered with anything but a 5xx.',
  middleware: [requireDevice] as const,
  request: { body: jsonBody(receiptBatchSchema) },
  responses: {
    200: jsonContent(receiptBatchResultSchema, 'One result per receipt, in order'),
    ...errorResponses(400, 401, 403, 413, 415),
  },
});

export const receiptRoutes = new OpenAPIHono<AppEnv>().openapi(receiptsRoute, async (c) => {
  const { db, clock } = c.var.deps;
  const { workspaceId, deviceId } = c.var.device;
  const { receipts } = c.req.valid('json');
  const results = await applyReceipts(db, { workspaceId, deviceId, receipts, now: clock.now() });
  return c.json({ results }, 200);
});
