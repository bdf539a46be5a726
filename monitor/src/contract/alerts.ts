import {
  alertChannels,
  alertEventKinds,
  alertRuleKinds,
  alertSeverities,
  alertStates,
  notificationStatuses,
} from '@lifeline/db/schema';
import { z } from 'zod';
import { webhookUrl } from './webhooks.ts';

const MIN = 60_000;
const id = z.string().min(1).max(64);
export const alertIdParam = z.object({ id });

/** Each rule kind's parameters; a PATCH must give them whole. */
export const ruleParamsSchemas = {
  device_offline: z.strictObject({}),
  probe_down: z.strictObject({}),
  fleet_offline: z.strictObject({
    minShare: z.number().min(0).max(1),
    minDevices: z.number().int().min(1).max(100_000),
  }),
  device_degraded: z.strictObject({
    lowBatteryPct: z.number().min(0).max(100),
    weakSignalDbm: z.number().int().min(-150).max(-20),
    hotBatteryC: z.number().min(0).max(100),
  }),
  queue_backlog: z.strictObject({
    depth: z.number().int().min(1).max(1_000_000),
    horizonMs: z
      .number()
      .int()
      .min(0)
      .max(60 * MIN),
    trendWindowMs: z
      .number()
      .int()
      .min(MIN)
      .max(120 * MIN),
  }),
  slo_burn: z.strictObject({ tiers: z.array(z.enum(['page', 'ticket'])).min(1) }),
  carrier_delivery_drop: z.strictObject({
    minRate: z.number().min(0).max(1),
    windowMs: z
      .number()
      .int()
      .min(MIN)
      .max(24 * 60 * MIN),
    minEvents: z.number().int().min(1).max(100_000),
  }),
} as const;

export const alertRuleSchema = z
  .object({
    id: z.string(),
    kind: z.enum(alertRuleKinds),
    name: z.string(),
    severity: z.enum(alertSeverities),
    forMs: z.number().int(),
    repeatIntervalMs: z.number().int(),
    params: z.record(z.string(), z.unknown()),
    enabled: z.boolean(),
    public: z.boolean().meta({ description: 'Opens and resolves an incident on the public status page.' }),
    createdAt: z.number().int(),
    updatedAt: z.number().int(),
  })
  .meta({ id: 'AlertRule' });

export const alertRulePatchSchema = z
  .strictObject({
    name: z.string().min(1).max(100).optional(),
    severity: z.enum(alertSeverities).optional(),
    forMs: z
      .number()
      .int()
      .min(0)
      .max(24 * 60 * MIN)
      .optional()
      .meta({ description: 'How long the condition must hold before the alert fires.' }),
    repeatIntervalMs: z
      .number()
      .int()
      .min(0)
      .max(7 * 24 * 60 * MIN)
      .optional()
      .meta({ description: 'Remind subscribers this often while firing; 0 never.' }),
    params: z
      .record(z.string(), z.unknown())
      .optional()
      .meta({ description: "The rule kind's parameters, whole." }),
    enabled: z.boolean().optional(),
    public: z
      .boolean()
      .optional()
      .meta({ description: 'Open an incident on the public status page when it fires (and resolve it).' }),
  })
  .meta({ id: 'AlertRulePatch' });

export const alertEventSchema = z.object({
  kind: z.enum(alertEventKinds),
  at: z.number().int(),
  detail: z.string().nullable(),
});

export const alertSchema = z
  .object({
    id: z.string(),
    ruleId: z.string(),
    state: z.enum(alertStates),
    severity: z.enum(alertSeverities),
    subject: z.object({ type: z.string(), id: z.string().nullable(), name: z.string() }),
    summary: z.string(),
    startedAt: z.number().int(),
    firedAt: z.number().int().nullable(),
    resolvedAt: z.number().int().nullable(),
    acknowledged: z
      .object({ at: z.number().int(), by: z.string() })
      .nullable()
      .meta({ description: 'Someone is on it: no more reminders.' }),
    timeline: z.array(alertEventSchema),
  })
  .meta({ id: 'Alert' });

export const alertListQuery = z.object({
  state: z.enum(alertStates).optional(),
  before: z.coerce
    .number()
    .int()
    .min(0)
    .optional()
    .meta({ description: 'Started before (ms since epoch): the next page.' }),
  limit: z.coerce.number().int().min(1).max(200).default(50),
});

/** A browser's PushSubscription, as `PushSubscription.toJSON()` gives it. */
export const pushSubscriptionSchema = z.strictObject({
  endpoint: z.url({ protocol: /^https?$/ }).max(2_048),
  expirationTime: z.number().nullable().optional(),
  keys: z.strictObject({
    p256dh: z
      .string()
      .regex(/^[A-Za-z0-9_-]{80,100}={0,2}$/, 'must be the browser key (base64url P-256 point)'),
    auth: z
      .string()
      .regex(/^[A-Za-z0-9_-]{16,24}={0,2}$/, 'must be the browser auth secret (base64url, 16 bytes)'),
  }),
});

const filters = {
  severities: z
    .array(z.enum(alertSeverities))
    .max(3)
    .default([])
    .meta({ description: 'Empty: every severity.' }),
  ruleIds: z.array(id).max(50).default([]).meta({ description: 'Empty: every rule.' }),
  deviceIds: z.array(id).max(500).default([]).meta({ description: 'Empty: every device.' }),
  delayMs: z
    .number()
    .int()
    .min(0)
    .max(24 * 60 * MIN)
    .default(0)
    .meta({
      description: 'Only alerts still firing this long after they fired (e.g. email for extended downtime).',
    }),
  unacknowledgedOnly: z.boolean().default(false).meta({
    description:
      'Escalation: with `delayMs`, only alerts nobody has acknowledged by then (and no recovery for the others).',
  }),
  label: z.string().max(100).optional(),
};

export const newAlertSubscriptionSchema = z
  .discriminatedUnion('channel', [
    z.strictObject({ channel: z.literal('email'), email: z.email().max(254), ...filters }),
    z.strictObject({ channel: z.literal('webhook'), url: webhookUrl, ...filters }),
    z.strictObject({
      channel: z.literal('slack'),
      url: webhookUrl.meta({
        description:
          'A Slack incoming-webhook URL (or a Slack-compatible one: Mattermost, Rocket.Chat). Kept sealed; only its redacted form is shown.',
        example: 'https://hooks.slack.com/services/T000/B000/XXXX',
      }),
      ...filters,
    }),
    z.strictObject({
      channel: z.literal('discord'),
      url: webhookUrl.meta({
        description: 'A Discord webhook URL. Kept sealed; only its redacted form is shown.',
        example: 'https://discord.com/api/webhooks/123/abc',
      }),
      ...filters,
    }),
    z.strictObject({
      channel: z.literal('web_push'),
      subscription: pushSubscriptionSchema,
      ...filters,
    }),
  ])
  .meta({ id: 'NewAlertSubscription' });

export const alertSubscriptionPatchSchema = z.strictObject({
  severities: filters.severities.optional(),
  ruleIds: filters.ruleIds.optional(),
  deviceIds: filters.deviceIds.optional(),
  delayMs: filters.delayMs.optional(),
  unacknowledgedOnly: z.boolean().optional(),
  label: z.string().max(100).nullable().optional(),
  enabled: z.boolean().optional(),
});

export const alertSubscriptionSchema = z
  .object({
    id: z.string(),
    channel: z.enum(alertChannels),
    target: z.string().meta({
      description:
        'Email address, webhook URL, or push endpoint; for Slack and Discord, the URL redacted (origin and last four characters).',
    }),
    label: z.string().nullable(),
    severities: z.array(z.string()),
    ruleIds: z.array(z.string()),
    deviceIds: z.array(z.string()),
    delayMs: z.number().int(),
    unacknowledgedOnly: z.boolean(),
    enabled: z.boolean(),
    createdAt: z.number().int(),
    secret: z
      .string()
      .optional()
      .meta({ description: 'Webhook signing secret (`whsec_…`): shown once, on creation.' }),
  })
  .meta({ id: 'AlertSubscription' });

export const subscriptionTestSchema = z
  .object({
    delivered: z.boolean(),
    status: z.number().int().nullable().meta({ description: "The channel's HTTP status, when it answered." }),
    error: z.string().nullable(),
  })
  .meta({ id: 'AlertSubscriptionTest' });

export const newSilenceSchema = z
  .strictObject({
    ruleId: id.optional(),
    deviceId: id.optional(),
    componentId: id.optional(),
    comment: z.string().max(500).optional(),
    startsAt: z.number().int().min(0).optional().meta({ description: 'Default: now.' }),
    endsAt: z.number().int().min(0).meta({ description: 'When the silence expires (ms since epoch).' }),
  })
  .meta({ id: 'NewSilence' });

export const silenceSchema = z
  .object({
    id: z.string(),
    ruleId: z.string().nullable(),
    deviceId: z.string().nullable(),
    componentId: z.string().nullable(),
    comment: z.string().nullable(),
    startsAt: z.number().int(),
    endsAt: z.number().int(),
    createdAt: z.number().int(),
  })
  .meta({ id: 'Silence' });

export const notificationListQuery = z.object({
  status: z.enum(notificationStatuses).optional(),
  alertId: id.optional(),
  before: z.coerce.number().int().min(0).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
});

export const notificationSchema = z
  .object({
    id: z.string(),
    alertId: z.string(),
    subscriptionId: z.string(),
    channel: z.enum(alertChannels),
    kind: z.enum(['fire', 'remind', 'resolve']),
    status: z.enum(notificationStatuses),
    reason: z.string().nullable(),
    attempts: z.number().int(),
    dueAt: z.number().int(),
    nextAttemptAt: z.number().int(),
    lastError: z.string().nullable(),
    lastStatusCode: z.number().int().nullable(),
    createdAt: z.number().int(),
    deliveredAt: z.number().int().nullable(),
    attemptLog: z.array(
      z.object({
        at: z.number().int(),
        ok: z.boolean(),
        statusCode: z.number().int().nullable(),
        error: z.string().nullable(),
        title: z.string(),
      }),
    ),
  })
  .meta({ id: 'Notification' });
