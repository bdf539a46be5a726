/**
 * The Backups section of the admin Settings page in real Chromium: the default workspace's admin sees the
 * schedule and takes a backup on demand; another workspace's admin (a tenant) sees nothing of it.
 */
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { insertAdminUserQuery } from '@lifeline/db';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../../monitor/test/helpers.ts';
import { hashPassword } from '../src/lib/password.ts';
import { axeViolations, launchChromium } from './browser.ts';

const PASSWORD = 'correct horse battery staple';
let browser: Browser;
let s: TestServer;
let dir = '';

beforeAll(async () => {
  browser = await launchChromium();
  dir = await mkdtemp(join(tmpdir(), 'lifeline-backups-page-'));
  s = await startTestServer({ site: true, backup: { dir, intervalMs: 86_400_000, keep: 3 } });
}, 120_000);
afterAll(async () => {
  await browser?.close();
  await s?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function signIn(email: string, workspaceId: string): Promise<Page> {
  await insertAdminUserQuery(s.deps.db, {
    workspaceId,
    email,
    passwordHash: await hashPassword(PASSWORD),
    now: s.clock.now(),
  }).query;
  const page = await (await browser.newContext()).newPage();
  await page.goto(`${s.url}/admin/login?next=/admin/settings`);
  await page.fill('input[name=email]', email);
  await page.fill('input[name=password]', PASSWORD);
  await page.click('button[type=submit]');
  await page.waitForURL(/\/admin\/settings$/);
  return page;
}

describe('backups on the Settings page', () => {
  it('shows the schedule to the installation’s owner and takes a backup on demand', async () => {
    const page = await signIn('owner@example.com', s.creds.workspaceId);
    const section = page.locator('section[aria-labelledby=backups-h]');
    expect(await section.textContent()).toContain('Every 24 h');
    expect(await section.textContent()).toContain('Last taken: never');
    await section.locator('button', { hasText: 'Back up now' }).click();
    await page.waitForLoadState();
    expect(await page.locator('[role=status]').textContent()).toMatch(
      /Backup lifeline-2026-11-01T12-00-00Z taken \(\d+ KB\)/,
    );
    expect(await section.locator('ul.backups li').allTextContents()).toEqual([
      'lifeline-2026-11-01T12-00-00Z',
    ]);
    expect(await readdir(dir)).toEqual(['lifeline-2026-11-01T12-00-00Z']);
    const serious = (await axeViolations(page)).filter(
      (v) => v.impact === 'serious' || v.impact === 'critical',
    );
    expect(serious.map((v) => v.id)).toEqual([]);
  });

  it('shows nothing of it to another workspace’s admin', async () => {
    const tenant = await s.createWorkspace('tenant-co');
    const page = await signIn('tenant@example.com', tenant.workspaceId);
    expect(await page.locator('#backups-h').count()).toBe(0);
  });
});
