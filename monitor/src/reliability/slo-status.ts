import { type Db, scopeKeys } from '@lifeline/db';
import type { Slo } from '@lifeline/db/schema';
import {
  attainment,
  BURN_WINDOWS,
  type BurnWindow,
  burnAlerts,
  burnRate,
  burnSeverity,
  type Counts,
  errorBudget,
} from '../domain/slo.ts';
import { deliveryCounts, deliveryRates, deviceUptime, type Range } from './figures.ts';

const DAY = 86_400_000;

/** Good and total events of an SLO's indicator over a range (messages, or milliseconds for uptime). */
export async function sloCounts(db: Db, slo: Slo, range: Range, now: number): Promise<Counts> {
  if (slo.indicator === 'delivery') {
    const key =
      slo.scope === 'carrier'
        ? scopeKeys.carrier(slo.workspaceId, slo.scopeId!)
        : slo.scope === 'device'
          ? scopeKeys.device(slo.scopeId!)
          : scopeKeys.workspace(slo.workspaceId);
    const c = await deliveryCounts(db, slo.workspaceId, key, range, now);
    return { good: c.delivered, total: deliveryRates(c).events };
  }
  if (slo.indicator === 'device_uptime') {
    const u = await deviceUptime(db, {
      workspaceId: slo.workspaceId,
      deviceId: slo.scope === 'device' ? slo.scopeId! : undefined,
      range,
      now,
    });
    return { good: u.onlineMs, total: u.observedMs };
  }
  // Platform uptime needs self-probe results, which arrive with the probes stage.
  return { good: 0, total: 0 };
}

/** Minimum-events guard in the indicator's unit: messages, or observed minutes for uptime. */
function guardUnits(slo: Slo, c: Counts): Counts {
  return slo.indicator === 'delivery' ? c : { good: c.good / 60_000, total: c.total / 60_000 };
}

/** Attainment, error budget, burn rates over 5 m … 3 d and the multiwindow alert states of one SLO. */
export async function sloStatus(db: Db, slo: Slo, now: number) {
  const window = await sloCounts(db, slo, { from: now - slo.windowDays * DAY, to: now }, now);
  const perWindow = {} as Record<BurnWindow, Counts>;
  for (const [name, ms] of Object.entries(BURN_WINDOWS) as [BurnWindow, number][]) {
    perWindow[name] = guardUnits(slo, await sloCounts(db, slo, { from: now - ms, to: now }, now));
  }
  const alerts = burnAlerts(perWindow, slo.target, slo.minEvents);
  return {
    sloId: slo.id,
    at: now,
    window: { days: slo.windowDays, good: window.good, total: window.total },
    attainment: attainment(window),
    errorBudget: errorBudget(window, slo.target),
    burnRates: Object.fromEntries(
      (Object.keys(BURN_WINDOWS) as BurnWindow[]).map((w) => [w, burnRate(perWindow[w], slo.target)]),
    ) as Record<BurnWindow, number | null>,
    alerts: alerts.map((a) => ({
      severity: a.rule.severity,
      longWindow: a.rule.long,
      shortWindow: a.rule.short,
      threshold: a.rule.threshold,
      longBurn: a.longBurn,
      shortBurn: a.shortBurn,
      firing: a.firing,
      insufficientData: a.insufficientData,
    })),
    severity: burnSeverity(alerts),
  };
}
