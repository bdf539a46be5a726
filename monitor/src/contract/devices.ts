import { apiKeyScopes, deviceStatuses, gapKinds, livenessStates } from '@lifeline/db/schema';
import { z } from 'zod';

export const deviceIdParam = z.object({ id: z.string().min(1).max(64) });

export const healthReasonSchema = z.object({
  code: z.enum(['agent_down', 'engine_down', 'sms_path_down', 'degraded']),
  status: z.enum(['pass', 'warn', 'fail']),
  message: z.string(),
});

export const deviceSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    status: z.enum(deviceStatuses),
    weight: z.number().int(),
    group: z.string().nullable(),
    simRatePerMinute: z.number().int(),
    simRatePerDay: z.number().int(),
    enrolledAt: z.number().int(),
    pausedAt: z.number().int().nullable(),
    liveness: z.enum(livenessStates),
    lastSeenAt: z.number().int().nullable(),
    heartbeatIntervalS: z.number(),
    appVersion: z.string().nullable(),
    clockSkewMs: z.number().int().nullable(),
    lastGapKind: z.enum(gapKinds).nullable(),
    health: z.object({ status: z.enum(['pass', 'warn', 'fail']), reasons: z.array(healthReasonSchema) }),
    lastHealth: z.unknown().nullable().meta({ description: 'The last heartbeat as the device sent it.' }),
    uptime24h: z
      .number()
      .nullable()
      .meta({ description: 'Online time / observed time over the last 24 h; null before any observation.' }),
  })
  .meta({ id: 'Device' });

export type DeviceView = z.infer<typeof deviceSchema>;

export const deviceListSchema = z.object({
  devices: z.array(deviceSchema),
  nextCursor: z.string().nullable(),
});

export const deviceListQuery = z.object({
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.string().max(64).optional(),
  includeRevoked: z.enum(['true', 'false']).optional(),
});

export const devicePatchSchema = z
  .strictObject({
    name: z.string().trim().min(1).max(100).optional(),
    paused: z.boolean().optional(),
    weight: z.number().int().min(0).max(1000).optional(),
    group: z.string().trim().min(1).max(64).nullable().optional(),
    simRatePerMinute: z
      .number()
      .int()
      .min(1)
      .max(10_000)
      .optional()
      .meta({ description: 'Segments per SIM per minute.' }),
    simRatePerDay: z
      .number()
      .int()
      .min(1)
      .max(1_000_000)
      .optional()
      .meta({ description: 'Segments per SIM per day.' }),
  })
  .refine((p) => Object.keys(p).length > 0, { message: 'Send at least one field to change.' })
  .meta({ id: 'DevicePatch' });

export const enrollRequestSchema = z
  .strictObject({
    code: z.string().min(4).max(32),
    name: z.string().trim().min(1).max(100).optional(),
  })
  .meta({ id: 'EnrollRequest' });

export const enrollResponseSchema = z
  .object({
    deviceId: z.string(),
    workspaceId: z.string(),
    name: z.string(),
    token: z.string().meta({ description: 'The device token. Shown once; store it with 0600 permissions.' }),
    heartbeatIntervalS: z.number(),
  })
  .meta({ id: 'EnrollResponse' });

export const enrollmentCodeRequestSchema = z
  .strictObject({
    deviceName: z.string().trim().min(1).max(100).optional(),
    expiresInS: z
      .number()
      .int()
      .min(60)
      .max(30 * 86_400)
      .default(86_400),
  })
  .meta({ id: 'EnrollmentCodeRequest' });

export const enrollmentCodeSchema = z.object({
  id: z.string(),
  deviceName: z.string().nullable(),
  createdAt: z.number().int(),
  expiresAt: z.number().int(),
  usedAt: z.number().int().nullable(),
  usedByDeviceId: z.string().nullable(),
  revokedAt: z.number().int().nullable(),
});

export const createdEnrollmentCodeSchema = z.object({
  id: z.string(),
  code: z.string().meta({ description: 'The one-time code. Shown once.' }),
  deviceName: z.string().nullable(),
  expiresAt: z.number().int(),
});

const apiKeyScope = z.enum(apiKeyScopes).meta({
  description:
    '`admin`: everything; `send`: only send messages and read them back (POST and GET /v1/messages…), for a backend; `read`: only GET, for dashboards.',
});
export const apiKeyRequestSchema = z.strictObject({
  name: z.string().trim().min(1).max(100),
  scope: apiKeyScope.default('admin'),
});
export const apiKeySchema = z.object({
  id: z.string(),
  name: z.string(),
  scope: apiKeyScope,
  prefix: z.string(),
  createdAt: z.number().int(),
  revokedAt: z.number().int().nullable(),
});
export const createdApiKeySchema = apiKeySchema.extend({
  key: z.string().meta({ description: 'The API key. Shown once.' }),
});
