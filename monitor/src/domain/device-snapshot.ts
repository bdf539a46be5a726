import type { DeviceHeartbeatSnapshot } from '@lifeline/db';
import type { GapKind } from '@lifeline/db/schema';
import type { HeartbeatBody } from '../contract/heartbeat.ts';
import { coverageExtension, type Interval } from './buckets.ts';
import { classifyGap } from './heartbeat-gap.ts';
import { coverageMs, livenessAt } from './liveness.ts';

export interface ReceivedHeartbeat {
  body: HeartbeatBody;
  /** Server clock at receipt: the truth. */
  receivedAt: number;
  /** The interval in force for this device. */
  intervalMs: number;
}

/**
 * Folds one heartbeat into a device's snapshot: the two latest receive times (for liveness hysteresis),
 * the run/boot identity (to classify the next gap), clock skew, and the last reported health.
 * Heartbeats received out of order (concurrent requests) never move the snapshot back. The liveness a
 * heartbeat brings (a device coming back) is recorded at once; going silent is the tick's to record.
 */
export function applyHeartbeat(
  prev: DeviceHeartbeatSnapshot,
  hb: ReceivedHeartbeat,
): { snapshot: DeviceHeartbeatSnapshot; gapKind: GapKind; onlineAdded: Interval | null } {
  const last = prev.lastHeartbeatAt;
  const identity =
    last === null || prev.lastRunId === null || prev.lastBootId === null || prev.lastSeq === null
      ? null
      : { runId: prev.lastRunId, bootId: prev.lastBootId, seq: prev.lastSeq, receivedAt: last };
  const gapKind = classifyGap(
    identity,
    { runId: hb.body.runId, bootId: hb.body.bootId, seq: hb.body.seq, receivedAt: hb.receivedAt },
    hb.intervalMs,
  );
  const coverage = coverageExtension(prev.coverageEndAt, hb.receivedAt, coverageMs(hb.intervalMs));
  if (last !== null && hb.receivedAt < last) {
    const prevAt =
      prev.prevHeartbeatAt === null ? hb.receivedAt : Math.max(prev.prevHeartbeatAt, hb.receivedAt);
    return {
      snapshot: { ...prev, prevHeartbeatAt: prevAt, coverageEndAt: coverage.coverageEndAt },
      gapKind,
      onlineAdded: coverage.added,
    };
  }
  const next: DeviceHeartbeatSnapshot = {
    lastHeartbeatAt: hb.receivedAt,
    prevHeartbeatAt: last,
    coverageEndAt: coverage.coverageEndAt,
    lastRunId: hb.body.runId,
    lastBootId: hb.body.bootId,
    lastSeq: hb.body.seq,
    lastGapKind: gapKind,
    clockSkewMs: hb.body.deviceTime - hb.receivedAt,
    appVersion: hb.body.appVersion,
    heartbeatIntervalMs: hb.intervalMs,
    livenessState: prev.livenessState,
    livenessChangedAt: prev.livenessChangedAt,
  };
  const liveness = livenessAt(next, hb.receivedAt);
  if (liveness !== prev.livenessState) {
    next.livenessState = liveness;
    next.livenessChangedAt = hb.receivedAt;
  }
  return { snapshot: next, gapKind, onlineAdded: coverage.added };
}
