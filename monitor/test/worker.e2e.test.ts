/**
 * The Workers entry (src/worker.ts) in workerd, through `wrangler dev --local` with the repo's wrangler.toml:
 * a local D1 database migrated by `wrangler d1 migrations apply`, seeded by `npm run edge:bootstrap`'s
 * script, then enrolment, a heartbeat, the device list, the public status page (the site's edge build)
 * and the Cron Trigger over real HTTP.
 * Everything lives in a temporary --persist-to folder; nothing reaches the internet.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakePushService } from '../../alerts/test/fakes/push-service.ts';
import { FakeResend } from '../../alerts/test/fakes/resend-api.ts';
import { root, wrangler } from './wrangler.ts';

const run = promisify(execFile);
const bootstrapScript = join(root, 'monitor/src/edge-bootstrap.ts');

let dir = '';
let persistTo = '';
let env: NodeJS.ProcessEnv = {};
let dev: ChildProcess | undefined;
let devOutput = '';
let baseUrl = '';
// Stand-ins for a browser's push service and Resend on 127.0.0.1, which the Worker reaches as it would the real ones.
const push = new FakePushService();
const resend = new FakeResend();

/** Runs a Node script (wrangler or ours) to completion; throws with its output if it fails. */
async function node(args: string[]): Promise<string> {
  try {
    const { stdout } = await run(process.execPath, args, { cwd: root, env, timeout: 60_000 });
    return stdout;
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; message: string };
    throw new Error(`${args.slice(0, 4).join(' ')} failed: ${e.message}\n${e.stdout}\n${e.stderr}`);
  }
}

/** `wrangler d1 execute` on the local database; returns the rows of the (last) statement. */
async function d1(sql: string): Promise<Record<string, unknown>[]> {
  const out = await node([
    wrangler,
    'd1',
    'execute',
    'DB',
    '--local',
    '--persist-to',
    persistTo,
    '--json',
    '--command',
    sql,
  ]);
  const results = JSON.parse(out) as { results: Record<string, unknown>[] }[];
  return results.at(-1)?.results ?? [];
}

/** A GET as a browser on `host` sends it (fetch cannot set Host). */
function onHost(host: string, path: string): Promise<{ status: number; body: string }> {
  const { port } = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, path, headers: { host } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c) => {
        body += c;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.setTimeout(15_000, () => req.destroy(new Error(`GET ${host}${path} timed out`)));
    req.end();
  });
}

async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  server.close();
  await once(server, 'close');
  return port;
}

/** Stops `wrangler dev` (and its workerd children): SIGTERM to its PID, then SIGKILL to its group. */
async function stopDev(): Promise<void> {
  const child = dev;
  if (!child?.pid || child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  const timer = setTimeout(() => {
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {}
  }, 5_000);
  await exited;
  clearTimeout(timer);
}

async function http(method: string, path: string, opts: { token?: string; body?: unknown } = {}) {
  const headers: Record<string, string> = {};
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  if (opts.body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(baseUrl + path, {
    method,
    headers,
    body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
    signal: AbortSignal.timeout(15_000),
  });
  const text = await res.text();
  // biome-ignore lint/suspicious/noExplicitAny: tests read whatever JSON came back
  let json: any = text;
  try {
    json = JSON.parse(text);
  } catch {}
  return { status: res.status, json, text };
}

beforeAll(async () => {
  await Promise.all([push.start(), resend.start()]);
  dir = await mkdtemp(join(tmpdir(), 'lifeline-worker-'));
  persistTo = join(dir, 'state');
  env = {
    ...process.env,
    CI: 'true',
    WRANGLER_SEND_METRICS: 'false',
    // Miniflare otherwise downloads a `Request.cf` sample from workers.cloudflare.com.
    CLOUDFLARE_CF_FETCH_ENABLED: 'false',
    WRANGLER_LOG_PATH: join(dir, 'logs'),
    NO_COLOR: '1',
    FORCE_COLOR: '0',
  };
}, 10_000);

afterAll(async () => {
  await stopDev();
  await Promise.all([push.stop(), resend.stop()]);
  if (dir) await rm(dir, { recursive: true, force: true });
}, 20_000);

describe('the Worker in workerd (wrangler dev, local D1)', () => {
  it('enrols a device, takes its heartbeat, lists it online, hands it its messages, runs the cron tick and delivers its alerts', async () => {
    // Schema: drizzle-kit's migrations, applied by wrangler as on a real D1 database.
    await node([wrangler, 'd1', 'migrations', 'apply', 'DB', '--local', '--persist-to', persistTo]);

    // First run: the edge bootstrap script writes the workspace, admin key and enrolment code.
    const printed = await node([bootstrapScript, '--local', '--persist-to', persistTo]);
    const apiKey = /Admin API key:\s+(ll_admin_\S+)/.exec(printed)?.[1];
    const code = /Device enrolment code:\s+([0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4})/.exec(printed)?.[1];
    const adminPassword = /Admin sign-in \(\/admin\): email admin@localhost\s+password (\S+)/.exec(
      printed,
    )?.[1];
    expect(apiKey, printed).toBeDefined();
    expect(code, printed).toBeDefined();
    expect(adminPassword, printed).toBeDefined();

    // A device last heard from an hour ago but still recorded online: the tick must mark it offline.
    const now = Date.now();
    await d1(
      `INSERT INTO devices (id, workspace_id, name, token_hash, enrolled_at, heartbeat_interval_ms, last_heartbeat_at, liveness_state)
       SELECT 'dev_stale', id, 'Stale phone', 'stale-token-hash', ${now - 7_200_000}, 30000, ${now - 3_600_000}, 'online'
       FROM workspaces WHERE slug = 'default'`,
    );
    // A second business whose page is served on its own host name (custom domain).
    await d1(
      `INSERT INTO workspaces (id, slug, name, heartbeat_interval_ms, created_at, custom_domain)
       VALUES ('ws_edge_two', 'edge-two', 'Edge Two SMS', 30000, ${now}, 'status.edge-two.test')`,
    );

    const port = await freePort();
    const inspectorPort = await freePort();
    baseUrl = `http://127.0.0.1:${port}`;
    dev = spawn(
      process.execPath,
      [
        wrangler,
        'dev',
        '--local',
        '--ip',
        '127.0.0.1',
        '--port',
        String(port),
        '--inspector-port',
        String(inspectorPort),
        '--persist-to',
        persistTo,
        '--test-scheduled',
        '--log-level',
        'warn',
        '--show-interactive-dev-session=false',
        // The Worker's secrets, as `wrangler secret put` would give them.
        '--var',
        `SECRETS_KEY:${Buffer.alloc(32, 7).toString('base64')}`,
        '--var',
        `RESEND_API_KEY:${resend.apiKey}`,
        '--var',
        `RESEND_BASE_URL:${resend.url}`,
      ],
      { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true },
    );
    dev.stdout?.on('data', (b: Buffer) => {
      devOutput += b.toString();
    });
    dev.stderr?.on('data', (b: Buffer) => {
      devOutput += b.toString();
    });

    // Wait until the Worker answers.
    const deadline = Date.now() + 60_000;
    for (;;) {
      if (dev.exitCode !== null) throw new Error(`wrangler dev exited (${dev.exitCode}):\n${devOutput}`);
      if (Date.now() > deadline) throw new Error(`wrangler dev did not answer in 60 s:\n${devOutput}`);
      try {
        // wrangler holds requests while its bundle fails to build, so never wait long on one.
        const res = await fetch(`${baseUrl}/healthz`, { signal: AbortSignal.timeout(2_000) });
        if (res.status === 200) break;
      } catch {}
      await new Promise((r) => setTimeout(r, 200));
    }

    const enrolled = await http('POST', '/v1/devices/enroll', { body: { code, name: 'Edge phone' } });
    expect(enrolled.status, enrolled.text).toBe(201);
    expect(enrolled.json.token).toMatch(/^ll_dev_/);
    const deviceId: string = enrolled.json.deviceId;

    const hb = await http('POST', '/v1/heartbeats', {
      token: enrolled.json.token,
      body: {
        runId: 'r1',
        seq: 0,
        monotonicMs: 10,
        bootId: 'b1',
        deviceTime: Date.now(),
        appVersion: '0.1.0',
        driver: { name: 'simulated', status: 'pass' },
        battery: { percent: 80, charging: true },
        sims: [{ slot: 0, carrier: 'Vodafone', signalDbm: -80 }],
        queue: { depth: 0 },
      },
    });
    expect(hb.status, hb.text).toBe(202);
    expect(hb.json.heartbeatIntervalS).toBe(30);

    const list = await http('GET', '/v1/devices', { token: apiKey });
    expect(list.status, list.text).toBe(200);
    const device = list.json.devices.find((d: { id: string }) => d.id === deviceId);
    expect(device, list.text).toMatchObject({ name: 'Edge phone', liveness: 'online' });
    expect((await http('GET', '/v1/devices', { token: 'll_admin_wrong' })).status).toBe(401);

    // The outbox on D1: a routing pass assigns the messages, the poll leases its own and counts its SIM.
    const sent = await http('POST', '/v1/messages/batch', {
      token: apiKey,
      body: {
        messages: [
          { to: '+447700900001', text: 'edge one' },
          { to: '+447700900002', text: 'edge two' },
        ],
      },
    });
    expect(sent.status, sent.text).toBe(201);
    const outbox = await http('GET', '/v1/devices/me/outbox?wait=0&max=10', { token: enrolled.json.token });
    expect(outbox.status, outbox.text).toBe(200);
    expect(outbox.json.messages.map((m: { text: string }) => m.text).sort()).toEqual([
      'edge one',
      'edge two',
    ]);
    const again = await http('GET', '/v1/devices/me/outbox?wait=0', { token: enrolled.json.token });
    expect(again.json.messages).toEqual([]);

    // The status page's machine-readable twins live in the Hono app, so the edge serves them too.
    const summary = await http('GET', '/api/v2/summary.json');
    expect(summary.status, summary.text).toBe(200);
    expect(summary.json.status.indicator).toBeDefined();
    expect(summary.json.page.name).toBeDefined();
    const rss = await http('GET', '/history.rss');
    expect(rss.status, rss.text).toBe(200);
    expect(rss.text).toContain('<rss version="2.0"');
    expect((await http('GET', '/badge/status.svg')).text).toContain('<svg');

    // The public page itself: the status site's edge build (wrangler.toml's [build] made it) rendered in
    // workerd from the same read model, with the Node server's headers; its assets are static assets.
    const page = await fetch(`${baseUrl}/`, { signal: AbortSignal.timeout(15_000) });
    const html = await page.text();
    expect(page.status, html).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(page.headers.get('cache-control')).toContain('stale-while-revalidate');
    expect(html).toContain(summary.json.page.name);
    // The same components as the JSON twin, by name (the phone's carrier among them).
    const names = summary.json.components.filter((c: { group: boolean }) => !c.group);
    expect(names.map((c: { name: string }) => c.name)).toEqual(
      expect.arrayContaining(['Platform', 'Device connectivity', 'Vodafone']),
    );
    for (const c of names) expect(html).toContain(`<h3>${c.name}</h3>`);
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)(?![^>]*application\/json)[^>]*>/);
    const css = /<link[^>]+href="(\/_astro\/[^"]+\.css)"/.exec(html)?.[1];
    expect(css, html).toBeDefined();
    const sheet = await fetch(baseUrl + css!);
    expect(sheet.status).toBe(200);
    expect(sheet.headers.get('cache-control')).toContain('immutable');
    expect((await http('GET', '/history')).text).toContain('</html>');
    // On the second business's own host name, the same paths are its page and its JSON.
    const onDomain = (path: string) => onHost('status.edge-two.test', path);
    expect(JSON.parse((await onDomain('/api/v2/summary.json')).body).page.name).toBe('Edge Two SMS');
    const domainPage = await onDomain('/');
    expect(domainPage.status).toBe(200);
    expect(domainPage.body).toContain('Edge Two SMS');
    expect(domainPage.body).toContain('href="/history"'); // links from its own root
    expect(domainPage.body).not.toContain('/s/edge-two');
    expect(JSON.parse((await onDomain('/healthz')).body).ok, 'the API is the same on every host').toBe(true);
    expect(summary.json.page.name).not.toBe('Edge Two SMS');
    expect((await http('GET', '/s/no-such-page')).status).toBe(404);
    expect((await http('GET', '/subscribe/push')).text).toContain('</html>');
    // The subscribe form posts to the same page code as on Node; the confirmation email goes out with the tick.
    const subscribed = await fetch(`${baseUrl}/subscribe`, {
      method: 'POST',
      body: new URLSearchParams({ email: 'visitor@example.com' }),
      headers: { origin: baseUrl },
      redirect: 'manual',
      signal: AbortSignal.timeout(15_000),
    });
    expect(subscribed.status, await subscribed.text()).toBeLessThan(400);
    // The admin pages: signed out they send to sign-in; the bootstrap's password signs in (scrypt runs on
    // workerd's node:crypto), and the session cookie opens the device list.
    const signedOut = await fetch(`${baseUrl}/admin/devices`, { redirect: 'manual' });
    expect(signedOut.status).toBe(303);
    expect(signedOut.headers.get('location')).toMatch(/^\/admin\/login/);
    const form = await fetch(`${baseUrl}/admin/login`);
    const csrf = /name="csrf" value="([^"]+)"/.exec(await form.text())?.[1];
    const csrfCookie = form.headers.getSetCookie().find((c) => c.startsWith('ll_login_csrf='));
    expect(csrf).toBeDefined();
    const signIn = (password: string) =>
      fetch(`${baseUrl}/admin/login`, {
        method: 'POST',
        body: new URLSearchParams({
          csrf: csrf!,
          next: '/admin/devices',
          email: 'admin@localhost',
          password,
        }),
        headers: { origin: baseUrl, cookie: csrfCookie!.split(';')[0]! },
        redirect: 'manual',
        signal: AbortSignal.timeout(15_000),
      });
    expect((await signIn('not the password')).status).toBe(401);
    const signedIn = await signIn(adminPassword!);
    expect(signedIn.status, await signedIn.text()).toBe(303);
    const session = signedIn.headers.getSetCookie().find((c) => c.startsWith('ll_session='));
    expect(session).toBeDefined();
    const devicesPage = await fetch(`${baseUrl}/admin/devices`, {
      headers: { cookie: session!.split(';')[0]! },
      redirect: 'manual',
    });
    const devicesHtml = await devicesPage.text();
    expect(devicesPage.status, devicesHtml).toBe(200);
    expect(devicesHtml).toContain('Edge phone');
    expect(devicesHtml).toContain('Stale phone');

    // An admin subscribes a browser and a mailbox to the workspace's alerts.
    const pushKey = await http('GET', '/v1/alert-subscriptions/push-key', { token: apiKey });
    expect(pushKey.json.publicKey, pushKey.text).toMatch(/^[A-Za-z0-9_-]{87}$/);
    const browser = push.subscribe();
    for (const body of [
      { channel: 'web_push', subscription: { endpoint: browser.endpoint, keys: browser.keys } },
      { channel: 'email', email: 'owner@example.com', delayMs: 0 },
    ]) {
      const created = await http('POST', '/v1/alert-subscriptions', { token: apiKey, body });
      expect(created.status, created.text).toBe(201);
    }

    // The Cron Trigger, as wrangler dev --test-scheduled exposes it. Its tick finds the stale phone
    // offline, fires the default device-offline rule, and (the event waits out the group's 2 s) delivers.
    const scheduled = await http('GET', '/__scheduled?cron=*+*+*+*+*');
    expect(scheduled.status, `${scheduled.text}\n${devOutput}`).toBe(200);
    expect(scheduled.text).toMatch(/Ran scheduled event/);
    // Web push: encrypted for the browser's key and VAPID-signed with the key the Worker made and sealed.
    const page1 = push.received.find((p) => p.subscriptionId === browser.id);
    expect(page1, `${JSON.stringify(push.rejected)}\n${devOutput}`).toBeDefined();
    expect(page1!.payload).toMatchObject({ title: expect.stringMatching(/^Device offline/) });
    expect((page1!.payload as { body: string }).body).toContain('Stale phone');
    expect(page1!.jwt.aud).toBe(push.url);
    // Email through Resend: the alert to the admin and the subscriber's confirmation.
    const to = (address: string) => resend.sent.filter((e) => e.to.includes(address));
    expect(
      to('owner@example.com')
        .map((e) => e.subject)
        .join('\n'),
    ).toMatch(/Device offline/);
    const confirmation = to('visitor@example.com');
    expect(confirmation, devOutput).toHaveLength(1);
    // Its link confirms at the edge: a page with a button, and the button's POST.
    const confirmUrl = /(http:\/\/\S+\/subscriptions\/confirm\?token=\S+)/.exec(
      confirmation[0]!.text ?? '',
    )?.[1];
    expect(confirmUrl, confirmation[0]!.text).toBeDefined();
    expect(await (await fetch(confirmUrl!)).text()).toContain('<form method="post"');
    const confirmed = await fetch(confirmUrl!, { method: 'POST' });
    expect(confirmed.status).toBe(200);
    expect(await confirmed.text()).toContain('Subscription confirmed');
    const subscribers = await http('GET', '/v1/subscriptions?status=confirmed', { token: apiKey });
    expect(subscribers.json.subscriptions.map((x: { target: string }) => x.target)).toEqual([
      'visitor@example.com',
    ]);

    // Stop workerd before reading its D1 file from another process: the tick recorded the stale device.
    await stopDev();
    const rows = await d1(
      `SELECT id, liveness_state, liveness_changed_at FROM devices WHERE id IN ('dev_stale', '${deviceId}') ORDER BY id`,
    );
    const byId = Object.fromEntries(rows.map((r) => [r.id, r]));
    expect(
      await d1(`SELECT sim_slot, segments FROM sim_usage_minutes WHERE device_id = '${deviceId}'`),
    ).toEqual([{ sim_slot: 0, segments: 2 }]);
    expect(byId.dev_stale).toMatchObject({ liveness_state: 'offline' });
    expect(byId.dev_stale?.liveness_changed_at).toBeGreaterThanOrEqual(now);
    expect(byId[deviceId]).toMatchObject({ liveness_state: 'online' });
  }, 110_000);
});
