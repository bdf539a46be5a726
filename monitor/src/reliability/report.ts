/**
 * A month's reliability as CSV, one row per UTC day and a total, for the business to file or pass on to
 * its own customers: device connectivity uptime (online and observed hours) and the delivery rate
 * (delivered, and messages with a known delivery outcome). The total is computed over the whole month, not
 * averaged from the days. Maintenance is left out, as everywhere.
 */
import type { Db } from '@lifeline/db';
import { layerFigures } from './figures.ts';
import { reliabilitySeries } from './series.ts';

const HOUR = 3_600_000;

/** The UTC month `YYYY-MM` as a range; the current month ends now. */
export function monthRange(month: string, now: number): { from: number; to: number } {
  const [y, m] = month.split('-').map(Number) as [number, number];
  const from = Date.UTC(y, m - 1, 1);
  return { from, to: Math.min(Date.UTC(y, m, 1), now) };
}

/** The last whole UTC month before `now`, as `YYYY-MM`. */
export function previousMonth(now: number): string {
  const d = new Date(now);
  const prev = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() - 1, 1));
  return `${prev.getUTCFullYear()}-${String(prev.getUTCMonth() + 1).padStart(2, '0')}`;
}

const HEADER = [
  'date',
  'device_uptime',
  'device_online_hours',
  'device_observed_hours',
  'delivery_rate',
  'delivered',
  'delivery_outcomes',
];

const num = (v: number | null, digits: number) => (v === null ? '' : Number(v.toFixed(digits)).toString());

export async function reliabilityReportCsv(
  db: Db,
  workspaceId: string,
  range: { from: number; to: number },
  now: number,
): Promise<string> {
  const base = {
    workspaceId,
    scope: 'workspace',
    from: range.from,
    to: range.to,
    bucket: 'day' as const,
    now,
  };
  const [devices, delivery, total] = await Promise.all([
    reliabilitySeries(db, { ...base, layer: 'devices' }),
    reliabilitySeries(db, { ...base, layer: 'delivery' }),
    layerFigures(db, workspaceId, range, now),
  ]);
  const rows = devices.map((d, i) => {
    const del = delivery[i]!;
    return [
      new Date(d.start).toISOString().slice(0, 10),
      num(d.ratio, 6),
      num(d.good / HOUR, 3),
      num(d.total / HOUR, 3),
      num(del.ratio, 6),
      String(del.good),
      String(del.total),
    ];
  });
  rows.push([
    'total',
    num(total.devices.uptime, 6),
    num(total.devices.onlineMs / HOUR, 3),
    num(total.devices.observedMs / HOUR, 3),
    num(total.delivery.deliveryRate, 6),
    String(total.delivery.delivered),
    String(total.delivery.events),
  ]);
  return `${[HEADER, ...rows].map((r) => r.join(',')).join('\r\n')}\r\n`;
}
