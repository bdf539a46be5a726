import { createRoute, OpenAPIHono } from '@hono/zod-openapi';
import { outboxQuery, outboxSchema } from '../contract/messages.ts';
import { requireDevice } from '../http/auth.ts';
import type { AppEnv } from '../http/env.ts';
import { errorResponses, jsonContent } from '../http/openapi.ts';
import { leaseForDevice } from '../pipeline/lease.ts';

/** Re-check for work at least this often while long-polling (work may arrive through another process). */
const RECHECK_MS = 2_000;

const outboxRoute = createRoute({
  method: 'get',
  path: '/v1/devices/me/outbox',
  tags: ['Devices'],
  security: [{ deviceToken: [] }],
  summary: 'Long-poll for messages to send; each comes with a lease',
  description:
    'Waits up to `wait` seconds for work. Each message is leased to this device: journal it, then report a `submitted` receipt and hand it to the SMS engine only if that receipt was answered `applied`, all within `leaseMs`. A lease that lapses returns the message to the queue for another device.',
  middleware: [requireDevice] as const,
  request: { query: outboxQuery },
  responses: {
    200: jsonContent(outboxSchema, 'Leased messages (possibly none)'),
    ...errorResponses(400, 401, 403),
  },
});

export const outboxRoutes = new OpenAPIHono<AppEnv>().openapi(outboxRoute, async (c) => {
  const { db, clock, notifier } = c.var.deps;
  const { workspaceId, deviceId } = c.var.device;
  const { wait, max } = c.req.valid('query');
  const signal = c.req.raw.signal;
  const until = Date.now() + wait * 1000;
  for (;;) {
    // Taken before looking, so work that arrives while this poll looks wakes it at once.
    const seen = notifier.version(workspaceId, deviceId);
    const messages = await leaseForDevice(db, { workspaceId, deviceId, max, now: clock.now() }, notifier);
    const remaining = until - Date.now();
    if (messages.length > 0 || remaining <= 0 || signal.aborted) {
      return c.json({ messages, serverTime: clock.now() }, 200);
    }
    await notifier.wait(workspaceId, deviceId, seen, Math.min(remaining, RECHECK_MS), signal);
  }
});
