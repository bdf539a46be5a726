import { and, asc, desc, eq, gte, inArray, isNull, lt, or, type SQL } from 'drizzle-orm';
import type { Db } from '../client.ts';
import { newId } from '../ids.ts';
import {
  type Incident,
  type IncidentImpact,
  type IncidentStatus,
  type IncidentUpdate,
  incidents,
  incidentUpdates,
} from '../schema/index.ts';
import { announceQueries } from './status-subscribers.ts';

export type IncidentWithUpdates = Incident & { updates: IncidentUpdate[] };

async function withUpdates(db: Db, rows: Incident[]): Promise<IncidentWithUpdates[]> {
  if (rows.length === 0) return [];
  const updates = await db
    .select()
    .from(incidentUpdates)
    .where(
      inArray(
        incidentUpdates.incidentId,
        rows.map((r) => r.id),
      ),
    )
    .orderBy(desc(incidentUpdates.createdAt), desc(incidentUpdates.id));
  const by = new Map<string, IncidentUpdate[]>();
  for (const u of updates) {
    const list = by.get(u.incidentId) ?? [];
    list.push(u);
    by.set(u.incidentId, list);
  }
  return rows.map((r) => ({ ...r, updates: by.get(r.id) ?? [] }));
}

/** Opens an incident with its first update. */
export async function createIncident(
  db: Db,
  input: {
    workspaceId: string;
    name: string;
    status: IncidentStatus;
    impact: IncidentImpact;
    componentIds: string[];
    body: string;
    /** Tell the status page's subscribers (default true). */
    notify?: boolean;
    now: number;
  },
): Promise<IncidentWithUpdates> {
  const resolved = input.status === 'resolved' || input.status === 'postmortem';
  const row: Incident = {
    id: newId('inc', input.now),
    workspaceId: input.workspaceId,
    name: input.name,
    status: input.status,
    impact: input.impact,
    componentIds: input.componentIds,
    startedAt: input.now,
    createdAt: input.now,
    updatedAt: input.now,
    monitoringAt: input.status === 'monitoring' ? input.now : null,
    resolvedAt: resolved ? input.now : null,
  };
  const update: IncidentUpdate = {
    id: newId('inu', input.now),
    incidentId: row.id,
    workspaceId: input.workspaceId,
    status: input.status,
    body: input.body,
    createdAt: input.now,
  };
  await db.batch([
    db.insert(incidents).values(row),
    db.insert(incidentUpdates).values(update),
    ...(input.notify === false
      ? []
      : announceQueries(db, {
          workspaceId: input.workspaceId,
          kind: 'incident_update',
          incidentId: row.id,
          incidentUpdateId: update.id,
          now: input.now,
        })),
  ]);
  return { ...row, updates: [update] };
}

/** Posts an update: moves the incident to `status` (and optionally a new impact). */
export async function addIncidentUpdate(
  db: Db,
  input: {
    workspaceId: string;
    incidentId: string;
    status: IncidentStatus;
    body: string;
    impact?: IncidentImpact;
    /** Tell the status page's subscribers (default true). */
    notify?: boolean;
    now: number;
  },
): Promise<IncidentWithUpdates | undefined> {
  const current = await findIncident(db, input.workspaceId, input.incidentId);
  if (!current) return undefined;
  const resolved = input.status === 'resolved' || input.status === 'postmortem';
  const patch: Partial<Incident> = { status: input.status, updatedAt: input.now };
  if (input.impact) patch.impact = input.impact;
  if (input.status === 'monitoring' && current.monitoringAt === null) patch.monitoringAt = input.now;
  patch.resolvedAt = resolved ? (current.resolvedAt ?? input.now) : null;
  const updateId = newId('inu', input.now);
  await db.batch([
    db
      .update(incidents)
      .set(patch)
      .where(and(eq(incidents.workspaceId, input.workspaceId), eq(incidents.id, input.incidentId))),
    db.insert(incidentUpdates).values({
      id: updateId,
      incidentId: input.incidentId,
      workspaceId: input.workspaceId,
      status: input.status,
      body: input.body,
      createdAt: input.now,
    }),
    ...(input.notify === false
      ? []
      : announceQueries(db, {
          workspaceId: input.workspaceId,
          kind: 'incident_update',
          incidentId: input.incidentId,
          incidentUpdateId: updateId,
          now: input.now,
        })),
  ]);
  return findIncident(db, input.workspaceId, input.incidentId);
}

export async function findIncident(
  db: Db,
  workspaceId: string,
  id: string,
): Promise<IncidentWithUpdates | undefined> {
  const [row] = await db
    .select()
    .from(incidents)
    .where(and(eq(incidents.workspaceId, workspaceId), eq(incidents.id, id)));
  return row ? (await withUpdates(db, [row]))[0] : undefined;
}

/** Incidents not yet resolved, oldest first. */
export async function unresolvedIncidents(db: Db, workspaceId: string): Promise<IncidentWithUpdates[]> {
  const rows = await db
    .select()
    .from(incidents)
    .where(and(eq(incidents.workspaceId, workspaceId), isNull(incidents.resolvedAt)))
    .orderBy(asc(incidents.startedAt));
  return withUpdates(db, rows);
}

/**
 * Incidents newest first, paginated by (startedAt, id) of the last one of the previous page; with `since`,
 * only those still open at or after that time (for the 90-day bars).
 */
export async function listIncidents(
  db: Db,
  workspaceId: string,
  opts: { limit: number; before?: { startedAt: number; id: string }; since?: number },
): Promise<IncidentWithUpdates[]> {
  const where: (SQL | undefined)[] = [eq(incidents.workspaceId, workspaceId)];
  if (opts.before) {
    where.push(
      or(
        lt(incidents.startedAt, opts.before.startedAt),
        and(eq(incidents.startedAt, opts.before.startedAt), lt(incidents.id, opts.before.id)),
      ),
    );
  }
  if (opts.since !== undefined) {
    where.push(or(isNull(incidents.resolvedAt), gte(incidents.resolvedAt, opts.since)));
  }
  const rows = await db
    .select()
    .from(incidents)
    .where(and(...where))
    .orderBy(desc(incidents.startedAt), desc(incidents.id))
    .limit(opts.limit);
  return withUpdates(db, rows);
}
