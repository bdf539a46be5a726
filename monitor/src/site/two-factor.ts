/**
 * Two-factor sign-in for the admin pages: TOTP (RFC 6238: 6 digits, 30 s, SHA-1, what every authenticator
 * app speaks) with ten one-time recovery codes.
 *
 * - The authenticator secret is sealed with the installation's secrets key, bound to the admin, so it
 *   needs `SECRETS_KEY` (always there on Node with a file database).
 * - A code is accepted for the current step or one either side (clock drift), and each step's code works
 *   once (compare-and-set on the last step used).
 * - Recovery codes are stored as SHA-256 hashes and each one works once.
 * - Five wrong codes in 15 minutes lock the second step for that admin, as wrong passwords do.
 */
import {
  claimTotpStep,
  clearLoginFailures,
  countLoginFailures,
  disableTotp,
  enableTotp,
  findAdminUser,
  recordLoginFailure,
  setPendingTotpSecret,
  useRecoveryCode,
} from '@lifeline/db';
import * as OTPAuth from 'otpauth';
import type { AdminResult, TwoFactorModel } from '../../../status-site/src/read-model.ts';
import type { Deps } from '../deps.ts';
import { generateEnrollmentCode, normalizeEnrollmentCode, sha256Hex } from '../secrets.ts';

const ISSUER = 'Lifeline';
const RECOVERY_CODES = 10;
const WINDOW_MS = 15 * 60_000;
const MAX_FAILURES = 5;

const secretContext = (userId: string) => `admin_totp:${userId}`;
const totpFor = (label: string, secret: OTPAuth.Secret) =>
  new OTPAuth.TOTP({ issuer: ISSUER, label, algorithm: 'SHA1', digits: 6, period: 30, secret });

/** What an admin typed: six digits (spaces allowed), or a recovery code (`XXXX-XXXX-XXXX`, any case). */
export function readSecondFactor(
  input: string,
): { kind: 'totp'; code: string } | { kind: 'recovery'; code: string } | null {
  const digits = input.replace(/\s/g, '');
  if (/^\d{6}$/.test(digits)) return { kind: 'totp', code: digits };
  const recovery = normalizeEnrollmentCode(input);
  return /^[0-9A-Z]{12}$/.test(recovery) ? { kind: 'recovery', code: recovery } : null;
}

export function createTwoFactor(deps: Pick<Deps, 'db' | 'secretBox'>): TwoFactorModel {
  const { db, secretBox } = deps;

  async function openSecret(userId: string, ciphertext: string): Promise<OTPAuth.Secret> {
    return OTPAuth.Secret.fromBase32(await secretBox!.open(ciphertext, secretContext(userId)));
  }

  /** Checks a code against the admin's secret (or recovery codes) and uses it up; counts failures. */
  async function check(
    userId: string,
    input: string,
    now: number,
  ): Promise<'ok' | 'invalid' | 'rate_limited'> {
    const key = `mfa:${userId}`;
    const failures = await countLoginFailures(db, [key], now - WINDOW_MS);
    if ((failures.get(key) ?? 0) >= MAX_FAILURES) return 'rate_limited';
    const user = await findAdminUser(db, userId);
    const given = readSecondFactor(input);
    let ok = false;
    if (user?.totpEnabledAt && user.totpSecretCiphertext && given && secretBox) {
      if (given.kind === 'totp') {
        const totp = totpFor(user.email, await openSecret(userId, user.totpSecretCiphertext));
        const delta = totp.validate({ token: given.code, timestamp: now, window: 1 });
        ok = delta !== null && (await claimTotpStep(db, userId, totp.counter({ timestamp: now }) + delta));
      } else {
        ok = await useRecoveryCode(db, userId, sha256Hex(given.code));
      }
    }
    if (!ok) {
      await recordLoginFailure(db, [key], now, now - WINDOW_MS);
      return 'invalid';
    }
    await clearLoginFailures(db, [key]);
    return 'ok';
  }

  return {
    available: secretBox !== null,

    async status(userId) {
      const user = await findAdminUser(db, userId);
      return {
        enabled: Boolean(user?.totpEnabledAt),
        enabledAt: user?.totpEnabledAt ?? null,
        recoveryCodesLeft: user?.recoveryCodeHashes?.length ?? 0,
      };
    },

    async begin(userId) {
      if (!secretBox) return { ok: false, error: 'Two-factor sign-in needs SECRETS_KEY on this server.' };
      const user = await findAdminUser(db, userId);
      if (!user) return { ok: false, error: 'No such admin.' };
      if (user.totpEnabledAt) return { ok: false, error: 'Two-factor sign-in is already on.' };
      // A set-up under way resumes with the same secret (the app may have scanned it already).
      if (user.totpSecretCiphertext) {
        const pending = await openSecret(userId, user.totpSecretCiphertext);
        return { ok: true, value: { secret: pending.base32, uri: totpFor(user.email, pending).toString() } };
      }
      const secret = new OTPAuth.Secret({ size: 20 });
      const sealed = await secretBox.seal(secret.base32, secretContext(userId));
      if (!(await setPendingTotpSecret(db, userId, sealed)))
        return { ok: false, error: 'Two-factor sign-in is already on.' };
      return { ok: true, value: { secret: secret.base32, uri: totpFor(user.email, secret).toString() } };
    },

    async confirm(userId, input, now): Promise<AdminResult<{ recoveryCodes: string[] }>> {
      const user = await findAdminUser(db, userId);
      if (!secretBox || !user?.totpSecretCiphertext || user.totpEnabledAt)
        return { ok: false, error: 'Start the set-up again.' };
      const given = readSecondFactor(input);
      const totp = totpFor(user.email, await openSecret(userId, user.totpSecretCiphertext));
      const delta =
        given?.kind === 'totp' ? totp.validate({ token: given.code, timestamp: now, window: 1 }) : null;
      if (delta === null)
        return {
          ok: false,
          error: 'That code is not the one your app shows: check the phone’s clock, then try the next code.',
        };
      const recoveryCodes = Array.from({ length: RECOVERY_CODES }, generateEnrollmentCode);
      const enabled = await enableTotp(db, {
        userId,
        step: totp.counter({ timestamp: now }) + delta,
        recoveryCodeHashes: recoveryCodes.map((c) => sha256Hex(normalizeEnrollmentCode(c))),
        now,
      });
      if (!enabled) return { ok: false, error: 'Start the set-up again.' };
      return { ok: true, value: { recoveryCodes } };
    },

    verify: check,

    async disable(userId, input, now) {
      const result = await check(userId, input, now);
      if (result === 'rate_limited')
        return { ok: false, error: 'Too many wrong codes: wait 15 minutes and try again.' };
      if (result === 'invalid') return { ok: false, error: 'That code is not right.' };
      await disableTotp(db, userId);
      return { ok: true, value: null };
    },
  };
}
