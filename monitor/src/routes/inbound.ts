import { createRoute, OpenAPIHono } from '@hono/zod-openapi';
import { type CanaryReception, recordCanaryReceptions } from '@lifeline/db';
import {
  CANARY_MARKER,
  canaryNonceOf,
  type InboundResult,
  inboundBatchResultSchema,
  inboundBatchSchema,
} from '../contract/inbound.ts';
import { requireDevice } from '../http/auth.ts';
import type { AppEnv } from '../http/env.ts';
import { errorResponses, jsonBody, jsonContent } from '../http/openapi.ts';

const inboundRoute = createRoute({
  method: 'post',
  path: '/v1/inbound',
  tags: ['Collectors'],
  security: [{ deviceToken: [] }],
  summary: 'Report SMS canaries this phone received; idempotent',
  description: `A gateway agent uploads only the SMS it received that carry '${CANARY_MARKER} <nonce>' (an SMS canary probe's test message), never its other inbound texts. Each is matched by its nonce to a canary of this workspace addressed to this phone and recorded once; the answer says per message whether it was recorded, a duplicate, or ignored (not this phone's canary: nothing is stored). A phone may forget a message once it is answered with anything but a 5xx.`,
  middleware: [requireDevice] as const,
  request: { body: jsonBody(inboundBatchSchema) },
  responses: {
    200: jsonContent(inboundBatchResultSchema, 'One result per message, in order'),
    ...errorResponses(400, 401, 403, 413, 415),
  },
});

export const inboundRoutes = new OpenAPIHono<AppEnv>().openapi(inboundRoute, async (c) => {
  const { db, clock } = c.var.deps;
  const { workspaceId, deviceId } = c.var.device;
  // The schema refused texts without a nonce; a nonce repeated in the batch is reported once.
  const items = c.req.valid('json').messages.map((m) => ({ ...m, nonce: canaryNonceOf(m.text)! }));
  const receptions = new Map<string, CanaryReception>();
  for (const m of items)
    if (!receptions.has(m.nonce))
      receptions.set(m.nonce, {
        nonce: m.nonce,
        from: m.from,
        deviceReceivedAt: m.receivedAt,
        simSlot: m.simSlot ?? null,
      });
  const { recorded, duplicate } = await recordCanaryReceptions(db, {
    workspaceId,
    deviceId,
    receptions: [...receptions.values()],
    now: clock.now(),
  });
  const answered = new Set<string>();
  const results: InboundResult[] = items.map(({ nonce }) => {
    const first = !answered.has(nonce);
    answered.add(nonce);
    const outcome =
      first && recorded.has(nonce)
        ? 'recorded'
        : recorded.has(nonce) || duplicate.has(nonce)
          ? 'duplicate'
          : 'ignored';
    return { nonce, outcome };
  });
  return c.json({ results }, 200);
});
