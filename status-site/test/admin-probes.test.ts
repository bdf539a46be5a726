/**
 * The admin probes pages in real Chromium: every kind of the API's contract has a form (the SMS canary's
 * phones as choices), a probe is added, refused and changed with the API's own validation and messages,
 * runs against a local target and shows its status, last result, latency (small chart in the list, a chart
 * on its page, drawn with no CSP error) and results history; a WhatsApp access token is written and never
 * shown back; pause, resume, delete; CSRF; no script where there is no chart; axe-core.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { findProbe } from '@lifeline/db';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newProbeSchema } from '../../monitor/src/contract/probes.ts';
import { tick } from '../../monitor/src/tick.ts';
import { startTestServer, type TestServer } from '../../monitor/test/helpers.ts';
import { SendLedger, TestDevice } from '../../monitor/test/test-device.ts';
import { createAdmin, signIn } from './admin-session.ts';
import { axeViolations, launchChromium, screenshot, watchErrors } from './browser.ts';

const TOKEN = 'EAAB-do-not-show-me-0123456789';

let browser: Browser;
let s: TestServer;
let page: Page;
let errors: string[];
let target: Server;
let targetUrl = '';
let httpProbeId = '';

/** Console errors other than the 400 answers of refused forms (Chromium logs those). */
const unexpected = () => errors.filter((e) => !e.includes('status of 400'));

const api = (method: string, path: string, body?: unknown) =>
  s.request(method, path, { token: s.creds.apiKey, body });

async function step(ms = 60_000) {
  s.clock.advance(ms);
  await tick(s.deps, s.clock.now());
}

/** Opens a kind's "Add a probe" form. */
async function openNew(kind: string) {
  await page.goto(`${s.url}/admin/probes`);
  await page.click(`#new-${kind} > summary`);
  return page.locator(`#new-${kind} form`);
}

beforeAll(async () => {
  target = createServer((_req, res) => {
    // A little latency, so the chart has something to draw.
    setTimeout(() => res.end('ok'), 5);
  });
  await new Promise<void>((r) => target.listen(0, '127.0.0.1', r));
  targetUrl = `http://127.0.0.1:${(target.address() as AddressInfo).port}/health`;
  [browser, s] = await Promise.all([launchChromium(), startTestServer({ site: true })]);
  await createAdmin(s);
  const ledger = new SendLedger();
  await TestDevice.enroll(s, 'Till phone', ledger);
  await TestDevice.enroll(s, 'Back office phone', ledger);
  page = await browser.newPage();
  errors = watchErrors(page);
  await signIn(page, s, '/admin/probes');
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await s?.close();
  target?.closeAllConnections();
  await new Promise((r) => target?.close(r));
});

describe('admin probes pages', () => {
  it('offers a form for every kind of the API, with no script on a page without a chart', async () => {
    expect(await page.locator('main .empty').first().textContent()).toContain('No probes yet');
    const kinds = newProbeSchema.options.map((o) => o.shape.kind.value);
    expect(kinds).toContain('sms_canary');
    for (const kind of kinds) expect(await page.locator(`#new-${kind} > summary`).count(), kind).toBe(1);
    expect(await page.locator('#new-http > summary').textContent()).toBe('HTTP check');
    // The canary's phones are a choice of the workspace's phones.
    const phones = await page
      .locator('#new-sms_canary select[name="c.fromDeviceId"] option')
      .allTextContents();
    expect(phones).toEqual(['Choose a phone', 'Back office phone', 'Till phone']);
    expect(await page.locator('#new-whatsapp input[name="s.accessToken"]').getAttribute('type')).toBe(
      'password',
    );
    expect(await page.locator('script[src]').count()).toBe(0);
    // Empty settings take the kind's defaults, which the fields say; credentials for HTTP are write-only.
    const placeholder = (kind: string, name: string) =>
      page.locator(`#new-${kind} input[name=${name}]`).getAttribute('placeholder');
    expect(await placeholder('http', 'intervalS')).toBe('default 60');
    expect(await placeholder('sms_canary', 'intervalS')).toBe('default 900');
    expect(await placeholder('sms_canary', 'timeoutS')).toBe('default 300');
    expect(await page.locator('#new-http textarea[name="s.secretHeaders"]').count()).toBe(1);
    await page.click('#new-http > summary');
    await screenshot(page, 'admin-probes-new');
  });

  it('refuses what the API refuses, with its message, and keeps what was typed', async () => {
    const form = await openNew('http');
    await form.locator('input[name=name]').fill('Booking API');
    await form.locator('input[name="c.url"]').fill(targetUrl);
    await form.locator('input[name=intervalS]').fill('30');
    await form.locator('button[type=submit]').click();
    await page.waitForLoadState();
    const shown = await page.locator('p.error').textContent();
    const fromApi = await api('POST', '/v1/probes', {
      kind: 'http',
      name: 'Booking API',
      config: { url: targetUrl },
      intervalMs: 30_000,
    });
    expect(fromApi.status).toBe(400);
    expect(shown).toBe(fromApi.json.error.message);
    expect(shown).toContain('private');
    // The form is open again with the values typed.
    expect(await page.locator('#new-http').getAttribute('open')).not.toBeNull();
    expect(await page.locator('#new-http input[name="c.url"]').inputValue()).toBe(targetUrl);
    expect(await page.locator('#new-http input[name=intervalS]').inputValue()).toBe('30');

    // A timeout longer than the interval: the API's own check.
    await page.locator('#new-http input[name=intervalS]').fill('20');
    await page.locator('#new-http input[name=timeoutS]').fill('25');
    await page.locator('#new-http input[name=allowPrivate]').check();
    await page.locator('#new-http button[type=submit]').click();
    await page.waitForLoadState();
    expect(await page.locator('p.error').textContent()).toBe(
      "Invalid 'timeoutMs': must not exceed intervalMs.",
    );
  });

  it('adds an HTTP probe, runs it, and shows status, last result, latency and history', async () => {
    await page.locator('#new-http input[name=intervalS]').fill('30');
    await page.locator('#new-http input[name=timeoutS]').fill('');
    await page.locator('#new-http button[type=submit]').click();
    await page.waitForURL(/\/admin\/probes\/prb_/);
    httpProbeId = new URL(page.url()).pathname.split('/').at(-1)!;
    expect(await page.locator('h1').textContent()).toBe('Booking API');
    const probe = (await api('GET', `/v1/probes/${httpProbeId}`)).json;
    expect(probe).toMatchObject({ kind: 'http', intervalMs: 30_000, allowPrivate: true, enabled: true });
    expect(probe.config.url).toBe(targetUrl);

    for (let i = 0; i < 4; i++) await step(30_000);
    await page.reload();
    const rows = page.locator('#history-h + .scroll tbody tr');
    expect(await rows.count()).toBe(4);
    expect(await rows.first().textContent()).toContain('Up');
    expect(await page.locator('dl .probe-status').textContent()).toBe('Up');
    // The chart is drawn (chart.js loaded after the page rendered), without a CSP error.
    await page.locator('[data-chart=latency] canvas').waitFor();
    expect(await page.locator('script[src]').count()).toBeGreaterThan(0);
    await screenshot(page, 'admin-probe');

    await page.goto(`${s.url}/admin/probes`);
    const row = page.locator(`#probe-${httpProbeId}`);
    const cells = await row.locator('td').allTextContents();
    expect(cells[0]).toBe('Booking API');
    expect(cells[1]).toBe('HTTP check');
    expect(cells[2]).toBe(targetUrl);
    expect(cells[4]).toBe('30 s');
    expect(cells[5]).toBe('Up');
    expect(cells[7]).toMatch(/median \d+ ms, last \d+ ms/);
    await row.locator('[data-chart=latency] canvas').waitFor();
    await screenshot(page, 'admin-probes');
    expect(unexpected()).toEqual([]);
  });

  it('changes a probe with the API’s validation, and pauses, resumes and deletes', async () => {
    await page.goto(`${s.url}/admin/probes/${httpProbeId}`);
    await page.fill('#edit-h + form input[name="c.url"]', 'ftp://example.com/');
    await page.click('#edit-h + form button[type=submit]');
    await page.waitForLoadState();
    const refused = await api('PATCH', `/v1/probes/${httpProbeId}`, {
      config: { url: 'ftp://example.com/' },
    });
    expect(await page.locator('p.error').textContent()).toBe(refused.json.error.message);

    await page.fill('#edit-h + form input[name="c.url"]', targetUrl);
    await page.fill('#edit-h + form input[name=intervalS]', '120');
    await page.fill('#edit-h + form input[name="c.keyword"]', 'ok');
    await page.click('#edit-h + form button[type=submit]');
    await page.waitForURL(/saved=1/);
    expect((await api('GET', `/v1/probes/${httpProbeId}`)).json).toMatchObject({
      intervalMs: 120_000,
      config: { url: targetUrl, keyword: 'ok' },
    });

    await page.goto(`${s.url}/admin/probes`);
    await page.click(`#probe-${httpProbeId} button:has-text("Pause")`);
    await page.waitForLoadState();
    expect(await page.locator(`#probe-${httpProbeId} .probe-status`).textContent()).toBe('Paused');
    expect((await api('GET', `/v1/probes/${httpProbeId}`)).json.enabled).toBe(false);
    await page.click(`#probe-${httpProbeId} button:has-text("Resume")`);
    await page.waitForLoadState();
    expect((await api('GET', `/v1/probes/${httpProbeId}`)).json.enabled).toBe(true);
  });

  it('takes a WhatsApp access token and never shows it back', async () => {
    const form = await openNew('whatsapp');
    await form.locator('input[name=name]').fill('WhatsApp account');
    await form.locator('input[name="c.nodeId"]').fill('106540352242922');
    await form.locator('input[name="s.accessToken"]').fill(TOKEN);
    await form.locator('button[type=submit]').click();
    await page.waitForURL(/\/admin\/probes\/prb_/);
    const id = new URL(page.url()).pathname.split('/').at(-1)!;
    expect(await page.content()).not.toContain(TOKEN);
    expect(await page.locator('#edit-h + form input[name="s.accessToken"]').inputValue()).toBe('');
    expect(await page.locator('dl').textContent()).toContain('stored (never shown)');
    const sealed = (await findProbe(s.deps.db, s.creds.workspaceId, id))!.secretCiphertext;
    expect(sealed).toBeTruthy();
    expect(sealed).not.toContain(TOKEN);

    // Saved without typing it again: the stored token stays.
    await page.fill('#edit-h + form input[name=name]', 'WhatsApp main account');
    await page.click('#edit-h + form button[type=submit]');
    await page.waitForURL(/saved=1/);
    expect(await page.content()).not.toContain(TOKEN);
    const after = (await findProbe(s.deps.db, s.creds.workspaceId, id))!;
    expect(after.name).toBe('WhatsApp main account');
    expect(after.secretCiphertext).toBe(sealed);
    await page.goto(`${s.url}/admin/probes`);
    expect(await page.content()).not.toContain(TOKEN);
  });

  it('adds an SMS canary between two of the workspace’s phones', async () => {
    const form = await openNew('sms_canary');
    await form.locator('input[name=name]').fill('Till to back office');
    await form.locator('select[name="c.fromDeviceId"]').selectOption({ label: 'Till phone' });
    await form.locator('select[name="c.toDeviceId"]').selectOption({ label: 'Back office phone' });
    await form.locator('input[name="c.toNumber"]').fill('+447700900123');
    // Its interval and timeout follow the canary's own limits (at least a minute): the API says so.
    await form.locator('input[name=intervalS]').fill('30');
    await form.locator('button[type=submit]').click();
    await page.waitForLoadState();
    expect(await page.locator('p.error').textContent()).toContain('intervalMs');
    await page.locator('#new-sms_canary input[name=intervalS]').fill('900');
    await page.locator('#new-sms_canary button[type=submit]').click();
    await page.waitForURL(/\/admin\/probes\/prb_/);
    expect(await page.locator('dl dd.target').textContent()).toBe(
      'Till phone → Back office phone → +447700900123',
    );
    // Its settings form has no retries or private targets: the kind takes none.
    expect(await page.locator('#edit-h + form input[name=retries]').count()).toBe(0);
    expect(await page.locator('#edit-h + form input[name=allowPrivate]').count()).toBe(0);
    await page.click('#delete-h + form button');
    await page.waitForURL(/\/admin\/probes$/);
    expect(await page.content()).not.toContain('Till to back office');
  });

  it('refuses a change without the CSRF token', async () => {
    const res = await page.request.post(`${s.url}/admin/probes`, {
      form: { action: 'delete', id: httpProbeId },
      headers: { origin: s.url },
    });
    expect(res.status()).toBe(403);
    expect((await api('GET', `/v1/probes/${httpProbeId}`)).status).toBe(200);
  });

  it('passes axe-core on the list and on a probe’s page', async () => {
    for (const path of ['/admin/probes', `/admin/probes/${httpProbeId}`]) {
      await page.goto(s.url + path);
      // The add forms open, so their fields are checked too.
      for (const d of await page.locator('details').all())
        await d.evaluate((e) => e.setAttribute('open', ''));
      const serious = (await axeViolations(page)).filter(
        (v) => v.impact === 'serious' || v.impact === 'critical',
      );
      expect(serious, `${path}: ${JSON.stringify(serious, null, 1)}`).toEqual([]);
    }
    expect(unexpected()).toEqual([]);
  });
});
