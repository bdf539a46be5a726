/**
 * The admin pages for public subscribers, in real Chromium: the list by channel with what reached them,
 * removing one, and a quiet incident that shows on the page without notifying anyone.
 */
import { countStatusSubscribers } from '@lifeline/db';
import { notifications } from '@lifeline/db/schema';
import { eq } from 'drizzle-orm';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tick } from '../../monitor/src/tick.ts';
import { startTestServer, type TestServer } from '../../monitor/test/helpers.ts';
import { createAdmin, signIn } from './admin-session.ts';
import { axeViolations, launchChromium, watchErrors } from './browser.ts';

let browser: Browser;
let s: TestServer;
let page: Page;

beforeAll(async () => {
  [browser, s] = await Promise.all([launchChromium(), startTestServer({ site: true })]);
  await createAdmin(s);
  page = await browser.newPage();
  await signIn(page, s, '/admin/subscriptions');
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await s?.close();
});

const publicRows = () => s.deps.db.select().from(notifications).where(eq(notifications.audience, 'public'));

describe('admin subscriptions page', () => {
  it('lists subscribers by channel with their deliveries, and removes one', async () => {
    const errors = watchErrors(page);
    for (const body of [
      { channel: 'email', email: 'reader@example.com' },
      { channel: 'webhook', url: 'https://hooks.example.com/status' },
    ])
      expect((await s.request('POST', '/api/subscriptions', { body })).status).toBeLessThan(300);
    s.clock.advance(5_000);
    await tick(s.deps, s.clock.now()); // the confirmation email, to the mail log
    await page.reload();
    const rows = page.locator('table[aria-labelledby=subscribers-h] tbody tr');
    expect(await rows.count()).toBe(2);
    expect((await rows.allTextContents()).sort()).toEqual([
      expect.stringMatching(/^Email.*reader@example\.com.*pending/),
      expect.stringMatching(/^Webhook.*hooks\.example\.com.*confirmed/),
    ]);
    expect(await page.locator('table[aria-labelledby=delivery-h] tbody').textContent()).toMatch(/Email\s*1/);
    await page.click('button[aria-label="Remove reader@example.com"]');
    await page.waitForURL(/\/admin\/subscriptions$/);
    expect(await rows.filter({ hasText: 'reader@example.com' }).textContent()).toContain(
      'unsubscribed (removed by an admin)',
    );
    expect(errors).toEqual([]);
    expect(
      (await axeViolations(page)).filter((v) => v.impact === 'serious' || v.impact === 'critical'),
    ).toEqual([]);
  });

  it('adds subscribers with the API’s rules: an email waits for its owner, a webhook’s secret is shown once', async () => {
    await page.goto(`${s.url}/admin/subscriptions`);
    // A URL the browser accepts but the API does not: the API's message is shown.
    await page.check('input[name=channel][value=webhook]');
    await page.fill('input[name=url]', 'ftp://files.example.com/hook');
    await page.click('form[aria-labelledby=add-h] button[type=submit]');
    await page.waitForLoadState();
    expect(await page.locator('p.error').textContent()).toContain('http');
    await page.goto(`${s.url}/admin/subscriptions`);
    await page.fill('input[name=email]', 'owner@example.com');
    await page.click('form[aria-labelledby=add-h] button[type=submit]');
    await page.waitForURL(/added=1/);
    const rows = page.locator('table[aria-labelledby=subscribers-h] tbody tr');
    expect(await rows.filter({ hasText: 'owner@example.com' }).textContent()).toContain('pending');
    await page.check('input[name=channel][value=webhook]');
    await page.fill('input[name=url]', 'https://hooks.example.com/added-by-admin');
    await page.click('form[aria-labelledby=add-h] button[type=submit]');
    await page.waitForLoadState();
    const secret = await page.locator('#webhook-secret').textContent();
    expect(secret).toMatch(/^whsec_/);
    await page.goto(`${s.url}/admin/subscriptions`);
    expect(await page.content()).not.toContain(secret!);
    expect(await rows.filter({ hasText: 'added-by-admin' }).textContent()).toContain('confirmed');
  });

  it('a quiet incident is published without notifying subscribers; a normal one notifies', async () => {
    const before = (await publicRows()).length;
    for (const [name, quiet] of [
      ['Quiet one', true],
      ['Loud one', false],
    ] as const) {
      await page.goto(`${s.url}/admin/incidents`);
      await page.fill('input[name=name]', name);
      await page.fill('textarea[name=body]', `${name}: details.`);
      if (quiet) await page.check('input[name=quiet]');
      await page.click('button:has-text("Publish incident")');
      await page.waitForLoadState();
    }
    const added = (await publicRows()).slice(before);
    // Every confirmed subscriber (the webhooks) is told of the loud incident only.
    const confirmed = await countStatusSubscribers(s.deps.db, s.creds.workspaceId, 'confirmed');
    expect(confirmed).toBeGreaterThan(0);
    expect(added.map((n) => [n.kind, n.channel])).toEqual(Array(confirmed).fill(['announce', 'webhook']));
    const home = await (await fetch(s.url)).text();
    expect(home).toContain('Quiet one');
    expect(home).toContain('Loud one');
  });
});
