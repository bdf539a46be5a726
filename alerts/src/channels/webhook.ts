/**
 * Alert webhooks, signed per Standard Webhooks like the message webhooks: `webhook-id` (the same on every
 * retry, so receivers drop repeats), `webhook-timestamp`, `webhook-signature`. Redirects are not followed.
 */
import { Webhook } from 'standardwebhooks';
import { type DeliveryResult, resultOfNetworkError, resultOfStatus } from './result.ts';

export interface SignedWebhook {
  url: string;
  /** `whsec_…` */
  secret: string;
}

export async function sendSignedWebhook(
  target: SignedWebhook,
  event: { id: string; type: string; data: unknown },
  now: Date,
  timeoutMs = 10_000,
  fetchImpl: typeof fetch = fetch,
): Promise<DeliveryResult> {
  const body = JSON.stringify({ type: event.type, timestamp: now.toISOString(), data: event.data });
  const signature = new Webhook(target.secret).sign(event.id, now, body);
  try {
    const res = await fetchImpl(target.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'webhook-id': event.id,
        'webhook-timestamp': String(Math.floor(now.getTime() / 1000)),
        'webhook-signature': signature,
      },
      body,
      redirect: 'manual',
      signal: AbortSignal.timeout(timeoutMs),
    });
    return resultOfStatus(res.status, await res.text().catch(() => ''));
  } catch (err) {
    return resultOfNetworkError(err);
  }
}
