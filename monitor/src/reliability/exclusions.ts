import { type Db, listComponents, maintenancesOverlapping } from '@lifeline/db';
import { GRANULARITY_MS, type Interval } from '../domain/buckets.ts';

export type ExcludedLayer = 'devices' | 'delivery';

/**
 * Maintenance windows to leave out of each layer's figures over [from, to): those of the whole workspace
 * and those naming a component of that layer. Merged, and widened to whole minutes (the finest rollup),
 * so the same time is removed from the numerator and the denominator. One query (two with component-scoped
 * windows) for any number of ranges inside [from, to).
 */
export async function excludedIntervals(
  db: Db,
  workspaceId: string,
  from: number,
  to: number,
): Promise<Record<ExcludedLayer, Interval[]>> {
  const windows = await maintenancesOverlapping(db, workspaceId, from, to);
  if (windows.length === 0) return { devices: [], delivery: [] };
  const scoped = windows.some((m) => m.componentIds);
  const layers = scoped
    ? new Map((await listComponents(db, workspaceId)).map((c) => [c.id, c.layer]))
    : new Map();
  const forLayer = (wanted: string[]) =>
    mergeIntervals(
      windows
        .filter((m) => !m.componentIds || m.componentIds.some((id) => wanted.includes(layers.get(id) ?? '')))
        .map((m) => ({
          start: Math.floor(m.startsAt / GRANULARITY_MS.minute) * GRANULARITY_MS.minute,
          end: Math.ceil(m.endsAt / GRANULARITY_MS.minute) * GRANULARITY_MS.minute,
        })),
    );
  return { devices: forLayer(['devices']), delivery: forLayer(['devices', 'carrier']) };
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

/** The parts of intervals inside [from, to). */
export function clip(intervals: Interval[], from: number, to: number): Interval[] {
  return intervals
    .map((i) => ({ start: Math.max(i.start, from), end: Math.min(i.end, to) }))
    .filter((i) => i.end > i.start);
}
