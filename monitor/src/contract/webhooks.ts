import { type MessageState, messageStates, webhookDeliveryStatuses } from '@lifeline/db/schema';
import { z } from 'zod';

export type WebhookEventType = `message.${MessageState}`;

/** Every event a webhook can receive: one per message state (`message.delivered`, …). */
export const webhookEventTypes = messageStates.map((s) => `message.${s}` as const) as [
  WebhookEventType,
  ...WebhookEventType[],
];

export const MAX_WEBHOOKS_PER_WORKSPACE = 20;

export const webhookIdParam = z.object({ id: z.string().min(1).max(64) });

export const webhookUrl = z
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
    if (url.protocol !== 'https:' && url.protocol !== 'http:') {
      ctx.addIssue({ code: 'custom', message: 'must be an http:// or https:// URL' });
    } else if (url.username || url.password) {
      ctx.addIssue({
        code: 'custom',
        message: 'must not contain a user name or password; receivers verify the signature instead',
      });
    }
  })
  .meta({
    description: 'Where events are POSTed: http:// or https://, no credentials.',
    example: 'https://example.com/hooks/lifeline',
  });

const description = z.string().trim().max(200).nullable();

const eventTypes = z
  .array(z.enum(webhookEventTypes))
  .min(1, 'must name at least one event type; send null for all')
  .max(webhookEventTypes.length)
  .transform((types) => [...new Set(types)])
  .nullable()
  .meta({ description: 'Events to send; null (or absent on create) for all.' });

export const newWebhookSchema = z
  .strictObject({
    url: webhookUrl,
    description: description.optional(),
    eventTypes: eventTypes.optional(),
  })
  .meta({ id: 'NewWebhook' });

export const webhookPatchSchema = z
  .strictObject({
    url: webhookUrl.optional(),
    description: description.optional(),
    eventTypes: eventTypes.optional(),
    enabled: z.boolean().optional(),
  })
  .refine((p) => Object.keys(p).length > 0, { message: 'Send at least one field to change.' })
  .meta({ id: 'WebhookPatch' });

export const webhookSchema = z
  .object({
    id: z.string(),
    url: z.string(),
    description: z.string().nullable(),
    eventTypes: z.array(z.string()).nullable().meta({ description: 'null: every event.' }),
    enabled: z.boolean(),
    createdAt: z.number().int(),
    disabledAt: z.number().int().nullable(),
  })
  .meta({ id: 'Webhook' });

export type WebhookView = z.infer<typeof webhookSchema>;

export const webhookWithSecretSchema = webhookSchema
  .extend({
    secret: z.string().meta({
      description:
        'The Standard Webhooks signing secret (`whsec_…`). Shown once; verify each delivery with it.',
    }),
  })
  .meta({ id: 'WebhookWithSecret' });

export const webhookDeliverySchema = z
  .object({
    id: z.string(),
    eventId: z.string().meta({ description: 'The `webhook-id` header: the same on every attempt.' }),
    eventType: z.string(),
    status: z.enum(webhookDeliveryStatuses),
    attempts: z.number().int(),
    lastStatusCode: z.number().int().nullable(),
    lastError: z.string().nullable(),
    nextAttemptAt: z.number().int().nullable().meta({ description: 'While pending.' }),
    deadlineAt: z.number().int(),
    createdAt: z.number().int(),
    deliveredAt: z.number().int().nullable(),
    payload: z.unknown().meta({ description: 'The body that is (or was) POSTed.' }),
  })
  .meta({ id: 'WebhookDelivery' });

export const webhookDeliveryListQuery = z.object({
  status: z.enum(webhookDeliveryStatuses).optional(),
  cursor: z
    .string()
    .max(100)
    .regex(/^\d{1,16}\.[\w-]{1,64}$/, 'must be a nextCursor from a previous page')
    .optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
});

export const webhookDeliveryListSchema = z.object({
  deliveries: z.array(webhookDeliverySchema),
  nextCursor: z.string().nullable(),
});
