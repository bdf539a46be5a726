/**
 * Admin sign-in: sessions (a random cookie token, only its SHA-256 hash stored), CSRF synchronizer
 * tokens, and a login rate limit of 5 failures per 15 minutes per IP address and per email. An admin with
 * two-factor sign-in on gets a session that owes its second factor (`mfaPending`, 10 minutes): only the
 * code page accepts it until a code completes it.
 */
import {
  clearLoginFailures,
  completeMfaSession,
  countLoginFailures,
  type Db,
  findAdminSession,
  findAdminUserByEmail,
  insertAdminSession,
  recordLoginFailure,
  revokeAdminSession,
} from '@lifeline/db';
import type { AdminUser } from '@lifeline/db/schema';
import { DUMMY_HASH, verifyPassword } from './password.ts';

export const SESSION_COOKIE = 'll_session';
export const LOGIN_CSRF_COOKIE = 'll_login_csrf';
export const SESSION_TTL_MS = 12 * 3_600_000;
export const LOGIN_WINDOW_MS = 15 * 60_000;
export const MAX_LOGIN_FAILURES = 5;
/** How long a session may wait for its second factor. */
export const MFA_PENDING_TTL_MS = 10 * 60_000;
/** The one admin page a session owing its second factor may open (and sign-out). */
export const MFA_PAGE = '/admin/login/verify';

export interface SignedIn {
  userId: string;
  email: string;
  workspaceId: string;
  sessionId: string;
  csrfToken: string;
  /** The password was right; the second factor is still owed. */
  mfaPending: boolean;
}

export function randomToken(bytes = 32): string {
  const b = crypto.getRandomValues(new Uint8Array(bytes));
  let s = '';
  for (const x of b) s += String.fromCharCode(x);
  return btoa(s).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

export async function sha256Hex(value: string): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(value));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('');
}

/** Constant-time comparison of two strings. */
export function sameString(a: string, b: string): boolean {
  const ea = new TextEncoder().encode(a);
  const eb = new TextEncoder().encode(b);
  let diff = ea.length ^ eb.length;
  for (let i = 0; i < Math.max(ea.length, eb.length); i++) diff |= (ea[i] ?? 0) ^ (eb[i] ?? 0);
  return diff === 0;
}

export async function sessionFromToken(
  db: Db,
  token: string | undefined,
  now: number,
): Promise<SignedIn | null> {
  if (!token || token.length > 100) return null;
  const row = await findAdminSession(db, await sha256Hex(token), now);
  if (!row) return null;
  return {
    userId: row.user.id,
    email: row.user.email,
    workspaceId: row.session.workspaceId,
    sessionId: row.session.id,
    csrfToken: row.session.csrfToken,
    mfaPending: row.session.mfaPending,
  };
}

export type LoginResult =
  | { ok: true; token: string; user: AdminUser; mfaPending: boolean }
  | { ok: false; reason: 'invalid' | 'rate_limited' };

/**
 * Checks a password. Refuses, before checking anything, once the IP address or the email has 5 failures in
 * the last 15 minutes; an unknown email costs as much time as a wrong password.
 */
export async function signIn(
  db: Db,
  input: { email: string; password: string; ip: string; now: number },
): Promise<LoginResult> {
  const email = input.email.trim().toLowerCase().slice(0, 320);
  const keys = [`ip:${input.ip}`, `email:${email}`];
  const failures = await countLoginFailures(db, keys, input.now - LOGIN_WINDOW_MS);
  if (keys.some((k) => (failures.get(k) ?? 0) >= MAX_LOGIN_FAILURES))
    return { ok: false, reason: 'rate_limited' };
  const user = await findAdminUserByEmail(db, email);
  const ok = await verifyPassword(input.password, user?.passwordHash ?? DUMMY_HASH);
  if (!user || !ok) {
    await recordLoginFailure(db, keys, input.now, input.now - LOGIN_WINDOW_MS);
    return { ok: false, reason: 'invalid' };
  }
  await clearLoginFailures(db, [`email:${email}`]);
  const token = randomToken();
  const mfaPending = user.totpEnabledAt !== null;
  await insertAdminSession(db, {
    userId: user.id,
    workspaceId: user.workspaceId,
    tokenHash: await sha256Hex(token),
    csrfToken: randomToken(24),
    now: input.now,
    ttlMs: mfaPending ? MFA_PENDING_TTL_MS : SESSION_TTL_MS,
    mfaPending,
  });
  return { ok: true, token, user, mfaPending };
}

/** The second factor was given: the session becomes a full one (12 hours from now). */
export function completeMfa(db: Db, session: SignedIn, now: number): Promise<boolean> {
  return completeMfaSession(db, session.sessionId, now, SESSION_TTL_MS);
}

export function signOut(db: Db, session: SignedIn, now: number) {
  return revokeAdminSession(db, session.sessionId, now);
}

/** Cookie attributes: HttpOnly, SameSite=Lax, Secure when the site is served over https. */
export function cookieOptions(url: URL, maxAgeS: number) {
  return {
    httpOnly: true,
    sameSite: 'lax' as const,
    secure: url.protocol === 'https:',
    path: '/',
    maxAge: maxAgeS,
  };
}
