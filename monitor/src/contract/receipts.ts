import { messageStates } from '@lifeline/db/schema';
import { z } from 'zod';
import { receiptStatuses } from '../domain/message-state.ts';

export const MAX_RECEIPTS_PER_BATCH = 500;

export const receiptSchema = z.strictObject({
  messageId: z.string().min(1).max(64),
  attempt: z.number().int().min(0).meta({ description: 'The lease attempt the outbox handed out.' }),
  status: z.enum(receiptStatuses),
  at: z.number().int().min(0).meta({ description: 'Device time of the event (ms since epoch).' }),
  errorCode: z.string().max(64).optional(),
  errorMessage: z.string().max(500).optional(),
  parts: z.number().int().min(1).max(255).optional(),
});

export const receiptBatchSchema = z
  .strictObject({ receipts: z.array(receiptSchema).min(1).max(MAX_RECEIPTS_PER_BATCH) })
  .meta({ id: 'ReceiptBatch' });

export type Receipt = z.infer<typeof receiptSchema>;

export const receiptResultSchema = z.object({
  messageId: z.string(),
  attempt: z.number().int(),
  status: z.enum(receiptStatuses),
  outcome: z.enum(['applied', 'duplicate', 'stale', 'rejected']).meta({
    description:
      'applied: moved the message; duplicate: seen before; stale: recorded, but late or out of order; rejected: not a message this device holds.',
  }),
  state: z.enum(messageStates).optional().meta({ description: "The message's state after this receipt." }),
  error: z.object({ code: z.string(), message: z.string() }).optional(),
});

export const receiptBatchResultSchema = z
  .object({ results: z.array(receiptResultSchema) })
  .meta({ id: 'ReceiptBatchResult' });

export type ReceiptResult = z.infer<typeof receiptResultSchema>;
