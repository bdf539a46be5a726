import { messageStates } from '@lifeline/db/schema';
import { z } from 'zod';

export const MAX_TEXT_LENGTH = 1_600;
export const MAX_BATCH = 1_000;
export const DEFAULT_TTL_S = 86_400;

export const e164 = z
  .string()
  .regex(/^\+[1-9]\d{6,14}$/, 'must be an E.164 number: + then 7 to 15 digits, no spaces')
  .meta({ example: '+447700900123' });

const metadata = z
  .record(z.string().min(1).max(64), z.union([z.string().max(500), z.number(), z.boolean(), z.null()]))
  .refine((m) => Object.keys(m).length <= 20, { message: 'at most 20 keys' })
  .meta({ description: 'Your own fields, returned with the message and in webhooks.' });

export const newMessageSchema = z
  .strictObject({
    to: e164,
    text: z
      .string()
      .min(1, 'must not be empty')
      .max(MAX_TEXT_LENGTH, `at most ${MAX_TEXT_LENGTH} characters`),
    ttlS: z
      .number()
      .int()
      .min(60)
      .max(7 * 86_400)
      .default(DEFAULT_TTL_S)
      .meta({ description: 'Seconds the message may wait before it is submitted; then it expires.' }),
    deviceId: z
      .string()
      .min(1)
      .max(64)
      .optional()
      .meta({ description: 'A device to prefer when it can send.' }),
    group: z
      .string()
      .min(1)
      .max(64)
      .optional()
      .meta({ description: 'Only devices of this group may send it.' }),
    metadata: metadata.optional(),
    sendAt: z.number().int().min(0).optional().meta({
      description:
        'Schedule it: not sent before this time (ms since 1970, UTC; at most 30 days ahead). Its TTL counts from then.',
    }),
  })
  .meta({ id: 'NewMessage' });

export type NewMessage = z.infer<typeof newMessageSchema>;

export const messageBatchSchema = z
  .strictObject({ messages: z.array(newMessageSchema).min(1).max(MAX_BATCH) })
  .meta({ id: 'MessageBatch' });

export const idempotencyHeaders = z.object({
  'idempotency-key': z.string().min(1).max(255).optional().meta({
    description: 'Retrying with the same key returns the first result and never creates a second message.',
  }),
});

export const messageEventSchema = z.object({
  status: z.enum(messageStates),
  attempt: z.number().int(),
  at: z.number().int(),
  source: z.enum(['api', 'router', 'device', 'server']),
  deviceId: z.string().nullable(),
  applied: z.boolean(),
  errorCode: z.string().nullable(),
  detail: z.unknown().nullable(),
});

export const messageSchema = z
  .object({
    id: z.string(),
    to: z.string(),
    text: z.string(),
    status: z.enum(messageStates),
    sendAt: z
      .number()
      .int()
      .nullable()
      .meta({ description: 'When a scheduled message may be sent; null: at once.' }),
    encoding: z.enum(['gsm7', 'ucs2']),
    segments: z.number().int(),
    deviceId: z.string().nullable(),
    simSlot: z.number().int().nullable(),
    attempt: z.number().int(),
    retries: z.number().int(),
    createdAt: z.number().int(),
    updatedAt: z.number().int(),
    expiresAt: z.number().int(),
    submittedAt: z.number().int().nullable(),
    sentAt: z.number().int().nullable(),
    completedAt: z.number().int().nullable(),
    error: z.object({ code: z.string().nullable(), message: z.string().nullable() }).nullable(),
    metadata: z.unknown().nullable(),
    events: z.array(messageEventSchema).optional(),
  })
  .meta({ id: 'Message' });

export type MessageView = z.infer<typeof messageSchema>;

export const messageListQuery = z.object({
  status: z.enum(messageStates).optional(),
  deviceId: z.string().max(64).optional(),
  to: e164.optional(),
  from: z.coerce
    .number()
    .int()
    .min(0)
    .optional()
    .meta({ description: 'Created at or after (ms since epoch).' }),
  until: z.coerce.number().int().min(0).optional().meta({ description: 'Created before (ms since epoch).' }),
  cursor: z.string().max(64).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(50),
});

export const outboxQuery = z.object({
  wait: z.coerce.number().int().min(0).max(25).default(25).meta({ description: 'Seconds to wait for work.' }),
  max: z.coerce.number().int().min(1).max(100).default(20),
});

export const leasedMessageSchema = z.object({
  id: z.string(),
  attempt: z.number().int(),
  to: z.string(),
  text: z.string(),
  encoding: z.enum(['gsm7', 'ucs2']),
  segments: z.number().int(),
  simSlot: z.number().int().nullable(),
  leaseMs: z.number().int().meta({
    description:
      'Hand the message to the SMS engine within this many ms of receiving it, and only after a `submitted` receipt for it was answered `applied`; otherwise drop it.',
  }),
  expiresAt: z.number().int(),
});

export const outboxSchema = z
  .object({
    messages: z.array(leasedMessageSchema),
    serverTime: z.number().int(),
  })
  .meta({ id: 'Outbox' });

export type LeasedMessage = z.infer<typeof leasedMessageSchema>;
