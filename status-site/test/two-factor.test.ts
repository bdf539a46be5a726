/**
 * Two-factor sign-in in real Chromium: an admin turns it on from the Admins page (scanning is replaced by
 * reading the key the page shows, as typing it into the app would), gets ten recovery codes once, and from
 * then on signing in asks for a code: the session opens nothing else until one is given, a wrong one is
 * refused, each code and each recovery code works once, and turning it off takes a code too.
 */
import { insertAdminUserQuery } from '@lifeline/db';
import * as OTPAuth from 'otpauth';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../../monitor/test/helpers.ts';
import { hashPassword } from '../src/lib/password.ts';
import { axeViolations, launchChromium, watchErrors } from './browser.ts';

const EMAIL = 'owner@example.com';
const PASSWORD = 'correct horse battery staple';
const STEP = 30_000;

let browser: Browser;
let s: TestServer;
let page: Page;
let errors: string[];
let key = '';
let recoveryCodes: string[] = [];

const code = (at = s.clock.now()) =>
  new OTPAuth.TOTP({ secret: OTPAuth.Secret.fromBase32(key) }).generate({ timestamp: at });

async function signInWithPassword(next = '/admin/devices') {
  await page.goto(`${s.url}/admin/login?next=${encodeURIComponent(next)}`);
  await page.fill('input[name=email]', EMAIL);
  await page.fill('input[name=password]', PASSWORD);
  await page.click('button[type=submit]');
}

async function signOut() {
  await page.goto(`${s.url}/admin/admins`);
  await page.click('form[action="/admin/logout"] button');
  await page.waitForURL(/\/admin\/login$/);
}

beforeAll(async () => {
  [browser, s] = await Promise.all([launchChromium(), startTestServer({ site: true })]);
  await insertAdminUserQuery(s.deps.db, {
    workspaceId: s.creds.workspaceId,
    email: EMAIL,
    passwordHash: await hashPassword(PASSWORD),
    now: s.clock.now(),
  }).query;
  page = await (await browser.newContext()).newPage();
  errors = watchErrors(page);
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await s?.close();
});

describe('two-factor sign-in', () => {
  it('is turned on from the Admins page with a code from the app, and shows ten recovery codes once', async () => {
    await signInWithPassword('/admin/admins');
    await page.waitForURL(/\/admin\/admins$/);
    expect(await page.locator('#two-factor-h + form').textContent()).toContain('Off');
    await page.click('button:has-text("Set up two-factor sign-in")');
    expect(await page.locator('.qr svg').count()).toBe(1);
    key = ((await page.locator('code.secret').textContent()) ?? '').replaceAll(' ', '');
    expect(key).toMatch(/^[A-Z2-7]{32}$/);
    // A wrong code: refused, and the same key is shown again to retry.
    await page.fill('input[name=code]', '000000');
    await page.click('button:has-text("Turn on")');
    expect(await page.locator('.error[role=alert]').textContent()).toContain('not the one your app shows');
    expect(((await page.locator('code.secret').textContent()) ?? '').replaceAll(' ', '')).toBe(key);
    await page.fill('input[name=code]', code());
    await page.click('button:has-text("Turn on")');
    recoveryCodes = await page.locator('.recovery-codes li').allTextContents();
    expect(recoveryCodes).toHaveLength(10);
    const serious = (await axeViolations(page)).filter(
      (v) => v.impact === 'serious' || v.impact === 'critical',
    );
    expect(serious.map((v) => v.id)).toEqual([]);
    await page.goto(`${s.url}/admin/admins`);
    expect(await page.locator('.recovery-codes').count(), 'shown once').toBe(0);
    expect(await page.locator('tr', { hasText: EMAIL }).textContent()).toContain('On');
    await signOut();
  });

  it('then asks for a code after the password, and opens nothing else until it is given', async () => {
    s.clock.advance(STEP);
    await signInWithPassword('/admin/devices');
    await page.waitForURL(/\/admin\/login\/verify\?next=%2Fadmin%2Fdevices$/);
    // Any other admin page, or a form post, sends back to the code.
    await page.goto(`${s.url}/admin/keys`);
    await page.waitForURL(/\/admin\/login\/verify\?next=%2Fadmin%2Fkeys$/);
    const post = await page.request.post(`${s.url}/admin/keys`, { form: { action: 'create', name: 'x' } });
    expect(post.status()).toBe(403);

    await page.goto(`${s.url}/admin/login/verify?next=%2Fadmin%2Fdevices`);
    await page.fill('input[name=code]', '123456');
    await page.click('button:has-text("Verify")');
    expect(await page.locator('.error[role=alert]').textContent()).toContain('not right');
    await page.fill('input[name=code]', code());
    await page.click('button:has-text("Verify")');
    await page.waitForURL(/\/admin\/devices$/);
    // The 400 and 401 answers above are the pages refusing codes, as they should; nothing else went wrong.
    expect(errors.filter((e) => !/status of 40[01]\b/.test(e))).toEqual([]);
    await signOut();

    // The same code (same 30 s step) does not sign in twice.
    await signInWithPassword('/admin/devices');
    await page.fill('input[name=code]', code());
    await page.click('button:has-text("Verify")');
    expect(await page.locator('.error[role=alert]').textContent()).toContain('not right');
  });

  it('takes a recovery code once', async () => {
    await page.fill('input[name=code]', recoveryCodes[0]!.toLowerCase());
    await page.click('button:has-text("Verify")');
    await page.waitForURL(/\/admin\/devices$/);
    await signOut();
    await signInWithPassword('/admin/devices');
    await page.fill('input[name=code]', recoveryCodes[0]!);
    await page.click('button:has-text("Verify")');
    expect(await page.locator('.error[role=alert]').textContent()).toContain('not right');
  });

  it('ends the half-signed-in session after five wrong codes', async () => {
    for (let i = 0; i < 4; i++) {
      await page.fill('input[name=code]', '654321');
      await page.click('button:has-text("Verify")');
    }
    // Five failures so far (one above); the next try is refused and the session ended.
    await page.fill('input[name=code]', code());
    await page.click('button:has-text("Verify")');
    expect(await page.locator('.error[role=alert]').textContent()).toContain('Too many wrong codes');
    await page.goto(`${s.url}/admin/devices`);
    await page.waitForURL(/\/admin\/login\?next=/);
  });

  it('turns off with a current code', async () => {
    s.clock.advance(16 * 60_000);
    await signInWithPassword('/admin/admins');
    await page.fill('input[name=code]', code());
    await page.click('button:has-text("Verify")');
    await page.waitForURL(/\/admin\/admins$/);
    expect(await page.locator('#two-factor-h + div').textContent()).toContain('9 recovery codes left');
    s.clock.advance(STEP);
    await page.fill('input[name=code]', code());
    await page.click('button:has-text("Turn off")');
    expect(await page.locator('[role=status]').textContent()).toContain('Two-factor sign-in is off.');
    await signOut();
    await signInWithPassword('/admin/devices');
    await page.waitForURL(/\/admin\/devices$/);
  });
});
