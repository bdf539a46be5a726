/**
 * Public subscriptions end to end: a real server on 127.0.0.1 with a libSQL file, Resend and a browser
 * push service faked on 127.0.0.1 (checking what the real ones check), a webhook receiver, and the tick
 * driven by a manual clock. Email needs double opt-in and carries RFC 8058 one-click unsubscribe; every
 * announcement reaches each confirmed subscriber once.
 */
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeDiscord, FakeSlack } from '../../alerts/test/fakes/chat-webhooks.ts';
import { FakePushService } from '../../alerts/test/fakes/push-service.ts';
import { FakeResend } from '../../alerts/test/fakes/resend-api.ts';
import { tick } from '../src/tick.ts';
import { startTestServer, type TestServer } from './helpers.ts';
import { WebhookReceiver } from './webhook-receiver.ts';

const MIN = 60_000;
const HOUR = 60 * MIN;

describe('public subscriptions', () => {
  const resend = new FakeResend();
  const push = new FakePushService();
  const hook = new WebhookReceiver('/status-hook');
  const slack = new FakeSlack();
  const discord = new FakeDiscord();
  let s: TestServer;
  let key: string;

  const admin = (method: string, path: string, body?: unknown) =>
    s.request(method, path, { token: key, body });
  const visitor = (path: string, body: unknown) => s.request('POST', path, { body });
  async function step(ms = 5_000) {
    s.clock.advance(ms);
    return tick(s.deps, s.clock.now());
  }
  const mailsTo = (to: string) => resend.sent.filter((m) => m.to.includes(to));
  const linkIn = (text: string | undefined, kind: 'confirm' | 'unsubscribe') => {
    const m = new RegExp(`(http://[^\\s]+/subscriptions/${kind}\\?token=[^\\s]+)`).exec(text ?? '');
    if (!m) throw new Error(`no ${kind} link in: ${text}`);
    return m[1]!;
  };

  beforeAll(async () => {
    await Promise.all([resend.start(), push.start(), hook.start(), slack.start(), discord.start()]);
    s = await startTestServer({
      alerts: {
        resendApiKey: resend.apiKey,
        resendBaseUrl: resend.url,
        emailFrom: 'Status <status@example.com>',
      },
      allowPrivateSubscriptionTargets: true,
    });
    key = s.creds.apiKey;
  });
  afterAll(async () => {
    await s?.close();
    await Promise.all([resend.stop(), push.stop(), hook.stop(), slack.stop(), discord.stop()]);
  });

  it('email: double opt-in, then every update once with one-click unsubscribe headers, then nothing', async () => {
    const email = 'Reader@Example.com';
    const first = await visitor('/api/subscriptions', { channel: 'email', email });
    expect(first.status, JSON.stringify(first.json)).toBe(202);
    expect(first.json).toMatchObject({ status: 'pending' });
    expect(JSON.stringify(first.json)).not.toContain('reader@example.com');
    await step();
    let mails = mailsTo('reader@example.com');
    expect(mails).toHaveLength(1);
    expect(mails[0]!.subject).toMatch(/^Confirm your subscription/);
    expect(mails[0]!.headers).toBeUndefined();
    const confirmUrl = linkIn(mails[0]!.text, 'confirm');

    // Subscribing again within ten minutes: the same answer, no second email.
    const again = await visitor('/api/subscriptions', { channel: 'email', email: 'reader@example.com' });
    expect(again.status).toBe(202);
    expect(again.json).toEqual(first.json);
    await step();
    expect(mailsTo('reader@example.com')).toHaveLength(1);

    // Unconfirmed: an incident is not sent to it.
    const quiet = await admin('POST', '/v1/incidents', {
      name: 'Before confirming',
      body: 'Nothing for you yet.',
    });
    expect(quiet.status).toBe(201);
    await step();
    expect(mailsTo('reader@example.com')).toHaveLength(1);

    // The link shows a page with a button (a mail scanner's GET confirms nothing); the button confirms.
    const page = await fetch(confirmUrl);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<form method="post"');
    expect((await admin('GET', '/v1/subscriptions?status=confirmed')).json.subscriptions).toHaveLength(0);
    const confirmed = await fetch(confirmUrl, { method: 'POST' });
    expect(confirmed.status).toBe(200);
    expect(await confirmed.text()).toContain('Subscription confirmed');
    const list = (await admin('GET', '/v1/subscriptions')).json.subscriptions;
    expect(list).toEqual([
      expect.objectContaining({ channel: 'email', status: 'confirmed', target: 'reader@example.com' }),
    ]);

    // An incident and its resolution: one email each, with List-Unsubscribe and List-Unsubscribe-Post.
    const incident = await admin('POST', '/v1/incidents', {
      name: 'Delivery delays on Vodafone',
      impact: 'major',
      body: 'Messages to **Vodafone** numbers are delayed.',
    });
    expect(incident.status).toBe(201);
    await step();
    await step();
    mails = mailsTo('reader@example.com');
    expect(mails).toHaveLength(2);
    const opened = mails[1]!;
    expect(opened.subject).toContain('Investigating: Delivery delays on Vodafone');
    expect(opened.text).toContain('Messages to **Vodafone** numbers are delayed.');
    const unsubscribeUrl = linkIn(opened.text, 'unsubscribe');
    expect(opened.headers).toEqual({
      'List-Unsubscribe': `<${unsubscribeUrl}>`,
      'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click',
    });
    // The provider's idempotency key is stable per message.
    expect(opened.idempotencyKey).toMatch(/^pmsg_/);

    const quietUpdate = await admin('POST', `/v1/incidents/${incident.json.id}/updates`, {
      status: 'identified',
      body: 'A carrier-side queue.',
      notify: false,
    });
    expect(quietUpdate.status).toBe(201);
    const resolved = await admin('POST', `/v1/incidents/${incident.json.id}/updates`, {
      status: 'resolved',
      body: 'Delivered normally again.',
    });
    expect(resolved.status).toBe(201);
    await step();
    mails = mailsTo('reader@example.com');
    expect(mails.map((m) => m.subject.replace(/^\[[^\]]+\] /, ''))).toEqual([
      expect.stringMatching(/^Confirm your subscription to .+ status updates$/),
      'Investigating: Delivery delays on Vodafone',
      'Resolved: Delivery delays on Vodafone',
    ]);

    // A confirm token does not unsubscribe, and a tampered token does nothing.
    const wrongPurpose = confirmUrl.replace('/confirm?', '/unsubscribe?');
    expect((await fetch(wrongPurpose, { method: 'POST' })).status).toBe(400);
    expect((await fetch(`${unsubscribeUrl.slice(0, -2)}xx`, { method: 'POST' })).status).toBe(400);

    // RFC 8058 one-click: the mail provider POSTs List-Unsubscribe=One-Click, with no cookie and no page.
    const oneClick = await fetch(unsubscribeUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'List-Unsubscribe=One-Click',
    });
    expect(oneClick.status).toBe(200);
    expect((await fetch(unsubscribeUrl, { method: 'POST' })).status).toBe(200); // idempotent
    await admin('POST', '/v1/incidents', { name: 'After leaving', body: 'Not for you.' });
    await step();
    expect(mailsTo('reader@example.com')).toHaveLength(3);
    expect((await admin('GET', '/v1/subscriptions')).json.subscriptions[0]).toMatchObject({
      status: 'unsubscribed',
      unsubscribedReason: 'unsubscribed by link',
    });
  });

  it('web push and webhook: announced at once, signed, and a browser that left is removed', async () => {
    const browser = push.subscribe();
    const sub = await visitor('/api/subscriptions', {
      channel: 'web_push',
      subscription: { endpoint: browser.endpoint, expirationTime: null, keys: browser.keys },
    });
    expect(sub.status, JSON.stringify(sub.json)).toBe(201);
    const wh = await visitor('/api/subscriptions', { channel: 'webhook', url: hook.url });
    expect(wh.status, JSON.stringify(wh.json)).toBe(201);
    expect(wh.json.secret).toMatch(/^whsec_/);
    const listed = JSON.stringify((await admin('GET', '/v1/subscriptions')).json);
    expect(listed).not.toContain(wh.json.secret);

    const pushedBefore = push.received.length;
    const created = await admin('POST', '/v1/incidents', {
      name: 'API errors',
      impact: 'minor',
      body: 'Some 5xx.',
    });
    await step();
    const pushed = push.received.slice(pushedBefore).filter((p) => p.subscriptionId === browser.id);
    expect(pushed).toHaveLength(1);
    expect(pushed[0]!.payload).toMatchObject({
      title: expect.stringContaining('Investigating: API errors'),
      url: `${s.url}/`,
    });
    const delivered = hook.got.filter((h) => JSON.parse(h.body).data.incident?.id === created.json.id);
    expect(delivered).toHaveLength(1);
    // Signed per Standard Webhooks; the test clock is in the past, so check the signature as `verify`
    // does but without its 5-minute freshness window.
    const h = delivered[0]!.headers;
    const stamp = new Date(Number(h['webhook-timestamp']) * 1000);
    expect(h['webhook-signature']).toBe(
      new Webhook(wh.json.secret).sign(h['webhook-id']!, stamp, delivered[0]!.body),
    );
    const event = JSON.parse(delivered[0]!.body) as {
      type: string;
      data: { incident: { name: string }; unsubscribeUrl: string };
    };
    expect(event.type).toBe('incident.created');
    expect(event.data.incident.name).toBe('API errors');
    expect(event.data.unsubscribeUrl).toContain('/subscriptions/unsubscribe?token=');

    // The browser unsubscribed at the push service: the next push answers 410, and the subscriber ends.
    push.setStatus(browser.id, 410);
    await admin('POST', `/v1/incidents/${created.json.id}/updates`, { status: 'resolved', body: 'Fixed.' });
    await step();
    const rows = (await admin('GET', '/v1/subscriptions')).json.subscriptions;
    expect(rows.find((r: { id: string }) => r.id === sub.json.id)).toMatchObject({
      status: 'unsubscribed',
      unsubscribedReason: 'push service answered 410',
    });
    expect(hook.got.filter((h) => JSON.parse(h.body).type === 'incident.resolved')).toHaveLength(1);

    // A browser turning push off must prove it holds the subscription.
    const other = push.subscribe();
    await visitor('/api/subscriptions', {
      channel: 'web_push',
      subscription: { endpoint: other.endpoint, keys: other.keys },
    });
    const wrong = await visitor('/api/subscriptions/push/unsubscribe', {
      endpoint: other.endpoint,
      auth: 'AAAAAAAAAAAAAAAAAAAAAA',
    });
    expect(wrong.json).toEqual({ unsubscribed: false });
    const right = await visitor('/api/subscriptions/push/unsubscribe', {
      endpoint: other.endpoint,
      auth: other.keys.auth,
    });
    expect(right.json).toEqual({ unsubscribed: true });
  });

  it('Slack and Discord: the URL kept sealed, each update posted once with an unsubscribe link, a deleted webhook removed', async () => {
    const slackUrl = slack.webhookUrl('statusPageTK');
    const sl = await visitor('/api/subscriptions', { channel: 'slack', url: slackUrl });
    expect(sl.status, JSON.stringify(sl.json)).toBe(201);
    expect(sl.json.secret).toBeUndefined();
    const discordUrl = discord.webhookUrl();
    const dc = await visitor('/api/subscriptions', { channel: 'discord', url: discordUrl });
    expect(dc.status, JSON.stringify(dc.json)).toBe(201);
    const listed = JSON.stringify((await admin('GET', '/v1/subscriptions')).json);
    expect(listed).not.toContain('statusPageTK');
    expect(listed).toContain(`${slack.url}/…geTK`);

    const [slackBefore, discordBefore] = [slack.received.length, discord.received.length];
    const created = await admin('POST', '/v1/incidents', {
      name: 'Carrier delays',
      impact: 'major',
      body: 'Vodafone SMS slow.',
    });
    await step();
    const posted = slack.received.slice(slackBefore);
    expect(posted).toHaveLength(1);
    const body = posted[0]!.body as {
      text: string;
      blocks: { type: string; elements?: { text: string }[] }[];
    };
    expect(body.text).toMatch(/^🚨 .*Carrier delays/);
    const context = body.blocks.find((b) => b.type === 'context')!.elements![0]!.text;
    expect(context).toContain(`<${s.url}/|`);
    const unsubscribe = /<(http:\/\/[^|>]+\/subscriptions\/unsubscribe\?token=[^|>]+)\|Unsubscribe>/.exec(
      context,
    )?.[1];
    expect(unsubscribe, context).toBeDefined();
    const embeds = discord.received.slice(discordBefore)[0]!.body.embeds as {
      title: string;
      description: string;
      color: number;
    }[];
    expect(embeds[0]!.title).toContain('Carrier delays');
    expect(embeds[0]!.description).toMatch(
      /\[Unsubscribe\]\(http:\/\/.*\/subscriptions\/unsubscribe\?token=/,
    );

    // Slack's reader unsubscribes by the link; Discord's webhook is deleted.
    expect((await fetch(unsubscribe!, { method: 'POST' })).status).toBeLessThan(400);
    discord.delete(discordUrl);
    await admin('POST', `/v1/incidents/${created.json.id}/updates`, {
      status: 'resolved',
      body: 'Back to normal.',
    });
    await step();
    expect(slack.received.length, 'unsubscribed: nothing more').toBe(slackBefore + 1);
    const rows = (await admin('GET', '/v1/subscriptions')).json.subscriptions;
    expect(rows.find((r: { id: string }) => r.id === dc.json.id)).toMatchObject({
      status: 'unsubscribed',
      unsubscribedReason: 'discord answered 404',
    });
    expect(rows.find((r: { id: string }) => r.id === sl.json.id)).toMatchObject({ status: 'unsubscribed' });

    // An http URL (or a private address, on a real installation) is refused, naming the field.
    const plain = await visitor('/api/subscriptions', { channel: 'slack', url: 'ftp://hooks.example.com/x' });
    expect(plain.status).toBe(400);
    expect(plain.json.error.field).toBe('url');
  });

  it('maintenance: announced when scheduled (warning under 24 h), moved, started and ended, once each', async () => {
    const before = hook.got.length;
    const startsAt = s.clock.now() + 2 * HOUR;
    const m = await admin('POST', '/v1/maintenances', {
      title: 'Carrier gateway upgrade',
      startsAt,
      endsAt: startsAt + HOUR,
    });
    expect(m.status, JSON.stringify(m.json)).toBe(201);
    expect(m.json.warnings).toEqual([expect.stringContaining('less than 24 h')]);
    const cancelled = await admin('POST', '/v1/maintenances', {
      title: 'Never mind',
      startsAt: startsAt + 30 * HOUR,
      endsAt: startsAt + 31 * HOUR,
    });
    expect(cancelled.json.warnings).toBeUndefined();
    await admin('PATCH', `/v1/maintenances/${cancelled.json.id}`, { cancelled: true });
    // Moved by an hour (announced), then only retitled (not announced).
    const moved = await admin('PATCH', `/v1/maintenances/${m.json.id}`, {
      startsAt: startsAt + HOUR,
      endsAt: startsAt + 2 * HOUR,
    });
    expect(moved.status, JSON.stringify(moved.json)).toBe(200);
    await admin('PATCH', `/v1/maintenances/${m.json.id}`, { title: 'Carrier gateway upgrade' });
    await step();
    await step(2 * HOUR); // before the moved window
    await step(HOUR + 10 * MIN); // into it
    await step(10 * MIN);
    await step(HOUR); // past its end
    await step(10 * MIN);
    const types = hook.got.slice(before).map((h) => {
      const e = JSON.parse(h.body) as { type: string; data: { maintenance: { title: string } } };
      return `${e.type} ${e.data.maintenance.title}`;
    });
    expect(types.sort()).toEqual(
      [
        'maintenance.scheduled Carrier gateway upgrade',
        'maintenance.rescheduled Carrier gateway upgrade',
        'maintenance.started Carrier gateway upgrade',
        'maintenance.completed Carrier gateway upgrade',
        'maintenance.scheduled Never mind',
        'maintenance.cancelled Never mind',
      ].sort(),
    );
  });

  it('names the bad field, keeps workspaces apart, and lets an admin remove a subscriber', async () => {
    const bad = [
      [{ channel: 'sms', to: '+44' }, 'channel'],
      [{ channel: 'email', email: 'not an address' }, 'email'],
      [{ channel: 'email', email: 'a@b.example', extra: 1 }, 'extra'],
      [{ channel: 'webhook', url: 'ftp://x.example/' }, 'url'],
      [
        {
          channel: 'web_push',
          subscription: { endpoint: 'https://push.example/x', keys: { p256dh: 'x', auth: 'y' } },
        },
        'subscription.keys.p256dh',
      ],
    ] as const;
    for (const [body, field] of bad) {
      const res = await visitor('/api/subscriptions', body);
      expect(res.status, JSON.stringify(res.json)).toBe(400);
      expect(res.json.error.field, JSON.stringify(res.json)).toBe(field);
    }
    expect(
      (
        await s.request('POST', '/api/subscriptions', {
          raw: '{"channel":',
          headers: { 'content-type': 'application/json' },
        })
      ).status,
    ).toBe(400);
    expect(
      (await visitor('/s/nope/api/subscriptions', { channel: 'email', email: 'a@b.example' })).status,
    ).toBe(404);

    const acme = await s.createWorkspace('acme');
    const theirs = await visitor('/s/acme/api/subscriptions', {
      channel: 'webhook',
      url: `${hook.url}?acme`,
    });
    expect(theirs.status).toBe(201);
    const ours = (await admin('GET', '/v1/subscriptions')).json.subscriptions.map(
      (r: { id: string }) => r.id,
    );
    expect(ours).not.toContain(theirs.json.id);
    expect((await admin('DELETE', `/v1/subscriptions/${theirs.json.id}`)).status).toBe(404);
    const acmeList = (await s.request('GET', '/v1/subscriptions', { token: acme.apiKey })).json.subscriptions;
    expect(acmeList.map((r: { id: string }) => r.id)).toEqual([theirs.json.id]);
    // Our incident does not reach their subscriber.
    const before = hook.got.length;
    await admin('POST', '/v1/incidents', { name: 'Ours only', body: 'x' });
    await step();
    expect(
      hook.got.slice(before).filter((h) => JSON.parse(h.body).data.page.url.includes('/s/acme')),
    ).toHaveLength(0);
    expect(
      (await s.request('DELETE', `/v1/subscriptions/${theirs.json.id}`, { token: acme.apiKey })).status,
    ).toBe(204);

    const openapi = await s.request('GET', '/openapi.json');
    expect(Object.keys(openapi.json.paths)).toEqual(
      expect.arrayContaining([
        '/v1/subscriptions',
        '/v1/subscriptions/{id}',
        '/api/subscriptions',
        '/s/{slug}/api/subscriptions',
      ]),
    );
  });
});

describe('a status page is not a mail cannon', () => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startTestServer();
  });
  afterAll(() => s?.close());

  const post = (path: string, body: unknown) => s.request('POST', path, { body });
  const many = async (n: number, make: (i: number) => Promise<{ status: number }>) => {
    const statuses: number[] = [];
    for (let i = 0; i < n; i += 50)
      statuses.push(
        ...(await Promise.all(Array.from({ length: Math.min(50, n - i) }, (_, j) => make(i + j)))).map(
          (r) => r.status,
        ),
      );
    return statuses;
  };

  it('sends at most 500 confirmation emails per workspace per hour, re-sends included, then answers 429', async () => {
    await s.createWorkspace('busy');
    const email = (i: number) =>
      post('/s/busy/api/subscriptions', { channel: 'email', email: `stranger${i}@example.com` });
    expect(new Set(await many(300, email))).toEqual(new Set([202]));
    // Ten minutes on, the same addresses ask again: 200 more confirmations fit in the hour, then 429.
    s.clock.advance(11 * 60_000);
    expect(new Set(await many(200, email))).toEqual(new Set([202]));
    for (const i of [200, 201, 5]) {
      const over = await email(i);
      expect(over.status).toBe(429);
      expect((over as { json: { error: { code: string } } }).json.error.code).toBe('too_many_requests');
    }
    // Other pages are not affected, and an hour later it accepts again.
    expect((await post('/api/subscriptions', { channel: 'email', email: 'x@example.com' })).status).toBe(202);
    s.clock.advance(3_600_001);
    expect((await email(1)).status).toBe(202);
  });

  it('takes at most 500 new subscribers per workspace per hour of any channel (webhooks need no confirmation)', async () => {
    const { apiKey } = await s.createWorkspace('hooks');
    const hook = (i: number) =>
      post('/s/hooks/api/subscriptions', { channel: 'webhook', url: `https://hooks.example.com/${i}` });
    expect(new Set(await many(500, hook))).toEqual(new Set([201]));
    const over = await hook(500);
    expect(over.status).toBe(429);
    expect((over as { json: { error: { code: string } } }).json.error.code).toBe('too_many_requests');
    // The page's admin is not held to it.
    const byAdmin = await s.request('POST', '/v1/subscriptions', {
      token: apiKey,
      body: { channel: 'webhook', url: 'https://hooks.example.com/by-admin' },
    });
    expect(byAdmin.status).toBe(201);
    s.clock.advance(3_600_001);
    expect((await hook(501)).status).toBe(201);
  });
});

describe('public subscription targets (SSRF guard, as in production)', () => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startTestServer();
  });
  afterAll(() => s?.close());

  it('refuses webhooks, chat webhooks and push endpoints on loopback, private or local addresses, and plain http for push and chat', async () => {
    const keys = { p256dh: `B${'A'.repeat(86)}`, auth: 'AAAAAAAAAAAAAAAAAAAAAA' };
    const cases = [
      [{ channel: 'webhook', url: 'http://127.0.0.1:9/x' }, 'url'],
      [{ channel: 'webhook', url: 'http://10.1.2.3/x' }, 'url'],
      [{ channel: 'webhook', url: 'http://[::1]/x' }, 'url'],
      [{ channel: 'webhook', url: 'http://printer.local/x' }, 'url'],
      [{ channel: 'slack', url: 'https://192.168.1.10/services/T/B/x' }, 'url'],
      [{ channel: 'slack', url: 'http://hooks.example.com/services/T/B/x' }, 'url'],
      [{ channel: 'discord', url: 'https://localhost/api/webhooks/1/x' }, 'url'],
      [
        { channel: 'web_push', subscription: { endpoint: 'http://push.example/x', keys } },
        'subscription.endpoint',
      ],
      [
        { channel: 'web_push', subscription: { endpoint: 'https://169.254.169.254/x', keys } },
        'subscription.endpoint',
      ],
    ] as const;
    for (const [body, field] of cases) {
      const res = await s.request('POST', '/api/subscriptions', { body });
      expect(res.status, JSON.stringify(res.json)).toBe(400);
      expect(res.json.error.field).toBe(field);
    }
    const ok = await s.request('POST', '/api/subscriptions', {
      body: { channel: 'webhook', url: 'https://hooks.example.com/status' },
    });
    expect(ok.status).toBe(201);
  });
});
