/**
 * One run of an SMS canary probe (the I/O around `kinds/sms-canary.ts`): judges the probe's last canary,
 * and queues the next one through the normal message pipeline, pinned to the sending phone (and SIM),
 * with a fresh nonce in its text. It never waits for the SMS: the next run judges it, so a canary costs
 * a probe slot only for a few queries.
 */
import {
  type Db,
  effectQueries,
  findDevicesByIds,
  insertCanaryQuery,
  insertMessagesQueries,
  latestCanaryOfProbe,
  markCanaryJudgedQuery,
  newId,
} from '@lifeline/db';
import type { Device, Probe } from '@lifeline/db/schema';
import type { BatchItem } from 'drizzle-orm/batch';
import { canaryText, newCanaryNonce } from '../contract/inbound.ts';
import { newMessageRow } from '../pipeline/accept.ts';
import { judgeCanary, type SmsCanaryConfig } from './kinds/sms-canary.ts';
import type { ProbeRun } from './runner.ts';

export interface CanaryRun {
  run: ProbeRun;
  /** Statements to commit with the run's outcome: the judged canary marked, the next canary queued. */
  queries: BatchItem<'sqlite'>[];
  /** Whether a canary message was queued (the sending phone's poll should be woken). */
  queued: boolean;
}

/** Why no canary can be sent now (either phone gone or paused), or null when one can. */
export function cannotSend(config: SmsCanaryConfig, devices: Device[], workspaceId: string): string | null {
  for (const [role, id] of [
    ['sending', config.fromDeviceId],
    ['receiving', config.toDeviceId],
  ] as const) {
    const d = devices.find((x) => x.id === id && x.workspaceId === workspaceId);
    if (!d || d.status === 'revoked') return `the ${role} phone ${id} is not enrolled`;
    // A paused phone neither sends nor may report what it received (the server refuses it).
    if (d.status === 'paused') return `the ${role} phone ${id} is paused`;
  }
  return null;
}

export async function runCanary(
  db: Db,
  probe: Probe,
  now: number,
  nonce: () => string = newCanaryNonce,
): Promise<CanaryRun> {
  const config = probe.config as unknown as SmsCanaryConfig;
  const queries: BatchItem<'sqlite'>[] = [];
  const last = await latestCanaryOfProbe(db, probe.id);
  let verdict: ProbeRun | null = null;
  if (last && last.canary.judgedAt === null) {
    const { canary, message } = last;
    const judged = judgeCanary(
      {
        canaryId: canary.id,
        messageId: canary.messageId,
        fromDeviceId: canary.fromDeviceId,
        toDeviceId: canary.toDeviceId,
        createdAt: canary.createdAt,
        receivedAt: canary.receivedAt,
        message,
      },
      now,
      probe.timeoutMs,
    );
    // Still in flight (a run brought forward by a change): judge it next time, send nothing new.
    if (!judged)
      return {
        run: {
          status: 'unknown',
          latencyMs: null,
          detail: 'the last canary is still in flight',
          attempts: 1,
        },
        queries,
        queued: false,
      };
    verdict = { ...judged, attempts: 1 };
    queries.push(markCanaryJudgedQuery(db, canary.id, now));
  }

  const devices = await findDevicesByIds(db, [config.fromDeviceId, config.toDeviceId]);
  const blocked = cannotSend(config, devices, probe.workspaceId);
  if (!blocked) queries.push(...nextCanaryQueries(db, probe, config, now, nonce()));
  const run: ProbeRun = verdict
    ? { ...verdict, detail: blocked ? `${verdict.detail}; no new canary: ${blocked}` : verdict.detail }
    : {
        status: 'unknown',
        latencyMs: null,
        detail: blocked ? `no canary sent: ${blocked}` : 'first canary queued; the next run judges it',
        attempts: 1,
      };
  return { run, queries, queued: !blocked };
}

/** The next canary: its message (queued, pinned, TTL = the probe's timeout), its queued event, its row. */
function nextCanaryQueries(
  db: Db,
  probe: Probe,
  config: SmsCanaryConfig,
  now: number,
  nonce: string,
): BatchItem<'sqlite'>[] {
  const message = {
    ...newMessageRow(
      probe.workspaceId,
      {
        to: config.toNumber,
        text: canaryText(nonce),
        ttlS: Math.ceil(probe.timeoutMs / 1_000),
        deviceId: config.fromDeviceId,
      },
      null,
      null,
      now,
    ),
    purpose: 'canary' as const,
    pinnedSimSlot: config.fromSimSlot ?? null,
  };
  return [
    ...insertMessagesQueries(db, [message]),
    ...effectQueries(db, {
      messageId: message.id,
      workspaceId: probe.workspaceId,
      from: { status: 'queued', attempt: 0 },
      to: { status: 'queued', attempt: 0 },
      now,
      event: { source: 'server', detail: { canaryProbeId: probe.id } },
    }),
    insertCanaryQuery(db, {
      id: newId('cny', now),
      probeId: probe.id,
      workspaceId: probe.workspaceId,
      messageId: message.id,
      nonce,
      fromDeviceId: config.fromDeviceId,
      toDeviceId: config.toDeviceId,
      toNumber: config.toNumber,
      createdAt: now,
    }),
  ];
}
