/**
 * The public page in real Chromium, with a simulated fleet driven through the real API: statuses, bars,
 * tooltips by keyboard, charts, the page without JavaScript, 360 px, axe-core, and light/dark screenshots.
 */
import { addPlatformProbeQuery } from '@lifeline/db';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { axeViolations, launchChromium, screenshot, watchErrors } from './browser.ts';
import { type Fleet, run, startFleet } from './fleet.ts';

let browser: Browser;
let fleet: Fleet;

beforeAll(async () => {
  [browser, fleet] = await Promise.all([launchChromium(), startFleet()]);
  // Layer 1: eleven self-probe runs today, one of which failed.
  const now = fleet.s.clock.now();
  const buckets = [
    { granularity: 'minute' as const, bucketStart: Math.floor(now / 60_000) * 60_000 - 60_000 },
    { granularity: 'hour' as const, bucketStart: Math.floor(now / 3_600_000) * 3_600_000 },
    { granularity: 'day' as const, bucketStart: Math.floor(now / 86_400_000) * 86_400_000 },
  ];
  for (let i = 0; i < 11; i++) await addPlatformProbeQuery(fleet.s.deps.db, { buckets, ok: i > 0 });
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await fleet?.s.close();
});

async function apiStatuses() {
  const res = await fleet.s.request('GET', '/v1/components', { token: fleet.s.creds.apiKey });
  return new Map<string, string>(
    res.json.components.map((c: { name: string; status: string }) => [c.name, c.status]),
  );
}

describe('public status page', () => {
  it('shows every component with its status, a 90-day bar and the uptime windows; charts drawn without CSP errors', async () => {
    const page = await browser.newPage();
    const errors = watchErrors(page);
    await page.goto(fleet.s.url);
    await expect.poll(() => page.locator('[data-chart="delivery"] canvas').count()).toBe(1);
    expect(await page.locator('[data-chart="budget"] canvas').count()).toBe(1);
    expect(await page.locator('.banner h1').textContent()).toBe('All Systems Operational');
    const statuses = await apiStatuses();
    expect(statuses.get('Vodafone UK')).toBeDefined();
    for (const [name, status] of statuses) {
      const row = page.locator('.component', { has: page.locator('h3', { hasText: name }) });
      expect(await row.getAttribute('data-status')).toBe(status);
    }
    const devices = page.locator('.component', {
      has: page.locator('h3', { hasText: 'Device connectivity' }),
    });
    expect(await devices.locator('.status').textContent()).toBe('Operational');
    // 89 days before enrolment read "no data" as one cell; today has its figure.
    const cells = devices.locator('.bar li');
    expect(await cells.count()).toBe(2);
    expect(await cells.nth(0).getAttribute('class')).toContain('d89');
    expect(await cells.nth(0).textContent()).toMatch(/^4 Aug – 31 Oct: no data$/);
    expect(await cells.nth(1).textContent()).toMatch(/^1 Nov: 100 %$/);
    expect((await devices.locator('.windows').textContent())?.replace(/\u00a0/g, ' ')).toMatch(
      /^Uptime: 24 h 100 % · 7 d 100 % · 30 d 100 % · 90 d 100 %$/,
    );
    // The platform's bar and windows: the self-probes' share of good runs (10 of 11).
    const platform = page.locator('.component', { has: page.locator('h3', { hasText: 'Platform' }) });
    expect(await platform.locator('.bar li').last().textContent()).toBe('1 Nov: 90.90 %');
    expect((await platform.locator('.windows').textContent())?.replace(/\u00a0/g, ' ')).toMatch(
      /^Uptime: 24 h 90.90 %/,
    );
    // The carrier's bar: 38 of 40 delivered today.
    const carrier = page.locator('.component', { has: page.locator('h3', { hasText: 'Vodafone UK' }) });
    expect(await carrier.locator('.bar li').last().textContent()).toBe('1 Nov: 95.00 %');
    expect(errors).toEqual([]);
    await page.close();
  });

  it("shows a bar cell's figures on keyboard focus (a tooltip that needs no JavaScript)", async () => {
    const page = await browser.newPage();
    await page.goto(fleet.s.url);
    const tip = page.locator('.bar li').last().locator('i');
    expect(await tip.evaluate((e) => e.getBoundingClientRect().width)).toBeLessThanOrEqual(1);
    let focused = '';
    for (let i = 0; i < 40 && !focused.startsWith('1 Nov:'); i++) {
      await page.keyboard.press('Tab');
      focused = await page.evaluate(() =>
        document.activeElement?.closest('.bar li') ? (document.activeElement.textContent ?? '') : '',
      );
    }
    expect(focused).toMatch(/^1 Nov: \d+(\.\d\d)? %$/);
    const shown = page.locator('.bar li:focus i');
    expect(await shown.evaluate((e) => e.getBoundingClientRect().width)).toBeGreaterThan(50);
    await page.close();
  });

  it('turns the devices component to partial outage when half the phones go offline', async () => {
    // Two of the four phones stop heartbeating for 10 minutes.
    await run(fleet.s, fleet.devices.slice(0, 2), 10);
    const page = await browser.newPage();
    await page.goto(fleet.s.url);
    const devices = page.locator('.component', {
      has: page.locator('h3', { hasText: 'Device connectivity' }),
    });
    expect(await devices.getAttribute('data-status')).toBe('partial_outage');
    expect(await devices.locator('.status').textContent()).toBe('Partial outage');
    expect((await apiStatuses()).get('Device connectivity')).toBe('partial_outage');
    expect(await page.locator('.banner h1').textContent()).toBe('Partial System Outage');
    // Today's uptime is now below 100 %, and the bar's cell says so, with the incident the public fleet
    // rule opened by itself (half the phones offline).
    expect(await devices.locator('.bar li').last().textContent()).toMatch(
      /^1 Nov: (9\d|8\d)\.\d\d %; incident: Many devices offline: Device connectivity$/,
    );
    expect(await page.locator('#active-h ~ article .incident-name').first().textContent()).toBe(
      'Many devices offline: Device connectivity',
    );
    await page.close();
  });

  it('reads fully without JavaScript: figures and tables, no canvas', async () => {
    const ctx = await browser.newContext({ javaScriptEnabled: false });
    const page = await ctx.newPage();
    await page.goto(fleet.s.url);
    const text = await page.locator('main').textContent();
    for (const s of [
      'Device connectivity',
      'Vodafone UK',
      'Delivered (30 days)',
      'Error budget left',
      'Uptime: 24\u00a0h',
      'Subscribe',
    ]) {
      expect(text).toContain(s);
    }
    expect(await page.locator('table.data tbody tr').count()).toBe(1);
    expect(await page.locator('canvas').count()).toBe(0);
    await ctx.close();
  });

  it('fits 360 px without horizontal scrolling, passes axe-core, and looks right in light and dark', async () => {
    for (const colorScheme of ['light', 'dark'] as const) {
      const ctx = await browser.newContext({ colorScheme, viewport: { width: 1024, height: 900 } });
      const page = await ctx.newPage();
      await page.goto(fleet.s.url);
      await page.locator('[data-chart="delivery"] canvas').waitFor();
      const violations = await axeViolations(page);
      const serious = violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
      expect(
        serious.map((v) => `${v.id}: ${v.help} ${JSON.stringify(v.nodes.map((n) => n.target))}`),
      ).toEqual([]);
      await screenshot(page, `public-${colorScheme}`);
      await page.setViewportSize({ width: 360, height: 800 });
      await page.waitForTimeout(100);
      expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(360);
      await screenshot(page, `public-${colorScheme}-360`);
      await ctx.close();
    }
  });

  it('serves the page with a strict CSP, no inline scripts, no third-party URLs, and swr caching', async () => {
    const res = await fetch(fleet.s.url);
    const csp = res.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
    expect(csp).toContain("style-src 'self'");
    expect(res.headers.get('cache-control')).toContain('stale-while-revalidate');
    const html = await res.text();
    // Every <script> either loads a same-origin file or is a JSON data block.
    for (const tag of html.match(/<script\b[^>]*>/g) ?? []) {
      expect(tag).toMatch(/type="application\/json"|src="\/_astro\//);
    }
    expect(html).not.toMatch(/\sstyle="/);
    expect(html).not.toMatch(/(src|href)="(https?:)?\/\/(?!127\.0\.0\.1)/);
  });
});
