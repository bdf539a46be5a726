import { and, asc, eq, gt, inArray, ne, sql } from 'drizzle-orm';
import type { Db } from '../client.ts';
import { type Device, devicePauses, devices, enrollmentCodes, workspaces } from '../schema/index.ts';

export interface NewDeviceInput {
  id: string;
  workspaceId: string;
  name: string;
  tokenHash: string;
  heartbeatIntervalMs: number;
  now: number;
}

/**
 * Inserts the device only if the enrolment code with `codeId` was claimed for it in the same batch.
 * Run after `claimEnrollmentCodeQuery` inside one `db.batch`, so a code buys exactly one device.
 */
export function insertDeviceForClaimedCodeQuery(db: Db, input: NewDeviceInput & { codeId: string }) {
  return db.run(sql`
    INSERT INTO ${devices} (id, workspace_id, name, token_hash, status, weight, enrolled_at, heartbeat_interval_ms, liveness_state)
    SELECT ${input.id}, ${input.workspaceId}, ${input.name}, ${input.tokenHash}, 'active', 1, ${input.now}, ${input.heartbeatIntervalMs}, 'offline'
    WHERE EXISTS (
      SELECT 1 FROM ${enrollmentCodes}
      WHERE ${enrollmentCodes.id} = ${input.codeId} AND ${enrollmentCodes.usedByDeviceId} = ${input.id}
    )`);
}

/**
 * What authenticating a device needs: the device, and the heartbeat interval its workspace asks for now
 * (the one the next heartbeat is told, and judged by).
 */
export async function findDeviceByTokenHash(
  db: Db,
  tokenHash: string,
): Promise<(Device & { workspaceHeartbeatIntervalMs: number }) | undefined> {
  const [row] = await db
    .select({ device: devices, workspaceHeartbeatIntervalMs: workspaces.heartbeatIntervalMs })
    .from(devices)
    .innerJoin(workspaces, eq(workspaces.id, devices.workspaceId))
    .where(eq(devices.tokenHash, tokenHash));
  return row && { ...row.device, workspaceHeartbeatIntervalMs: row.workspaceHeartbeatIntervalMs };
}

export async function findDevice(db: Db, workspaceId: string, id: string): Promise<Device | undefined> {
  const [row] = await db
    .select()
    .from(devices)
    .where(and(eq(devices.workspaceId, workspaceId), eq(devices.id, id)));
  return row;
}

/** Devices of a workspace, oldest first, paginated by id (ids sort by creation time). */
export function listDevices(
  db: Db,
  workspaceId: string,
  opts: { after?: string; limit: number; includeRevoked?: boolean },
): Promise<Device[]> {
  const conditions = [eq(devices.workspaceId, workspaceId)];
  if (opts.after) conditions.push(gt(devices.id, opts.after));
  if (!opts.includeRevoked) conditions.push(ne(devices.status, 'revoked'));
  return db
    .select()
    .from(devices)
    .where(and(...conditions))
    .orderBy(asc(devices.id))
    .limit(opts.limit);
}

export function findDevicesByIds(db: Db, ids: string[]): Promise<Device[]> {
  if (ids.length === 0) return Promise.resolve([]);
  return db.select().from(devices).where(inArray(devices.id, ids));
}

export type DevicePatch = Partial<
  Pick<
    Device,
    | 'name'
    | 'status'
    | 'pausedAt'
    | 'revokedAt'
    | 'weight'
    | 'groupName'
    | 'simRatePerMinute'
    | 'simRatePerDay'
  >
>;

/** Updates a non-revoked device of this workspace, returning the new row (none when there is no such device). */
export function updateDeviceQuery(db: Db, workspaceId: string, id: string, patch: DevicePatch) {
  return db
    .update(devices)
    .set(patch)
    .where(and(eq(devices.workspaceId, workspaceId), eq(devices.id, id), ne(devices.status, 'revoked')))
    .returning();
}

/** Updates a non-revoked device of this workspace; returns the new row, or undefined when there is none. */
export async function updateDevice(
  db: Db,
  workspaceId: string,
  id: string,
  patch: DevicePatch,
): Promise<Device | undefined> {
  const [row] = await updateDeviceQuery(db, workspaceId, id, patch);
  return row;
}

/**
 * Revokes a device of this workspace unless it is revoked already; returns the new row, or undefined. The
 * revocation never predates the device's enrolment or its last pause or resume, so its history stays in
 * order (observed time, and its `observation_steps`, rely on that).
 */
export async function revokeDevice(
  db: Db,
  workspaceId: string,
  id: string,
  now: number,
): Promise<Device | undefined> {
  const [row] = await db
    .update(devices)
    .set({
      status: 'revoked',
      revokedAt: sql`MAX(${now}, ${devices.enrolledAt}, COALESCE((
        SELECT MAX(COALESCE(p.resumed_at, p.paused_at)) FROM ${devicePauses} p WHERE p.device_id = ${devices.id}), 0))`,
    })
    .where(and(eq(devices.workspaceId, workspaceId), eq(devices.id, id), ne(devices.status, 'revoked')))
    .returning();
  return row;
}

/**
 * The heartbeat snapshot columns of a device that the heartbeat writer reads and writes. It also writes
 * `lastHealth` (the latest heartbeat's body), but never needs to read it back.
 */
export type DeviceHeartbeatSnapshot = Pick<
  Device,
  | 'lastHeartbeatAt'
  | 'prevHeartbeatAt'
  | 'coverageEndAt'
  | 'lastRunId'
  | 'lastBootId'
  | 'lastSeq'
  | 'lastGapKind'
  | 'clockSkewMs'
  | 'appVersion'
  | 'heartbeatIntervalMs'
  | 'livenessState'
  | 'livenessChangedAt'
>;

export function recordLivenessQuery(db: Db, id: string, state: string, now: number) {
  return db
    .update(devices)
    .set({ livenessState: state, livenessChangedAt: now })
    .where(and(eq(devices.id, id), ne(devices.livenessState, state)));
}

/** Every active device, for the tick's liveness pass. */
export function listActiveDevices(db: Db): Promise<Device[]> {
  return db.select().from(devices).where(eq(devices.status, 'active'));
}
