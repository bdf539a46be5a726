/**
 * Probes end to end: a real Lifeline server on 127.0.0.1, upstream servers on 127.0.0.1 serving a
 * Statuspage v2 summary (the real GitHub capture with WhatsApp's outage applied) and a Graph API health
 * answer, the tick driven by a manual clock.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { probes } from '@lifeline/db/schema';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tick } from '../src/tick.ts';
import { healthStatus, operationalSummary, summaryWith } from './fixtures/status-feeds/documents.ts';
import { startTestServer, type TestServer } from './helpers.ts';

const MIN = 60_000;

class Upstream {
  summary: unknown = operationalSummary();
  health: unknown = healthStatus('AVAILABLE');
  readonly hits: string[] = [];
  readonly hooks: { path: string; type: string; body: Record<string, unknown> }[] = [];
  #server: Server | null = null;
  url = '';
  async start() {
    this.#server = createServer((req, res) => {
      this.hits.push(`${req.method} ${req.url} ${req.headers.authorization ?? ''}`);
      if (req.url === '/api/v2/summary.json') return res.end(JSON.stringify(this.summary));
      if (req.url?.startsWith('/v23.0/106540352242922?fields=health_status'))
        return res.end(JSON.stringify(this.health));
      if (req.url === '/alerts' || req.url === '/public') {
        let body = '';
        req.on('data', (c) => {
          body += c;
        });
        req.on('end', () => {
          const parsed = JSON.parse(body) as Record<string, unknown>;
          this.hooks.push({ path: req.url!, type: String(parsed.type ?? parsed.kind ?? ''), body: parsed });
          res.end();
        });
        return;
      }
      res.statusCode = 404;
      res.end();
    });
    await new Promise<void>((r) => this.#server!.listen(0, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
  }
  stop() {
    this.#server?.closeAllConnections();
    return new Promise<void>((r) => (this.#server ? this.#server.close(() => r()) : r()));
  }
}

describe('probes end to end', () => {
  const upstream = new Upstream();
  let s: TestServer;
  let key: string;
  let componentId: string;
  let probeId: string;

  const req = (method: string, path: string, body?: unknown) => s.request(method, path, { token: key, body });
  const component = async () =>
    (await req('GET', '/v1/components')).json.components.find((c: { id: string }) => c.id === componentId);
  const probeAlerts = async () =>
    (await req('GET', '/v1/alerts')).json.alerts.filter(
      (a: { subject: { type: string } }) => a.subject.type === 'probe',
    );
  async function step(ms: number) {
    s.clock.advance(ms);
    return tick(s.deps, s.clock.now());
  }

  beforeAll(async () => {
    await upstream.start();
    s = await startTestServer({ allowPrivateSubscriptionTargets: true });
    key = s.creds!.apiKey;
    const c = await req('POST', '/v1/components', { name: 'WhatsApp', layer: 'upstream' });
    expect(c.status, JSON.stringify(c.json)).toBe(201);
    componentId = c.json.id;
    const sub = await req('POST', '/v1/alert-subscriptions', {
      channel: 'webhook',
      url: `${upstream.url}/alerts`,
    });
    expect(sub.status, JSON.stringify(sub.json)).toBe(201);
    // A visitor who follows the status page by webhook.
    const visitor = await s.request('POST', '/api/subscriptions', {
      body: { channel: 'webhook', url: `${upstream.url}/public` },
    });
    expect(visitor.status, JSON.stringify(visitor.json)).toBe(201);
  });

  afterAll(async () => {
    await s?.close();
    await upstream.stop();
  });

  it('validates probes and names the field', async () => {
    const bad = [
      [{ kind: 'http', name: 'x', config: { url: 'ftp://x' } }, 'config.url'],
      [{ kind: 'http', name: 'x', config: { url: `${upstream.url}/` } }, 'config.url'],
      [
        {
          kind: 'http',
          name: 'x',
          config: { url: 'https://x.example', expectStatus: { min: 500, max: 200 } },
        },
        'config.expectStatus',
      ],
      [
        { kind: 'statuspage', name: 'x', config: { url: 'https://x.example' }, componentId: 'cmp_nope' },
        'componentId',
      ],
      [
        { kind: 'statuspage', name: 'x', config: { url: 'https://x.example' }, intervalMs: 1_000 },
        'intervalMs',
      ],
      [{ kind: 'whatsapp', name: 'x', config: { nodeId: '1' } }, 'accessToken'],
      [{ kind: 'http', name: 'x', config: { url: 'https://x.example' }, surprise: 1 }, 'surprise'],
    ] as const;
    for (const [body, field] of bad) {
      const res = await req('POST', '/v1/probes', body);
      expect(res.status, JSON.stringify(res.json)).toBe(400);
      expect(res.json.error.field, JSON.stringify(res.json)).toBe(field);
    }
    const openapi = await s.request('GET', '/openapi.json');
    expect(Object.keys(openapi.json.paths)).toEqual(
      expect.arrayContaining(['/v1/probes', '/v1/probes/{id}', '/v1/probes/{id}/results']),
    );
  });

  it('WhatsApp major outage on the upstream feed: component major_outage, probe_down fires once, a public incident tells subscribers once; all recover', async () => {
    const created = await req('POST', '/v1/probes', {
      kind: 'statuspage',
      name: 'WhatsApp (upstream status page)',
      config: { url: upstream.url, components: ['WhatsApp'] },
      componentId,
      intervalMs: MIN,
      timeoutMs: 2_000,
      retries: 1,
      allowPrivate: true,
    });
    expect(created.status, JSON.stringify(created.json)).toBe(201);
    probeId = created.json.id;
    upstream.summary = summaryWith({ component: 'API Requests', rename: 'WhatsApp' });

    const first = await step(1_000);
    expect(first.probes).toMatchObject({ claimed: 1, completed: 1, byStatus: { up: 1 } });
    expect(await component()).toMatchObject({ status: 'operational', signal: { kind: 'probe' } });

    // The outage: WhatsApp's component goes major_outage upstream, with an incident.
    upstream.summary = summaryWith({
      rename: 'WhatsApp',
      status: 'major_outage',
      indicator: 'critical',
      incident: true,
    });
    const down = await step(MIN);
    expect(down.probes).toMatchObject({ completed: 1, byStatus: { down: 1 } });
    expect(await component()).toMatchObject({ status: 'major_outage', derivedStatus: 'major_outage' });
    let alerts = await probeAlerts();
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject({
      state: 'firing',
      subject: { id: probeId, name: 'WhatsApp (upstream status page)' },
    });
    const results = await req('GET', `/v1/probes/${probeId}/results?limit=1`);
    expect(results.json.results[0]).toMatchObject({
      status: 'down',
      componentStatus: 'major_outage',
      attempts: 2,
    });
    expect(results.json.results[0].data.incidents[0]).toMatchObject({
      name: 'Major outage: WhatsApp',
      status: 'investigating',
    });

    // Still down over the next minutes: still one alert, one fire notification.
    await step(MIN);
    await step(MIN);
    alerts = await probeAlerts();
    expect(alerts).toHaveLength(1);
    expect(alerts[0].timeline.filter((e: { kind: string }) => e.kind === 'fire')).toHaveLength(1);

    // The feed cannot be read for a while: unknown keeps the outage (never invents a recovery).
    upstream.summary = '{"status": ';
    await step(MIN);
    expect(await component()).toMatchObject({ status: 'major_outage' });
    expect((await probeAlerts())[0].state).toBe('firing');

    // Recovery.
    upstream.summary = summaryWith({ rename: 'WhatsApp' });
    await step(MIN);
    expect(await component()).toMatchObject({ status: 'operational' });
    alerts = await probeAlerts();
    expect(alerts).toHaveLength(1);
    expect(alerts[0].state).toBe('resolved');

    const notes = (await req('GET', '/v1/notifications?limit=50')).json.notifications.filter(
      (n: { alertId: string }) => n.alertId === alerts[0].id,
    );
    expect(notes.map((n: { kind: string }) => n.kind).sort()).toEqual(['fire', 'resolve']);

    // The public incident the rule opened and resolved reached the page's subscriber once each.
    await step(5_000);
    const told = upstream.hooks.filter((h) => h.path === '/public');
    expect(told.map((h) => h.type)).toEqual(['incident.created', 'incident.resolved']);
    const incident = (told[0]!.body.data as { incident: { name: string; update: { body: string } } })
      .incident;
    expect(incident.name).toBe('Upstream probe down: WhatsApp (upstream status page)');
    expect(incident.update.body).toMatch(/^Opened automatically/);
    expect((told[1]!.body.data as { incident: { update: { body: string } } }).incident.update.body).toMatch(
      /^Resolved automatically/,
    );
  });

  it('lists, pages results, pauses and isolates probes by workspace', async () => {
    const list = await req('GET', '/v1/probes');
    expect(list.json.probes.map((p: { id: string }) => p.id)).toContain(probeId);
    const page1 = await req('GET', `/v1/probes/${probeId}/results?limit=2`);
    expect(page1.json.results).toHaveLength(2);
    const page2 = await req('GET', `/v1/probes/${probeId}/results?limit=2&before=${page1.json.nextBefore}`);
    expect(page2.json.results[0].id).toBeLessThan(page1.json.results[1].id);
    const other = await s.createWorkspace('other');
    const foreign = await s.request('GET', `/v1/probes/${probeId}`, { token: other.apiKey });
    expect(foreign.status).toBe(404);
    const paused = await req('PATCH', `/v1/probes/${probeId}`, { enabled: false });
    expect(paused.json.enabled).toBe(false);
    expect((await step(MIN)).probes).toMatchObject({ claimed: 0 });
  });

  it('WhatsApp health: the token is sealed, sent as a Bearer token, never shown; BLOCKED is down', async () => {
    const created = await req('POST', '/v1/probes', {
      kind: 'whatsapp',
      name: 'WhatsApp phone number',
      config: { nodeId: '106540352242922', baseUrl: upstream.url },
      accessToken: 'EAAG-test-access-token',
      allowPrivate: true,
      retries: 0,
    });
    expect(created.status, JSON.stringify(created.json)).toBe(201);
    expect(JSON.stringify(created.json)).not.toContain('EAAG');
    expect(created.json.hasSecret).toBe(true);
    const [row] = await s.deps.db.select().from(probes).where(eq(probes.id, created.json.id));
    expect(row!.secretCiphertext).toMatch(/^v1\./);
    upstream.health = healthStatus('BLOCKED');
    await step(MIN);
    expect(
      upstream.hits.some((h) => h.includes('health_status') && h.endsWith('Bearer EAAG-test-access-token')),
    ).toBe(true);
    const got = await req('GET', `/v1/probes/${created.json.id}`);
    expect(got.json.last).toMatchObject({ status: 'down', componentStatus: 'major_outage' });
    expect(got.json.last.detail).toContain('PHONE_NUMBER BLOCKED');
    await req('DELETE', `/v1/probes/${created.json.id}`);
    expect((await req('GET', `/v1/probes/${created.json.id}`)).status).toBe(404);
  });

  it('HTTP check: credentials go in secretHeaders, sealed, sent, never shown; refused in plain headers', async () => {
    const plain = await req('POST', '/v1/probes', {
      kind: 'http',
      name: 'x',
      config: { url: `${upstream.url}/api/v2/summary.json`, headers: { Authorization: 'Bearer leak' } },
      allowPrivate: true,
    });
    expect(plain.status).toBe(400);
    expect(plain.json.error.field).toBe('config.headers.Authorization');
    const created = await req('POST', '/v1/probes', {
      kind: 'http',
      name: 'Our API',
      config: { url: `${upstream.url}/api/v2/summary.json`, headers: { 'X-Env': 'prod' } },
      secretHeaders: { Authorization: 'Bearer s3cret-probe-token' },
      allowPrivate: true,
      retries: 0,
    });
    expect(created.status, JSON.stringify(created.json)).toBe(201);
    expect(created.json).toMatchObject({ hasSecret: true, config: { headers: { 'X-Env': 'prod' } } });
    const [row] = await s.deps.db.select().from(probes).where(eq(probes.id, created.json.id));
    expect(JSON.stringify(row)).not.toContain('s3cret');
    await step(MIN);
    expect(upstream.hits).toContain('GET /api/v2/summary.json Bearer s3cret-probe-token');
    const listed = await req('GET', '/v1/probes');
    expect(JSON.stringify(listed.json)).not.toContain('s3cret');
    // `{}` removes them; another kind cannot take them.
    const cleared = await req('PATCH', `/v1/probes/${created.json.id}`, { secretHeaders: {} });
    expect(cleared.json.hasSecret).toBe(false);
    const self = (await req('GET', '/v1/probes')).json.probes.find(
      (p: { kind: string }) => p.kind !== 'http',
    );
    if (self)
      expect(
        (await req('PATCH', `/v1/probes/${self.id}`, { secretHeaders: { A: 'b' } })).json.error.field,
      ).toBe('secretHeaders');
    await req('DELETE', `/v1/probes/${created.json.id}`);
  });

  it('the self-probe feeds the Platform component and Layer 1 platform uptime', async () => {
    const created = await req('POST', '/v1/probes', { kind: 'self', name: 'Lifeline itself' });
    expect(created.status, JSON.stringify(created.json)).toBe(201);
    const platform = (await req('GET', '/v1/components')).json.components.find(
      (c: { source: string }) => c.source === 'platform',
    );
    expect(created.json.componentId).toBe(platform.id);
    for (let i = 0; i < 3; i++) await step(MIN);
    const got = await req('GET', `/v1/probes/${created.json.id}`);
    expect(got.json.last, JSON.stringify(got.json)).toMatchObject({ status: 'up' });
    const summary = await req('GET', '/v1/reliability/summary');
    expect(JSON.stringify(summary.json)).toContain('"platform":{"uptime":1}');
  });
});
