/**
 * Which failures may be retried. Only what provably never left the phone: Android's pre-transmission
 * errors (no service, radio off, an unbuildable PDU, the per-app send limit) and engine errors that say the
 * message was refused before submission. RESULT_ERROR_GENERIC_FAILURE may have reached the network, so it
 * is final.
 */
export const RETRYABLE_ERROR_CODES = new Set([
  'RESULT_ERROR_NO_SERVICE',
  'RESULT_ERROR_RADIO_OFF',
  'RESULT_ERROR_NULL_PDU',
  'RESULT_ERROR_LIMIT_EXCEEDED',
  'RESULT_RADIO_NOT_AVAILABLE',
  'RESULT_NO_DEFAULT_SMS_APP',
  'ENGINE_UNREACHABLE',
  'ENGINE_REJECTED',
]);

export const MAX_RETRIES = 5;

export function isRetryableFailure(errorCode: string | null | undefined): boolean {
  return errorCode != null && RETRYABLE_ERROR_CODES.has(errorCode);
}

/** Exponential backoff with full jitter: up to 15 s, 30 s, 60 s, … capped at 10 minutes. */
export function retryDelayMs(retries: number, random: () => number = Math.random): number {
  const ceiling = Math.min(10 * 60_000, 15_000 * 2 ** Math.max(0, retries - 1));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}
