/**
 * The workspace's admins, managed from the admin pages: add one (a random password, shown once), disable
 * or re-enable one (never yourself, never the last active admin), and change your own password (the
 * current one first; your other sessions end).
 */
import {
  changeAdminPassword,
  type Db,
  findAdminUserByEmail,
  insertAdminUserQuery,
  listAdminUsers,
  setAdminUserDisabled,
} from '@lifeline/db';
import type { SignedIn } from './auth.ts';
import { generatePassword, hashPassword, verifyPassword } from './password.ts';

export const MIN_PASSWORD_LENGTH = 12;
const EMAIL = /^[^\s@<>]+@[^\s@<>]+$/;

export type Result<T = null> = { ok: true; value: T } | { ok: false; error: string };

export function admins(db: Db, workspaceId: string) {
  return listAdminUsers(db, workspaceId);
}

export async function addAdmin(
  db: Db,
  me: SignedIn,
  email: string,
  now: number,
): Promise<Result<{ email: string; password: string }>> {
  const address = email.trim().toLowerCase();
  if (!EMAIL.test(address) || address.length > 254)
    return { ok: false, error: 'That is not an email address.' };
  if (await findAdminUserByEmail(db, address))
    return { ok: false, error: `${address} is already an admin (of this or another workspace).` };
  const password = generatePassword();
  await insertAdminUserQuery(db, {
    workspaceId: me.workspaceId,
    email: address,
    passwordHash: await hashPassword(password),
    now,
  }).query;
  return { ok: true, value: { email: address, password } };
}

export async function setDisabled(
  db: Db,
  me: SignedIn,
  userId: string,
  disabled: boolean,
  now: number,
): Promise<Result> {
  if (disabled) {
    if (userId === me.userId) return { ok: false, error: 'You cannot disable yourself.' };
    const active = (await listAdminUsers(db, me.workspaceId)).filter((u) => u.disabledAt === null);
    if (active.length <= 1 || !active.some((u) => u.id === userId))
      return { ok: false, error: 'That admin is not an active admin of this workspace.' };
  }
  const done = await setAdminUserDisabled(db, me.workspaceId, userId, disabled ? now : null);
  return done ? { ok: true, value: null } : { ok: false, error: 'No such admin in this workspace.' };
}

export async function changeMyPassword(
  db: Db,
  me: SignedIn,
  input: { current: string; next: string; confirm: string },
  now: number,
): Promise<Result> {
  const user = await findAdminUserByEmail(db, me.email);
  if (!user || !(await verifyPassword(input.current, user.passwordHash)))
    return { ok: false, error: 'Your current password is not right.' };
  if (input.next.length < MIN_PASSWORD_LENGTH)
    return { ok: false, error: `Use at least ${MIN_PASSWORD_LENGTH} characters for the new password.` };
  if (input.next !== input.confirm) return { ok: false, error: 'The new passwords differ.' };
  await changeAdminPassword(db, {
    userId: me.userId,
    passwordHash: await hashPassword(input.next),
    keepSessionId: me.sessionId,
    now,
  });
  return { ok: true, value: null };
}
