import { type Db, deliverySeries, devicesForObservation, scopeKeys, uptimeSeries } from '@lifeline/db';
import type { Granularity } from '@lifeline/db/schema';
import { bucketStartOf, GRANULARITY_MS } from '../domain/buckets.ts';
import { observedPerBucket } from '../domain/observed.ts';
import { ratio } from '../domain/uptime.ts';
import { excludedIntervals } from './exclusions.ts';
import { deliveryCountsByRange, deliveryRates, deviceUptimes } from './figures.ts';
import { workspaceObservedMs } from './observed-time.ts';

export const MAX_POINTS = 2_000;

export interface SeriesRequest {
  workspaceId: string;
  layer: 'devices' | 'delivery';
  /** `workspace`, `device:<id>` or `carrier:<name>`. */
  scope: string;
  from: number;
  to: number;
  bucket: Granularity;
  now: number;
}

/**
 * A bucketed series for charts and 90-day bars: good/total per bucket, and the ratio. Maintenance windows
 * are left out of every bucket as they are out of the summary (the same figure for the same day); without
 * any in the span, each bucket is read straight from its rollup.
 */
export async function reliabilitySeries(db: Db, req: SeriesRequest) {
  const size = GRANULARITY_MS[req.bucket];
  const starts: number[] = [];
  for (let t = bucketStartOf(req.from, req.bucket); t < req.to; t += size) starts.push(t);
  const first = starts[0] ?? req.from;
  const end = first + starts.length * size;
  const deviceId = req.scope.startsWith('device:') ? req.scope.slice('device:'.length) : undefined;
  const excluded = await excludedIntervals(db, req.workspaceId, first, end);
  if (excluded[req.layer].length > 0) return seriesLessMaintenance(db, req, starts, size, deviceId);

  if (req.layer === 'devices') {
    const key = deviceId ? scopeKeys.device(deviceId) : scopeKeys.workspace(req.workspaceId);
    const online = new Map(
      (await uptimeSeries(db, key, req.bucket, first, end)).map((r) => [r.bucketStart, r.onlineMs]),
    );
    const observed = deviceId
      ? observedPerBucket(await devicesForObservation(db, req.workspaceId, deviceId), req.now, starts, size)
      : await workspaceObservedMs(
          db,
          req.workspaceId,
          starts.map((start) => ({ from: start, to: start + size })),
          [],
          req.now,
        );
    return starts.map((start, i) => {
      const total = observed[i]!;
      const good = Math.min(online.get(start) ?? 0, total);
      return { start, good, total, ratio: ratio(good, total) };
    });
  }

  const key = deviceId
    ? scopeKeys.device(deviceId)
    : req.scope.startsWith('carrier:')
      ? scopeKeys.carrier(req.workspaceId, req.scope.slice('carrier:'.length))
      : scopeKeys.workspace(req.workspaceId);
  const rows = new Map(
    (await deliverySeries(db, key, req.bucket, first, end)).map((r) => [r.bucketStart, r]),
  );
  return starts.map((start) => {
    const r = rows.get(start);
    if (!r) return { start, good: 0, total: 0, ratio: null };
    const rates = deliveryRates(r);
    return { start, good: r.delivered, total: rates.events, ratio: rates.deliveryRate };
  });
}

/** The series when maintenance falls in its span: each bucket as a range, with the exclusions applied. */
async function seriesLessMaintenance(
  db: Db,
  req: SeriesRequest,
  starts: number[],
  size: number,
  deviceId: string | undefined,
) {
  const ranges = starts.map((start) => ({ from: start, to: start + size }));
  if (req.layer === 'devices') {
    const uptimes = await deviceUptimes(db, { workspaceId: req.workspaceId, deviceId, ranges, now: req.now });
    return starts.map((start, i) => {
      const u = uptimes[i]!;
      return { start, good: u.onlineMs, total: u.observedMs, ratio: u.uptime };
    });
  }
  const key = deviceId
    ? scopeKeys.device(deviceId)
    : req.scope.startsWith('carrier:')
      ? scopeKeys.carrier(req.workspaceId, req.scope.slice('carrier:'.length))
      : scopeKeys.workspace(req.workspaceId);
  const counts = (await deliveryCountsByRange(db, req.workspaceId, [key], ranges, req.now)).get(key)!;
  return starts.map((start, i) => {
    const rates = deliveryRates(counts[i]!);
    return { start, good: counts[i]!.delivered, total: rates.events, ratio: rates.deliveryRate };
  });
}
