/**
 * Public subscriptions to a workspace's incident and maintenance updates: what a visitor (or an admin, for
 * them) sends to subscribe, and what the API shows of a subscriber. An email address is never echoed to a
 * visitor: the public answer is the same whether the address was new, pending or confirmed.
 */
import { statusSubscriberChannels, statusSubscriberStatuses } from '@lifeline/db/schema';
import { z } from 'zod';
import { pushSubscriptionSchema } from './alerts.ts';
import { webhookUrl } from './webhooks.ts';

export const newStatusSubscriptionSchema = z
  .discriminatedUnion('channel', [
    z.strictObject({ channel: z.literal('email'), email: z.email().max(254) }),
    z.strictObject({ channel: z.literal('webhook'), url: webhookUrl }),
    z.strictObject({
      channel: z.literal('slack'),
      url: webhookUrl.meta({
        description: 'A Slack (or Slack-compatible) incoming-webhook URL, https. Kept sealed.',
      }),
    }),
    z.strictObject({
      channel: z.literal('discord'),
      url: webhookUrl.meta({ description: 'A Discord webhook URL, https. Kept sealed.' }),
    }),
    z.strictObject({ channel: z.literal('web_push'), subscription: pushSubscriptionSchema }),
  ])
  .meta({ id: 'NewStatusSubscription' });
export type NewStatusSubscription = z.infer<typeof newStatusSubscriptionSchema>;

/** A browser turning its push notifications off: it proves it holds the subscription by its auth secret. */
export const pushUnsubscribeSchema = z
  .strictObject({ endpoint: z.url().max(2_048), auth: z.string().min(16).max(32) })
  .meta({ id: 'PushUnsubscribe' });

export const publicSubscribeAnswerSchema = z
  .object({
    status: z.enum(['pending', 'confirmed']),
    message: z.string(),
    id: z.string().optional().meta({ description: 'Web push and webhook subscriptions.' }),
    secret: z
      .string()
      .optional()
      .meta({ description: 'Webhook: the `whsec_…` signing secret (Standard Webhooks), shown once.' }),
  })
  .meta({ id: 'PublicSubscribeAnswer' });

export const statusSubscriberSchema = z
  .object({
    id: z.string(),
    channel: z.enum(statusSubscriberChannels),
    status: z.enum(statusSubscriberStatuses),
    target: z.string().meta({ description: 'The email address, webhook URL, or push service host.' }),
    createdAt: z.string(),
    confirmedAt: z.string().nullable(),
    unsubscribedAt: z.string().nullable(),
    unsubscribedReason: z.string().nullable(),
    secret: z
      .string()
      .optional()
      .meta({ description: 'Webhook: its signing secret, in the create answer only.' }),
  })
  .meta({ id: 'StatusSubscriber' });

export const statusSubscriberListQuery = z.object({
  status: z.enum(statusSubscriberStatuses).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
});

export const subscriberIdParam = z.object({ id: z.string().min(1).max(64) });
