import { and, asc, eq, gt, isNull, lt, type SQL, sql } from 'drizzle-orm';
import type { Db } from '../client.ts';
import { newId } from '../ids.ts';
import {
  type Component,
  components,
  devicePauses,
  devices,
  maintenances,
  observationSteps,
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

/**
 * Records a pause of a device that is paused (its row says so) and has no open pause: run in the same batch
 * as the update that paused it, so the pause and the device agree whatever else runs concurrently. The
 * pause never starts before the device's enrolment or its previous resume, so a device's history stays in
 * order (observed time, and its `observation_steps`, rely on that).
 */
export function startPauseQuery(db: Db, input: { deviceId: string; workspaceId: string; at: number }) {
  return db.run(sql`
    INSERT INTO ${devicePauses} (device_id, workspace_id, paused_at)
    SELECT d.id, d.workspace_id, MAX(${input.at}, d.enrolled_at, COALESCE(
      (SELECT MAX(p.resumed_at) FROM ${devicePauses} p WHERE p.device_id = d.id), d.enrolled_at))
    FROM ${devices} d
    WHERE d.id = ${input.deviceId} AND d.workspace_id = ${input.workspaceId}
      AND d.status = 'paused' AND d.revoked_at IS NULL
      AND NOT EXISTS (SELECT 1 FROM ${devicePauses} p WHERE p.device_id = d.id AND p.resumed_at IS NULL)`);
}

/**
 * Ends the open pause of a device that is active again (run in the same batch as the update that resumed
 * it); never before the pause began.
 */
export function endPauseQuery(db: Db, input: { deviceId: string; workspaceId: string; at: number }) {
  return db.run(sql`
    UPDATE ${devicePauses} SET resumed_at = MAX(${input.at}, paused_at)
    WHERE device_id = ${input.deviceId} AND workspace_id = ${input.workspaceId} AND resumed_at IS NULL
      AND EXISTS (
        SELECT 1 FROM ${devices} d
        WHERE d.id = ${input.deviceId} AND d.status = 'active' AND d.revoked_at IS NULL
      )`);
}

/** Device-milliseconds a workspace observed before `t` (its steps' running integral at t). */
const observedBefore = (workspaceId: string, t: SQL) => sql`COALESCE((
  SELECT s.observed_ms + s.devices * (${t} - s.at) FROM ${observationSteps} s
  WHERE s.workspace_id = ${workspaceId} AND s.at <= ${t}
  ORDER BY s.at DESC, s.id DESC LIMIT 1), 0)`;

/**
 * Device-time observed in a workspace over each span [from, to): the sum over its devices of the time each
 * was enrolled, not revoked and not paused, exactly. Two index seeks per span, whatever the fleet size, in
 * one statement (the spans travel as one JSON parameter). Spans are taken as given: clip them to `now`.
 */
export async function observedMsBetween(
  db: Db,
  workspaceId: string,
  spans: readonly { from: number; to: number }[],
): Promise<number[]> {
  const out = spans.map(() => 0);
  const live = spans.flatMap((s, i) => (s.to > s.from ? [[i, s.from, s.to]] : []));
  if (live.length === 0) return out;
  const from = sql.raw("json_extract(j.value, '$[1]')");
  const to = sql.raw("json_extract(j.value, '$[2]')");
  const rows = await db.all<{ i: number; ms: number }>(sql`
    SELECT json_extract(j.value, '$[0]') AS i,
      ${observedBefore(workspaceId, to)} - ${observedBefore(workspaceId, from)} AS ms
    FROM json_each(${JSON.stringify(live)}) j`);
  for (const r of rows) out[r.i] = r.ms;
  return out;
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
