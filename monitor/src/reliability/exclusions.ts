import { type Db, listComponents, maintenancesOverlapping } from '@lifeline/db';
import { GRANULARITY_MS, type Interval } from '../domain/buckets.ts';

export type ExcludedLayer = 'devices' | 'delivery';

/**
 * Maintenance windows to leave out of a layer's figures over [from, to): those of the whole workspace and
 * those naming a component of that layer. Merged, clipped to the range and widened to whole minutes (the
 * finest rollup), so the same time is removed from the numerator and the denominator.
 */
export async function excludedIntervals(
  db: Db,
  workspaceId: string,
  layer: ExcludedLayer,
  from: number,
  to: number,
): Promise<Interval[]> {
  const windows = await maintenancesOverlapping(db, workspaceId, from, to);
  if (windows.length === 0) return [];
  const layers = new Map((await listComponents(db, workspaceId)).map((c) => [c.id, c.layer]));
  const wanted = layer === 'devices' ? ['devices'] : ['devices', 'carrier'];
  const relevant = windows.filter(
    (m) => !m.componentIds || m.componentIds.some((id) => wanted.includes(layers.get(id) ?? '')),
  );
  return mergeIntervals(
    relevant.map((m) => ({
      start: Math.max(from, Math.floor(m.startsAt / GRANULARITY_MS.minute) * GRANULARITY_MS.minute),
      end: Math.min(to, Math.ceil(m.endsAt / GRANULARITY_MS.minute) * GRANULARITY_MS.minute),
    })),
  );
}

export function mergeIntervals(intervals: Interval[]): Interval[] {
  const sorted = intervals.filter((i) => i.end > i.start).sort((a, b) => a.start - b.start);
  const out: Interval[] = [];
  for (const i of sorted) {
    const last = out[out.length - 1];
    if (last && i.start <= last.end) last.end = Math.max(last.end, i.end);
    else out.push({ ...i });
  }
  return out;
}
