/**
 * Email through Resend, with its `Idempotency-Key` so a retried attempt never sends twice; or, with no
 * API key (the embedded default), a local mail log: one JSON line per email in a file the README names.
 */
import { appendFile, mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { Resend } from 'resend';
import type { DeliveryResult } from './result.ts';

export interface Email {
  to: string;
  subject: string;
  text: string;
  html?: string;
  /** Extra headers, e.g. RFC 8058 List-Unsubscribe. */
  headers?: Record<string, string>;
}

export interface EmailChannel {
  readonly kind: 'resend' | 'mail_log';
  send(email: Email, idempotencyKey: string): Promise<DeliveryResult>;
}

export function createResendChannel(options: {
  apiKey: string;
  from: string;
  baseUrl?: string;
}): EmailChannel {
  const resend = new Resend(options.apiKey, options.baseUrl ? { baseUrl: options.baseUrl } : undefined);
  return {
    kind: 'resend',
    async send(email, idempotencyKey) {
      try {
        const { data, error } = await resend.emails.send(
          {
            from: options.from,
            to: [email.to],
            subject: email.subject,
            text: email.text,
            ...(email.html ? { html: email.html } : {}),
            ...(email.headers ? { headers: email.headers } : {}),
          },
          { idempotencyKey },
        );
        if (error) {
          const status = (error as { statusCode?: number | null }).statusCode ?? undefined;
          const retryable = status === undefined || status === null || status === 429 || status >= 500;
          return {
            ok: false,
            retryable,
            status: status ?? undefined,
            error: `${error.name}: ${error.message}`,
          };
        }
        return { ok: true, providerId: data?.id };
      } catch (err) {
        return { ok: false, retryable: true, error: err instanceof Error ? err.message : String(err) };
      }
    },
  };
}

/** Appends each email as a JSON line to `path`; the same idempotency key is written once per process. */
export function createMailLogChannel(path: string, now: () => number = Date.now): EmailChannel {
  const written = new Set<string>();
  return {
    kind: 'mail_log',
    async send(email, idempotencyKey) {
      if (written.has(idempotencyKey)) return { ok: true, providerId: idempotencyKey };
      await mkdir(dirname(path), { recursive: true });
      await appendFile(
        path,
        `${JSON.stringify({ at: new Date(now()).toISOString(), idempotencyKey, ...email })}\n`,
      );
      written.add(idempotencyKey);
      return { ok: true, providerId: idempotencyKey };
    },
  };
}
