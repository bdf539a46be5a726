import { findAdminUser, insertAdminUserQuery } from '@lifeline/db';
import * as OTPAuth from 'otpauth';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openIngestTestDatabase, TEST_WORKSPACE } from '../ingest/test-database.ts';
import { generateSecretsKey, SecretBox } from '../secret-box.ts';
import { createTwoFactor, readSecondFactor } from './two-factor.ts';

const T0 = Date.UTC(2026, 10, 24, 12, 0, 0);
const STEP = 30_000;

describe('readSecondFactor', () => {
  it('reads six digits (spaces allowed) or a recovery code in any case, with or without hyphens', () => {
    expect(readSecondFactor('123 456')).toEqual({ kind: 'totp', code: '123456' });
    expect(readSecondFactor('abcd-efgh-jkmn')).toEqual({ kind: 'recovery', code: 'ABCDEFGHJKMN' });
    expect(readSecondFactor('ABCDEFGHJKMN')).toEqual({ kind: 'recovery', code: 'ABCDEFGHJKMN' });
    for (const bad of ['', '12345', '1234567', 'abc', 'ABCD-EFGH-JKM!'])
      expect(readSecondFactor(bad), bad).toBeNull();
  });
});

describe('two-factor sign-in', () => {
  let db: Awaited<ReturnType<typeof openIngestTestDatabase>>;
  let tf: ReturnType<typeof createTwoFactor>;
  let userId: string;
  let box: SecretBox;

  beforeEach(async () => {
    db = await openIngestTestDatabase([], T0);
    box = await SecretBox.fromBase64(generateSecretsKey());
    const user = insertAdminUserQuery(db.database.db, {
      workspaceId: TEST_WORKSPACE,
      email: 'ops@example.com',
      passwordHash: 'x',
      now: T0,
    });
    await user.query;
    userId = user.row.id;
    tf = createTwoFactor({ db: db.database.db, secretBox: box });
  });
  afterEach(() => db.close());

  /** What the admin's authenticator app shows at `at`. */
  const appCode = (secret: string, at: number) =>
    new OTPAuth.TOTP({ secret: OTPAuth.Secret.fromBase32(secret) }).generate({ timestamp: at });

  async function turnOn() {
    const started = await tf.begin(userId);
    if (!started.ok) throw new Error(started.error);
    const confirmed = await tf.confirm(userId, appCode(started.value.secret, T0), T0);
    if (!confirmed.ok) throw new Error(confirmed.error);
    return { secret: started.value.secret, recoveryCodes: confirmed.value.recoveryCodes };
  }

  it('sets up with a sealed secret, confirmed by a code from the app, and hands out ten recovery codes once', async () => {
    const started = await tf.begin(userId);
    if (!started.ok) throw new Error(started.error);
    expect(started.value.uri).toBe(
      `otpauth://totp/Lifeline:ops%40example.com?issuer=Lifeline&secret=${started.value.secret}&algorithm=SHA1&digits=6&period=30`,
    );
    const stored = await findAdminUser(db.database.db, userId);
    expect(stored!.totpSecretCiphertext).not.toContain(started.value.secret);
    expect(stored!.totpEnabledAt, 'not on before a code confirms it').toBeNull();
    // Resuming the set-up shows the same key (the app may have scanned it already).
    const resumed = await tf.begin(userId);
    expect(resumed.ok && resumed.value.secret).toBe(started.value.secret);

    expect((await tf.confirm(userId, '000000', T0)).ok).toBe(false);
    const confirmed = await tf.confirm(userId, appCode(started.value.secret, T0), T0);
    if (!confirmed.ok) throw new Error(confirmed.error);
    expect(confirmed.value.recoveryCodes).toHaveLength(10);
    for (const c of confirmed.value.recoveryCodes) expect(c).toMatch(/^[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}$/);
    const on = await findAdminUser(db.database.db, userId);
    expect(JSON.stringify(on!.recoveryCodeHashes)).not.toContain(
      confirmed.value.recoveryCodes[0]!.replaceAll('-', ''),
    );
    expect(await tf.status(userId)).toEqual({ enabled: true, enabledAt: T0, recoveryCodesLeft: 10 });
    expect((await tf.begin(userId)).ok, 'already on').toBe(false);
  });

  it('accepts each step’s code once, within a step of drift, and no code from before', async () => {
    const { secret } = await turnOn();
    // The code that confirmed set-up (step of T0) cannot sign in.
    expect(await tf.verify(userId, appCode(secret, T0), T0 + 1_000)).toBe('invalid');
    const next = appCode(secret, T0 + STEP);
    expect(await tf.verify(userId, next, T0 + STEP)).toBe('ok');
    expect(await tf.verify(userId, next, T0 + STEP + 5_000), 'a code works once').toBe('invalid');
    // The phone's clock a step behind still works, once.
    expect(await tf.verify(userId, appCode(secret, T0 + 2 * STEP), T0 + 3 * STEP)).toBe('ok');
    expect(await tf.verify(userId, appCode(secret, T0 + 4 * STEP), T0 + 7 * STEP), 'too far off').toBe(
      'invalid',
    );
  });

  it('takes each recovery code once, in any case and spacing', async () => {
    const { recoveryCodes } = await turnOn();
    const code = recoveryCodes[3]!;
    expect(await tf.verify(userId, ` ${code.toLowerCase()} `, T0 + STEP)).toBe('ok');
    expect(await tf.verify(userId, code, T0 + STEP)).toBe('invalid');
    expect((await tf.status(userId)).recoveryCodesLeft).toBe(9);
  });

  it('locks the second step after five wrong codes in 15 minutes', async () => {
    const { secret } = await turnOn();
    for (let i = 0; i < 5; i++) expect(await tf.verify(userId, '999999', T0 + STEP)).toBe('invalid');
    expect(await tf.verify(userId, appCode(secret, T0 + STEP), T0 + STEP)).toBe('rate_limited');
    const later = T0 + 16 * 60_000;
    expect(await tf.verify(userId, appCode(secret, later), later)).toBe('ok');
  });

  it('turns off only with a current code', async () => {
    const { secret } = await turnOn();
    expect((await tf.disable(userId, '123456', T0 + STEP)).ok).toBe(false);
    expect((await tf.disable(userId, appCode(secret, T0 + STEP), T0 + STEP)).ok).toBe(true);
    expect(await tf.status(userId)).toEqual({ enabled: false, enabledAt: null, recoveryCodesLeft: 0 });
    const stored = await findAdminUser(db.database.db, userId);
    expect(stored!.totpSecretCiphertext).toBeNull();
  });

  it('is not available without a secrets key', async () => {
    const none = createTwoFactor({ db: db.database.db, secretBox: null });
    expect(none.available).toBe(false);
    expect(await none.begin(userId)).toEqual({ ok: false, error: expect.stringContaining('SECRETS_KEY') });
  });
});
