/**
 * The first admin user of the status site's admin pages: created on start when the default workspace has
 * none (a fresh database, or one from before the admin pages existed), with a random password printed once
 * beside the first-run API key. Only the scrypt hash is stored. `setAdminPassword` backs the reset script.
 */
import {
  countAdminUsers,
  type Db,
  defaultWorkspace,
  findAdminUserByEmail,
  insertAdminUserQuery,
} from '@lifeline/db';
import { adminUsers } from '@lifeline/db/schema';
import { generatePassword, hashPassword } from '@lifeline/status-site/password';
import { eq } from 'drizzle-orm';

export const FIRST_ADMIN_EMAIL = 'admin@localhost';

export interface FirstAdmin {
  email: string;
  password: string;
}

/** Creates the first admin of the default workspace if it has none; returns the credentials to show once. */
export async function ensureFirstAdmin(
  db: Db,
  now: number,
  email = FIRST_ADMIN_EMAIL,
): Promise<FirstAdmin | null> {
  const ws = await defaultWorkspace(db);
  if (!ws || (await countAdminUsers(db, ws.id)) > 0) return null;
  const password = generatePassword();
  const { query } = insertAdminUserQuery(db, {
    workspaceId: ws.id,
    email,
    passwordHash: await hashPassword(password),
    now,
  });
  try {
    await query;
  } catch (err) {
    // Another instance started at the same moment and created it.
    if (await findAdminUserByEmail(db, email)) return null;
    throw err;
  }
  return { email, password };
}

/**
 * Sets a new random password for an admin (or creates the admin in the default workspace): the operator's
 * recovery for a locked-out admin, so two-factor sign-in is turned off too if it was on (the phone and the
 * recovery codes may both be lost).
 */
export async function setAdminPassword(
  db: Db,
  email: string,
  now: number,
): Promise<FirstAdmin & { twoFactorTurnedOff?: boolean }> {
  const password = generatePassword();
  const passwordHash = await hashPassword(password);
  const user = await findAdminUserByEmail(db, email);
  if (user) {
    await db
      .update(adminUsers)
      .set({
        passwordHash,
        totpSecretCiphertext: null,
        totpEnabledAt: null,
        totpLastStep: null,
        recoveryCodeHashes: null,
      })
      .where(eq(adminUsers.id, user.id));
    if (user.totpEnabledAt !== null)
      return { email: email.trim().toLowerCase(), password, twoFactorTurnedOff: true };
  } else {
    const ws = await defaultWorkspace(db);
    if (!ws) throw new Error('No workspace yet: start Lifeline once first.');
    await insertAdminUserQuery(db, { workspaceId: ws.id, email, passwordHash, now }).query;
  }
  return { email: email.trim().toLowerCase(), password };
}

export function firstAdminBanner(admin: FirstAdmin, url: string): string {
  return [
    `  Status page:     ${url}/`,
    `  Admin sign-in:   ${url}/admin  email ${admin.email}  password ${admin.password}  (shown once)`,
    '',
  ].join('\n');
}
