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
import {
  deliveryCountsByRange,
  deliveryRates,
  deviceUptimes,
  platformUptimes,
  type Range,
} from './figures.ts';

const DAY = 86_400_000;

/** Good and total events of an SLO's indicator over each range (messages, or milliseconds for uptime). */
export async function sloCounts(db: Db, slo: Slo, ranges: Range[], now: number): Promise<Counts[]> {
  if (slo.indicator === 'delivery') {
    const key =
      slo.scope === 'carrier'
        ? scopeKeys.carrier(slo.workspaceId, slo.scopeId!)
        : slo.scope === 'device'
          ? scopeKeys.device(slo.scopeId!)
          : scopeKeys.workspace(slo.workspaceId);
    const counts = (await deliveryCountsByRange(db, slo.workspaceId, [key], ranges, now)).get(key)!;
    return counts.map((c) => ({ good: c.delivered, total: deliveryRates(c).events }));
  }
  if (slo.indicator === 'device_uptime') {
    const uptimes = await deviceUptimes(db, {
      workspaceId: slo.workspaceId,
      deviceId: slo.scope === 'device' ? slo.scopeId! : undefined,
      ranges,
      now,
    });
    return uptimes.map((u) => ({ good: u.onlineMs, total: u.observedMs }));
  }
  // Platform uptime: minutes (one self-probe run each) in which Lifeline answered, in milliseconds.
  return (await platformUptimes(db, ranges, now)).map((p) => ({
    good: p.okMinutes * 60_000,
    total: p.probedMinutes * 60_000,
  }));
}

/** Minimum-events guard in the indicator's unit: messages, or observed minutes for uptime. */
function guardUnits(slo: Slo, c: Counts): Counts {
  return slo.indicator === 'delivery' ? c : { good: c.good / 60_000, total: c.total / 60_000 };
}

/** Attainment, error budget, burn rates over 5 m … 3 d and the multiwindow alert states of one SLO. */
export async function sloStatus(db: Db, slo: Slo, now: number) {
  const names = Object.keys(BURN_WINDOWS) as BurnWindow[];
  const ranges = [
    { from: now - slo.windowDays * DAY, to: now },
    ...names.map((name) => ({ from: now - BURN_WINDOWS[name], to: now })),
  ];
  const [window, ...burns] = await sloCounts(db, slo, ranges, now);
  const perWindow = Object.fromEntries(names.map((name, i) => [name, guardUnits(slo, burns[i]!)])) as Record<
    BurnWindow,
    Counts
  >;
  const alerts = burnAlerts(perWindow, slo.target, slo.minEvents);
  return {
    sloId: slo.id,
    at: now,
    window: { days: slo.windowDays, good: window!.good, total: window!.total },
    attainment: attainment(window!),
    errorBudget: errorBudget(window!, slo.target),
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
