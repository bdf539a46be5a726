import { z } from 'zod';
import { COMPONENT_STATUSES } from '../domain/component-status.ts';

const layer = z.enum(['platform', 'devices', 'carrier', 'upstream']);
const status = z.enum(COMPONENT_STATUSES);
const share = z.number().min(0).max(1);

export const componentThresholdsSchema = z
  .strictObject({
    degradedBelow: share.optional(),
    partialBelow: share.optional(),
    majorBelow: share.optional(),
    minEvents: z.number().int().min(0).max(1_000_000).optional(),
  })
  .refine(
    (t) =>
      (t.majorBelow ?? 0) <= (t.partialBelow ?? t.majorBelow ?? 0) &&
      (t.partialBelow ?? 0) <= (t.degradedBelow ?? t.partialBelow ?? 1),
    { message: 'must satisfy majorBelow <= partialBelow <= degradedBelow' },
  )
  .meta({
    description:
      'Shares below which the status worsens (defaults: devices online 1 / 0.75 / 0.25; 15-minute delivery rate 0.95 / 0.8 / 0.5 with at least 20 messages).',
  });

export const componentSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    description: z.string().nullable(),
    layer,
    source: z.string(),
    position: z.number().int(),
    status,
    derivedStatus: status,
    signal: z.object({
      kind: z.enum(['devices_online', 'delivery_rate', 'probe', 'none']),
      value: z.number().nullable(),
      events: z.number().optional(),
      probes: z
        .array(
          z.object({
            id: z.string(),
            name: z.string(),
            status: z.string().nullable(),
            componentStatus: status.nullable(),
            checkedAt: z.number().int().nullable(),
          }),
        )
        .optional()
        .meta({ description: 'Kind `probe`: the probes feeding this component and their last outcomes.' }),
    }),
    inMaintenance: z.boolean(),
    override: z.object({ status, until: z.number().int().nullable() }).nullable(),
    thresholds: z.record(z.string(), z.number()).nullable(),
  })
  .meta({ id: 'Component' });

export const componentInputSchema = z
  .strictObject({
    name: z.string().trim().min(1).max(100),
    description: z.string().max(500).optional(),
    layer,
    source: z
      .string()
      .regex(
        /^(platform|devices|carrier:.+|probe:.+|manual:.+)$/,
        'must be platform, devices, carrier:<name>, probe:<id> or manual:<name>',
      )
      .optional()
      .meta({
        description: 'The signal it shows; a manual component (status set by override only) if omitted.',
      }),
    position: z.number().int().min(0).max(10_000).default(100),
  })
  .meta({ id: 'ComponentInput' });

export const componentPatchSchema = z
  .strictObject({
    name: z.string().trim().min(1).max(100).optional(),
    description: z.string().max(500).nullable().optional(),
    position: z.number().int().min(0).max(10_000).optional(),
    override: z
      .strictObject({ status, until: z.number().int().min(0).nullable().optional() })
      .nullable()
      .optional()
      .meta({ description: 'Set a status by hand (until a time, or until cleared with null).' }),
    thresholds: componentThresholdsSchema.nullable().optional(),
  })
  .refine((p) => Object.keys(p).length > 0, { message: 'Send at least one field to change.' });
