/**
 * The alerting pass of the tick: for each workspace with rules, judge every enabled rule, apply the
 * transitions (with their notifications, in one batch), then deliver what is due.
 */
import { type AppliedTransition, applyEvaluation, defaultRules } from '@lifeline/alerts';
import {
  activeSilences,
  type Db,
  listAlertRules,
  listAlertSubscriptions,
  maintenancesOverlapping,
  newId,
  openAlerts,
  subscriptionsToldOfFiring,
  workspacesWithAlertRules,
} from '@lifeline/db';
import type { AlertRule } from '@lifeline/db/schema';
import { conditionsFor } from './signals.ts';

/** The default rules of a new workspace (created with it, and for older workspaces on first use). */
export function defaultAlertRuleRows(workspaceId: string, now: number): AlertRule[] {
  return defaultRules().map((r) => ({
    id: newId('rul', now),
    workspaceId,
    kind: r.kind,
    name: r.name,
    severity: r.severity,
    forMs: r.forMs,
    repeatIntervalMs: 4 * 3_600_000,
    params: r.params as Record<string, unknown>,
    enabled: true,
    public: r.public ?? false,
    createdAt: now,
    updatedAt: now,
  }));
}

/** One evaluation per workspace at a time in this process (the tick and ingest may overlap). */
const inFlight = new Map<string, Promise<unknown>>();
function oneAtATime<T>(workspaceId: string, work: () => Promise<T>): Promise<T> {
  const previous = inFlight.get(workspaceId) ?? Promise.resolve();
  const next = previous.then(work, work);
  const settled = next.catch(() => undefined);
  inFlight.set(workspaceId, settled);
  void settled.then(() => {
    if (inFlight.get(workspaceId) === settled) inFlight.delete(workspaceId);
  });
  return next;
}

/** Judges a workspace's enabled rules (only those of `kinds`, when given) and applies the transitions. */
export async function evaluateWorkspace(
  db: Db,
  workspaceId: string,
  now: number,
  kinds?: AlertRule['kind'][],
): Promise<AppliedTransition[]> {
  return oneAtATime(workspaceId, () => evaluateNow(db, workspaceId, now, kinds));
}

async function evaluateNow(
  db: Db,
  workspaceId: string,
  now: number,
  kinds: AlertRule['kind'][] | undefined,
): Promise<AppliedTransition[]> {
  const rules = (await listAlertRules(db, workspaceId)).filter(
    (r) => r.enabled && (!kinds || kinds.includes(r.kind)),
  );
  if (rules.length === 0) return [];
  const open = await openAlerts(db, workspaceId);
  const conditions = await conditionsFor(db, workspaceId, rules, new Set(open.map((a) => a.dedupeKey)), now);
  const [subscriptions, silences, maintenances, toldOfFiring] = await Promise.all([
    listAlertSubscriptions(db, workspaceId),
    activeSilences(db, workspaceId, now),
    maintenancesOverlapping(db, workspaceId, now, now + 1),
    subscriptionsToldOfFiring(
      db,
      open.filter((a) => a.state === 'firing').map((a) => a.id),
    ),
  ]);
  return applyEvaluation(db, {
    workspaceId,
    rules,
    conditions,
    openAlerts: open,
    subscriptions,
    toldOfFiring,
    silences,
    maintenances: maintenances.map((m) => ({
      id: m.id,
      startsAt: m.startsAt,
      endsAt: m.endsAt,
      componentIds: m.componentIds ?? null,
    })),
    now,
  });
}

export async function evaluateAlerts(db: Db, now: number): Promise<AppliedTransition[]> {
  const out: AppliedTransition[] = [];
  for (const workspaceId of await workspacesWithAlertRules(db))
    out.push(...(await evaluateWorkspace(db, workspaceId, now)));
  return out;
}
