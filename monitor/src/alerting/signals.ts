/**
 * Turns a workspace's live signals into alert conditions, one per rule and subject: each device's
 * liveness and last reported health, its queue-depth trend, each SLO's burn-rate tiers, each carrier's
 * recent delivery rate. Reads only; `evaluate.ts` applies them.
 */
import {
  backlogBreached,
  type Condition,
  degradedReasons,
  deliveryDropped,
  fleetOffline,
  type RuleParams,
} from '@lifeline/alerts';
import {
  carriersOf,
  type Db,
  listComponents,
  listDevices,
  listSlos,
  probesOfWorkspace,
  scopeKeys,
} from '@lifeline/db';
import type { AlertRule, Device } from '@lifeline/db/schema';
import { sql } from 'drizzle-orm';
import type { HeartbeatBody } from '../contract/heartbeat.ts';
import { livenessAt } from '../domain/liveness.ts';
import { deliveryCountsByRange, deliveryRates } from '../reliability/figures.ts';
import { sloStatus } from '../reliability/slo-status.ts';

const MINUTE = 60_000;

function ago(ms: number): string {
  if (ms < MINUTE) return `${Math.round(ms / 1000)} s`;
  if (ms < 3_600_000) return `${Math.round(ms / MINUTE)} min`;
  return `${(ms / 3_600_000).toFixed(1)} h`;
}

/** Every active device of a workspace (paused and revoked devices are not watched). */
async function activeDevices(db: Db, workspaceId: string): Promise<Device[]> {
  const out: Device[] = [];
  let after: string | undefined;
  for (;;) {
    const page = await listDevices(db, workspaceId, { after, limit: 1_000 });
    out.push(...page.filter((d) => d.status === 'active'));
    if (page.length < 1_000) return out;
    after = page.at(-1)!.id;
  }
}

/** Queue depth samples of the given devices over the last `windowMs`, by device. */
async function queueSamples(db: Db, deviceIds: string[], from: number) {
  const out = new Map<string, { at: number; value: number }[]>();
  if (deviceIds.length === 0) return out;
  const rows = await db.all<{ d: string; t: number; q: number }>(
    sql`SELECT device_id AS d, received_at AS t, queue_depth AS q FROM heartbeats
        WHERE device_id IN (SELECT value FROM json_each(${JSON.stringify(deviceIds)})) AND received_at >= ${from}
        ORDER BY received_at`,
  );
  for (const r of rows) {
    const list = out.get(r.d) ?? [];
    list.push({ at: r.t, value: r.q });
    out.set(r.d, list);
  }
  return out;
}

export async function conditionsFor(
  db: Db,
  workspaceId: string,
  rules: AlertRule[],
  openSubjects: ReadonlySet<string>,
  now: number,
): Promise<Condition[]> {
  const kinds = new Set(rules.map((r) => r.kind));
  const conditions: Condition[] = [];
  const components = await listComponents(db, workspaceId);
  const deviceComponents = components.filter((c) => c.layer === 'devices').map((c) => c.id);
  const carrierComponents = components.filter((c) => c.layer === 'carrier').map((c) => c.id);
  const needDevices =
    kinds.has('device_offline') || kinds.has('device_degraded') || kinds.has('queue_backlog');
  const devices = needDevices ? await activeDevices(db, workspaceId) : [];
  const deviceCondition = (rule: AlertRule, d: Device, active: boolean, summary: string): Condition => ({
    ruleId: rule.id,
    subject: `device:${d.id}`,
    subjectType: 'device',
    subjectId: d.id,
    subjectName: d.name,
    deviceId: d.id,
    componentIds: deviceComponents,
    active,
    summary: `${rule.name}: ${summary}`,
  });

  for (const rule of rules) {
    switch (rule.kind) {
      case 'device_offline':
        for (const d of devices) {
          if (d.lastHeartbeatAt === null) continue; // never reported: not yet a working phone
          const offline = livenessAt(d, now) === 'offline';
          conditions.push(
            deviceCondition(rule, d, offline, `no heartbeat for ${ago(now - d.lastHeartbeatAt)}`),
          );
        }
        break;
      case 'device_degraded': {
        const p = rule.params as RuleParams['device_degraded'];
        for (const d of devices) {
          const h = d.lastHealth as HeartbeatBody | null;
          if (!h || livenessAt(d, now) === 'offline') {
            if (openSubjects.has(`${rule.id}:device:${d.id}`))
              conditions.push(deviceCondition(rule, d, false, ''));
            continue;
          }
          const signals = h.sims.map((s) => s.signalDbm).filter((s): s is number => typeof s === 'number');
          const reasons = degradedReasons(
            {
              batteryPct: h.battery?.percent ?? null,
              charging: h.battery?.charging ?? null,
              batteryTempC: h.battery?.temperatureC ?? null,
              signalDbm: signals.length > 0 ? Math.max(...signals) : null,
            },
            p,
          );
          conditions.push(deviceCondition(rule, d, reasons.length > 0, reasons.join(', ')));
        }
        break;
      }
      case 'queue_backlog': {
        const p = rule.params as RuleParams['queue_backlog'];
        const watched = devices.filter(
          (d) =>
            ((d.lastHealth as HeartbeatBody | null)?.queue.depth ?? 0) > 0 ||
            openSubjects.has(`${rule.id}:device:${d.id}`),
        );
        const samples = await queueSamples(
          db,
          watched.map((d) => d.id),
          now - p.trendWindowMs,
        );
        for (const d of watched) {
          const v = backlogBreached(samples.get(d.id) ?? [], p, now);
          const summary =
            v.breached && v.reason === 'projected'
              ? `queue at ${v.value}, rising to ${Math.round(v.projected)} within ${ago(p.horizonMs)} (threshold ${p.depth})`
              : `queue at ${v.value ?? 0} (threshold ${p.depth})`;
          conditions.push(deviceCondition(rule, d, v.breached, summary));
        }
        break;
      }
      case 'slo_burn': {
        const tiers = (rule.params as RuleParams['slo_burn']).tiers;
        for (const slo of await listSlos(db, workspaceId)) {
          const status = await sloStatus(db, slo, now);
          const firing = status.alerts.filter(
            (a) => a.firing && tiers.includes(a.severity as 'page' | 'ticket'),
          );
          const name = `${slo.indicator} SLO ${(slo.target * 100).toFixed(1)} %`;
          conditions.push({
            ruleId: rule.id,
            subject: `slo:${slo.id}`,
            subjectType: 'slo',
            subjectId: slo.id,
            subjectName: name,
            active: firing.length > 0,
            summary: `${rule.name}: ${firing
              .map(
                (a) =>
                  `${a.severity} — burn ${a.longBurn?.toFixed(1)}× over ${a.longWindow}, ${a.shortBurn?.toFixed(1)}× over ${a.shortWindow} (> ${a.threshold})`,
              )
              .join('; ')}`,
          });
        }
        break;
      }
      case 'carrier_delivery_drop': {
        const p = rule.params as RuleParams['carrier_delivery_drop'];
        const carriers = await carriersOf(db, workspaceId);
        const keys = carriers.map((c) => scopeKeys.carrier(workspaceId, c));
        const counts = await deliveryCountsByRange(
          db,
          workspaceId,
          keys,
          [{ from: now - p.windowMs, to: now }],
          now,
        );
        carriers.forEach((carrier, i) => {
          const c = counts.get(keys[i]!)![0]!;
          const rates = deliveryRates(c);
          const dropped = deliveryDropped({ delivered: c.delivered, terminal: rates.events }, p);
          conditions.push({
            ruleId: rule.id,
            subject: `carrier:${carrier}`,
            subjectType: 'carrier',
            subjectId: carrier,
            subjectName: carrier,
            componentIds: carrierComponents,
            active: dropped,
            summary: `${rule.name}: ${rates.deliveryRate === null ? 'no data' : `${(rates.deliveryRate * 100).toFixed(1)} % delivered`} over ${ago(p.windowMs)} (${rates.events} messages, minimum ${(p.minRate * 100).toFixed(0)} %)`,
          });
        });
        break;
      }
      case 'fleet_offline': {
        const p = rule.params as RuleParams['fleet_offline'];
        const reporting = devices.filter((d) => d.lastHeartbeatAt !== null);
        const offline = reporting.filter((d) => livenessAt(d, now) === 'offline').length;
        conditions.push({
          ruleId: rule.id,
          subject: 'workspace',
          subjectType: 'workspace',
          subjectId: workspaceId,
          subjectName: 'Device connectivity',
          componentIds: deviceComponents,
          active: fleetOffline(offline, reporting.length, p),
          summary: `${rule.name}: ${offline} of ${reporting.length} phones offline`,
        });
        break;
      }
      case 'probe_down':
        for (const p of await probesOfWorkspace(db, workspaceId)) {
          if (!p.enabled || p.lastStatus === null) continue;
          const subject = `probe:${p.id}`;
          // Unknown (the probe could not tell) neither fires nor resolves: an open alert stays open.
          const active =
            p.lastStatus === 'down' ||
            (p.lastStatus === 'unknown' && openSubjects.has(`${rule.id}:${subject}`));
          conditions.push({
            ruleId: rule.id,
            subject,
            subjectType: 'probe',
            subjectId: p.id,
            subjectName: p.name,
            componentIds: p.componentId ? [p.componentId] : [],
            internal: p.kind === 'sms_canary',
            active,
            summary: `${rule.name}: ${p.name} is ${p.lastStatus}${p.lastDetail ? ` — ${p.lastDetail}` : ''}`,
          });
        }
        break;
    }
  }
  return conditions;
}
