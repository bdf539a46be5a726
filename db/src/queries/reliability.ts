import { and, asc, eq, gt, isNull, lt, sql } from 'drizzle-orm';
import type { Db } from '../client.ts';
import { newId } from '../ids.ts';
import {
  type Component,
  components,
  devicePauses,
  devices,
  maintenances,
  type Slo,
  slos,
} from '../schema/index.ts';

/** Devices with what decides their observed time: enrolment, revocation and pauses. */
export async function devicesForObservation(db: Db, workspaceId: string, deviceId?: string) {
  const where = deviceId
    ? and(eq(devices.workspaceId, workspaceId), eq(devices.id, deviceId))
    : eq(devices.workspaceId, workspaceId);
  const rows = await db
    .select({ id: devices.id, enrolledAt: devices.enrolledAt, revokedAt: devices.revokedAt })
    .from(devices)
    .where(where);
  const pauseWhere = deviceId
    ? and(eq(devicePauses.workspaceId, workspaceId), eq(devicePauses.deviceId, deviceId))
    : eq(devicePauses.workspaceId, workspaceId);
  const pauses = await db.select().from(devicePauses).where(pauseWhere);
  const byDevice = new Map<string, { pausedAt: number; resumedAt: number | null }[]>();
  for (const p of pauses) {
    const list = byDevice.get(p.deviceId) ?? [];
    list.push({ pausedAt: p.pausedAt, resumedAt: p.resumedAt });
    byDevice.set(p.deviceId, list);
  }
  return rows.map((r) => ({ ...r, pauses: byDevice.get(r.id) ?? [] }));
}

export function startPauseQuery(db: Db, input: { deviceId: string; workspaceId: string; at: number }) {
  return db
    .insert(devicePauses)
    .values({ deviceId: input.deviceId, workspaceId: input.workspaceId, pausedAt: input.at });
}

export function endPauseQuery(db: Db, input: { deviceId: string; at: number }) {
  return db
    .update(devicePauses)
    .set({ resumedAt: input.at })
    .where(and(eq(devicePauses.deviceId, input.deviceId), isNull(devicePauses.resumedAt)));
}

export function listSlos(db: Db, workspaceId: string): Promise<Slo[]> {
  return db.select().from(slos).where(eq(slos.workspaceId, workspaceId)).orderBy(asc(slos.createdAt));
}

export async function findSlo(db: Db, workspaceId: string, id: string): Promise<Slo | undefined> {
  const [row] = await db
    .select()
    .from(slos)
    .where(and(eq(slos.workspaceId, workspaceId), eq(slos.id, id)));
  return row;
}

export async function insertSlo(db: Db, input: Omit<Slo, 'id' | 'createdAt' | 'updatedAt'>, now: number) {
  const row: Slo = { ...input, id: newId('slo', now), createdAt: now, updatedAt: now };
  await db.insert(slos).values(row);
  return row;
}

export async function updateSlo(db: Db, workspaceId: string, id: string, patch: Partial<Slo>, now: number) {
  const [row] = await db
    .update(slos)
    .set({ ...patch, updatedAt: now })
    .where(and(eq(slos.workspaceId, workspaceId), eq(slos.id, id)))
    .returning();
  return row;
}

export async function deleteSlo(db: Db, workspaceId: string, id: string) {
  const rows = await db
    .delete(slos)
    .where(and(eq(slos.workspaceId, workspaceId), eq(slos.id, id)))
    .returning({ id: slos.id });
  return rows.length > 0;
}

export function listComponents(db: Db, workspaceId: string): Promise<Component[]> {
  return db
    .select()
    .from(components)
    .where(eq(components.workspaceId, workspaceId))
    .orderBy(asc(components.position), asc(components.createdAt));
}

export async function insertComponent(db: Db, input: Omit<Component, 'id' | 'createdAt'>, now: number) {
  const row: Component = { ...input, id: newId('cmp', now), createdAt: now };
  await db.insert(components).values(row);
  return row;
}

export async function updateComponent(db: Db, workspaceId: string, id: string, patch: Partial<Component>) {
  const [row] = await db
    .update(components)
    .set(patch)
    .where(and(eq(components.workspaceId, workspaceId), eq(components.id, id)))
    .returning();
  return row;
}

/** Distinct carriers a workspace has sent through (from its rollups). */
export async function carriersOf(db: Db, workspaceId: string): Promise<string[]> {
  const prefix = `carrier:${workspaceId}:`;
  const rows = await db.all<{ k: string }>(
    sql`SELECT DISTINCT scope_key AS k FROM delivery_rollups WHERE granularity = 'day' AND scope_key >= ${prefix} AND scope_key < ${`${prefix}\uffff`}`,
  );
  return rows.map((r) => r.k.slice(prefix.length));
}

/** Maintenance windows of a workspace overlapping [from, to), not cancelled. */
export function maintenancesOverlapping(db: Db, workspaceId: string, from: number, to: number) {
  return db
    .select()
    .from(maintenances)
    .where(
      and(
        eq(maintenances.workspaceId, workspaceId),
        isNull(maintenances.cancelledAt),
        lt(maintenances.startsAt, to),
        gt(maintenances.endsAt, from),
      ),
    );
}

/** Creates a component for a signal unless the workspace has one already (unique per source). */
export function ensureComponentQuery(
  db: Db,
  input: {
    workspaceId: string;
    name: string;
    layer: Component['layer'];
    source: string;
    position: number;
    now: number;
  },
) {
  return db
    .insert(components)
    .values({
      id: newId('cmp', input.now),
      workspaceId: input.workspaceId,
      name: input.name,
      layer: input.layer,
      source: input.source,
      position: input.position,
      createdAt: input.now,
    })
    .onConflictDoNothing();
}

/** The components every workspace starts with: Lifeline itself and its phones. */
export function defaultComponentsQueries(db: Db, workspaceId: string, now: number) {
  return [
    ensureComponentQuery(db, {
      workspaceId,
      name: 'Platform',
      layer: 'platform',
      source: 'platform',
      position: 0,
      now,
    }),
    ensureComponentQuery(db, {
      workspaceId,
      name: 'Device connectivity',
      layer: 'devices',
      source: 'devices',
      position: 10,
      now,
    }),
  ];
}

export async function deleteComponent(db: Db, workspaceId: string, id: string) {
  const rows = await db
    .delete(components)
    .where(and(eq(components.workspaceId, workspaceId), eq(components.id, id)))
    .returning({ id: components.id });
  return rows.length > 0;
}

/** Maintenance windows in progress at `now`. */
export function activeMaintenances(db: Db, workspaceId: string, now: number) {
  return maintenancesOverlapping(db, workspaceId, now, now + 1);
}
