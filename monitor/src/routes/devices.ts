import { createRoute, OpenAPIHono } from '@hono/zod-openapi';
import type { DevicePatch } from '@lifeline/db';
import {
  endPauseQuery,
  findDevice,
  listDevices,
  revokeDevice,
  startPauseQuery,
  updateDeviceQuery,
} from '@lifeline/db';
import {
  deviceIdParam,
  deviceListQuery,
  deviceListSchema,
  devicePatchSchema,
  deviceSchema,
} from '../contract/devices.ts';
import { requireAdmin, requireDevice } from '../http/auth.ts';
import type { AppEnv } from '../http/env.ts';
import { ApiError } from '../http/errors.ts';
import { errorResponses, jsonBody, jsonContent } from '../http/openapi.ts';
import { deviceViews } from '../services/device-view.ts';

const tags = ['Devices'];
const admin = [{ apiKey: [] }];

const listRoute = createRoute({
  method: 'get',
  path: '/v1/devices',
  tags,
  security: admin,
  summary: "List the workspace's devices with liveness, health and 24 h uptime",
  middleware: [requireAdmin] as const,
  request: { query: deviceListQuery },
  responses: { 200: jsonContent(deviceListSchema, 'Devices, oldest first'), ...errorResponses(400, 401) },
});

const meRoute = createRoute({
  method: 'get',
  path: '/v1/devices/me',
  tags,
  security: [{ deviceToken: [] }],
  summary: 'The calling device, as the server sees it',
  middleware: [requireDevice] as const,
  responses: { 200: jsonContent(deviceSchema, 'This device'), ...errorResponses(401, 403) },
});

const getRoute = createRoute({
  method: 'get',
  path: '/v1/devices/{id}',
  tags,
  security: admin,
  summary: 'One device',
  middleware: [requireAdmin] as const,
  request: { params: deviceIdParam },
  responses: { 200: jsonContent(deviceSchema, 'The device'), ...errorResponses(401, 404) },
});

const patchRoute = createRoute({
  method: 'patch',
  path: '/v1/devices/{id}',
  tags,
  security: admin,
  summary: 'Rename, pause or resume a device, or set its routing weight, group and per-SIM send limits',
  middleware: [requireAdmin] as const,
  request: { params: deviceIdParam, body: jsonBody(devicePatchSchema) },
  responses: {
    200: jsonContent(deviceSchema, 'The device after the change'),
    ...errorResponses(400, 401, 404),
  },
});

const revokeRoute = createRoute({
  method: 'delete',
  path: '/v1/devices/{id}',
  tags,
  security: admin,
  summary: 'Revoke a device: its token stops working at once',
  middleware: [requireAdmin] as const,
  request: { params: deviceIdParam },
  responses: { 200: jsonContent(deviceSchema, 'The revoked device'), ...errorResponses(401, 404) },
});

function notFound(id: string): ApiError {
  return new ApiError(404, 'device_not_found', `No device '${id}' in this workspace.`, 'id');
}

export const devicesRoutes = new OpenAPIHono<AppEnv>()
  .openapi(listRoute, async (c) => {
    const { db, clock } = c.var.deps;
    const q = c.req.valid('query');
    const rows = await listDevices(db, c.var.admin.workspaceId, {
      after: q.cursor,
      limit: q.limit + 1,
      includeRevoked: q.includeRevoked === 'true',
    });
    const page = rows.slice(0, q.limit);
    const nextCursor = rows.length > q.limit ? page[page.length - 1]!.id : null;
    return c.json({ devices: await deviceViews(db, page, clock.now()), nextCursor }, 200);
  })
  .openapi(meRoute, async (c) => {
    const { db, clock } = c.var.deps;
    const device = await findDevice(db, c.var.device.workspaceId, c.var.device.deviceId);
    if (!device) throw notFound(c.var.device.deviceId);
    const [view] = await deviceViews(db, [device], clock.now());
    return c.json(view!, 200);
  })
  .openapi(getRoute, async (c) => {
    const { db, clock } = c.var.deps;
    const { id } = c.req.valid('param');
    const device = await findDevice(db, c.var.admin.workspaceId, id);
    if (!device) throw notFound(id);
    const [view] = await deviceViews(db, [device], clock.now());
    return c.json(view!, 200);
  })
  .openapi(patchRoute, async (c) => {
    const { db, clock, authCache } = c.var.deps;
    const { id } = c.req.valid('param');
    const body = c.req.valid('json');
    const now = clock.now();
    const patch: DevicePatch = {};
    if (body.name !== undefined) patch.name = body.name;
    if (body.weight !== undefined) patch.weight = body.weight;
    if (body.group !== undefined) patch.groupName = body.group;
    if (body.simRatePerMinute !== undefined) patch.simRatePerMinute = body.simRatePerMinute;
    if (body.simRatePerDay !== undefined) patch.simRatePerDay = body.simRatePerDay;
    if (body.paused === true) Object.assign(patch, { status: 'paused', pausedAt: now });
    if (body.paused === false) Object.assign(patch, { status: 'active', pausedAt: null });
    const workspaceId = c.var.admin.workspaceId;
    // Paused time is left out of observed time: the pause history is written in the same batch as the
    // device, and only for a transition that really happened.
    const update = updateDeviceQuery(db, workspaceId, id, patch);
    const pause = { deviceId: id, workspaceId, at: now };
    const [[device]] =
      body.paused === true
        ? await db.batch([update, startPauseQuery(db, pause)])
        : body.paused === false
          ? await db.batch([update, endPauseQuery(db, pause)])
          : [await update];
    if (!device) throw notFound(id);
    authCache.clear();
    const [view] = await deviceViews(db, [device], now);
    return c.json(view!, 200);
  })
  .openapi(revokeRoute, async (c) => {
    const { db, clock, authCache } = c.var.deps;
    const { id } = c.req.valid('param');
    const now = clock.now();
    const device = await revokeDevice(db, c.var.admin.workspaceId, id, now);
    if (!device) throw notFound(id);
    authCache.clear();
    const [view] = await deviceViews(db, [device], now);
    return c.json(view!, 200);
  });
