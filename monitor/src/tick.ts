import { listActiveDevices, recordLivenessQuery } from '@lifeline/db';
import type { Deps } from './deps.ts';
import { livenessAt } from './domain/liveness.ts';

export interface TickReport {
  livenessChanges: { deviceId: string; from: string; to: string }[];
}

/**
 * The periodic work, the same on Node (cron, every few seconds) and Workers (Cron Triggers, every minute):
 * records device liveness transitions. Later stages add probes, deadlines, SLOs, alerts and rollups.
 */
export async function tick(deps: Pick<Deps, 'db'>, now: number): Promise<TickReport> {
  const { db } = deps;
  const changes: TickReport['livenessChanges'] = [];
  const queries = [];
  for (const device of await listActiveDevices(db)) {
    const state = livenessAt(device, now);
    if (state === device.livenessState) continue;
    changes.push({ deviceId: device.id, from: device.livenessState, to: state });
    queries.push(recordLivenessQuery(db, device.id, state, now));
  }
  const [first, ...rest] = queries;
  if (first) await db.batch([first, ...rest]);
  return { livenessChanges: changes };
}
