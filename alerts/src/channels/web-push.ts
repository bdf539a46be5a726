/**
 * Web push (RFC 8030) with VAPID (RFC 8292) and aes128gcm payload encryption (RFC 8291). The web-push
 * library builds the request — the encrypted body and the signed VAPID JWT — and we send it with fetch,
 * so timeouts and the reading of answers are ours: 404/410 mean the browser dropped the subscription.
 */
import webpush from 'web-push';
import { type DeliveryResult, resultOfNetworkError, resultOfStatus } from './result.ts';

export interface VapidKeys {
  publicKey: string;
  privateKey: string;
}

export interface PushSubscriptionKeys {
  endpoint: string;
  keys: { p256dh: string; auth: string };
}

export interface WebPushChannelOptions {
  vapid: VapidKeys;
  /** `mailto:` or `https:` contact for the push service (RFC 8292). */
  subject: string;
  timeoutMs?: number;
  /** How to reach the push service (default: global fetch); e.g. one that refuses private addresses. */
  fetch?: typeof fetch;
}

export interface PushMessage {
  payload: unknown;
  /** Seconds the push service may hold the message for an offline browser. */
  ttlS: number;
  urgency?: 'very-low' | 'low' | 'normal' | 'high';
  /** Replaces an undelivered earlier message with the same topic (e.g. one alert's updates). */
  topic?: string;
}

export function generateVapidKeys(): VapidKeys {
  return webpush.generateVAPIDKeys();
}

export function createWebPushChannel(options: WebPushChannelOptions) {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const fetchImpl = options.fetch ?? fetch;
  return {
    async send(subscription: PushSubscriptionKeys, message: PushMessage): Promise<DeliveryResult> {
      let details: ReturnType<typeof webpush.generateRequestDetails>;
      try {
        details = webpush.generateRequestDetails(subscription, JSON.stringify(message.payload), {
          vapidDetails: { subject: options.subject, ...options.vapid },
          TTL: message.ttlS,
          urgency: message.urgency ?? 'high',
          ...(message.topic ? { topic: message.topic } : {}),
          contentEncoding: 'aes128gcm',
        });
      } catch (err) {
        // A malformed subscription (bad keys or endpoint) will never work: drop it.
        return {
          ok: false,
          retryable: false,
          gone: true,
          error: `invalid subscription: ${(err as Error).message}`,
        };
      }
      try {
        const headers = Object.fromEntries(Object.entries(details.headers).map(([k, v]) => [k, String(v)]));
        const res = await fetchImpl(details.endpoint, {
          method: 'POST',
          headers,
          body: details.body ? new Uint8Array(details.body) : null,
          redirect: 'manual',
          signal: AbortSignal.timeout(timeoutMs),
        });
        const text = await res.text().catch(() => '');
        if (res.status === 404 || res.status === 410) {
          return {
            ok: false,
            retryable: false,
            gone: true,
            status: res.status,
            error: 'subscription expired',
          };
        }
        return resultOfStatus(res.status, text);
      } catch (err) {
        return resultOfNetworkError(err);
      }
    },
  };
}
