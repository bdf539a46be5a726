/**
 * The admin alerts page in real Chromium: a phone going offline shows as a firing alert (its name inert),
 * rules toggled and edited with the API's validation, silences, email, webhook and Slack subscriptions
 * (the webhook's secret shown once and sealed, Slack's URL never shown again, a test message sent), CSRF,
 * axe-core; and web push end to end: the page's button
 * registers the service worker and posts what `PushManager.subscribe` gave it, the phone going offline
 * sends an encrypted push that the stand-in push service decrypts, and that payload delivered to the
 * service worker (over the DevTools protocol, as a push service would) shows the notification.
 *
 * Headless Chromium cannot reach a real push service (FCM) here, so `PushManager.prototype.subscribe` is
 * replaced in the page by one that returns a subscription of FakePushService: everything before it (the
 * service worker, permission, the VAPID key) and after it (the form post, storage, dispatch, encryption,
 * the service worker's push handler) is the real thing.
 */
import { insertAdminUserQuery, listAlertSubscriptions } from '@lifeline/db';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeSlack } from '../../alerts/test/fakes/chat-webhooks.ts';
import { FakePushService } from '../../alerts/test/fakes/push-service.ts';
import { startTestServer, type TestServer } from '../../monitor/test/helpers.ts';
import { SendLedger, TestDevice } from '../../monitor/test/test-device.ts';
import { hashPassword } from '../src/lib/password.ts';
import { axeViolations, launchChromium, screenshot, watchErrors } from './browser.ts';
import { run } from './fleet.ts';

const EMAIL = 'ops@example.com';
const PASSWORD = 'correct horse battery staple';
const PAYLOAD = '<script>window.__pwned=1</script><img src=x onerror="window.__pwned=2">';
const EVIL = `Back office ${PAYLOAD}`;

let browser: Browser;
let s: TestServer;
let ctx: BrowserContext;
let page: Page;
let errors: string[];
let till: TestDevice;
let evil: TestDevice;
const push = new FakePushService();
const slack = new FakeSlack();

async function signIn(p: Page) {
  await p.goto(`${s.url}/admin/login?next=/admin/alerts`);
  await p.fill('input[name=email]', EMAIL);
  await p.fill('input[name=password]', PASSWORD);
  await p.click('button[type=submit]');
  await p.waitForURL(/\/admin\/alerts$/);
}

const pwned = (p: Page) => p.evaluate(() => (window as unknown as { __pwned?: number }).__pwned ?? 0);
const api = (path: string) => s.request('GET', path, { token: s.creds.apiKey }).then((r) => r.json);

beforeAll(async () => {
  await Promise.all([push.start(), slack.start()]);
  [browser, s] = await Promise.all([launchChromium(), startTestServer({ site: true })]);
  await insertAdminUserQuery(s.deps.db, {
    workspaceId: s.creds.workspaceId,
    email: EMAIL,
    passwordHash: await hashPassword(PASSWORD),
    now: s.clock.now(),
  }).query;
  const ledger = new SendLedger();
  till = await TestDevice.enroll(s, 'Till phone', ledger);
  evil = await TestDevice.enroll(s, EVIL, ledger);
  await run(s, [till, evil], 2);
  ctx = await browser.newContext();
  await ctx.grantPermissions(['notifications'], { origin: s.url });
  page = await ctx.newPage();
  errors = watchErrors(page);
  page.on('dialog', (d) => {
    errors.push(`dialog: ${d.message()}`);
    void d.dismiss();
  });
  await signIn(page);
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await s?.close();
  await Promise.all([push.stop(), slack.stop()]);
});

describe('admin alerts page', () => {
  let browserSub: ReturnType<FakePushService['subscribe']>;

  it('turns push on: registers /sw.js, subscribes with the VAPID key, posts the subscription', async () => {
    expect(await page.locator('#firing-h + p').textContent()).toBe('Nothing is firing.');
    browserSub = push.subscribe();
    // What PushManager.subscribe would resolve with, had the browser reached a push service.
    await page.addInitScript(
      (sub) => {
        PushManager.prototype.subscribe = async (options?: PushSubscriptionOptionsInit) => {
          const key = new Uint8Array(options?.applicationServerKey as ArrayBuffer);
          // Kept across the page's reload after subscribing.
          sessionStorage.setItem(
            'subscribeOptions',
            JSON.stringify({
              userVisibleOnly: options?.userVisibleOnly,
              key: btoa(String.fromCharCode(...key))
                .replace(/\+/g, '-')
                .replace(/\//g, '_')
                .replace(/=+$/, ''),
            }),
          );
          return {
            endpoint: sub.endpoint,
            expirationTime: null,
            toJSON: () => sub,
          } as unknown as PushSubscription;
        };
      },
      { endpoint: browserSub.endpoint, expirationTime: null, keys: browserSub.keys },
    );
    await page.reload();
    const button = page.locator('button', { hasText: 'Enable push on this browser' });
    await button.waitFor();
    expect(await page.locator('#push-status').textContent()).toBe('Push is off on this browser.');
    await page.fill('#push input[name=label]', 'ops laptop');
    const [worker] = await Promise.all([ctx.waitForEvent('serviceworker'), button.click()]);
    expect(new URL(worker.url()).pathname).toBe('/sw.js');
    await page.waitForURL(/push=on/);
    expect(await page.locator('#push-status').textContent()).toContain('Push is on');
    expect(
      await page.evaluate(() => JSON.parse(sessionStorage.getItem('subscribeOptions') ?? 'null')),
    ).toEqual({
      userVisibleOnly: true,
      key: s.deps.alerts!.vapidPublicKey,
    });
    const scope = await page.evaluate(async () => (await navigator.serviceWorker.getRegistration())?.scope);
    expect(scope).toBe(`${s.url}/admin/`);
    const subs = (await api('/v1/alert-subscriptions')).subscriptions;
    expect(subs).toEqual([
      expect.objectContaining({ channel: 'web_push', target: browserSub.endpoint, label: 'ops laptop' }),
    ]);
    expect(await page.locator('#subscriptions-h ~ .scroll tbody').first().textContent()).toContain(
      'ops laptop',
    );
  });

  it('shows the offline phone firing, pushes it end to end, and the service worker shows the notification', async () => {
    const before = push.received.length;
    await run(s, [till], 4); // the evil-named phone stops reporting
    await page.goto(`${s.url}/admin/alerts`);
    const firing = page.locator('#firing-h + ul .alert');
    expect(await firing.count()).toBe(1);
    expect(await firing.locator('strong').textContent()).toBe(EVIL);
    expect(await firing.textContent()).toContain('Device offline');
    expect(await firing.locator('.timeline li').last().textContent()).toContain('Fired');
    expect(await page.locator('img[src=x]').count()).toBe(0);
    expect(await pwned(page)).toBe(0);
    const notes = await page.locator('#notifications-h + .scroll tbody tr').first().textContent();
    expect(notes).toContain('Browser push: ops laptop');
    expect(notes).toContain('delivered');

    // The stand-in push service checked the VAPID JWT and decrypted the aes128gcm body.
    const got = push.received.slice(before);
    expect(got).toHaveLength(1);
    expect(got[0]!.subscriptionId).toBe(browserSub.id);
    const payload = got[0]!.payload as { title: string; body: string; url: string; tag: string };
    expect(payload.title).toContain('Device offline');
    expect(payload.body).toContain(EVIL);

    // Delivered to the service worker as a push service would, through Chromium's push pipeline.
    const cdp = await ctx.newCDPSession(page);
    const registrationId = new Promise<string>((resolve) => {
      cdp.on('ServiceWorker.workerRegistrationUpdated', (e) => {
        const reg = e.registrations.find((r) => r.scopeURL === `${s.url}/admin/` && !r.isDeleted);
        if (reg) resolve(reg.registrationId);
      });
    });
    await cdp.send('ServiceWorker.enable');
    const id = await registrationId;
    const notifications = () =>
      page.evaluate(async () =>
        ((await (await navigator.serviceWorker.getRegistration())?.getNotifications()) ?? []).map((n) => ({
          title: n.title,
          body: n.body,
          tag: n.tag,
          data: n.data as { url: string },
        })),
      );
    let shown: Awaited<ReturnType<typeof notifications>> = [];
    // Read through the page's registration (a worker handle can go stale when Chromium restarts the worker);
    // delivered again if nothing shows within 2 s, as a push service would retry (not needed in practice).
    for (let attempt = 0; attempt < 5 && shown.length === 0; attempt++) {
      await cdp.send('ServiceWorker.deliverPushMessage', {
        origin: `${s.url}/`,
        registrationId: id,
        data: JSON.stringify(payload),
      });
      for (let i = 0; i < 20 && shown.length === 0; i++) {
        shown = await notifications();
        if (shown.length === 0) await new Promise((r) => setTimeout(r, 100));
      }
      if (shown.length === 0) console.warn(`push attempt ${attempt + 1} showed nothing yet`);
    }
    expect(shown).toEqual([
      {
        title: payload.title,
        body: payload.body,
        tag: payload.tag,
        data: { url: new URL(payload.url, s.url).href },
      },
    ]);
    await cdp.detach();
  });

  it('acknowledges the firing alert: the page says who, and offers it no more', async () => {
    await page.goto(`${s.url}/admin/alerts`);
    const firing = page.locator('#firing-h + ul .alert');
    await firing.locator('button:has-text("Acknowledge")').click();
    await page.waitForURL(/\/admin\/alerts(#firing-h)?$/);
    expect(await firing.locator('.meta').textContent()).toContain(`acknowledged by ${EMAIL}`);
    expect(await firing.locator('button:has-text("Acknowledge")').count()).toBe(0);
    expect(await firing.locator('.timeline li').last().textContent()).toContain('Acknowledged');
  });

  it('moves the alert to the history with its whole timeline once the phone is back', async () => {
    await run(s, [till, evil], 1);
    await page.goto(`${s.url}/admin/alerts`);
    expect(await page.locator('#firing-h + p').textContent()).toBe('Nothing is firing.');
    const row = page.locator('#history-h + .scroll tbody tr').first();
    expect(await row.locator('td').first().textContent()).toBe(EVIL);
    expect(await row.locator('.timeline li').allTextContents()).toEqual([
      expect.stringContaining('Fired'),
      expect.stringContaining('Acknowledged'),
      expect.stringContaining('Resolved'),
    ]);
    expect(await page.locator('img[src=x]').count()).toBe(0);
    expect(await pwned(page)).toBe(0);
  });

  it('disables, enables and edits rules with the API validation', async () => {
    const section = page.locator('section.rule', { hasText: 'Queue backlog' });
    await section.locator('button', { hasText: 'Disable' }).click();
    await page.waitForURL(/#rule-/);
    expect(await section.locator('h3').textContent()).toContain('(disabled)');
    const rule = () =>
      api('/v1/alert-rules').then((j) => j.rules.find((r: { kind: string }) => r.kind === 'queue_backlog'));
    expect((await rule()).enabled).toBe(false);
    await section.locator('button', { hasText: 'Enable' }).click();
    await page.waitForURL(/#rule-/);
    expect((await rule()).enabled).toBe(true);

    await section.locator('summary').click();
    await section.locator('input[name="p.depth"]').fill('250');
    await section.locator('input[name="p.horizonMs"]').fill('2');
    await section.locator('input[name=forMin]').fill('3');
    await section.locator('button', { hasText: 'Save' }).click();
    await page.waitForURL(/#rule-/);
    expect(await rule()).toMatchObject({ forMs: 180_000, params: { depth: 250, horizonMs: 120_000 } });

    await section.locator('summary').click();
    await section.locator('input[name="p.depth"]').fill('0');
    await section.locator('button', { hasText: 'Save' }).click();
    expect(await page.locator('.error[role=alert]').textContent()).toContain("Invalid 'depth'");
    expect((await rule()).params.depth).toBe(250);
  });

  it('creates a silence with an expiry and ends it now', async () => {
    await page.goto(`${s.url}/admin/alerts`);
    const form = page.locator('form', { has: page.locator('input[name=action][value=silence]') });
    await form.locator('select[name=ruleId]').selectOption({ label: 'Device offline' });
    await form.locator('select[name=deviceId]').selectOption({ label: EVIL });
    await form.locator('input[name=comment]').fill('Moving the <b>back office</b>');
    await form
      .locator('input[name=endsAt]')
      .fill(new Date(s.clock.now() + 3_600_000).toISOString().slice(0, 16));
    await form.locator('button').click();
    await page.waitForURL(/#silences-h/);
    const row = page.locator('#silences-h ~ .scroll tbody tr').first();
    expect(await row.textContent()).toContain('Moving the <b>back office</b>');
    expect(await row.textContent()).toContain(EVIL);
    const silences = (await api('/v1/silences')).silences;
    expect(silences).toEqual([
      expect.objectContaining({
        endsAt: s.clock.now() + 3_600_000,
        comment: 'Moving the <b>back office</b>',
      }),
    ]);
    await row.locator('button', { hasText: 'End now' }).click();
    await page.waitForURL(/#silences-h/);
    expect(await page.locator('#silences-h ~ p.empty').first().textContent()).toBe('No silences in force.');
    expect((await api('/v1/silences')).silences).toEqual([]);
  });

  it('adds and removes an email subscription, shows a webhook secret once and seals it', async () => {
    const email = page.locator('form', { has: page.locator('input[value=sub-email]') });
    await email.locator('input[name=email]').fill('owner@example.com');
    await email.locator('input[name=delayMin]').fill('15');
    await email.locator('label.check', { hasText: 'Page' }).locator('input').check();
    await email.locator('label.check', { hasText: 'Escalation' }).locator('input').check();
    await email.locator('button').click();
    await page.waitForURL(/#subscriptions-h/);
    const rows = page.locator('#subscriptions-h + .scroll tbody tr');
    const row = rows.filter({ hasText: 'owner@example.com' });
    expect(await row.textContent()).toContain('15 min, if unacknowledged');
    expect((await api('/v1/alert-subscriptions')).subscriptions).toContainEqual(
      expect.objectContaining({
        channel: 'email',
        target: 'owner@example.com',
        delayMs: 900_000,
        unacknowledgedOnly: true,
        severities: ['page'],
      }),
    );
    await row.locator('button', { hasText: 'Remove' }).click();
    await page.waitForURL(/#subscriptions-h/);
    expect(await rows.filter({ hasText: 'owner@example.com' }).count()).toBe(0);

    const hook = page.locator('form', { has: page.locator('input[value=sub-webhook]') });
    await hook.locator('input[name=url]').fill('https://hooks.example.com/lifeline');
    await hook.locator('button').click();
    const secret = (await page.locator('.notice .secret').textContent()) ?? '';
    expect(secret).toMatch(/^whsec_/);
    const stored = (await listAlertSubscriptions(s.deps.db, s.creds.workspaceId)).find(
      (r) => r.channel === 'webhook',
    )!;
    expect(stored.secretCiphertext).not.toContain(secret);
    expect(await s.deps.secretBox!.open(stored.secretCiphertext!, `alert_subscription:${stored.id}`)).toBe(
      secret,
    );
    await page.goto(`${s.url}/admin/alerts`);
    expect(await page.locator('.secret').count()).toBe(0);
    expect(await page.content()).not.toContain(secret);
    // Refused by the API's own validation, shown on the page.
    await hook.locator('input[name=url]').fill('ftp://hooks.example.com/lifeline');
    await hook.locator('button').click();
    expect(await page.locator('.error[role=alert]').textContent()).toContain('http:// or https://');
  });

  it('adds a Slack channel (its URL never shown again), sends it a test, and shows a failed test plainly', async () => {
    const url = slack.webhookUrl('adminPageTKN');
    const form = page.locator('form', { has: page.locator('input[value=sub-slack]') });
    await form.locator('input[name=url]').fill(url);
    await form.locator('input[name=label]').fill('#ops');
    await form.locator('button').click();
    await page.waitForURL(/#subscriptions-h/);
    const row = page.locator('#subscriptions-h + .scroll tbody tr', { hasText: '#ops' });
    expect(await row.textContent()).toContain('Slack');
    expect(await row.textContent()).toContain('…eTKN');
    expect(await page.content()).not.toContain('adminPageTKN');
    const before = slack.received.length;
    await row.locator('button', { hasText: 'Send test' }).click();
    await expect
      .poll(() => page.locator('.ok-note[role=status]').textContent())
      .toContain('Test message to Slack #ops: accepted (HTTP 200)');
    expect(slack.received.length).toBe(before + 1);

    slack.revoked.add('adminPageTKN');
    await page
      .locator('#subscriptions-h + .scroll tbody tr', { hasText: '#ops' })
      .locator('button', { hasText: 'Send test' })
      .click();
    await expect
      .poll(() => page.locator('.error[role=alert]').textContent())
      .toContain('HTTP 404: no_service');
    await page
      .locator('#subscriptions-h + .scroll tbody tr', { hasText: '#ops' })
      .locator('button', { hasText: 'Remove' })
      .click();
    await page.waitForURL(/#subscriptions-h/);
  });

  it("refuses a post without the session's CSRF token or from another origin", async () => {
    await page.goto(`${s.url}/admin/alerts`);
    const cookie = (await ctx.cookies()).map((c) => `${c.name}=${c.value}`).join('; ');
    const csrf = await page.locator('input[name=csrf]').first().inputValue();
    const post = (body: string, origin = s.url) =>
      fetch(`${s.url}/admin/alerts`, {
        method: 'POST',
        headers: { cookie, origin, 'content-type': 'application/x-www-form-urlencoded' },
        body,
        redirect: 'manual',
      });
    const form = 'action=sub-email&email=csrf%40example.com';
    expect((await post(form)).status).toBe(403);
    expect((await post(`${form}&csrf=wrong`)).status).toBe(403);
    expect((await post(`${form}&csrf=${encodeURIComponent(csrf)}`, 'https://evil.example')).status).toBe(403);
    expect((await api('/v1/alert-subscriptions')).subscriptions).not.toContainEqual(
      expect.objectContaining({ target: 'csrf@example.com' }),
    );
    expect((await post(`${form}&csrf=${encodeURIComponent(csrf)}`)).status).toBe(303);
  });

  it('passes axe-core with no serious or critical violations', async () => {
    await page.goto(`${s.url}/admin/alerts`);
    await page
      .locator('section.rule details')
      .first()
      .evaluate((d) => {
        (d as HTMLDetailsElement).open = true;
      });
    const serious = (await axeViolations(page)).filter(
      (v) => v.impact === 'serious' || v.impact === 'critical',
    );
    expect(serious.map((v) => `${v.id}: ${JSON.stringify(v.nodes.map((n) => n.target))}`)).toEqual([]);
    await screenshot(page, 'admin-alerts');
    // Only the refusals the tests asked for (400s on purpose).
    expect(errors.filter((e) => !e.includes('status of 400'))).toEqual([]);
  });

  it('says so when this browser may not show notifications', async () => {
    const other = await browser.newContext();
    const p = await other.newPage();
    await signIn(p);
    await p.locator('button', { hasText: 'Enable push on this browser' }).click();
    await p.locator('#push-status.error').waitFor();
    expect(await p.locator('#push-status').textContent()).toMatch(/Permission was (denied|not given)/);
    expect(
      (await api('/v1/alert-subscriptions')).subscriptions.filter(
        (x: { channel: string }) => x.channel === 'web_push',
      ),
    ).toHaveLength(1);
    // A browser without the Push API: no button, and the page says what to use instead.
    await p.addInitScript(() => {
      delete (window as { PushManager?: unknown }).PushManager;
    });
    await p.reload();
    expect(await p.locator('#push-status').textContent()).toContain('no web push support');
    expect(await p.locator('button', { hasText: 'Enable push on this browser' }).isVisible()).toBe(false);
    await other.close();
  });
});
