/**
 * The admin pages in real Chromium: sign-in (rate-limited), CSRF, incidents and maintenance that appear on
 * the public page at once, devices, messages, keys; HTML/script payloads render inert everywhere.
 */
import { insertAdminUserQuery } from '@lifeline/db';
import { adminUsers } from '@lifeline/db/schema';
import { eq, sql } from 'drizzle-orm';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashPassword } from '../src/lib/password.ts';
import { axeViolations, launchChromium, screenshot, watchErrors } from './browser.ts';
import { type Fleet, startFleet } from './fleet.ts';

const EMAIL = 'ops@example.com';
const PASSWORD = 'correct horse battery staple';
const PAYLOAD = '<script>window.__pwned=1</script><img src=x onerror="window.__pwned=2">';

let browser: Browser;
let fleet: Fleet;
let ctx: BrowserContext;
let page: Page;
let errors: string[];

beforeAll(async () => {
  [browser, fleet] = await Promise.all([launchChromium(), startFleet(['Till phone', `Evil ${PAYLOAD}`])]);
  await insertAdminUserQuery(fleet.s.deps.db, {
    workspaceId: fleet.s.creds.workspaceId,
    email: EMAIL,
    passwordHash: await hashPassword(PASSWORD),
    now: fleet.s.clock.now(),
  }).query;
  ctx = await browser.newContext();
  page = await ctx.newPage();
  errors = watchErrors(page);
  page.on('dialog', (d) => {
    errors.push(`dialog: ${d.message()}`);
    void d.dismiss();
  });
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await fleet?.s.close();
});

async function pwned(p: Page) {
  return p.evaluate(() => (window as unknown as { __pwned?: number }).__pwned ?? 0);
}

describe('admin pages', () => {
  it('sends visitors to sign-in, and signs in an admin', async () => {
    const res = await page.goto(`${fleet.s.url}/admin/devices`);
    expect(new URL(page.url()).pathname).toBe('/admin/login');
    expect(res?.headers()['cache-control']).toBe('no-store');
    await page.fill('input[name=email]', EMAIL);
    await page.fill('input[name=password]', PASSWORD);
    await page.click('button[type=submit]');
    await page.waitForURL(/\/admin\/devices$/);
    // Device names render as text, never as markup.
    expect(await page.locator('tbody').textContent()).toContain(`Evil ${PAYLOAD}`);
    expect(await page.locator('tbody tr').count()).toBe(2);
    expect(await page.locator('tbody .live-online').count()).toBe(2);
    expect(await page.locator('img[src=x]').count()).toBe(0);
    expect(await pwned(page)).toBe(0);
  });

  it('publishes an incident that appears on the public page at once, inert whatever its text', async () => {
    await page.goto(`${fleet.s.url}/admin/incidents`);
    await page.fill('input[name=name]', `SMS delays ${PAYLOAD}`);
    await page.selectOption('select[name=impact]', 'major');
    await page.check('label.check:has-text("Device connectivity") input');
    await page.fill('textarea[name=body]', `Messages are **slow** to leave the phones. ${PAYLOAD}`);
    await page.click('button:has-text("Publish incident")');
    await page.waitForURL(/\/admin\/incidents\/inc_/);
    const adminUrl = page.url();

    const pub = await ctx.newPage();
    await pub.goto(fleet.s.url);
    const card = pub.locator('#active-h ~ article');
    expect(await card.locator('.incident-name').textContent()).toBe(`SMS delays ${PAYLOAD}`);
    // Markdown renders; the HTML in the text shows as text.
    const body = card.locator('.markdown').first();
    expect((await body.textContent())?.trim()).toBe(`Messages are slow to leave the phones. ${PAYLOAD}`);
    expect(await body.locator('strong').textContent()).toBe('slow');
    expect(await card.textContent()).toContain('Affects: Device connectivity');
    expect(await pub.locator('.banner h1').textContent()).toBe('Partial System Outage');
    // The day's bar cell names the incident.
    const devices = pub.locator('.component', { has: pub.locator('h3', { hasText: 'Device connectivity' }) });
    expect(await devices.locator('.bar li').last().textContent()).toContain(
      `incident: SMS delays ${PAYLOAD}`,
    );
    expect(await pub.locator('img[src=x]').count()).toBe(0);
    expect(await pwned(pub)).toBe(0);
    await screenshot(pub, 'public-with-incident');

    // Resolve it: it leaves the active list and shows in the history.
    fleet.s.clock.advance(20 * 60_000);
    await page.goto(adminUrl);
    await page.selectOption('select[name=status]', 'resolved');
    await page.fill('textarea[name=body]', 'Fixed: a carrier outage upstream.');
    await page.click('button:has-text("Post update")');
    await page.waitForURL(adminUrl);
    await pub.reload();
    expect(await pub.locator('#active-h').count()).toBe(0);
    expect(await pub.locator('#past-h ~ article .incident-name').first().textContent()).toBe(
      `SMS delays ${PAYLOAD}`,
    );
    await pub.goto(`${fleet.s.url}/history`);
    expect(await pub.locator('article').count()).toBe(1);
    expect((await pub.locator('article .markdown').first().textContent())?.trim()).toBe(
      'Fixed: a carrier outage upstream.',
    );
    expect(await pwned(pub)).toBe(0);
    await pub.close();
  });

  it('schedules maintenance that the public page announces', async () => {
    await page.goto(`${fleet.s.url}/admin/maintenance`);
    await page.fill('input[name=title]', 'Router upgrade <b>bold</b>');
    await page.click('button:has-text("Schedule")');
    await page.waitForURL(/\/admin\/maintenance/);
    expect(await page.locator('tbody').textContent()).toContain('Router upgrade <b>bold</b>');
    const pub = await ctx.newPage();
    await pub.goto(fleet.s.url);
    expect(await pub.locator('#maint-h ~ article h3').textContent()).toBe('Router upgrade <b>bold</b>');
    expect(await pub.locator('#maint-h ~ article b').count()).toBe(0);
    await pub.close();
  });

  it('lists messages with their event history, creates a key shown once, passes axe-core', async () => {
    await page.goto(`${fleet.s.url}/admin/messages?status=delivered`);
    const first = page.locator('tbody tr a').first();
    await first.click();
    await page.waitForURL(/\/admin\/messages\/msg_/);
    const statuses = await page.locator('tbody tr td:nth-child(2)').allTextContents();
    expect(statuses).toEqual(expect.arrayContaining(['queued', 'leased', 'submitted', 'sent', 'delivered']));

    // Support's question, "did my customer get it?": the list by recipient, written as people write numbers.
    const sent = await fleet.s.request('GET', '/v1/messages?status=delivered&limit=1', {
      token: fleet.s.creds.apiKey,
    });
    const recipient: string = sent.json.messages[0].to;
    const spaced = `${recipient.slice(0, 3)} ${recipient.slice(3, 7)}-${recipient.slice(7)}`;
    await page.goto(`${fleet.s.url}/admin/messages?to=${encodeURIComponent(spaced)}`);
    const byRecipient = await page.locator('tbody tr td:nth-child(2)').allTextContents();
    expect(byRecipient.length).toBeGreaterThan(0);
    expect(new Set(byRecipient)).toEqual(new Set([recipient]));
    await page.goto(`${fleet.s.url}/admin/messages?to=07700900123`);
    expect(await page.locator('[role=alert]').textContent()).toContain('international format');

    // A scheduled message says when it will go.
    const sendAt = fleet.s.clock.now() + 3 * 3_600_000;
    const scheduled = await fleet.s.request('POST', '/v1/messages', {
      token: fleet.s.creds.apiKey,
      body: { to: '+447700900777', text: 'Later', sendAt },
    });
    expect(scheduled.status).toBe(201);
    await page.goto(`${fleet.s.url}/admin/messages?status=queued`);
    const row = page.locator('tbody tr', { hasText: scheduled.json.id });
    expect(await row.textContent()).toContain('queued, scheduled for');
    await row.locator('a').click();
    await page.waitForURL(/\/admin\/messages\/msg_/);
    expect(await page.locator('dt', { hasText: 'Scheduled for' }).count()).toBe(1);
    await fleet.s.request('POST', `/v1/messages/${scheduled.json.id}/cancel`, {
      token: fleet.s.creds.apiKey,
    });

    await page.goto(`${fleet.s.url}/admin/devices`);
    await page.click('tbody tr:first-child a');
    await page.waitForURL(/\/admin\/devices\/dev_/);
    await page.locator('[data-chart="device"] canvas').waitFor();
    await screenshot(page, 'admin-device');
    expect(await page.locator('p.windows').textContent()).toMatch(/^Uptime: 24h\u00a0\d/);

    await page.goto(`${fleet.s.url}/admin/keys`);
    await page.fill('input[name=name]', 'CI key');
    await page.click('button:has-text("Create API key")');
    const key = (await page.locator('.secret').textContent()) ?? '';
    expect(key).toMatch(/^ll_admin_/);
    const ok = await fetch(`${fleet.s.url}/v1/devices`, { headers: { authorization: `Bearer ${key}` } });
    expect(ok.status).toBe(200);
    // A send-only key for the business's backend: it may send, not manage.
    await page.fill('input[name=name]', 'Backend');
    await page.selectOption('select[name=scope]', 'send');
    await page.click('button:has-text("Create API key")');
    const sendKey = (await page.locator('.secret').textContent()) ?? '';
    expect(sendKey).toMatch(/^ll_send_/);
    expect(await page.locator('tbody tr', { hasText: 'Backend' }).first().textContent()).toContain('send');
    const refused = await fetch(`${fleet.s.url}/v1/devices`, {
      headers: { authorization: `Bearer ${sendKey}` },
    });
    expect(refused.status).toBe(403);

    for (const path of [
      '/admin',
      '/admin/incidents',
      '/admin/devices',
      '/admin/keys',
      '/admin/slos',
      '/admin/maintenance',
      '/admin/messages',
    ]) {
      await page.goto(fleet.s.url + path);
      const serious = (await axeViolations(page)).filter(
        (v) => v.impact === 'serious' || v.impact === 'critical',
      );
      expect(serious.map((v) => `${path} ${v.id}: ${JSON.stringify(v.nodes.map((n) => n.target))}`)).toEqual(
        [],
      );
    }
    await screenshot(page, 'admin-slos');
    expect(errors).toEqual([]);
  });

  it('renames the workspace, which titles the public page, and refuses a taken slug naming it', async () => {
    const other = await fleet.s.createWorkspace('taken-slug');
    await page.goto(`${fleet.s.url}/admin/settings`);
    expect(await page.inputValue('input[name=slug]')).toBe('default');
    await page.fill('input[name=name]', `Till ${PAYLOAD}`);
    await page.fill('input[name=heartbeatIntervalS]', '45');
    await page.fill('textarea[name=about]', `Texts for ${PAYLOAD}`);
    await page.fill('input[name=websiteUrl]', 'https://till.example');
    await page.fill('input[name=supportUrl]', 'mailto:help@till.example');
    await page.fill('input[name=customDomain]', 'Status.Till.Example');
    await page.click('button:has-text("Save")');
    await page.waitForURL(/\/admin\/settings\?saved=1$/);
    expect(await page.locator('[role=status]').textContent()).toBe('Saved.');
    expect(await page.inputValue('input[name=customDomain]')).toBe('status.till.example');
    expect(await page.locator('main p a[href="https://status.till.example/"]').count()).toBe(1);
    expect(await page.inputValue('input[name=heartbeatIntervalS]')).toBe('45');
    const ws = await fetch(`${fleet.s.url}/v1/workspace`, {
      headers: { authorization: `Bearer ${fleet.s.creds.apiKey}` },
    }).then((r) => r.json());
    expect(ws).toMatchObject({
      name: `Till ${PAYLOAD}`,
      heartbeatIntervalS: 45,
      customDomain: 'status.till.example',
    });
    await page.goto(`${fleet.s.url}/`);
    expect(await page.title()).toContain(`Till ${PAYLOAD}`);
    expect(await page.locator('.banner .about').textContent()).toBe(`Texts for ${PAYLOAD}`);
    expect(await page.getAttribute('header a:has-text("Report a problem")', 'href')).toBe(
      'mailto:help@till.example',
    );
    expect(await page.getAttribute('header a:has-text("website")', 'href')).toBe('https://till.example');
    expect(await pwned(page)).toBe(0);

    await page.goto(`${fleet.s.url}/admin/settings`);
    await page.fill('input[name=slug]', 'taken-slug');
    const [answer] = await Promise.all([
      page.waitForResponse((r) => r.url().endsWith('/admin/settings') && r.request().method() === 'POST'),
      page.click('button:has-text("Save")'),
    ]);
    expect(answer.status()).toBe(400);
    expect(await page.locator('[role=alert]').textContent()).toContain('slug');
    expect(await page.inputValue('input[name=slug]')).toBe('taken-slug'); // what was typed stays to fix
    const serious = (await axeViolations(page)).filter(
      (v) => v.impact === 'serious' || v.impact === 'critical',
    );
    expect(serious.map((v) => v.id)).toEqual([]);
    await fetch(`${fleet.s.url}/v1/workspace`, {
      method: 'PATCH',
      headers: { authorization: `Bearer ${fleet.s.creds.apiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        name: 'My workspace',
        heartbeatIntervalS: 30,
        about: null,
        websiteUrl: null,
        supportUrl: null,
        customDomain: null,
      }),
    });
    expect(other.workspaceId).not.toBe(fleet.s.creds.workspaceId);
    // Moving a page's slug leaves a redirect at the old address, for the pages too.
    const moved = await fetch(`${fleet.s.url}/v1/workspace`, {
      method: 'PATCH',
      headers: { authorization: `Bearer ${other.apiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ slug: 'moved-slug' }),
    });
    expect(moved.status).toBe(200);
    for (const [from, to] of [
      ['/s/taken-slug', '/s/moved-slug'],
      ['/s/taken-slug/history?cursor=x', '/s/moved-slug/history?cursor=x'],
    ]) {
      const res = await fetch(`${fleet.s.url}${from}`, { redirect: 'manual' });
      expect(res.status, from).toBe(301);
      const location = new URL(res.headers.get('location')!, fleet.s.url);
      expect(location.pathname + location.search).toBe(to);
    }
    await page.goto(`${fleet.s.url}/s/taken-slug`);
    expect(new URL(page.url()).pathname).toBe('/s/moved-slug');
    // The refused save's 400 is the only thing the console reported.
    expect(errors.filter((e) => !e.includes('status of 400'))).toEqual([]);
  });

  it("keeps an audit log of the admin's forms and the API's changes, names only, that passes axe-core", async () => {
    await fetch(`${fleet.s.url}/v1/workspace`, {
      method: 'PATCH',
      headers: { authorization: `Bearer ${fleet.s.creds.apiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ heartbeatIntervalS: 30 }),
    });
    await page.goto(`${fleet.s.url}/admin/audit`);
    const rows = await page.locator('tbody tr').allTextContents();
    expect(rows[0]).toContain('PATCH /v1/workspace');
    expect(rows[0]).toContain('API key');
    expect(rows[0]).toContain('heartbeatIntervalS');
    // The settings form posted in an earlier test: by the admin, with the field names and no values.
    const settings = rows.find((r) => r.includes('POST /admin/settings'));
    expect(settings).toContain(EMAIL);
    expect(settings).toContain('about, customDomain, heartbeatIntervalS, name, slug, supportUrl, websiteUrl');
    expect(rows.join('\n')).not.toContain('<script>');
    expect(rows.find((r) => r.includes('POST /admin/keys create-key'))).toContain('name, scope');
    const serious = (await axeViolations(page)).filter(
      (v) => v.impact === 'serious' || v.impact === 'critical',
    );
    expect(serious.map((v) => v.id)).toEqual([]);
    expect(errors.filter((e) => !e.includes('status of 400'))).toEqual([]);
  });

  it('does not act on a form whose audit row cannot be written', async () => {
    const exec = (statement: string) => fleet.s.deps.db.run(sql.raw(statement));
    await page.goto(`${fleet.s.url}/admin/keys`);
    const before = await page.locator('tbody tr').count();
    await exec(
      `CREATE TRIGGER audit_down BEFORE INSERT ON audit_events BEGIN SELECT RAISE(ABORT, 'disk full'); END`,
    );
    try {
      const form = page.locator('form', { has: page.locator('input[value=create-key]') });
      await form.locator('input[name=name]').fill('Never made');
      const [answer] = await Promise.all([
        page.waitForResponse((r) => r.url().endsWith('/admin/keys') && r.request().method() === 'POST'),
        form.locator('button').click(),
      ]);
      expect(answer.status()).toBe(503);
      expect(await answer.text()).toContain('so it was not made');
    } finally {
      await exec('DROP TRIGGER audit_down');
    }
    await page.goto(`${fleet.s.url}/admin/keys`);
    expect(await page.locator('tbody tr').count()).toBe(before);
    expect(await page.content()).not.toContain('Never made');
    errors.length = 0; // the 503 above, reported by the browser as it should be
  });

  it('downloads the monthly report from the SLOs page', async () => {
    await page.goto(`${fleet.s.url}/admin/slos`);
    const month = await page.inputValue('input[name=month]');
    expect(month).toMatch(/^\d{4}-\d{2}$/);
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.click('button:has-text("Download CSV")'),
    ]);
    expect(download.suggestedFilename()).toBe(`lifeline-reliability-${month}.csv`);
    const cookie = (await ctx.cookies()).map((c) => `${c.name}=${c.value}`).join('; ');
    const csv = await fetch(`${fleet.s.url}/admin/report.csv?month=${month}`, { headers: { cookie } });
    expect(csv.status).toBe(200);
    expect((await csv.text()).split('\r\n')[0]).toBe(
      'date,device_uptime,device_online_hours,device_observed_hours,delivery_rate,delivered,delivery_outcomes',
    );
    expect((await fetch(`${fleet.s.url}/admin/report.csv?month=nope`, { headers: { cookie } })).status).toBe(
      400,
    );
    expect((await fetch(`${fleet.s.url}/admin/report.csv`, { redirect: 'manual' })).status).toBe(303);
  });

  it('cancels a queued message from its page', async () => {
    // A group no phone is in: the message waits in the queue.
    const sent = await fetch(`${fleet.s.url}/v1/messages`, {
      method: 'POST',
      headers: { authorization: `Bearer ${fleet.s.creds.apiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ to: '+447700900777', text: 'never mind', group: 'nobody' }),
    }).then((r) => r.json());
    await page.goto(`${fleet.s.url}/admin/messages/${sent.id}`);
    await page.click('button:has-text("Cancel this message")');
    await page.waitForURL(new RegExp(`/admin/messages/${sent.id}$`));
    expect(await page.locator('dl').textContent()).toContain('cancelled');
    expect(await page.locator('button:has-text("Cancel this message")').count()).toBe(0);
    expect(await page.locator('tbody').textContent()).toContain('cancelled');
  });

  it('adds an admin shown once, disables them (their session ends), and changes your own password', async () => {
    const signInAs = async (email: string, password: string) => {
      const c = await browser.newContext();
      const p = await c.newPage();
      await p.goto(`${fleet.s.url}/admin/login`);
      await p.fill('input[name=email]', email);
      await p.fill('input[name=password]', password);
      await Promise.all([p.waitForNavigation(), p.click('button[type=submit]')]);
      return { c, p, signedIn: new URL(p.url()).pathname === '/admin' };
    };
    await page.goto(`${fleet.s.url}/admin/admins`);
    expect(await page.locator('tbody').textContent()).toContain(`${EMAIL} (you)`);
    await page.fill('input[name=email]', 'Second@Example.com');
    await page.click('button:has-text("Add admin")');
    const password = (await page.locator('.secret').textContent()) ?? '';
    expect(password.length).toBeGreaterThanOrEqual(20);
    const second = await signInAs('second@example.com', password);
    expect(second.signedIn).toBe(true);
    // Adding the same address again is refused, naming it.
    await page.fill('input[name=email]', 'second@example.com');
    await page.click('button:has-text("Add admin")');
    expect(await page.locator('[role=alert]').textContent()).toContain('already an admin');

    await page.goto(`${fleet.s.url}/admin/admins`);
    await page
      .locator('tbody tr', { hasText: 'second@example.com' })
      .locator('button:has-text("Disable")')
      .click();
    await page.waitForURL(/\/admin\/admins$/);
    expect(await page.locator('tbody tr', { hasText: 'second@example.com' }).textContent()).toContain(
      'Disabled',
    );
    await second.p.goto(`${fleet.s.url}/admin/devices`);
    expect(new URL(second.p.url()).pathname).toBe('/admin/login');
    await second.c.close();
    // Nobody can disable themselves (there is no button; a forged form is refused).
    const csrf = await page.locator('input[name=csrf]').first().inputValue();
    const cookie = (await ctx.cookies()).map((c) => `${c.name}=${c.value}`).join('; ');
    const self = await fetch(`${fleet.s.url}/admin/admins`, {
      method: 'POST',
      headers: { cookie, origin: fleet.s.url, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        csrf,
        action: 'disable',
        id: await myId(),
      }),
      redirect: 'manual',
    });
    expect(self.status).toBe(400);

    // My password: a wrong current one is refused; the change signs my other sessions out, not this one.
    const elsewhere = await signInAs(EMAIL, PASSWORD);
    expect(elsewhere.signedIn).toBe(true);
    const change = async (current: string, next: string) => {
      await page.goto(`${fleet.s.url}/admin/admins`);
      await page.fill('input[name=current]', current);
      await page.fill('input[name=next]', next);
      await page.fill('input[name=confirm]', next);
      await page.click('button:has-text("Change password")');
      return (await page.locator('[role=alert], [role=status]').first().textContent()) ?? '';
    };
    expect(await change('not it', 'a brand new passphrase')).toContain('current password is not right');
    expect(await change(PASSWORD, 'a brand new passphrase')).toContain('Password changed');
    await elsewhere.p.goto(`${fleet.s.url}/admin/devices`);
    expect(new URL(elsewhere.p.url()).pathname).toBe('/admin/login');
    await elsewhere.c.close();
    await page.goto(`${fleet.s.url}/admin/devices`);
    expect(new URL(page.url()).pathname).toBe('/admin/devices');
    expect(await change('a brand new passphrase', PASSWORD)).toContain('Password changed');
    const serious = (await axeViolations(page)).filter(
      (v) => v.impact === 'serious' || v.impact === 'critical',
    );
    expect(serious.map((v) => v.id)).toEqual([]);
    expect(errors.filter((e) => !e.includes('status of 400'))).toEqual([]);

    async function myId(): Promise<string> {
      const [row] = await fleet.s.deps.db.select().from(adminUsers).where(eq(adminUsers.email, EMAIL));
      return row!.id;
    }
  });

  it("refuses a form without the session's CSRF token, and one from another origin", async () => {
    const cookies = await ctx.cookies();
    const cookie = cookies.map((c) => `${c.name}=${c.value}`).join('; ');
    const post = (body: string, origin = fleet.s.url) =>
      fetch(`${fleet.s.url}/admin/incidents`, {
        method: 'POST',
        headers: { cookie, origin, 'content-type': 'application/x-www-form-urlencoded' },
        body,
        redirect: 'manual',
      });
    const form = 'name=x&status=investigating&impact=minor&body=y';
    expect((await post(form)).status).toBe(403);
    expect((await post(`${form}&csrf=wrong`)).status).toBe(403);
    const csrf = await page
      .goto(`${fleet.s.url}/admin/incidents`)
      .then(() => page.locator('input[name=csrf]').first().inputValue());
    expect((await post(`${form}&csrf=${encodeURIComponent(csrf)}`, 'https://evil.example')).status).toBe(403);
    expect((await post(`${form}&csrf=${encodeURIComponent(csrf)}`)).status).toBe(303);
  });

  it('rate-limits sign-in: the sixth failure in 15 minutes is refused even with the right password', async () => {
    const other = await browser.newContext();
    const p = await other.newPage();
    const attempt = async (password: string) => {
      await p.goto(`${fleet.s.url}/admin/login`);
      await p.fill('input[name=email]', EMAIL);
      await p.fill('input[name=password]', password);
      const [res] = await Promise.all([p.waitForNavigation(), p.click('button[type=submit]')]);
      return res?.status();
    };
    for (let i = 0; i < 5; i++) expect(await attempt('wrong')).toBe(401);
    expect(await attempt(PASSWORD)).toBe(429);
    expect(await p.locator('.error').textContent()).toContain('Too many failed sign-ins');
    fleet.s.clock.advance(16 * 60_000);
    await attempt(PASSWORD);
    expect(new URL(p.url()).pathname).toBe('/admin');
    await other.close();
  });
});
