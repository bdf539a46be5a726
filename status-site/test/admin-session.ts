/** An admin user for a test server, and signing a browser page in as them. */
import { insertAdminUserQuery } from '@lifeline/db';
import type { Page } from 'playwright-core';
import type { TestServer } from '../../monitor/test/helpers.ts';
import { hashPassword } from '../src/lib/password.ts';

export const ADMIN_EMAIL = 'ops@example.com';
export const ADMIN_PASSWORD = 'correct horse battery staple';

export async function createAdmin(s: TestServer): Promise<void> {
  await insertAdminUserQuery(s.deps.db, {
    workspaceId: s.creds.workspaceId,
    email: ADMIN_EMAIL,
    passwordHash: await hashPassword(ADMIN_PASSWORD),
    now: s.clock.now(),
  }).query;
}

/** Signs `page` in through the login form and waits until it lands on `next`. */
export async function signIn(page: Page, s: TestServer, next: string): Promise<void> {
  await page.goto(`${s.url}/admin/login?next=${encodeURIComponent(next)}`);
  await page.fill('input[name=email]', ADMIN_EMAIL);
  await page.fill('input[name=password]', ADMIN_PASSWORD);
  await page.click('button[type=submit]');
  await page.waitForURL((url) => url.pathname === next);
}
