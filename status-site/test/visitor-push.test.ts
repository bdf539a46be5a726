/**
 * Browser notifications for visitors, in real Chromium: the status page links to its push page (and
 * itself ships no script for it); the page registers /sw.js with the page's scope, subscribes with the
 * VAPID key, posts the subscription; an incident then reaches the (fake) push service, decrypted as the
 * browser would; "Turn off" unsubscribes. Also: the page without JavaScript, and axe-core.
 */
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakePushService } from '../../alerts/test/fakes/push-service.ts';
import { tick } from '../../monitor/src/tick.ts';
import { startTestServer, type TestServer } from '../../monitor/test/helpers.ts';
import { axeViolations, launchChromium, screenshot, watchErrors } from './browser.ts';

let browser: Browser;
let ctx: BrowserContext;
let s: TestServer;
const push = new FakePushService();

beforeAll(async () => {
  await push.start();
  [browser, s] = await Promise.all([
    launchChromium(),
    startTestServer({ site: true, allowPrivateSubscriptionTargets: true }),
  ]);
  ctx = await browser.newContext();
  await ctx.grantPermissions(['notifications'], { origin: s.url });
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await s?.close();
  await push.stop();
});

/** What PushManager would do had the browser reached a push service: hand out our fake's subscription. */
async function stubPushManager(page: Page, sub: ReturnType<FakePushService['subscribe']>) {
  await page.addInitScript(
    (json) => {
      const make = () =>
        ({
          endpoint: json.endpoint,
          expirationTime: null,
          toJSON: () => json,
          unsubscribe: async () => {
            sessionStorage.removeItem('subscribed');
            return true;
          },
        }) as unknown as PushSubscription;
      PushManager.prototype.subscribe = async (options?: PushSubscriptionOptionsInit) => {
        const key = new Uint8Array(options?.applicationServerKey as ArrayBuffer);
        sessionStorage.setItem('subscribed', btoa(String.fromCharCode(...key)));
        return make();
      };
      PushManager.prototype.getSubscription = async () =>
        sessionStorage.getItem('subscribed') ? make() : null;
    },
    { endpoint: sub.endpoint, expirationTime: null, keys: sub.keys },
  );
}

describe('browser notifications for visitors', () => {
  it('the status page links to the push page and loads no push script itself', async () => {
    const page = await ctx.newPage();
    await page.goto(s.url);
    const link = page.locator('#subscribe a', { hasText: 'browser notifications' });
    expect(await link.getAttribute('href')).toBe('/subscribe/push');
    const scripts = await page
      .locator('script[src]')
      .evaluateAll((els) => els.map((e) => e.getAttribute('src')));
    expect(scripts.join(' ')).not.toMatch(/visitor-push|PushSubscribe/);
    await page.close();
  });

  it('turns notifications on, delivers an incident to this browser, and turns them off', async () => {
    const page = await ctx.newPage();
    const errors = watchErrors(page);
    const sub = push.subscribe();
    await stubPushManager(page, sub);
    await page.goto(`${s.url}/subscribe/push`);
    const on = page.locator('#visitor-push-on');
    await on.waitFor();
    expect(await page.locator('#visitor-push-status').textContent()).toBe(
      'Notifications are off in this browser.',
    );
    const [worker] = await Promise.all([ctx.waitForEvent('serviceworker'), on.click()]);
    expect(new URL(worker.url()).pathname).toBe('/sw.js');
    await page.locator('#visitor-push-status.ok-note').waitFor();
    expect(await page.locator('#visitor-push-status').textContent()).toContain('this browser will show');
    const scope = await page.evaluate(
      async () => (await navigator.serviceWorker.getRegistration('/'))?.scope,
    );
    expect(scope).toBe(`${s.url}/`);
    // The page subscribed with the installation's VAPID key.
    const key = await page.evaluate(() => sessionStorage.getItem('subscribed'));
    expect(Buffer.from(key!, 'base64').toString('base64url')).toBe(s.deps.alerts!.vapidPublicKey);
    const list = await s.request('GET', '/v1/subscriptions', { token: s.creds.apiKey });
    expect(list.json.subscriptions).toEqual([
      expect.objectContaining({ channel: 'web_push', status: 'confirmed' }),
    ]);

    const incident = await s.request('POST', '/v1/incidents', {
      token: s.creds.apiKey,
      body: { name: 'Slow delivery', body: 'Looking into it.' },
    });
    expect(incident.status).toBe(201);
    s.clock.advance(5_000);
    await tick(s.deps, s.clock.now());
    expect(push.received.filter((r) => r.subscriptionId === sub.id).map((r) => r.payload)).toEqual([
      expect.objectContaining({
        title: expect.stringContaining('Investigating: Slow delivery'),
        url: `${s.url}/`,
      }),
    ]);
    await screenshot(page, 'visitor-push-on');

    await page.locator('#visitor-push-off').click();
    await page.locator('#visitor-push-on:not([hidden])').waitFor();
    const after = await s.request('GET', '/v1/subscriptions', { token: s.creds.apiKey });
    expect(after.json.subscriptions[0]).toMatchObject({ status: 'unsubscribed' });
    expect(errors).toEqual([]);
    expect(await axeViolations(page)).toEqual([]);
    await page.close();
  });

  it('says what it needs without JavaScript', async () => {
    const noJs = await browser.newContext({ javaScriptEnabled: false });
    const page = await noJs.newPage();
    await page.goto(`${s.url}/subscribe/push`);
    expect(await page.locator('#visitor-push-status').textContent()).toContain('Needs JavaScript');
    expect(await page.locator('#visitor-push-on').isVisible()).toBe(false);
    await noJs.close();
  });
});
