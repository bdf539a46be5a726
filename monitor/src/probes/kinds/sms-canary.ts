/**
 * SMS canary: each run of the probe queues a test SMS from one of the workspace's phones to another (a
 * canary, pinned to the sending phone) and judges the canary of the run before, by the stages it reached:
 * queued -> submitted (handed to Android) -> sent -> delivered (the carrier's report) -> received (the
 * receiving phone's agent reported it). It catches the phone that heartbeats happily but can no longer
 * send (no credit, a barred SIM, a revoked SMS permission). Pure: the runner (`../canary.ts`) reads the
 * canary and its message and writes the next one.
 */
import type { MessageState } from '@lifeline/db/schema';
import { COMPONENT_OF_STATUS, type ProbeVerdict } from '../types.ts';

export interface SmsCanaryConfig {
  fromDeviceId: string;
  fromSimSlot?: number;
  toDeviceId: string;
  toNumber: string;
}

/** What is known of one canary when it is judged. */
export interface CanaryObservation {
  canaryId: string;
  messageId: string;
  fromDeviceId: string;
  toDeviceId: string;
  createdAt: number;
  /** Server time the receiving phone reported it; null while it has not. */
  receivedAt: number | null;
  /** The canary's message (null when it is gone). */
  message: {
    status: MessageState;
    submittedAt: number | null;
    sentAt: number | null;
    completedAt: number | null;
    errorCode: string | null;
    errorMessage: string | null;
    /** False when the sending phone's driver reports no delivery (then `sent` is its last word). */
    deliveryReports: boolean | null;
  } | null;
}

export const CANARY_STAGES = ['submitted', 'sent', 'delivered', 'received'] as const;
export type CanaryStage = (typeof CANARY_STAGES)[number];

const FAILED_STATES: readonly MessageState[] = ['failed', 'undelivered', 'expired', 'cancelled'];

/** Milliseconds, seconds, or minutes and seconds, for a detail line. */
export function formatDuration(ms: number): string {
  if (ms < 1_000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${Math.round(ms / 100) / 10} s`;
  const m = Math.floor(ms / 60_000);
  const s = Math.round((ms % 60_000) / 1_000);
  return s === 0 ? `${m} min` : `${m} min ${s} s`;
}

/**
 * The verdict on a canary `timeoutMs` after it was queued, or null while it is still in flight (neither
 * received nor failed, and younger than the timeout).
 * - received within the timeout: up, with each stage's latency since it was queued (a missing delivery
 *   report does not matter: the SMS arrived);
 * - received later: degraded;
 * - not received: down, naming the first stage it did not reach and why.
 */
export function judgeCanary(c: CanaryObservation, now: number, timeoutMs: number): ProbeVerdict | null {
  const m = c.message;
  const at = (t: number | null | undefined) => (t === null || t === undefined ? null : t - c.createdAt);
  const deliveredAt = m?.status === 'delivered' ? m.completedAt : null;
  const latenciesMs: Record<CanaryStage, number | null> = {
    submitted: at(m?.submittedAt),
    sent: at(m?.sentAt),
    delivered: at(deliveredAt),
    received: at(c.receivedAt),
  };
  const data = (failedStage: CanaryStage | null) => ({
    canaryId: c.canaryId,
    messageId: c.messageId,
    fromDeviceId: c.fromDeviceId,
    toDeviceId: c.toDeviceId,
    queuedAt: c.createdAt,
    messageStatus: m?.status ?? null,
    latenciesMs,
    failedStage,
    ...(m?.errorCode || m?.errorMessage ? { error: { code: m.errorCode, message: m.errorMessage } } : {}),
  });

  if (c.receivedAt !== null) {
    const total = c.receivedAt - c.createdAt;
    const stages = (['submitted', 'delivered'] as const)
      .filter((s) => latenciesMs[s] !== null)
      .map((s) => `${s} ${formatDuration(latenciesMs[s]!)}`);
    const detail = `received in ${formatDuration(total)}${stages.length > 0 ? ` (${stages.join(', ')})` : ''}`;
    if (total <= timeoutMs)
      return { status: 'up', latencyMs: total, detail, componentStatus: 'operational', data: data(null) };
    return {
      status: 'degraded',
      latencyMs: total,
      detail: `${detail}: slower than the ${formatDuration(timeoutMs)} timeout`,
      componentStatus: COMPONENT_OF_STATUS.degraded,
      data: data(null),
    };
  }
  if (!m) return { status: 'unknown', latencyMs: null, detail: 'the canary message is gone' };
  if (now - c.createdAt < timeoutMs && !FAILED_STATES.includes(m.status)) return null;
  const [failedStage, why] = failure(m);
  return {
    status: 'down',
    latencyMs: null,
    detail: `not received within ${formatDuration(timeoutMs)}: ${why}`,
    componentStatus: COMPONENT_OF_STATUS.down,
    data: data(failedStage),
  };
}

/** The first stage a canary that never arrived did not reach, and why, from its message's state. */
function failure(m: NonNullable<CanaryObservation['message']>): [CanaryStage, string] {
  const error = m.errorCode ? ` (${m.errorCode}${m.errorMessage ? `: ${m.errorMessage}` : ''})` : '';
  switch (m.status) {
    case 'queued':
      return ['submitted', 'the sending phone never took it (still queued)'];
    case 'expired':
      return ['submitted', 'the sending phone never took it (expired in the queue)'];
    case 'cancelled':
      return ['submitted', 'it was cancelled'];
    case 'leased':
      return ['submitted', 'the sending phone took it but never handed it to Android'];
    case 'submitted':
      return ['sent', 'handed to Android, but it never left the phone'];
    case 'failed':
      return ['sent', `the sending phone could not send it${error}`];
    case 'sent':
      return m.deliveryReports === false
        ? [
            'received',
            'sent, but the receiving phone never reported it (this driver has no delivery reports)',
          ]
        : ['delivered', 'sent, but no delivery report came and the receiving phone never reported it'];
    case 'undelivered':
      return ['delivered', `the carrier reported it undelivered${error}`];
    case 'delivery_unknown':
      return ['delivered', 'no delivery report by its deadline, and the receiving phone never reported it'];
    case 'delivered':
      return [
        'received',
        'delivered, but the receiving phone never reported it (is the number its own, and its agent running?)',
      ];
  }
}
