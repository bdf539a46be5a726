import { and, eq, gt, inArray, isNull, lt, ne, sql } from 'drizzle-orm';
import type { Db } from '../client.ts';
import { newId } from '../ids.ts';
import {
  type AdminSession,
  type AdminUser,
  adminLoginFailures,
  adminSessions,
  adminUsers,
} from '../schema/index.ts';

export function insertAdminUserQuery(
  db: Db,
  input: { workspaceId: string; email: string; passwordHash: string; now: number },
) {
  const row: AdminUser = {
    id: newId('usr', input.now),
    workspaceId: input.workspaceId,
    email: input.email.trim().toLowerCase(),
    passwordHash: input.passwordHash,
    createdAt: input.now,
    lastLoginAt: null,
    disabledAt: null,
    totpSecretCiphertext: null,
    totpEnabledAt: null,
    totpLastStep: null,
    recoveryCodeHashes: null,
  };
  return { row, query: db.insert(adminUsers).values(row) };
}

export async function findAdminUserByEmail(db: Db, email: string): Promise<AdminUser | undefined> {
  const [row] = await db
    .select()
    .from(adminUsers)
    .where(and(eq(adminUsers.email, email.trim().toLowerCase()), isNull(adminUsers.disabledAt)));
  return row;
}

export function countAdminUsers(db: Db, workspaceId?: string) {
  return db.$count(adminUsers, workspaceId ? eq(adminUsers.workspaceId, workspaceId) : undefined);
}

export async function insertAdminSession(
  db: Db,
  input: {
    userId: string;
    workspaceId: string;
    tokenHash: string;
    csrfToken: string;
    now: number;
    ttlMs: number;
    /** The second factor is still owed (see `mfaPending`). */
    mfaPending?: boolean;
  },
) {
  const row: AdminSession = {
    id: newId('ses', input.now),
    userId: input.userId,
    workspaceId: input.workspaceId,
    tokenHash: input.tokenHash,
    csrfToken: input.csrfToken,
    createdAt: input.now,
    expiresAt: input.now + input.ttlMs,
    revokedAt: null,
    mfaPending: input.mfaPending ?? false,
  };
  await db.batch([
    db.insert(adminSessions).values(row),
    db.update(adminUsers).set({ lastLoginAt: input.now }).where(eq(adminUsers.id, input.userId)),
  ]);
  return row;
}

/** The live session for a token hash, with its user; none when expired, revoked or the user is disabled. */
export async function findAdminSession(db: Db, tokenHash: string, now: number) {
  const [row] = await db
    .select({ session: adminSessions, user: adminUsers })
    .from(adminSessions)
    .innerJoin(adminUsers, eq(adminUsers.id, adminSessions.userId))
    .where(
      and(
        eq(adminSessions.tokenHash, tokenHash),
        isNull(adminSessions.revokedAt),
        gt(adminSessions.expiresAt, now),
        isNull(adminUsers.disabledAt),
      ),
    );
  return row;
}

export function revokeAdminSession(db: Db, id: string, now: number) {
  return db.update(adminSessions).set({ revokedAt: now }).where(eq(adminSessions.id, id));
}

/** Failed sign-ins per key since a time (rate limiting). */
export async function countLoginFailures(db: Db, keys: string[], since: number) {
  const out = new Map<string, number>();
  if (keys.length === 0) return out;
  const rows = await db
    .select({ key: adminLoginFailures.key, n: sql<number>`count(*)` })
    .from(adminLoginFailures)
    .where(and(inArray(adminLoginFailures.key, keys), gt(adminLoginFailures.at, since)))
    .groupBy(adminLoginFailures.key);
  for (const r of rows) out.set(r.key, Number(r.n));
  return out;
}

export async function recordLoginFailure(db: Db, keys: string[], now: number, pruneBefore: number) {
  if (keys.length === 0) return;
  await db.batch([
    db.insert(adminLoginFailures).values(keys.map((key) => ({ key, at: now }))),
    db.delete(adminLoginFailures).where(lt(adminLoginFailures.at, pruneBefore)),
  ]);
}

/** A successful sign-in clears the failures counted against that email. */
export function clearLoginFailures(db: Db, keys: string[]) {
  if (keys.length === 0) return Promise.resolve();
  return db.delete(adminLoginFailures).where(inArray(adminLoginFailures.key, keys));
}

/** A workspace's admins, oldest first. */
export function listAdminUsers(db: Db, workspaceId: string): Promise<AdminUser[]> {
  return db
    .select()
    .from(adminUsers)
    .where(eq(adminUsers.workspaceId, workspaceId))
    .orderBy(adminUsers.createdAt);
}

/** Disables (`at`) or re-enables (null) one of a workspace's admins; a disabled admin's sessions stop working. */
export async function setAdminUserDisabled(
  db: Db,
  workspaceId: string,
  userId: string,
  at: number | null,
): Promise<boolean> {
  const rows = await db
    .update(adminUsers)
    .set({ disabledAt: at })
    .where(and(eq(adminUsers.workspaceId, workspaceId), eq(adminUsers.id, userId)))
    .returning({ id: adminUsers.id });
  return rows.length > 0;
}

/** Sets an admin's password hash and ends every other session of theirs (the one in use stays). */
export async function changeAdminPassword(
  db: Db,
  input: { userId: string; passwordHash: string; keepSessionId: string; now: number },
): Promise<void> {
  await db.batch([
    db.update(adminUsers).set({ passwordHash: input.passwordHash }).where(eq(adminUsers.id, input.userId)),
    db
      .update(adminSessions)
      .set({ revokedAt: input.now })
      .where(
        and(
          eq(adminSessions.userId, input.userId),
          isNull(adminSessions.revokedAt),
          ne(adminSessions.id, input.keepSessionId),
        ),
      ),
  ]);
}

export async function findAdminUser(db: Db, id: string): Promise<AdminUser | undefined> {
  const [row] = await db.select().from(adminUsers).where(eq(adminUsers.id, id));
  return row;
}

/** Starts (or restarts) two-factor set-up: a new sealed secret, not yet enabled. Refused once enabled. */
export async function setPendingTotpSecret(db: Db, userId: string, ciphertext: string): Promise<boolean> {
  const rows = await db
    .update(adminUsers)
    .set({ totpSecretCiphertext: ciphertext, totpLastStep: null })
    .where(and(eq(adminUsers.id, userId), isNull(adminUsers.totpEnabledAt)))
    .returning({ id: adminUsers.id });
  return rows.length > 0;
}

/** Turns two-factor sign-in on with the set-up secret, the step its first code was for, and recovery codes. */
export async function enableTotp(
  db: Db,
  input: { userId: string; step: number; recoveryCodeHashes: string[]; now: number },
): Promise<boolean> {
  const rows = await db
    .update(adminUsers)
    .set({ totpEnabledAt: input.now, totpLastStep: input.step, recoveryCodeHashes: input.recoveryCodeHashes })
    .where(
      and(
        eq(adminUsers.id, input.userId),
        isNull(adminUsers.totpEnabledAt),
        sql`${adminUsers.totpSecretCiphertext} IS NOT NULL`,
      ),
    )
    .returning({ id: adminUsers.id });
  return rows.length > 0;
}

/**
 * Accepts a code for `step` only if no code for that step or a later one was accepted before
 * (compare-and-set: two requests with the same code, one wins).
 */
export async function claimTotpStep(db: Db, userId: string, step: number): Promise<boolean> {
  const rows = await db
    .update(adminUsers)
    .set({ totpLastStep: step })
    .where(
      and(
        eq(adminUsers.id, userId),
        sql`${adminUsers.totpEnabledAt} IS NOT NULL`,
        sql`coalesce(${adminUsers.totpLastStep}, -1) < ${step}`,
      ),
    )
    .returning({ id: adminUsers.id });
  return rows.length > 0;
}

/** Uses up one recovery code (by hash); false if it is not (or no longer) one of the admin's. */
export async function useRecoveryCode(db: Db, userId: string, codeHash: string): Promise<boolean> {
  const rows = await db
    .update(adminUsers)
    .set({
      recoveryCodeHashes: sql`(SELECT json_group_array(value) FROM json_each(${adminUsers.recoveryCodeHashes}) WHERE value <> ${codeHash})`,
    })
    .where(
      and(
        eq(adminUsers.id, userId),
        sql`EXISTS (SELECT 1 FROM json_each(${adminUsers.recoveryCodeHashes}) WHERE value = ${codeHash})`,
      ),
    )
    .returning({ id: adminUsers.id });
  return rows.length > 0;
}

export function disableTotp(db: Db, userId: string) {
  return db
    .update(adminUsers)
    .set({ totpSecretCiphertext: null, totpEnabledAt: null, totpLastStep: null, recoveryCodeHashes: null })
    .where(eq(adminUsers.id, userId));
}

/** The second factor was given: the session becomes a full one, for `ttlMs` from now. */
export async function completeMfaSession(
  db: Db,
  sessionId: string,
  now: number,
  ttlMs: number,
): Promise<boolean> {
  const rows = await db
    .update(adminSessions)
    .set({ mfaPending: false, expiresAt: now + ttlMs })
    .where(
      and(
        eq(adminSessions.id, sessionId),
        eq(adminSessions.mfaPending, true),
        isNull(adminSessions.revokedAt),
      ),
    )
    .returning({ id: adminSessions.id });
  return rows.length > 0;
}
