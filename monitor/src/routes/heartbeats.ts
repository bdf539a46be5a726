import { createRoute, OpenAPIHono } from '@hono/zod-openapi';
import { heartbeatAckSchema, heartbeatSchema } from '../contract/heartbeat.ts';
import { requireDevice } from '../http/auth.ts';
import type { AppEnv } from '../http/env.ts';
import { errorResponses, jsonBody, jsonContent } from '../http/openapi.ts';

const heartbeatRoute = createRoute({
  method: 'post',
  path: '/v1/heartbeats',
  tags: ['Collectors'],
  security: [{ deviceToken: [] }],
  summary: "Report a device's health; answered 202 once the heartbeat is durable",
  middleware: [requireDevice] as const,
  request: { body: jsonBody(heartbeatSchema) },
  responses: {
    202: jsonContent(heartbeatAckSchema, 'Stored. Use the returned interval for the next heartbeat.'),
    ...errorResponses(400, 401, 403, 413, 415),
  },
});

export const heartbeatRoutes = new OpenAPIHono<AppEnv>().openapi(heartbeatRoute, async (c) => {
  const { clock, heartbeats } = c.var.deps;
  const { deviceId, workspaceId, heartbeatIntervalMs: intervalMs } = c.var.device;
  const body = c.req.valid('json');
  // The server clock is the truth; the device clock only measures skew.
  const receivedAt = clock.now();
  await heartbeats.write({ deviceId, workspaceId, body, receivedAt, intervalMs });
  return c.json(
    {
      serverTime: receivedAt,
      heartbeatIntervalS: intervalMs / 1000,
      clockSkewMs: body.deviceTime - receivedAt,
    },
    202,
  );
});
