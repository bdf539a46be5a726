import { Webhook } from 'standardwebhooks';
import { toBase64 } from '../secret-box.ts';

/** Bytes of randomness in a signing secret (Standard Webhooks allows 24 to 64). */
export const SECRET_BYTES = 32;

export const USER_AGENT = 'Lifeline-Webhooks/0.1';

/** A new Standard Webhooks signing secret: `whsec_` and base64 of 32 random bytes. */
export function generateWebhookSecret(): string {
  return `whsec_${toBase64(crypto.getRandomValues(new Uint8Array(SECRET_BYTES)))}`;
}

/** Where a webhook's sealed secret is bound: a ciphertext copied to another webhook does not open. */
export function secretContext(webhookId: string): string {
  return `webhook:${webhookId}`;
}

/**
 * The `webhook-id` of a delivery: derived from its dedup key (one per webhook and change), so it is the
 * same on every retry and receivers can drop repeats.
 */
export async function webhookMessageId(dedupKey: string): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(dedupKey));
  const hex = [...new Uint8Array(digest).slice(0, 16)].map((b) => b.toString(16).padStart(2, '0')).join('');
  return `msg_${hex}`;
}

/** The request headers of one attempt, signed per the Standard Webhooks spec. */
export function signedHeaders(
  signer: Webhook,
  input: { msgId: string; at: number; body: string },
): Record<string, string> {
  const timestamp = new Date(input.at);
  return {
    'content-type': 'application/json',
    'user-agent': USER_AGENT,
    'webhook-id': input.msgId,
    'webhook-timestamp': String(Math.floor(input.at / 1000)),
    'webhook-signature': signer.sign(input.msgId, timestamp, input.body),
  };
}

export { Webhook };
