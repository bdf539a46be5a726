import { probeKinds, probeStatuses } from '@lifeline/db/schema';
import { z } from 'zod';
import { COMPONENT_STATUSES } from '../domain/component-status.ts';
import { e164 } from './messages.ts';

const SECOND = 1_000;
const MINUTE = 60 * SECOND;

const probeUrl = z
  .string()
  .max(2_048)
  .superRefine((value, ctx) => {
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      ctx.addIssue({ code: 'custom', message: 'must be an absolute http:// or https:// URL' });
      return;
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:')
      ctx.addIssue({ code: 'custom', message: 'must be an http:// or https:// URL' });
    if (url.username || url.password) ctx.addIssue({ code: 'custom', message: 'must not carry credentials' });
  });

const headerName = z.string().regex(/^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,100}$/, 'must be an HTTP header name');

/** Header names that carry credentials: they go in `secretHeaders`, sealed, never in the shown config. */
export const CREDENTIAL_HEADER =
  /^(authorization|proxy-authorization|cookie|x-api-key|api-key|x-auth-token)$/i;

export const httpConfigSchema = z.strictObject({
  url: probeUrl,
  method: z.enum(['GET', 'HEAD', 'POST']).default('GET'),
  headers: z
    .record(headerName, z.string().max(2_000))
    .superRefine((headers, ctx) => {
      for (const name of Object.keys(headers))
        if (CREDENTIAL_HEADER.test(name))
          ctx.addIssue({
            code: 'custom',
            path: [name],
            message: 'carries a credential: send it in secretHeaders (stored encrypted, never shown back)',
          });
    })
    .optional(),
  body: z.string().max(10_000).optional(),
  expectStatus: z
    .strictObject({ min: z.number().int().min(100).max(599), max: z.number().int().min(100).max(599) })
    .refine((r) => r.min <= r.max, { message: 'min must not exceed max' })
    .default({ min: 200, max: 399 }),
  keyword: z.string().min(1).max(500).optional(),
  keywordAbsent: z.boolean().optional().meta({ description: 'Down when the keyword IS present.' }),
  jsonPath: z
    .strictObject({
      path: z.string().min(1).max(200).meta({ description: 'e.g. `$.status.indicator` or `checks[0].ok`' }),
      equals: z.union([z.string(), z.number(), z.boolean(), z.null()]).optional(),
    })
    .optional(),
  degradedLatencyMs: z.number().int().min(1).max(60_000).optional(),
  tlsWarnDays: z.number().int().min(0).max(365).default(14),
});

export const statuspageConfigSchema = z.strictObject({
  url: probeUrl.meta({ description: 'The status page, or its `/api/v2/summary.json`.' }),
  components: z
    .array(z.string().min(1).max(200))
    .max(50)
    .default([])
    .meta({ description: 'Upstream components (names or ids) to follow; empty: the page indicator.' }),
});

export const feedConfigSchema = z.strictObject({
  url: probeUrl,
  match: z.string().min(1).max(200).optional().meta({ description: 'Only entries mentioning this count.' }),
  maxAgeMs: z
    .number()
    .int()
    .min(MINUTE)
    .max(30 * 24 * 60 * MINUTE)
    .default(3 * 24 * 60 * MINUTE),
});

export const whatsappConfigSchema = z.strictObject({
  nodeId: z.string().regex(/^\d{1,30}$/, 'must be a Graph API node id (digits)'),
  graphVersion: z
    .string()
    .regex(/^v\d{1,2}\.\d$/, 'must look like v23.0')
    .default('v23.0'),
  baseUrl: probeUrl.optional().meta({ description: 'Default https://graph.facebook.com.' }),
});

export const selfConfigSchema = z.strictObject({});

const deviceId = z.string().min(1).max(64);

export const smsCanaryConfigSchema = z.strictObject({
  fromDeviceId: deviceId.meta({
    description: 'The phone that sends the canary (a device of this workspace).',
  }),
  fromSimSlot: z.number().int().min(0).max(7).optional().meta({
    description: "The sending phone's SIM slot to test (0-based); default: the router's choice.",
  }),
  toDeviceId: deviceId.meta({
    description: 'The phone that receives it and reports it (may be the sending phone itself).',
  }),
  toNumber: e164.meta({ description: "The receiving phone's number (E.164)." }),
});

export const probeConfigSchemas = {
  http: httpConfigSchema,
  statuspage: statuspageConfigSchema,
  feed: feedConfigSchema,
  whatsapp: whatsappConfigSchema,
  self: selfConfigSchema,
  sms_canary: smsCanaryConfigSchema,
} as const;

const common = {
  name: z.string().trim().min(1).max(100),
  componentId: z.string().min(1).max(64).nullable().optional().meta({
    description: 'The component this probe drives (its derived status); none: results and alerts only.',
  }),
  intervalMs: z
    .number()
    .int()
    .min(10 * SECOND)
    .max(24 * 60 * MINUTE)
    .optional()
    .meta({ description: 'Default 60 s (self-probes: 60 s, one per minute for Layer 1).' }),
  timeoutMs: z
    .number()
    .int()
    .min(100)
    .max(30 * SECOND)
    .optional()
    .meta({ description: 'Hard timeout of one attempt (default 10 s).' }),
  retries: z.number().int().min(0).max(5).optional().meta({
    description: 'Attempts after a failed one before the run reports down (default 1).',
  }),
  allowPrivate: z.boolean().optional().meta({
    description: 'Allow targets in loopback, private, link-local or unique-local ranges (default false).',
  }),
  enabled: z.boolean().optional(),
};

/** A canary waits for an SMS, not an HTTP answer: longer intervals and timeouts, and no retries. */
const canaryTiming = {
  intervalMs: z
    .number()
    .int()
    .min(MINUTE)
    .max(24 * 60 * MINUTE)
    .optional()
    .meta({ description: 'How often a canary is sent (default 15 min; each one is a real SMS).' }),
  timeoutMs: z
    .number()
    .int()
    .min(10 * SECOND)
    .max(60 * MINUTE)
    .optional()
    .meta({ description: 'How long a canary has to be received (default 5 min, at most the interval).' }),
};

const accessToken = z
  .string()
  .min(10)
  .max(1_000)
  .meta({ description: 'WhatsApp Cloud API access token; stored encrypted, never shown again.' });

const secretHeaders = z
  .record(headerName, z.string().min(1).max(2_000))
  .refine((h) => Object.keys(h).length <= 20, { message: 'at most 20 headers' })
  .meta({
    description:
      'HTTP check: headers carrying credentials (e.g. `Authorization`), sent with each request; stored encrypted, never shown again. On a change, `{}` removes them.',
  });

export const newProbeSchema = z
  .discriminatedUnion('kind', [
    z.strictObject({
      kind: z.literal('http'),
      config: httpConfigSchema,
      secretHeaders: secretHeaders.optional(),
      ...common,
    }),
    z.strictObject({ kind: z.literal('statuspage'), config: statuspageConfigSchema, ...common }),
    z.strictObject({ kind: z.literal('feed'), config: feedConfigSchema, ...common }),
    z.strictObject({ kind: z.literal('whatsapp'), config: whatsappConfigSchema, accessToken, ...common }),
    z.strictObject({ kind: z.literal('self'), config: selfConfigSchema.default({}), ...common }),
    z.strictObject({
      kind: z.literal('sms_canary'),
      config: smsCanaryConfigSchema,
      name: common.name,
      componentId: common.componentId,
      enabled: common.enabled,
      ...canaryTiming,
    }),
  ])
  .meta({ id: 'NewProbe' });

export const probePatchSchema = z
  .strictObject({
    ...common,
    timeoutMs: z
      .number()
      .int()
      .min(100)
      .max(60 * MINUTE)
      .optional()
      .meta({ description: "Hard timeout of one attempt (an SMS canary's: how long it has to arrive)." }),
    name: common.name.optional(),
    config: z.record(z.string(), z.unknown()).optional().meta({ description: "The kind's settings, whole." }),
    accessToken: accessToken.optional(),
    secretHeaders: secretHeaders.optional(),
  })
  .refine((p) => Object.keys(p).length > 0, { message: 'Send at least one field to change.' })
  .meta({ id: 'ProbePatch' });

const componentStatus = z.enum(COMPONENT_STATUSES);

export const probeSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    kind: z.enum(probeKinds),
    componentId: z.string().nullable(),
    config: z.record(z.string(), z.unknown()),
    hasSecret: z.boolean(),
    intervalMs: z.number().int(),
    timeoutMs: z.number().int(),
    retries: z.number().int(),
    allowPrivate: z.boolean(),
    enabled: z.boolean(),
    nextRunAt: z.number().int(),
    last: z
      .object({
        status: z.enum(probeStatuses),
        checkedAt: z.number().int(),
        componentStatus: componentStatus.nullable(),
        detail: z.string().nullable(),
      })
      .nullable(),
    createdAt: z.number().int(),
    updatedAt: z.number().int(),
  })
  .meta({ id: 'Probe' });

export const probeResultSchema = z
  .object({
    id: z.number().int(),
    checkedAt: z.number().int(),
    status: z.enum(probeStatuses),
    componentStatus: componentStatus.nullable(),
    latencyMs: z.number().int().nullable(),
    attempts: z.number().int(),
    detail: z.string(),
    data: z.record(z.string(), z.unknown()).nullable(),
  })
  .meta({ id: 'ProbeResult' });

/** Each kind's limits on its interval and timeout (checked again when a probe is changed). */
export const probeTimingSchemas = {
  fetch: z.object({ intervalMs: common.intervalMs, timeoutMs: common.timeoutMs }),
  sms_canary: z.object(canaryTiming),
};

export const probeIdParam = z.object({ id: z.string().min(1).max(64) });

export const probeResultsQuery = z.object({
  before: z.coerce.number().int().min(1).optional().meta({ description: 'Result id: the next page.' }),
  limit: z.coerce.number().int().min(1).max(500).default(100),
});
