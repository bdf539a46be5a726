import type { GapKind } from '@lifeline/db/schema';
import { OFFLINE_AFTER_INTERVALS } from './liveness.ts';

export interface HeartbeatIdentity {
  runId: string;
  bootId: string;
  seq: number;
  receivedAt: number;
}

/**
 * Tells apart what happened between two heartbeats of one device, from the agent's run id, the phone's
 * boot id and the sequence number:
 * - a new boot id: the phone rebooted;
 * - the same boot, a new run id: the agent restarted (crash, update, kill);
 * - the same run with a long silence or skipped sequence numbers: the network (or server) was away.
 */
export function classifyGap(
  prev: HeartbeatIdentity | null,
  next: HeartbeatIdentity,
  intervalMs: number,
): GapKind {
  if (prev === null) return 'first';
  if (next.bootId !== prev.bootId) return 'device_reboot';
  if (next.runId !== prev.runId) return 'agent_restart';
  const silent = next.receivedAt - prev.receivedAt > OFFLINE_AFTER_INTERVALS * intervalMs;
  // The agent never queues old heartbeats: after an outage it continues its sequence, so a jump in `seq`
  // means heartbeats it tried to send were lost on the way.
  if (silent || next.seq > prev.seq + 1) return 'network_gap';
  return 'continuous';
}
