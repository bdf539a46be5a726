import { describe, expect, it } from 'vitest';
import {
  decideDelivery,
  describeFetchError,
  MAX_ERROR_LENGTH,
  RETRY_SCHEDULE_MS,
  retryDelayMs,
} from './policy.ts';

const s = 1_000;
const min = 60 * s;
const h = 60 * min;

describe('retryDelayMs', () => {
  it.each([
    [1, 5 * s],
    [2, 30 * s],
    [3, 2 * min],
    [4, 10 * min],
    [5, 30 * min],
    [6, 1 * h],
    [7, 2 * h],
    [8, 2 * h],
    [40, 2 * h],
  ])('after %i failed attempts waits %i ms (no jitter)', (failed, expected) => {
    expect(retryDelayMs(failed, () => 0.5)).toBe(expected);
  });

  it('jitters ±20 % and stays capped', () => {
    expect(retryDelayMs(1, () => 0)).toBe(4 * s);
    expect(retryDelayMs(1, () => 0.999999)).toBe(6 * s);
    expect(retryDelayMs(100, () => 0.999999)).toBeLessThanOrEqual(2.4 * h);
    for (let i = 0; i < 1_000; i++) {
      const d = retryDelayMs(3);
      expect(d).toBeGreaterThanOrEqual(0.8 * 2 * min);
      expect(d).toBeLessThanOrEqual(1.2 * 2 * min);
    }
  });

  it('treats 0 as the first retry, and retries for days before a 3-day deadline', () => {
    expect(retryDelayMs(0, () => 0.5)).toBe(5 * s);
    let t = 0;
    let n = 0;
    while (t < 72 * h) t += retryDelayMs(++n, () => 0.5);
    expect(n).toBeGreaterThan(35);
    expect(RETRY_SCHEDULE_MS.at(-1)).toBe(2 * h);
  });
});

describe('decideDelivery', () => {
  const base = { attempts: 0, now: 1_000_000, deadlineAt: 1_000_000 + 72 * h, random: () => 0.5 };

  it.each([200, 201, 204, 299])('delivers on %i', (statusCode) => {
    expect(decideDelivery({ ...base, outcome: { statusCode } })).toEqual({ kind: 'delivered', statusCode });
  });

  it.each([
    [{ statusCode: 500, body: 'oops\n  down' }, 500, 'HTTP 500: oops down'],
    [{ statusCode: 301 }, 301, 'HTTP 301 (redirect not followed)'],
    [{ statusCode: 404 }, 404, 'HTTP 404'],
    [{ statusCode: 100 }, 100, 'HTTP 100'],
    [{ error: 'fetch failed: ECONNREFUSED' }, null, 'fetch failed: ECONNREFUSED'],
  ])('retries %j on the schedule', (outcome, statusCode, error) => {
    expect(decideDelivery({ ...base, attempts: 2, outcome })).toEqual({
      kind: 'retry',
      statusCode,
      error,
      nextAttemptAt: base.now + 2 * min,
    });
  });

  it('dead-letters when the next attempt would fall after the deadline, keeping the error', () => {
    expect(
      decideDelivery({ ...base, attempts: 30, deadlineAt: base.now + h, outcome: { statusCode: 503 } }),
    ).toEqual({ kind: 'dead', statusCode: 503, error: 'HTTP 503' });
    expect(decideDelivery({ ...base, deadlineAt: base.now, outcome: { error: 'x' } }).kind).toBe('dead');
  });

  it('keeps errors short', () => {
    const d = decideDelivery({ ...base, outcome: { error: 'e'.repeat(5_000) } });
    expect(d.kind === 'retry' && d.error.length).toBe(MAX_ERROR_LENGTH);
  });
});

describe('describeFetchError', () => {
  it('names timeouts and network causes', () => {
    expect(describeFetchError(new DOMException('x', 'TimeoutError'), 10_000)).toBe('Timed out after 10 s');
    const refused = Object.assign(new TypeError('fetch failed'), { cause: { code: 'ECONNREFUSED' } });
    expect(describeFetchError(refused, 10_000)).toBe('fetch failed: ECONNREFUSED');
  });
});
