import { alertSubscriptions } from '@lifeline/db/schema';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeDiscord, FakeSlack } from '../../alerts/test/fakes/chat-webhooks.ts';
import { tick } from '../src/tick.ts';
import { heartbeat, startTestServer, type TestServer } from './helpers.ts';

const S = 1_000;
const INTERVAL = 30 * S;

describe('Slack and Discord alert channels, end to end', () => {
  const slack = new FakeSlack();
  const discord = new FakeDiscord();
  let s: TestServer;
  let key: string;
  let phone: { deviceId: string; token: string };
  let seq = 0;

  const beat = async () =>
    expect(
      (await s.request('POST', '/v1/heartbeats', { token: phone.token, body: heartbeat({ seq: seq++ }) }))
        .status,
    ).toBe(202);
  /** Advances the clock in tick-sized steps; the phone reports every interval while `alive`. */
  async function run(ms: number, alive: boolean) {
    const end = s.clock.now() + ms;
    while (s.clock.now() < end) {
      s.clock.advance(5 * S);
      if (alive && s.clock.now() % INTERVAL < 5 * S) await beat();
      await tick(s.deps, s.clock.now());
    }
  }
  async function subscribe(body: Record<string, unknown>) {
    const res = await s.request('POST', '/v1/alert-subscriptions', { token: key, body });
    expect(res.status, JSON.stringify(res.json)).toBe(201);
    return res.json as { id: string; channel: string; target: string; secret?: string };
  }

  beforeAll(async () => {
    await Promise.all([slack.start(), discord.start()]);
    s = await startTestServer();
    key = s.creds.apiKey;
    // Named by whoever set the phone up: it must not be able to ping a whole channel.
    phone = await s.enrollDevice('<!channel> Till @everyone');
    await run(2 * INTERVAL, true);
  });
  afterAll(async () => {
    await s.close();
    await Promise.all([slack.stop(), discord.stop()]);
  });

  it('keeps the webhook URL sealed: only a redacted form is stored or shown', async () => {
    const url = slack.webhookUrl('sealedTOKEN9');
    const sub = await subscribe({ channel: 'slack', url, label: '#ops' });
    expect(sub.target).toBe(`${slack.url}/…KEN9`);
    expect(sub.secret).toBeUndefined();
    const listed = await s.request('GET', '/v1/alert-subscriptions', { token: key });
    expect(JSON.stringify(listed.json)).not.toContain('sealedTOKEN9');
    const [row] = await s.deps.db.select().from(alertSubscriptions).where(eq(alertSubscriptions.id, sub.id));
    expect(JSON.stringify(row)).not.toContain('sealedTOKEN9');
    expect(row!.secretCiphertext).toBeTruthy();
    const again = await s.request('POST', '/v1/alert-subscriptions', {
      token: key,
      body: { channel: 'slack', url },
    });
    expect(again.status).toBe(409);
    expect(again.json.error.field).toBe('url');
    expect((await s.request('DELETE', `/v1/alert-subscriptions/${sub.id}`, { token: key })).status).toBe(204);
  });

  it('refuses a URL that is not one, naming the field', async () => {
    for (const url of [
      'hooks.slack.com/services/x',
      'ftp://example.com/x',
      'https://user:pw@example.com/x',
    ]) {
      const res = await s.request('POST', '/v1/alert-subscriptions', {
        token: key,
        body: { channel: 'discord', url },
      });
      expect(res.status, url).toBe(400);
      expect(res.json.error.field).toBe('url');
    }
  });

  it('sends a test message on request and reports what the service answered', async () => {
    const ok = await subscribe({ channel: 'discord', url: discord.webhookUrl() });
    const before = discord.received.length;
    const test = await s.request('POST', `/v1/alert-subscriptions/${ok.id}/test`, { token: key });
    expect(test.status).toBe(200);
    expect(test.json).toEqual({ delivered: true, status: 204, error: null });
    expect(discord.received.length).toBe(before + 1);
    expect(JSON.stringify(discord.received.at(-1)!.body)).toContain('Test alert from Lifeline');

    const gone = discord.webhookUrl();
    const goneSub = await subscribe({ channel: 'discord', url: gone });
    discord.delete(gone);
    const failed = await s.request('POST', `/v1/alert-subscriptions/${goneSub.id}/test`, { token: key });
    expect(failed.json).toMatchObject({ delivered: false, status: 404 });
    expect(failed.json.error).toContain('Unknown Webhook');
    // A test removes nothing; the real dispatch does (below).
    const list = await s.request('GET', '/v1/alert-subscriptions', { token: key });
    expect(list.json.subscriptions.map((x: { id: string }) => x.id)).toContain(goneSub.id);
    for (const id of [ok.id, goneSub.id])
      await s.request('DELETE', `/v1/alert-subscriptions/${id}`, { token: key });

    const other = await s.createWorkspace('other-co');
    expect(
      (await s.request('POST', `/v1/alert-subscriptions/${ok.id}/test`, { token: other.apiKey })).status,
      'another workspace’s subscription',
    ).toBe(404);
  });

  it('pages a dead phone to Slack and Discord, escaped and within limits, then says it recovered', async () => {
    const slackSub = await subscribe({ channel: 'slack', url: slack.webhookUrl() });
    const discordSub = await subscribe({ channel: 'discord', url: discord.webhookUrl() });
    const revoked = slack.webhookUrl('revokedTOKEN');
    slack.revoked.add('revokedTOKEN');
    const revokedSub = await subscribe({ channel: 'slack', url: revoked });
    const [slackBefore, discordBefore] = [slack.received.length, discord.received.length];

    await run(5 * INTERVAL + 20 * S, false); // past offline, and the group's wait
    const slackMsgs = slack.received.slice(slackBefore);
    const discordMsgs = discord.received.slice(discordBefore);
    expect(slackMsgs).toHaveLength(1);
    expect(discordMsgs).toHaveLength(1);
    const body = slackMsgs[0]!.body as {
      text: string;
      blocks: { type: string; text?: { type: string; text: string } }[];
    };
    expect(body.text).toMatch(/^🚨 Device offline/);
    // Everything Slack parses as mrkdwn has the name escaped; the header is plain text, shown as written.
    const parsed = [
      body.text,
      ...body.blocks.filter((b) => b.text?.type === 'mrkdwn').map((b) => b.text!.text),
    ];
    expect(parsed.join('\n')).toContain('&lt;!channel&gt; Till @everyone');
    expect(parsed.join('\n')).not.toContain('<!channel>');
    expect(body.blocks[0]!.text).toMatchObject({ type: 'plain_text' });
    const embed = (
      discordMsgs[0]!.body.embeds as { title: string; description: string; color: number }[]
    )[0]!;
    expect(embed.title).toMatch(/^Device offline/);
    expect(embed.color).toBe(0xc62828);
    expect(discordMsgs[0]!.body.allowed_mentions).toEqual({ parse: [] });

    // The revoked Slack webhook answered 404 no_service: that subscription is removed, the others stay.
    const list = await s.request('GET', '/v1/alert-subscriptions', { token: key });
    const ids = list.json.subscriptions.map((x: { id: string }) => x.id);
    expect(ids).toEqual(expect.arrayContaining([slackSub.id, discordSub.id]));
    expect(ids).not.toContain(revokedSub.id);
    const [row] = await s.deps.db
      .select()
      .from(alertSubscriptions)
      .where(eq(alertSubscriptions.id, revokedSub.id));
    expect(row!.removedReason).toBe('slack answered 404');

    await run(2 * INTERVAL, true);
    const recovery = slack.received.slice(slackBefore + 1);
    expect(recovery).toHaveLength(1);
    expect(recovery[0]!.body.text).toMatch(/^✅/);
    const discordRecovery = discord.received.slice(discordBefore + 1);
    expect((discordRecovery[0]!.body.embeds as { color: number }[])[0]!.color).toBe(0x2e7d32);
  });

  it('retries when the service is down, and delivers once it is back', async () => {
    const url = slack.webhookUrl();
    const path = new URL(url).pathname;
    const sub = await subscribe({ channel: 'slack', url });
    const mine = () => slack.received.filter((r) => r.path === path).length;
    slack.failWith = 503;
    await run(5 * INTERVAL + 20 * S, false);
    expect(mine()).toBe(0);
    expect(slack.attempts.filter((a) => a.path === path && a.status === 503).length).toBeGreaterThan(0);
    slack.failWith = 0;
    await run(60 * S, false);
    expect(mine()).toBe(1);
    const list = await s.request('GET', '/v1/alert-subscriptions', { token: key });
    expect(list.json.subscriptions.map((x: { id: string }) => x.id)).toContain(sub.id);
  });

  it('escalates only what nobody acknowledged within the delay', async () => {
    const onCall = slack.webhookUrl('oncallTOKEN1');
    const manager = slack.webhookUrl('managerTOKN2');
    const to = (url: string) => slack.received.filter((r) => r.path === new URL(url).pathname);
    await subscribe({ channel: 'slack', url: onCall });
    const escalation = await subscribe({
      channel: 'slack',
      url: manager,
      delayMs: 60 * S,
      unacknowledgedOnly: true,
    });
    expect(escalation).toMatchObject({ delayMs: 60_000, unacknowledgedOnly: true });
    await run(2 * INTERVAL, true);

    // Episode 1: on-call acknowledges within the minute; the manager hears nothing, not even the recovery.
    await run(5 * INTERVAL + 10 * S, false);
    expect(to(onCall)).toHaveLength(1);
    const firing = await s.request('GET', '/v1/alerts?state=firing', { token: key });
    const alert = firing.json.alerts.find((a: { ruleId: string; subject: { name: string } }) =>
      a.subject.name.includes('Till'),
    );
    expect(
      (await s.request('POST', `/v1/alerts/${alert.id}/acknowledge`, { token: key, body: {} })).status,
    ).toBe(200);
    await run(90 * S, false);
    expect(to(manager)).toHaveLength(0);
    const notes = await s.request('GET', `/v1/notifications?alertId=${alert.id}`, { token: key });
    expect(notes.json.notifications).toContainEqual(
      expect.objectContaining({
        subscriptionId: escalation.id,
        status: 'dropped',
        reason: expect.stringMatching(/^acknowledged by .* before this was due$/),
      }),
    );
    await run(2 * INTERVAL, true);
    expect(to(onCall)).toHaveLength(2); // the recovery
    expect(to(manager)).toHaveLength(0);

    // Episode 2: nobody acknowledges; the manager is paged after the minute, and told of the recovery.
    await run(5 * INTERVAL + 10 * S, false);
    expect(to(manager)).toHaveLength(0);
    await run(70 * S, false);
    expect(to(manager)).toHaveLength(1);
    expect((to(manager)[0]!.body as { text: string }).text).toMatch(/^🚨 Device offline/);
    await run(2 * INTERVAL, true);
    expect(to(manager)).toHaveLength(2);
  });

  it('refuses an escalation without a delay, naming the field', async () => {
    const bad = await s.request('POST', '/v1/alert-subscriptions', {
      token: key,
      body: { channel: 'slack', url: slack.webhookUrl(), unacknowledgedOnly: true },
    });
    expect(bad.status).toBe(400);
    expect(bad.json.error.field).toBe('unacknowledgedOnly');
    const sub = await subscribe({
      channel: 'discord',
      url: discord.webhookUrl(),
      delayMs: 5 * 60 * S,
      unacknowledgedOnly: true,
    });
    const patch = await s.request('PATCH', `/v1/alert-subscriptions/${sub.id}`, {
      token: key,
      body: { delayMs: 0 },
    });
    expect(patch.status).toBe(400);
    expect(patch.json.error.field).toBe('unacknowledgedOnly');
    const off = await s.request('PATCH', `/v1/alert-subscriptions/${sub.id}`, {
      token: key,
      body: { delayMs: 0, unacknowledgedOnly: false },
    });
    expect(off.json).toMatchObject({ delayMs: 0, unacknowledgedOnly: false });
  });
});
