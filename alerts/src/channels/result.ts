/** What one delivery attempt on a channel came to; the dispatcher decides retries from it. */
export type DeliveryResult =
  | { ok: true; status?: number; providerId?: string }
  | {
      ok: false;
      /** Worth another attempt later (network error, timeout, 429, 5xx). */
      retryable: boolean;
      /** The destination is gone for good (a push subscription answered 404/410): remove it. */
      gone?: boolean;
      status?: number;
      error: string;
    };

/** The usual HTTP reading: 2xx delivered; 408, 425, 429 and 5xx worth retrying; other 4xx final. */
export function resultOfStatus(status: number, body: string): DeliveryResult {
  if (status >= 200 && status < 300) return { ok: true, status };
  const retryable = status === 408 || status === 425 || status === 429 || status >= 500;
  return { ok: false, retryable, status, error: `HTTP ${status}${body ? `: ${body.slice(0, 200)}` : ''}` };
}

/** A fetch that failed before any answer (refused, reset, DNS, our timeout) is always worth a retry. */
export function resultOfNetworkError(err: unknown): DeliveryResult {
  const name = err instanceof Error ? err.name : '';
  const message = err instanceof Error ? err.message : String(err);
  return { ok: false, retryable: true, error: name === 'TimeoutError' ? 'timed out' : message };
}
