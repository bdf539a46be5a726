import { z } from 'zod';
import { MAX_TARGET, MIN_TARGET, SLO_WINDOWS_DAYS } from '../domain/slo.ts';

const rate = z.number().nullable();

export const layerFiguresSchema = z.object({
  platform: z.object({ uptime: rate }),
  devices: z.object({ onlineMs: z.number(), observedMs: z.number(), uptime: rate }),
  delivery: z.object({
    delivered: z.number(),
    failed: z.number(),
    undelivered: z.number(),
    deliveryUnknown: z.number(),
    expired: z.number(),
    sentUnconfirmed: z.number(),
    events: z.number(),
    deliveryRate: rate,
    submissionRate: rate,
  }),
  endToEnd: rate,
  productOfLayers: rate,
});

export const SUMMARY_WINDOWS = {
  '1h': 3_600_000,
  '24h': 86_400_000,
  '7d': 7 * 86_400_000,
  '30d': 30 * 86_400_000,
  '90d': 90 * 86_400_000,
} as const;

export const summarySchema = z
  .object({
    at: z.number().int(),
    windows: z.object(
      Object.fromEntries(Object.keys(SUMMARY_WINDOWS).map((k) => [k, layerFiguresSchema])) as Record<
        keyof typeof SUMMARY_WINDOWS,
        typeof layerFiguresSchema
      >,
    ),
    custom: layerFiguresSchema.optional(),
    carriers: z.array(z.object({ carrier: z.string(), deliveryRate24h: rate, events24h: z.number() })),
  })
  .meta({ id: 'ReliabilitySummary' });

export const summaryQuery = z.object({
  from: z.coerce
    .number()
    .int()
    .min(0)
    .optional()
    .meta({ description: 'Start of a custom range (ms since epoch).' }),
  to: z.coerce.number().int().min(0).optional(),
});

export const uptimeQuery = z.object({
  layer: z.enum(['devices', 'delivery']).default('devices'),
  scope: z
    .string()
    .regex(/^(workspace|device:.+|carrier:.+)$/, 'must be workspace, device:<id> or carrier:<name>')
    .default('workspace'),
  from: z.coerce.number().int().min(0).optional(),
  to: z.coerce.number().int().min(0).optional(),
  bucket: z.enum(['minute', 'hour', 'day']).default('day'),
});

export const uptimeSeriesSchema = z
  .object({
    layer: z.enum(['devices', 'delivery']),
    scope: z.string(),
    bucket: z.enum(['minute', 'hour', 'day']),
    points: z.array(
      z.object({
        start: z.number().int(),
        good: z.number().meta({ description: 'Online ms, or delivered messages.' }),
        total: z.number().meta({ description: 'Observed ms, or terminal messages.' }),
        ratio: rate,
      }),
    ),
  })
  .meta({ id: 'UptimeSeries' });

export const sloInputSchema = z
  .strictObject({
    name: z.string().trim().min(1).max(100),
    indicator: z.enum(['delivery', 'device_uptime', 'platform_uptime']),
    scope: z.enum(['workspace', 'carrier', 'device']).default('workspace'),
    scopeId: z.string().min(1).max(100).optional().meta({ description: 'Carrier name or device id.' }),
    target: z
      .number()
      .min(MIN_TARGET)
      .max(MAX_TARGET)
      .optional()
      .meta({ description: 'Default 0.97 for delivery, 0.99 otherwise.' }),
    windowDays: z
      .union(
        SLO_WINDOWS_DAYS.map((d) => z.literal(d)) as [z.ZodLiteral<7>, z.ZodLiteral<28>, z.ZodLiteral<30>],
      )
      .default(30),
    minEvents: z.number().int().min(0).max(1_000_000).default(50),
  })
  .meta({ id: 'SloInput' });

export const sloPatchSchema = z
  .strictObject({
    name: z.string().trim().min(1).max(100).optional(),
    target: z.number().min(MIN_TARGET).max(MAX_TARGET).optional(),
    windowDays: z
      .union(
        SLO_WINDOWS_DAYS.map((d) => z.literal(d)) as [z.ZodLiteral<7>, z.ZodLiteral<28>, z.ZodLiteral<30>],
      )
      .optional(),
    minEvents: z.number().int().min(0).max(1_000_000).optional(),
  })
  .refine((p) => Object.keys(p).length > 0, { message: 'Send at least one field to change.' });

export const sloSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    indicator: z.enum(['delivery', 'device_uptime', 'platform_uptime']),
    scope: z.enum(['workspace', 'carrier', 'device']),
    scopeId: z.string().nullable(),
    target: z.number(),
    windowDays: z.number().int(),
    minEvents: z.number().int(),
    createdAt: z.number().int(),
    updatedAt: z.number().int(),
  })
  .meta({ id: 'Slo' });

const burn = z.number().nullable();
export const sloStatusSchema = z
  .object({
    sloId: z.string(),
    at: z.number().int(),
    window: z.object({ days: z.number().int(), good: z.number(), total: z.number() }),
    attainment: rate,
    errorBudget: z.object({
      total: z.number(),
      consumed: z.number(),
      remaining: z.number(),
      remainingRatio: rate,
    }),
    burnRates: z.object({
      '5m': burn,
      '30m': burn,
      '1h': burn,
      '2h': burn,
      '6h': burn,
      '1d': burn,
      '3d': burn,
    }),
    alerts: z.array(
      z.object({
        severity: z.enum(['page', 'ticket']),
        longWindow: z.string(),
        shortWindow: z.string(),
        threshold: z.number(),
        longBurn: burn,
        shortBurn: burn,
        firing: z.boolean(),
        insufficientData: z.boolean(),
      }),
    ),
    severity: z.enum(['page', 'ticket']).nullable(),
  })
  .meta({ id: 'SloStatus' });
