import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import {
  claimEnrollmentCodeQuery,
  findEnrollmentCodeByHash,
  findWorkspace,
  insertDeviceForClaimedCodeQuery,
  listEnrollmentCodes,
  newId,
  revokeEnrollmentCode,
} from '@lifeline/db';
import {
  createdEnrollmentCodeSchema,
  enrollmentCodeRequestSchema,
  enrollmentCodeSchema,
  enrollRequestSchema,
  enrollResponseSchema,
} from '../contract/devices.ts';
import { requireAdmin } from '../http/auth.ts';
import type { AppEnv } from '../http/env.ts';
import { ApiError } from '../http/errors.ts';
import { errorResponses, jsonBody, jsonContent } from '../http/openapi.ts';
import { generateToken, normalizeEnrollmentCode, sha256Hex } from '../secrets.ts';
import { createEnrollmentCode } from '../services/enrollment.ts';

const tags = ['Enrolment'];

const enrollRoute = createRoute({
  method: 'post',
  path: '/v1/devices/enroll',
  tags,
  summary: 'Exchange a one-time enrolment code for a device token',
  request: { body: jsonBody(enrollRequestSchema) },
  responses: {
    201: jsonContent(enrollResponseSchema, 'The new device and its token (shown once)'),
    ...errorResponses(400, 410),
  },
});

const createCodeRoute = createRoute({
  method: 'post',
  path: '/v1/enrollment-codes',
  tags,
  security: [{ apiKey: [] }],
  summary: 'Create a one-time, expiring enrolment code',
  middleware: [requireAdmin] as const,
  request: { body: jsonBody(enrollmentCodeRequestSchema) },
  responses: {
    201: jsonContent(createdEnrollmentCodeSchema, 'The code (shown once)'),
    ...errorResponses(400, 401),
  },
});

const listCodesRoute = createRoute({
  method: 'get',
  path: '/v1/enrollment-codes',
  tags,
  security: [{ apiKey: [] }],
  summary: 'Enrolment codes of this workspace (never the codes themselves)',
  middleware: [requireAdmin] as const,
  responses: {
    200: jsonContent(z.object({ enrollmentCodes: z.array(enrollmentCodeSchema) }), 'Codes, newest first'),
    ...errorResponses(401),
  },
});

const revokeCodeRoute = createRoute({
  method: 'delete',
  path: '/v1/enrollment-codes/{id}',
  tags,
  security: [{ apiKey: [] }],
  summary: 'Revoke an unused enrolment code',
  middleware: [requireAdmin] as const,
  request: { params: z.object({ id: z.string().min(1).max(64) }) },
  responses: { 204: { description: 'Revoked' }, ...errorResponses(401, 404) },
});

export const enrollmentRoutes = new OpenAPIHono<AppEnv>()
  .openapi(enrollRoute, async (c) => {
    const { db, clock } = c.var.deps;
    const body = c.req.valid('json');
    const now = clock.now();
    const code = await findEnrollmentCodeByHash(db, sha256Hex(normalizeEnrollmentCode(body.code)));
    if (!code) throw new ApiError(400, 'invalid_code', 'This enrolment code is unknown.', 'code');
    if (code.revokedAt !== null)
      throw new ApiError(410, 'code_revoked', 'This enrolment code was revoked.', 'code');
    if (code.usedAt !== null)
      throw new ApiError(410, 'code_used', 'This enrolment code was already used.', 'code');
    if (code.expiresAt <= now)
      throw new ApiError(410, 'code_expired', 'This enrolment code has expired.', 'code');
    const workspace = await findWorkspace(db, code.workspaceId);
    if (!workspace) throw new ApiError(410, 'code_revoked', 'The workspace of this code is gone.', 'code');

    const token = generateToken('device');
    const deviceId = newId('dev', now);
    const name = body.name ?? code.deviceName ?? `Phone ${deviceId.slice(-4)}`;
    const [claimed] = await db.batch([
      claimEnrollmentCodeQuery(db, { id: code.id, deviceId, now }),
      insertDeviceForClaimedCodeQuery(db, {
        id: deviceId,
        codeId: code.id,
        workspaceId: code.workspaceId,
        name,
        tokenHash: sha256Hex(token),
        heartbeatIntervalMs: workspace.heartbeatIntervalMs,
        now,
      }),
    ]);
    if (claimed.length === 0)
      throw new ApiError(410, 'code_used', 'This enrolment code was already used.', 'code');
    return c.json(
      {
        deviceId,
        workspaceId: code.workspaceId,
        name,
        token,
        heartbeatIntervalS: workspace.heartbeatIntervalMs / 1000,
      },
      201,
    );
  })
  .openapi(createCodeRoute, async (c) => {
    const { db, clock } = c.var.deps;
    const body = c.req.valid('json');
    const created = await createEnrollmentCode(db, {
      workspaceId: c.var.admin.workspaceId,
      deviceName: body.deviceName ?? null,
      now: clock.now(),
      ttlMs: body.expiresInS * 1000,
    });
    return c.json(created, 201);
  })
  .openapi(listCodesRoute, async (c) => {
    const rows = await listEnrollmentCodes(c.var.deps.db, c.var.admin.workspaceId);
    const enrollmentCodes = rows.map(({ codeHash: _hash, workspaceId: _ws, ...rest }) => rest);
    return c.json({ enrollmentCodes }, 200);
  })
  .openapi(revokeCodeRoute, async (c) => {
    const { db, clock } = c.var.deps;
    const { id } = c.req.valid('param');
    const ok = await revokeEnrollmentCode(db, c.var.admin.workspaceId, id, clock.now());
    if (!ok)
      throw new ApiError(404, 'code_not_found', `No unused enrolment code '${id}' in this workspace.`, 'id');
    return c.body(null, 204);
  });
