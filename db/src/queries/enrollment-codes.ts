import { and, desc, eq, gt, isNull } from 'drizzle-orm';
import type { Db } from '../client.ts';
import { newId } from '../ids.ts';
import { type EnrollmentCode, enrollmentCodes } from '../schema/index.ts';

export function insertEnrollmentCodeQuery(
  db: Db,
  input: { workspaceId: string; codeHash: string; deviceName: string | null; now: number; expiresAt: number },
) {
  const row: EnrollmentCode = {
    id: newId('enr', input.now),
    workspaceId: input.workspaceId,
    codeHash: input.codeHash,
    deviceName: input.deviceName,
    createdAt: input.now,
    expiresAt: input.expiresAt,
    usedAt: null,
    usedByDeviceId: null,
    revokedAt: null,
  };
  return { row, query: db.insert(enrollmentCodes).values(row) };
}

export async function findEnrollmentCodeByHash(
  db: Db,
  codeHash: string,
): Promise<EnrollmentCode | undefined> {
  const [row] = await db.select().from(enrollmentCodes).where(eq(enrollmentCodes.codeHash, codeHash));
  return row;
}

/**
 * Marks a code used, only if it is still unused, unrevoked and unexpired: the guard in the WHERE clause
 * makes two devices racing for one code end with exactly one winner.
 */
export function claimEnrollmentCodeQuery(db: Db, input: { id: string; deviceId: string; now: number }) {
  return db
    .update(enrollmentCodes)
    .set({ usedAt: input.now, usedByDeviceId: input.deviceId })
    .where(
      and(
        eq(enrollmentCodes.id, input.id),
        isNull(enrollmentCodes.usedAt),
        isNull(enrollmentCodes.revokedAt),
        gt(enrollmentCodes.expiresAt, input.now),
      ),
    )
    .returning({ id: enrollmentCodes.id });
}

export function listEnrollmentCodes(db: Db, workspaceId: string): Promise<EnrollmentCode[]> {
  return db
    .select()
    .from(enrollmentCodes)
    .where(eq(enrollmentCodes.workspaceId, workspaceId))
    .orderBy(desc(enrollmentCodes.createdAt))
    .limit(200);
}

export async function revokeEnrollmentCode(
  db: Db,
  workspaceId: string,
  id: string,
  now: number,
): Promise<boolean> {
  const rows = await db
    .update(enrollmentCodes)
    .set({ revokedAt: now })
    .where(
      and(
        eq(enrollmentCodes.workspaceId, workspaceId),
        eq(enrollmentCodes.id, id),
        isNull(enrollmentCodes.usedAt),
        isNull(enrollmentCodes.revokedAt),
      ),
    )
    .returning({ id: enrollmentCodes.id });
  return rows.length > 0;
}
