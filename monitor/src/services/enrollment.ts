import { type Db, insertEnrollmentCodeQuery } from '@lifeline/db';
import { generateEnrollmentCode, normalizeEnrollmentCode, sha256Hex } from '../secrets.ts';

export async function createEnrollmentCode(
  db: Db,
  input: { workspaceId: string; deviceName: string | null; now: number; ttlMs: number },
) {
  const code = generateEnrollmentCode();
  const { row, query } = insertEnrollmentCodeQuery(db, {
    workspaceId: input.workspaceId,
    codeHash: sha256Hex(normalizeEnrollmentCode(code)),
    deviceName: input.deviceName,
    now: input.now,
    expiresAt: input.now + input.ttlMs,
  });
  await query;
  return { id: row.id, code, deviceName: row.deviceName, expiresAt: row.expiresAt };
}
