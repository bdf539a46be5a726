import { describe, expect, it } from 'vitest';
import { canaryNonceOf, canaryText, newCanaryNonce } from '../../contract/inbound.ts';
import { type CanaryObservation, formatDuration, judgeCanary } from './sms-canary.ts';

const T0 = Date.UTC(2026, 10, 1, 12, 0, 0);
const S = 1_000;
const TIMEOUT = 300 * S;

function canary(
  message: Partial<NonNullable<CanaryObservation['message']>> | null,
  receivedAt: number | null = null,
): CanaryObservation {
  return {
    canaryId: 'cny_1',
    messageId: 'msg_1',
    fromDeviceId: 'dev_a',
    toDeviceId: 'dev_b',
    createdAt: T0,
    receivedAt,
    message:
      message === null
        ? null
        : {
            status: 'queued',
            submittedAt: null,
            sentAt: null,
            completedAt: null,
            errorCode: null,
            errorMessage: null,
            deliveryReports: true,
            ...message,
          },
  };
}

const delivered = {
  status: 'delivered',
  submittedAt: T0 + 2 * S,
  sentAt: T0 + 3 * S,
  completedAt: T0 + 9 * S,
} as const;

describe('judgeCanary', () => {
  it('received within the timeout: up, with each stage latency since queued', () => {
    const v = judgeCanary(canary(delivered, T0 + 7 * S), T0 + 900 * S, TIMEOUT)!;
    expect(v.status).toBe('up');
    expect(v.componentStatus).toBe('operational');
    expect(v.latencyMs).toBe(7 * S);
    expect(v.data).toMatchObject({
      latenciesMs: { submitted: 2 * S, sent: 3 * S, delivered: 9 * S, received: 7 * S },
      failedStage: null,
      messageStatus: 'delivered',
    });
    expect(v.detail).toBe('received in 7 s (submitted 2 s, delivered 9 s)');
  });

  it('received without a delivery report (yet): still up, the SMS arrived', () => {
    const v = judgeCanary(
      canary({ status: 'sent', submittedAt: T0 + S, sentAt: T0 + 2 * S }, T0 + 5 * S),
      T0 + 900 * S,
      TIMEOUT,
    )!;
    expect(v.status).toBe('up');
    expect((v.data as { latenciesMs: unknown }).latenciesMs).toMatchObject({
      delivered: null,
      received: 5 * S,
    });
  });

  it('received after the timeout: degraded', () => {
    const v = judgeCanary(canary(delivered, T0 + 400 * S), T0 + 900 * S, TIMEOUT)!;
    expect(v.status).toBe('degraded');
    expect(v.componentStatus).toBe('degraded_performance');
    expect(v.detail).toContain('slower than the 5 min timeout');
  });

  it('in flight before its timeout: not judged yet', () => {
    expect(judgeCanary(canary({ status: 'sent', submittedAt: T0 + S }), T0 + 60 * S, TIMEOUT)).toBeNull();
  });

  it('a failure before the timeout is judged at once', () => {
    const v = judgeCanary(
      canary({
        status: 'failed',
        submittedAt: T0 + S,
        errorCode: 'RESULT_ERROR_GENERIC_FAILURE',
        errorMessage: 'no credit',
      }),
      T0 + 60 * S,
      TIMEOUT,
    )!;
    expect(v.status).toBe('down');
    expect(v.componentStatus).toBe('major_outage');
    expect(v.detail).toBe(
      'not received within 5 min: the sending phone could not send it (RESULT_ERROR_GENERIC_FAILURE: no credit)',
    );
    expect(v.data).toMatchObject({
      failedStage: 'sent',
      error: { code: 'RESULT_ERROR_GENERIC_FAILURE', message: 'no credit' },
    });
  });

  it('names the first stage a lost canary did not reach', () => {
    const cases = [
      [{ status: 'queued' }, 'submitted', 'never took it'],
      [{ status: 'expired' }, 'submitted', 'expired in the queue'],
      [{ status: 'leased' }, 'submitted', 'never handed it to Android'],
      [{ status: 'submitted' }, 'sent', 'never left the phone'],
      [{ status: 'sent' }, 'delivered', 'no delivery report'],
      [{ status: 'sent', deliveryReports: false }, 'received', 'no delivery reports'],
      [{ status: 'undelivered', errorCode: 'ERR_21' }, 'delivered', 'undelivered (ERR_21)'],
      [{ status: 'delivery_unknown' }, 'delivered', 'no delivery report by its deadline'],
      [delivered, 'received', 'delivered, but the receiving phone never reported it'],
    ] as const;
    for (const [message, stage, words] of cases) {
      const v = judgeCanary(canary(message), T0 + TIMEOUT, TIMEOUT)!;
      expect(v.status, message.status).toBe('down');
      expect((v.data as { failedStage: string }).failedStage, message.status).toBe(stage);
      expect(v.detail, message.status).toContain(words);
    }
  });

  it('a canary whose message is gone is unknown', () => {
    expect(judgeCanary(canary(null), T0 + TIMEOUT, TIMEOUT)!.status).toBe('unknown');
  });
});

describe('canary text', () => {
  it('carries a nonce that only canary texts yield', () => {
    const nonce = newCanaryNonce();
    expect(nonce).toMatch(/^[0-9A-HJKMNP-TV-Z]{16}$/);
    expect(newCanaryNonce()).not.toBe(nonce);
    expect(canaryNonceOf(canaryText(nonce))).toBe(nonce);
    expect(canaryText(nonce).length).toBeLessThanOrEqual(160);
    expect(canaryNonceOf('Your code is 123456')).toBeNull();
    expect(canaryNonceOf('Lifeline canary 123')).toBeNull();
    expect(canaryNonceOf(`Lifeline canary ${nonce}X`)).toBeNull();
  });

  it('formats durations', () => {
    expect(formatDuration(28)).toBe('28 ms');
    expect(formatDuration(1_234)).toBe('1.2 s');
    expect(formatDuration(300_000)).toBe('5 min');
    expect(formatDuration(130_000)).toBe('2 min 10 s');
  });
});
