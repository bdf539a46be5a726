import { incidentImpacts, incidentStatuses, maintenanceStatuses } from '@lifeline/db/schema';
import { z } from 'zod';

const id = z.string().min(1).max(64);
export const incidentIdParam = z.object({ id });
const componentIds = z.array(id).max(100).meta({ description: 'Components affected (of this workspace).' });
const markdown = z.string().trim().min(1, 'must not be empty').max(10_000).meta({
  description: 'Markdown; the status page renders it safely (no HTML passes through).',
});

const notifySubscribers = z.boolean().default(true).meta({
  description: 'Tell the status page’s subscribers (false: a quiet update, shown on the page only).',
});

export const newIncidentSchema = z
  .strictObject({
    name: z.string().trim().min(1).max(200),
    status: z.enum(incidentStatuses).default('investigating'),
    impact: z.enum(incidentImpacts).default('minor'),
    componentIds: componentIds.default([]),
    body: markdown.meta({ description: 'The first update (Markdown).' }),
    notify: notifySubscribers,
  })
  .meta({ id: 'NewIncident' });

export const incidentUpdateRequestSchema = z
  .strictObject({
    status: z.enum(incidentStatuses),
    body: markdown,
    impact: z.enum(incidentImpacts).optional(),
    notify: notifySubscribers,
  })
  .meta({ id: 'NewIncidentUpdate' });

export const incidentSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    status: z.enum(incidentStatuses),
    impact: z.enum(incidentImpacts),
    componentIds: z.array(z.string()),
    startedAt: z.number().int(),
    createdAt: z.number().int(),
    updatedAt: z.number().int(),
    monitoringAt: z.number().int().nullable(),
    resolvedAt: z.number().int().nullable(),
    updates: z.array(
      z.object({
        id: z.string(),
        status: z.enum(incidentStatuses),
        body: z.string(),
        createdAt: z.number().int(),
      }),
    ),
  })
  .meta({ id: 'Incident' });

export const incidentListQuery = z.object({
  cursor: z.string().max(200).optional().meta({ description: 'From the previous page’s `next`.' }),
  limit: z.coerce.number().int().min(1).max(100).default(20),
});

export const newMaintenanceSchema = z
  .strictObject({
    title: z.string().trim().min(1).max(200),
    description: z.string().max(10_000).nullable().optional(),
    startsAt: z.number().int().min(0),
    endsAt: z.number().int().min(0),
    componentIds: componentIds.nullable().default(null).meta({ description: 'null: the whole workspace.' }),
  })
  .meta({ id: 'NewMaintenance' });

export const maintenancePatchSchema = z
  .strictObject({
    title: z.string().trim().min(1).max(200).optional(),
    description: z.string().max(10_000).nullable().optional(),
    startsAt: z.number().int().min(0).optional(),
    endsAt: z.number().int().min(0).optional(),
    componentIds: componentIds.nullable().optional(),
    cancelled: z
      .literal(true)
      .optional()
      .meta({ description: 'Cancel the window (it stops silencing alerts and excluding uptime).' }),
  })
  .refine((p) => Object.keys(p).length > 0, { message: 'Send at least one field to change.' })
  .meta({ id: 'MaintenancePatch' });

export const maintenanceSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    description: z.string().nullable(),
    status: z.enum(maintenanceStatuses),
    scheduledFor: z.number().int(),
    scheduledUntil: z.number().int(),
    componentIds: z.array(z.string()).nullable(),
    createdAt: z.number().int(),
    cancelledAt: z.number().int().nullable(),
    warnings: z
      .array(z.string())
      .optional()
      .meta({ description: 'For example: announced less than 24 h ahead.' }),
  })
  .meta({ id: 'Maintenance' });
