/**
 * The alert rules a workspace starts with, and what each one judges. Device-health rules are judged on
 * ingest (each heartbeat), the rest on the tick; both go through the same pure functions here.
 */
import { alertRuleKinds } from '@lifeline/db/schema';
import type { Severity } from './subscriptions.ts';
import { evaluateThreshold, type Sample, type ThresholdRule } from './threshold.ts';

/** The rule kinds, as the schema stores them. */
export const ruleKinds = alertRuleKinds;
export type RuleKind = (typeof ruleKinds)[number];

export interface RuleParams {
  device_offline: Record<string, never>;
  device_degraded: { lowBatteryPct: number; weakSignalDbm: number; hotBatteryC: number };
  queue_backlog: { depth: number; horizonMs: number; trendWindowMs: number };
  slo_burn: { tiers: ('page' | 'ticket')[] };
  carrier_delivery_drop: { minRate: number; windowMs: number; minEvents: number };
  probe_down: Record<string, never>;
  /** A share of the workspace's reporting phones offline at once (with at least `minDevices` of them). */
  fleet_offline: { minShare: number; minDevices: number };
}

export interface RuleDefinition<K extends RuleKind = RuleKind> {
  kind: K;
  name: string;
  severity: Severity;
  /** The condition must hold this long before the alert fires. */
  forMs: number;
  params: RuleParams[K];
  /** Opens and resolves a public incident on the status page. */
  public?: boolean;
}

const MIN = 60_000;

/** Created with every workspace; admins change or disable them through the API. */
export function defaultRules(): RuleDefinition[] {
  return [
    // Liveness already waits out its grace (offline after 5 intervals), so this fires at once.
    { kind: 'device_offline', name: 'Device offline', severity: 'page', forMs: 0, params: {} },
    {
      kind: 'device_degraded',
      name: 'Device degraded',
      severity: 'ticket',
      forMs: 5 * MIN,
      params: { lowBatteryPct: 20, weakSignalDbm: -110, hotBatteryC: 45 },
    },
    {
      kind: 'queue_backlog',
      name: 'Queue backlog',
      severity: 'page',
      forMs: 0,
      params: { depth: 500, horizonMs: MIN, trendWindowMs: 5 * MIN },
    },
    {
      kind: 'slo_burn',
      name: 'SLO burn rate',
      severity: 'page',
      forMs: 0,
      params: { tiers: ['page', 'ticket'] },
    },
    {
      kind: 'carrier_delivery_drop',
      name: 'Carrier delivery drop',
      severity: 'page',
      forMs: 5 * MIN,
      params: { minRate: 0.9, windowMs: 15 * MIN, minEvents: 20 },
    },
    { kind: 'probe_down', name: 'Upstream probe down', severity: 'page', forMs: 0, params: {}, public: true },
    {
      kind: 'fleet_offline',
      name: 'Many devices offline',
      severity: 'page',
      forMs: 0,
      params: { minShare: 0.2, minDevices: 2 },
      public: true,
    },
  ];
}

export interface DeviceSignals {
  batteryPct?: number | null;
  charging?: boolean | null;
  batteryTempC?: number | null;
  signalDbm?: number | null;
}

/** Why a device is degraded under the rule's thresholds; empty when it is fine. */
export function degradedReasons(s: DeviceSignals, p: RuleParams['device_degraded']): string[] {
  const reasons: string[] = [];
  if (s.batteryPct != null && s.batteryPct <= p.lowBatteryPct && s.charging === false)
    reasons.push(`battery ${s.batteryPct} % and not charging`);
  if (s.signalDbm != null && s.signalDbm <= p.weakSignalDbm) reasons.push(`weak signal (${s.signalDbm} dBm)`);
  if (s.batteryTempC != null && s.batteryTempC >= p.hotBatteryC)
    reasons.push(`battery at ${s.batteryTempC} °C`);
  return reasons;
}

/** Queue depth samples against the backlog rule, with the fast-rise projection. */
export function backlogBreached(samples: readonly Sample[], p: RuleParams['queue_backlog'], now: number) {
  const rule: ThresholdRule = {
    threshold: p.depth,
    direction: 'above',
    horizonMs: p.horizonMs,
    trendWindowMs: p.trendWindowMs,
    minTrendSamples: 3,
  };
  return evaluateThreshold(samples, rule, now);
}

/** A carrier's delivery rate over the rule's window, judged only with enough events to mean anything. */
export function deliveryDropped(
  counts: { delivered: number; terminal: number },
  p: RuleParams['carrier_delivery_drop'],
): boolean {
  if (counts.terminal < p.minEvents) return false;
  return counts.delivered / counts.terminal < p.minRate;
}

/** Whether so many of the reporting phones are offline that customers will notice. */
export function fleetOffline(offline: number, reporting: number, p: RuleParams['fleet_offline']): boolean {
  return offline >= p.minDevices && reporting > 0 && offline / reporting > p.minShare;
}

/** The dedupe key of an alert: one per rule and subject, so the same condition is always the same alert. */
export function dedupeKey(ruleId: string, subject: string): string {
  return `${ruleId}:${subject}`;
}
