import {
  type Db,
  type DeliveryCounts,
  devicesForObservation,
  emptyDeliveryCounts,
  scopeKeys,
  sumDelivery,
  sumUptime,
} from '@lifeline/db';
import { decomposeRange } from '../domain/buckets.ts';
import { observedPerBucket } from '../domain/observed.ts';
import { ratio } from '../domain/uptime.ts';
import { excludedIntervals } from './exclusions.ts';
import { alignToRetention } from './retention.ts';

export interface Range {
  from: number;
  to: number;
}

/** Layer 3 and end-to-end rates from outcome counts (blueprint section 3). */
export function deliveryRates(c: DeliveryCounts) {
  const terminal = c.delivered + c.failed + c.undelivered + c.deliveryUnknown + c.expired;
  const known = c.delivered + c.failed + c.undelivered + c.expired;
  return {
    /** delivered / (delivered + failed + undelivered + delivery_unknown + expired). */
    deliveryRate: ratio(c.delivered, terminal),
    /** Share of messages that left the phone, including those sent through drivers that cannot report delivery. */
    submissionRate: ratio(
      c.delivered + c.undelivered + c.deliveryUnknown + c.sentUnconfirmed,
      terminal + c.sentUnconfirmed,
    ),
    /** delivered / all accepted messages with a known outcome. */
    endToEnd: ratio(c.delivered, known),
    events: terminal,
  };
}

export interface DeviceUptime {
  onlineMs: number;
  observedMs: number;
  uptime: number | null;
}

/**
 * Device connectivity uptime (Layer 2) over a range: online time from the rollups, observed time from
 * enrolment, revocation and pauses; for a workspace, device-time-weighted (summed over its devices).
 */
export async function deviceUptime(
  db: Db,
  input: { workspaceId: string; deviceId?: string; range: Range; now: number },
): Promise<DeviceUptime> {
  const { now } = input;
  const range = { from: alignToRetention(input.range.from, now), to: input.range.to };
  const to = Math.min(range.to, now);
  if (to <= range.from) return { onlineMs: 0, observedMs: 0, uptime: null };
  const key = input.deviceId ? scopeKeys.device(input.deviceId) : scopeKeys.workspace(input.workspaceId);
  const excluded = await excludedIntervals(db, input.workspaceId, 'devices', range.from, to);
  let online = (await sumUptime(db, [key], decomposeRange(range.from, to))).get(key)?.onlineMs ?? 0;
  for (const part of excluded) {
    online -= (await sumUptime(db, [key], decomposeRange(part.start, part.end))).get(key)?.onlineMs ?? 0;
  }
  // Maintenance is unobserved time for every device, like a pause.
  const maintenance = excluded.map((i) => ({ pausedAt: i.start, resumedAt: i.end }));
  const devices = (await devicesForObservation(db, input.workspaceId, input.deviceId)).map((d) => ({
    ...d,
    pauses: [...d.pauses, ...maintenance],
  }));
  const [observedMs = 0] = observedPerBucket(devices, now, [range.from], to - range.from);
  // Coverage vouches a little into the future (2.5 intervals); never count more online time than observed.
  const onlineMs = Math.min(online, observedMs);
  return { onlineMs, observedMs, uptime: ratio(onlineMs, observedMs) };
}

/** Outcome counts of a scope over a range, less those inside maintenance windows. */
export async function deliveryCounts(
  db: Db,
  workspaceId: string,
  scopeKey: string,
  range: Range,
  now: number,
): Promise<DeliveryCounts> {
  range = { from: alignToRetention(range.from, now), to: range.to };
  const to = Math.min(range.to, now);
  if (to <= range.from) return emptyDeliveryCounts();
  const counts =
    (await sumDelivery(db, [scopeKey], decomposeRange(range.from, to))).get(scopeKey) ??
    emptyDeliveryCounts();
  for (const part of await excludedIntervals(db, workspaceId, 'delivery', range.from, to)) {
    const inside = (await sumDelivery(db, [scopeKey], decomposeRange(part.start, part.end))).get(scopeKey);
    if (!inside) continue;
    for (const k of Object.keys(counts) as (keyof DeliveryCounts)[]) counts[k] -= inside[k];
  }
  return counts;
}

/** Every layer for one range, the end-to-end rate and the product of the layers beside it. */
export async function layerFigures(db: Db, workspaceId: string, range: Range, now: number) {
  const devices = await deviceUptime(db, { workspaceId, range, now });
  const counts = await deliveryCounts(db, workspaceId, scopeKeys.workspace(workspaceId), range, now);
  const rates = deliveryRates(counts);
  // Layer 1 comes from self-probes, which land with the probes stage; until then it has no data.
  const platform: number | null = null;
  const layers = [platform, devices.uptime, rates.deliveryRate].filter((x): x is number => x !== null);
  return {
    platform: { uptime: platform },
    devices,
    delivery: {
      ...counts,
      deliveryRate: rates.deliveryRate,
      submissionRate: rates.submissionRate,
      events: rates.events,
    },
    endToEnd: rates.endToEnd,
    productOfLayers: layers.length > 0 ? layers.reduce((a, b) => a * b, 1) : null,
  };
}
