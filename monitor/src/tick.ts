import {
  type DispatchReport as AlertDispatchReport,
  type AnnounceReport,
  type AppliedTransition,
  dispatchNotifications,
} from '@lifeline/alerts';
import { listActiveDevices, recordLivenessQuery } from '@lifeline/db';
import { alertDispatchDeps } from './alerting/channels.ts';
import { evaluateAlerts } from './alerting/evaluate.ts';
import type { Deps } from './deps.ts';
import { livenessAt } from './domain/liveness.ts';
import { type SweepReport, sweepMessages } from './pipeline/sweeps.ts';
import { type ProbeBatchReport, runDueProbes } from './probes/tick.ts';
import { pruneIfDue } from './reliability/retention.ts';
import { announceMaintenanceTransitions, dispatchPublicNotifications } from './subscriptions/announce.ts';
import { type DispatchReport, dispatchWebhooks } from './webhooks/dispatcher.ts';

export interface TickReport {
  livenessChanges: { deviceId: string; workspaceId: string; from: string; to: string }[];
  messages: SweepReport;
  /** Webhook deliveries of this tick (all zero without a secret box). */
  webhooks: DispatchReport;
  /** Alert transitions of this tick, and the notifications it delivered. */
  alerts: { transitions: AppliedTransition[]; dispatch: AlertDispatchReport | null };
  /** Status page subscribers: maintenance starts and ends announced, and what was delivered to them. */
  announcements: { maintenance: number; dispatch: AnnounceReport | null };
  /** Probes run by this tick (null when the batch was still running after `probes.waitMs`). */
  probes: ProbeBatchReport | null;
}

/**
 * The periodic work, the same on Node (cron, every few seconds) and Workers (Cron Triggers, every minute):
 * records device liveness transitions, then gives message states their deadlines (lapsed leases and
 * offline devices' messages back to the queue, TTL expiry, honest unknowns), then delivers due webhooks
 * from the outbox (`webhooks/dispatcher.ts`), evaluates the alert rules and delivers due notifications
 * (`alerting/`), announces maintenance starts and ends and delivers what status page subscribers are
 * due (`subscriptions/`), and about once an hour prunes what is past retention. Due probes (`probes/`) run
 * beside all of it and are recorded before the alert rules are judged.
 */
export async function tick(
  deps: Pick<Deps, 'db'> &
    Partial<Pick<Deps, 'notifier' | 'secretBox' | 'logger' | 'alerts' | 'publicUrl' | 'probes'>>,
  now: number,
): Promise<TickReport> {
  const { db } = deps;
  // Probes wait on the network, so they start first and run beside the rest of the tick.
  const probeBatch = runDueProbes(deps, now);
  const changes: TickReport['livenessChanges'] = [];
  const queries = [];
  const offline: string[] = [];
  for (const device of await listActiveDevices(db)) {
    const state = livenessAt(device, now);
    if (state === 'offline') offline.push(device.id);
    if (state === device.livenessState) continue;
    changes.push({
      deviceId: device.id,
      workspaceId: device.workspaceId,
      from: device.livenessState,
      to: state,
    });
    queries.push(recordLivenessQuery(db, device.id, state, now));
  }
  const [first, ...rest] = queries;
  if (first) await db.batch([first, ...rest]);
  const messages = await sweepMessages(db, { now, offlineDeviceIds: offline });
  for (const workspaceId of messages.requeuedWorkspaces) deps.notifier?.notify(workspaceId);
  // After the sweeps, so the changes they made are delivered in this tick.
  const webhooks = deps.secretBox
    ? await dispatchWebhooks({ db, secretBox: deps.secretBox, logger: deps.logger }, now)
    : { delivered: 0, failed: 0, dead: 0 };
  const probes = await probeBatch; // before the alert rules, which read the probes' results
  const transitions = await evaluateAlerts(db, now);
  const dispatch = deps.alerts
    ? await dispatchAlerts(deps as Pick<Deps, 'db' | 'alerts' | 'publicUrl'>, now)
    : null;
  const maintenance = await announceMaintenanceTransitions(db, now);
  const announced = deps.alerts
    ? await dispatchPublicNotifications(
        { db, alerts: deps.alerts, secretBox: deps.secretBox ?? null, publicUrl: deps.publicUrl ?? '' },
        now,
      )
    : null;
  await pruneIfDue(db, now);
  return {
    livenessChanges: changes,
    messages,
    webhooks,
    alerts: { transitions, dispatch },
    announcements: { maintenance, dispatch: announced },
    probes,
  };
}

/** Delivers due alert notifications (also run on its own when a group waiting for companions is ready). */
export function dispatchAlerts(deps: Pick<Deps, 'db' | 'alerts' | 'publicUrl'>, now: number) {
  return dispatchNotifications(alertDispatchDeps(deps), now);
}
