import { type Db, observedMsBetween } from '@lifeline/db';
import type { Interval } from '../domain/buckets.ts';
import { clip } from './exclusions.ts';

/**
 * Device-time a workspace observed over each range (the uptime denominator, device-time-weighted): the
 * number of its observed devices, integrated over the range up to `now`, less the same integral over the
 * `excluded` intervals inside it (maintenance is unobserved time for every device). Exactly what
 * `observedPerBucket` gives for the workspace's devices with the exclusions as pauses, at a cost that does
 * not grow with the fleet: two index seeks per range and per excluded interval, in one query.
 *
 * `excluded` must not overlap itself (`excludedIntervals` merges it).
 */
export async function workspaceObservedMs(
  db: Db,
  workspaceId: string,
  ranges: readonly { from: number; to: number }[],
  excluded: readonly Interval[],
  now: number,
): Promise<number[]> {
  const spans: { from: number; to: number }[] = [];
  const owner: { range: number; sign: 1 | -1 }[] = [];
  ranges.forEach((r, range) => {
    const to = Math.min(r.to, now);
    if (to <= r.from) return;
    spans.push({ from: r.from, to });
    owner.push({ range, sign: 1 });
    for (const e of clip([...excluded], r.from, to)) {
      spans.push({ from: e.start, to: e.end });
      owner.push({ range, sign: -1 });
    }
  });
  const out = ranges.map(() => 0);
  if (spans.length === 0) return out;
  const ms = await observedMsBetween(db, workspaceId, spans);
  ms.forEach((v, i) => {
    const o = owner[i]!;
    out[o.range]! += o.sign * v;
  });
  return out;
}
