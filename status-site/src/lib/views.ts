/** Database rows as the read model's views (what the shared components render). */
import type { IncidentWithUpdates } from '@lifeline/db';
import type { IncidentView } from '../read-model.ts';

export function incidentView(i: IncidentWithUpdates): IncidentView {
  return {
    id: i.id,
    name: i.name,
    status: i.status,
    impact: i.impact,
    componentIds: i.componentIds,
    startedAt: i.startedAt,
    createdAt: i.createdAt,
    updatedAt: i.updatedAt,
    monitoringAt: i.monitoringAt,
    resolvedAt: i.resolvedAt,
    updates: i.updates.map((u) => ({ id: u.id, status: u.status, body: u.body, createdAt: u.createdAt })),
  };
}
