import { findAdminUserByEmail } from '@lifeline/db';
import { adminUsers } from '@lifeline/db/schema';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyPassword } from '../../../status-site/src/lib/password.ts';
import { startTestServer, type TestServer } from '../../test/helpers.ts';
import { ensureFirstAdmin, FIRST_ADMIN_EMAIL, firstAdminBanner, setAdminPassword } from './first-admin.ts';

let s: TestServer;
beforeAll(async () => {
  s = await startTestServer();
});
afterAll(() => s?.close());

describe('first admin', () => {
  it('is created once, with a password shown once and stored only as a scrypt hash', async () => {
    const admin = await ensureFirstAdmin(s.deps.db, s.clock.now());
    expect(admin?.email).toBe(FIRST_ADMIN_EMAIL);
    expect(admin?.password).toMatch(/^[\w-]{20}$/);
    expect(await ensureFirstAdmin(s.deps.db, s.clock.now())).toBeNull();
    const row = await findAdminUserByEmail(s.deps.db, FIRST_ADMIN_EMAIL);
    expect(row?.workspaceId).toBe(s.creds.workspaceId);
    expect(row?.passwordHash).toMatch(/^scrypt\$16384\$8\$5\$/);
    expect(row?.passwordHash).not.toContain(admin!.password);
    expect(await verifyPassword(admin!.password, row!.passwordHash)).toBe(true);
    expect(firstAdminBanner(admin!, 'http://x')).toContain(`password ${admin!.password}`);
  });

  it('can have a new password set (the old one stops working)', async () => {
    const before = (await findAdminUserByEmail(s.deps.db, FIRST_ADMIN_EMAIL))!.passwordHash;
    const reset = await setAdminPassword(s.deps.db, FIRST_ADMIN_EMAIL, s.clock.now());
    const after = (await findAdminUserByEmail(s.deps.db, FIRST_ADMIN_EMAIL))!.passwordHash;
    expect(after).not.toBe(before);
    expect(await verifyPassword(reset.password, after)).toBe(true);
    expect(reset.twoFactorTurnedOff).toBeUndefined();
    // An admin locked out of two-factor sign-in: the reset turns it off too.
    await s.deps.db
      .update(adminUsers)
      .set({ totpSecretCiphertext: 'sealed', totpEnabledAt: s.clock.now(), recoveryCodeHashes: ['h'] })
      .where(eq(adminUsers.email, FIRST_ADMIN_EMAIL));
    expect((await setAdminPassword(s.deps.db, FIRST_ADMIN_EMAIL, s.clock.now())).twoFactorTurnedOff).toBe(
      true,
    );
    const unlocked = (await findAdminUserByEmail(s.deps.db, FIRST_ADMIN_EMAIL))!;
    expect(unlocked).toMatchObject({
      totpSecretCiphertext: null,
      totpEnabledAt: null,
      recoveryCodeHashes: null,
    });
    const added = await setAdminPassword(s.deps.db, 'Second@Example.com', s.clock.now());
    expect(added.email).toBe('second@example.com');
    expect((await findAdminUserByEmail(s.deps.db, 'second@example.com'))?.workspaceId).toBe(
      s.creds.workspaceId,
    );
  });
});
