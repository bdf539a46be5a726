import {
  type Db,
  type DeliveryCounts,
  deliveryOutcomes,
  devicesForObservation,
  type SignedParts,
  scopeKeys,
  sumRollupsByRange,
} from '@lifeline/db';
import { decomposeRange, type Interval } from '../domain/buckets.ts';
import { observedPerBucket } from '../domain/observed.ts';
import { ratio } from '../domain/uptime.ts';
import { clip, excludedIntervals } from './exclusions.ts';
import { workspaceObservedMs } from './observed-time.ts';
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

/** Ranges as queried: past `now` cut off, edges widened where finer rollups are past retention. */
function effective(ranges: Range[], now: number): Range[] {
  return ranges.map((r) => ({ from: alignToRetention(r.from, now), to: Math.min(r.to, now) }));
}

/** A range's bucket parts, less the excluded intervals inside it. */
function signedParts(range: Range, excluded: Interval[]): SignedParts[] {
  if (range.to <= range.from) return [];
  return [
    { parts: decomposeRange(range.from, range.to), sign: 1 },
    ...clip(excluded, range.from, range.to).map((i) => ({
      parts: decomposeRange(i.start, i.end),
      sign: -1 as const,
    })),
  ];
}

function toCounts(values: number[] | undefined): DeliveryCounts {
  return Object.fromEntries(deliveryOutcomes.map((o, i) => [o, values?.[i] ?? 0])) as DeliveryCounts;
}

/**
 * Observed time per range, maintenance left out: for a workspace from its observation steps (cost
 * independent of the fleet size), for one device from its enrolment, revocation and pauses.
 */
async function observedByRange(
  db: Db,
  input: { workspaceId: string; deviceId?: string; now: number },
  ranges: Range[],
  excluded: Interval[],
): Promise<number[]> {
  if (!input.deviceId) return workspaceObservedMs(db, input.workspaceId, ranges, excluded, input.now);
  // Maintenance is unobserved time for every device, like a pause.
  const maintenance = excluded.map((i) => ({ pausedAt: i.start, resumedAt: i.end }));
  const devices = (await devicesForObservation(db, input.workspaceId, input.deviceId)).map((d) => ({
    ...d,
    pauses: [...d.pauses, ...maintenance],
  }));
  return ranges.map((r) =>
    r.to <= r.from ? 0 : (observedPerBucket(devices, input.now, [r.from], r.to - r.from)[0] ?? 0),
  );
}

/**
 * Device connectivity uptime (Layer 2) over several ranges at once: online time from the rollups, observed
 * time from enrolment, revocation and pauses, maintenance left out of both; for a workspace,
 * device-time-weighted (summed over its devices). One rollup query and one observed-time query for all
 * ranges.
 */
export async function deviceUptimes(
  db: Db,
  input: { workspaceId: string; deviceId?: string; ranges: Range[]; now: number },
): Promise<DeviceUptime[]> {
  const ranges = effective(input.ranges, input.now);
  const span = spanOf(ranges);
  if (!span) return ranges.map(() => ({ onlineMs: 0, observedMs: 0, uptime: null }));
  const key = input.deviceId ? scopeKeys.device(input.deviceId) : scopeKeys.workspace(input.workspaceId);
  const excluded = (await excludedIntervals(db, input.workspaceId, span.from, span.to)).devices;
  const [rollups, observed] = await Promise.all([
    sumRollupsByRange(
      db,
      'uptime',
      [key],
      ranges.map((r) => signedParts(r, excluded)),
    ),
    observedByRange(db, input, ranges, excluded),
  ]);
  const sums = rollups.get(key);
  return ranges.map((r, i) => {
    if (r.to <= r.from) return { onlineMs: 0, observedMs: 0, uptime: null };
    const observedMs = observed[i] ?? 0;
    // Coverage vouches a little into the future (2.5 intervals); never count more online time than observed.
    const onlineMs = Math.min(sums?.[i]?.[0] ?? 0, observedMs);
    return { onlineMs, observedMs, uptime: ratio(onlineMs, observedMs) };
  });
}

export async function deviceUptime(
  db: Db,
  input: { workspaceId: string; deviceId?: string; range: Range; now: number },
): Promise<DeviceUptime> {
  const [u] = await deviceUptimes(db, { ...input, ranges: [input.range] });
  return u!;
}

/** Outcome counts per scope over several ranges, less those inside maintenance windows; one query. */
export async function deliveryCountsByRange(
  db: Db,
  workspaceId: string,
  keys: string[],
  input: Range[],
  now: number,
): Promise<Map<string, DeliveryCounts[]>> {
  const ranges = effective(input, now);
  const span = spanOf(ranges);
  const out = new Map<string, DeliveryCounts[]>();
  if (!span) {
    for (const k of keys)
      out.set(
        k,
        ranges.map(() => toCounts(undefined)),
      );
    return out;
  }
  const excluded = (await excludedIntervals(db, workspaceId, span.from, span.to)).delivery;
  const sums = await sumRollupsByRange(
    db,
    'delivery',
    keys,
    ranges.map((r) => signedParts(r, excluded)),
  );
  for (const k of keys)
    out.set(
      k,
      ranges.map((_, i) => toCounts(sums.get(k)?.[i])),
    );
  return out;
}

export async function deliveryCounts(
  db: Db,
  workspaceId: string,
  scopeKey: string,
  range: Range,
  now: number,
): Promise<DeliveryCounts> {
  return (await deliveryCountsByRange(db, workspaceId, [scopeKey], [range], now)).get(scopeKey)![0]!;
}

function spanOf(ranges: Range[]): Range | null {
  const live = ranges.filter((r) => r.to > r.from);
  if (live.length === 0) return null;
  return { from: Math.min(...live.map((r) => r.from)), to: Math.max(...live.map((r) => r.to)) };
}

/**
 * Layer 1 per range: the share of self-probe runs (one a minute) that found Lifeline answering, from the
 * platform rollups; null where no self-probe ran. Maintenance is not subtracted: it is the workspace's,
 * while the platform is shared. See `probes/kinds/self.ts`.
 */
export async function platformUptimes(db: Db, ranges: Range[], now: number) {
  const live = effective(ranges, now);
  const sums = (
    await sumRollupsByRange(
      db,
      'platform',
      [scopeKeys.platform],
      live.map((r) => signedParts(r, [])),
    )
  ).get(scopeKeys.platform);
  return live.map((_, i) => {
    const [ok = 0, total = 0] = sums?.[i] ?? [];
    return { okMinutes: ok, probedMinutes: total, uptime: ratio(ok, total) };
  });
}

export type LayerFigures = Awaited<ReturnType<typeof layerFiguresForRanges>>[number];

/** Every layer for each range, the end-to-end rate and the product of the layers beside it. */
export async function layerFiguresForRanges(db: Db, workspaceId: string, ranges: Range[], now: number) {
  const devices = await deviceUptimes(db, { workspaceId, ranges, now });
  const key = scopeKeys.workspace(workspaceId);
  const counts = (await deliveryCountsByRange(db, workspaceId, [key], ranges, now)).get(key)!;
  const platformByRange = await platformUptimes(db, ranges, now);
  return ranges.map((_, i) => {
    const c = counts[i]!;
    const rates = deliveryRates(c);
    // Layer 1 from the self-probes' platform rollups; null where no self-probe ran.
    const platform: number | null = platformByRange[i]!.uptime;
    const layers = [platform, devices[i]!.uptime, rates.deliveryRate].filter((x): x is number => x !== null);
    return {
      platform: { uptime: platform },
      devices: devices[i]!,
      delivery: {
        ...c,
        deliveryRate: rates.deliveryRate,
        submissionRate: rates.submissionRate,
        events: rates.events,
      },
      endToEnd: rates.endToEnd,
      productOfLayers: layers.length > 0 ? layers.reduce((a, b) => a * b, 1) : null,
    };
  });
}

export async function layerFigures(db: Db, workspaceId: string, range: Range, now: number) {
  const [f] = await layerFiguresForRanges(db, workspaceId, [range], now);
  return f!;
}
