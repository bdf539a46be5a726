import { z } from 'zod';

/**
 * SMS canaries: a canary probe's test message carries this marker and a nonce. A gateway agent uploads
 * only the SMS it received that carry the marker (`POST /v1/inbound`); every other inbound text stays on
 * the phone.
 */
export const CANARY_MARKER = 'Lifeline canary';
export const MAX_INBOUND_PER_BATCH = 100;

/** Crockford base32 (no I, L, O, U): 16 characters are 80 random bits. */
const NONCE_ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const NONCE_LENGTH = 16;
const CANARY_PATTERN = new RegExp(`${CANARY_MARKER} ([${NONCE_ALPHABET}]{${NONCE_LENGTH}})(?![0-9A-Z])`);

export function newCanaryNonce(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(NONCE_LENGTH));
  let out = '';
  for (const b of bytes) out += NONCE_ALPHABET[b & 31];
  return out;
}

/** The text of a canary SMS: one GSM-7 segment. */
export function canaryText(nonce: string): string {
  return `${CANARY_MARKER} ${nonce}: a test between your gateway phones, no reply needed.`;
}

/** The nonce a received text carries, or null when it is not a canary (then it must not leave the phone). */
export function canaryNonceOf(text: string): string | null {
  return CANARY_PATTERN.exec(text)?.[1] ?? null;
}

const e164ish = z
  .string()
  .min(1)
  .max(32)
  .meta({ description: 'The sender as the phone shows it (E.164, or a short code).' });

export const inboundSmsSchema = z.strictObject({
  from: e164ish,
  text: z
    .string()
    .min(1)
    .max(1_600)
    .refine((t) => canaryNonceOf(t) !== null, { message: `must carry the marker '${CANARY_MARKER} <nonce>'` })
    .meta({ description: 'The received text; only canary messages are ever uploaded.' }),
  receivedAt: z.number().int().min(0).meta({ description: 'Device time of reception (ms since epoch).' }),
  simSlot: z.number().int().min(0).max(7).optional().meta({ description: 'The SIM slot that received it.' }),
});

export const inboundBatchSchema = z
  .strictObject({ messages: z.array(inboundSmsSchema).min(1).max(MAX_INBOUND_PER_BATCH) })
  .meta({ id: 'InboundBatch' });

export type InboundSms = z.infer<typeof inboundSmsSchema>;

export const inboundResultSchema = z.object({
  nonce: z.string(),
  outcome: z.enum(['recorded', 'duplicate', 'ignored']).meta({
    description:
      "recorded: this device's reception of a canary; duplicate: already recorded; ignored: no canary of this workspace addressed to this device carries the nonce (nothing is stored). Forget the SMS after any of them.",
  }),
});

export const inboundBatchResultSchema = z
  .object({ results: z.array(inboundResultSchema) })
  .meta({ id: 'InboundBatchResult' });

export type InboundResult = z.infer<typeof inboundResultSchema>;
