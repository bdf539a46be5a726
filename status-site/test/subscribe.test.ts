/** The subscribe form on the public page, in real Chromium: stored pending, idempotent, bad input refused. */
import { listStatusSubscribers } from '@lifeline/db';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../../monitor/test/helpers.ts';
import { launchChromium } from './browser.ts';

let browser: Browser;
let s: TestServer;

beforeAll(async () => {
  [browser, s] = await Promise.all([launchChromium(), startTestServer({ site: true })]);
}, 120_000);
afterAll(async () => {
  await browser?.close();
  await s?.close();
});

describe('subscribe form', () => {
  it('stores a pending email subscription, once per address, and says what happens next', async () => {
    const page = await browser.newPage();
    for (const email of ['Visitor@Example.com', 'visitor@example.com']) {
      await page.goto(s.url);
      await page.fill('#subscribe input[name=email]', email);
      await page.click('#subscribe button[type=submit]');
      await page.waitForURL(/subscribed=email/);
      expect(await page.locator('#subscribe [role=status]').textContent()).toContain('confirmation link');
    }
    const rows = await listStatusSubscribers(s.deps.db, s.creds.workspaceId, { limit: 10 });
    expect(rows.map((r) => [r.email, r.status])).toEqual([['visitor@example.com', 'pending']]);
    await page.close();
  });

  it('refuses an address that is not one, and answers per workspace under /s/<slug>', async () => {
    const post = (path: string, email: string) =>
      fetch(s.url + path, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', origin: s.url },
        body: new URLSearchParams({ email }),
        redirect: 'manual',
      });
    const bad = await post('/subscribe', '<script>alert(1)</script>');
    expect(bad.status).toBe(303);
    expect(bad.headers.get('location')).toBe('/?subscribed=invalid#subscribe');
    const { workspaceId } = await s.createWorkspace('acme');
    const ok = await post('/s/acme/subscribe', 'ops@acme.test');
    expect(ok.headers.get('location')).toBe('/s/acme/?subscribed=email#subscribe');
    expect((await listStatusSubscribers(s.deps.db, workspaceId, { limit: 10 })).map((r) => r.email)).toEqual([
      'ops@acme.test',
    ]);
    // A form posted from another site is refused (Astro's origin check).
    const foreign = await fetch(`${s.url}/subscribe`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: 'https://evil.example' },
      body: 'email=x%40evil.test',
      redirect: 'manual',
    });
    expect(foreign.status).toBe(403);
    const page = await browser.newPage();
    await page.goto(`${s.url}/?subscribed=invalid`);
    expect(await page.locator('#subscribe [role=alert]').textContent()).toContain('does not look right');
    await page.close();
  });

  it('posts updates to a Slack or Discord channel from the page: URL sealed, bad URLs refused plainly', async () => {
    const page = await browser.newPage();
    await page.goto(s.url);
    const form = page.locator('#subscribe form.chat-subscribe');
    await form.locator('input[name=url]').fill('https://hooks.slack.com/services/T0LIFE/B0LINE/visitorTOKEN');
    await form.locator('button').click();
    await page.waitForURL(/subscribed=slack/);
    expect(await page.locator('#subscribe [role=status]').textContent()).toContain(
      'posted to that Slack channel',
    );
    const rows = await listStatusSubscribers(s.deps.db, s.creds.workspaceId, { limit: 10 });
    const slack = rows.find((r) => r.channel === 'slack')!;
    expect(slack).toMatchObject({ status: 'confirmed', endpoint: 'https://hooks.slack.com/…OKEN' });
    expect(JSON.stringify(rows)).not.toContain('visitorTOKEN');

    // Plain http, or a private address, is refused on the page, saying why.
    for (const url of ['http://hooks.slack.com/services/T/B/x', 'https://10.0.0.5/api/webhooks/1/x']) {
      await page.goto(s.url);
      await form.locator('label.check', { hasText: 'Discord' }).locator('input').check();
      await form.locator('input[name=url]').fill(url);
      await form.locator('button').click();
      await page.waitForURL(/subscribed=invalid-url/);
      expect(await page.locator('#subscribe [role=alert]').textContent()).toContain(
        'https, on a public address',
      );
    }
    await page.close();
  });
});
