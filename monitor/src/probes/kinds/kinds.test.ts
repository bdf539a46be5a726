import { describe, expect, it } from 'vitest';
import {
  atomFeed,
  healthStatus,
  operationalSummary,
  rssFeed,
  summaryWith,
} from '../../../test/fixtures/status-feeds/documents.ts';
import type { FetchOutcome } from '../types.ts';
import { evaluateFeed, parseFeed } from './feed.ts';
import { evaluateHttp, type HttpConfig } from './http.ts';
import { readJsonPath } from './json-path.ts';
import { evaluateSelf } from './self.ts';
import { evaluateStatuspage, summaryUrl } from './statuspage.ts';
import { evaluateWhatsApp, whatsappRequests } from './whatsapp.ts';

const NOW = Date.UTC(2026, 10, 1, 12, 0, 0);
const DAY = 86_400_000;

function res(
  status: number,
  body: unknown,
  extra: Partial<Extract<FetchOutcome, { ok: true }>['response']> = {},
): FetchOutcome {
  return {
    ok: true,
    response: {
      url: 'https://target.example/',
      status,
      headers: {},
      body: typeof body === 'string' ? body : JSON.stringify(body),
      latencyMs: 42,
      tls: null,
      redirects: [],
      ...extra,
    },
  };
}
const timeout: FetchOutcome = {
  ok: false,
  kind: 'timeout',
  message: 'no answer before the timeout',
  latencyMs: 5000,
};
const refused: FetchOutcome = {
  ok: false,
  kind: 'refused_private',
  message: '127.0.0.1 is a private or local address',
  latencyMs: null,
};

describe('HTTP check', () => {
  const base: HttpConfig = {
    url: 'https://target.example/',
    method: 'GET',
    expectStatus: { min: 200, max: 399 },
  };
  it.each<[string, HttpConfig, FetchOutcome, string, string]>([
    ['200 up', base, res(200, 'ok'), 'up', 'operational'],
    ['503 down', base, res(503, 'unavailable'), 'down', 'major_outage'],
    ['404 outside the range', base, res(404, ''), 'down', 'major_outage'],
    ['timeout down', base, timeout, 'down', 'major_outage'],
    ['keyword present', { ...base, keyword: '"ok":true' }, res(200, { ok: true }), 'up', 'operational'],
    ['keyword missing', { ...base, keyword: 'healthy' }, res(200, 'degraded'), 'down', 'major_outage'],
    [
      'keyword that must be absent',
      { ...base, keyword: 'maintenance', keywordAbsent: true },
      res(200, 'under maintenance'),
      'down',
      'major_outage',
    ],
    [
      'JSON path equals',
      { ...base, jsonPath: { path: '$.status.indicator', equals: 'none' } },
      res(200, operationalSummary()),
      'up',
      'operational',
    ],
    [
      'JSON path differs',
      { ...base, jsonPath: { path: '$.status.indicator', equals: 'none' } },
      res(200, summaryWith({ indicator: 'major' })),
      'down',
      'major_outage',
    ],
    [
      'JSON path on invalid JSON',
      { ...base, jsonPath: { path: 'ok' } },
      res(200, '<html>'),
      'down',
      'major_outage',
    ],
    ['slow', { ...base, degradedLatencyMs: 10 }, res(200, 'ok'), 'degraded', 'degraded_performance'],
    [
      'TLS expiring in 5 days',
      base,
      res(200, 'ok', { tls: { validTo: NOW + 5 * DAY, subject: 'x' } }),
      'degraded',
      'degraded_performance',
    ],
    [
      'TLS fine',
      base,
      res(200, 'ok', { tls: { validTo: NOW + 60 * DAY, subject: 'x' } }),
      'up',
      'operational',
    ],
  ])('%s', (_name, config, outcome, status, componentStatus) => {
    const v = evaluateHttp(config, outcome, NOW);
    expect(v.status).toBe(status);
    expect(v.componentStatus).toBe(componentStatus);
  });

  it('a refused target is unknown (misconfigured), not down', () => {
    const v = evaluateHttp(base, refused, NOW);
    expect(v.status).toBe('unknown');
    expect(v.componentStatus).toBeUndefined();
  });

  it('reads JSON paths', () => {
    const doc = { a: { b: [{ c: 1 }], 'x.y': true } };
    expect(readJsonPath(doc, '$.a.b[0].c')).toEqual({ found: true, value: 1 });
    expect(readJsonPath(doc, 'a.b.0.c')).toEqual({ found: true, value: 1 });
    expect(readJsonPath(doc, 'a["x.y"]')).toEqual({ found: true, value: true });
    expect(readJsonPath(doc, 'a.missing')).toEqual({ found: false });
    expect(readJsonPath(doc, 'a.__proto__')).toEqual({ found: false });
  });
});

describe('Statuspage v2 summary', () => {
  it('builds the summary URL from a page URL', () => {
    expect(summaryUrl('https://www.githubstatus.com')).toBe(
      'https://www.githubstatus.com/api/v2/summary.json',
    );
    expect(summaryUrl('https://x.example/api/v2/summary.json')).toBe('https://x.example/api/v2/summary.json');
  });

  it('the real operational capture is up, with no incidents', () => {
    const v = evaluateStatuspage({ url: 'https://www.githubstatus.com' }, res(200, operationalSummary()));
    expect(v).toMatchObject({
      status: 'up',
      componentStatus: 'operational',
      detail: 'All Systems Operational',
    });
    expect(v.data).toMatchObject({ indicator: 'none', incidents: [], maintenances: [] });
  });

  it.each([
    ['minor', 'degraded_performance', 'degraded'],
    ['major', 'partial_outage', 'degraded'],
    ['critical', 'major_outage', 'down'],
  ])('indicator %s -> %s', (indicator, componentStatus, status) => {
    const v = evaluateStatuspage({ url: 'https://s.example' }, res(200, summaryWith({ indicator })));
    expect(v).toMatchObject({ status, componentStatus });
  });

  it('a chosen component drives the status, and the active incident and maintenance are copied', () => {
    const doc = summaryWith({
      rename: 'WhatsApp',
      status: 'major_outage',
      indicator: 'major',
      incident: true,
      maintenance: true,
    });
    const v = evaluateStatuspage({ url: 'https://s.example', components: ['whatsapp'] }, res(200, doc));
    expect(v.status).toBe('down');
    expect(v.componentStatus).toBe('major_outage');
    expect(v.detail).toContain('WhatsApp: major_outage');
    const data = v.data as {
      incidents: { name: string; status: string; impact: string; shortlink: string }[];
      maintenances: unknown[];
    };
    expect(data.incidents).toHaveLength(1);
    expect(data.incidents[0]).toMatchObject({
      name: 'Major outage: WhatsApp',
      status: 'investigating',
      impact: 'major',
    });
    expect(data.incidents[0]!.shortlink).toMatch(/^https:\/\/stspg\.io\//);
    expect(data.maintenances).toHaveLength(1);
    // Another component of the same page stays operational for a probe that follows it.
    const other = evaluateStatuspage(
      { url: 'https://s.example', components: ['Git Operations'] },
      res(200, doc),
    );
    expect(other).toMatchObject({ status: 'up', componentStatus: 'operational' });
  });

  it('a chosen component that is not on the page is unknown', () => {
    const v = evaluateStatuspage(
      { url: 'https://s.example', components: ['Nope'] },
      res(200, operationalSummary()),
    );
    expect(v.status).toBe('unknown');
  });

  it.each<[string, FetchOutcome]>([
    ['timeout', timeout],
    ['5xx', res(502, '<html>Bad gateway</html>')],
    ['invalid JSON', res(200, '{"status": ')],
    ['not a summary', res(200, { hello: 'world' })],
    ['redirect to a private address', refused],
  ])('cannot read the feed (%s): unknown, never down', (_name, outcome) => {
    const v = evaluateStatuspage({ url: 'https://s.example' }, outcome);
    expect(v.status).toBe('unknown');
    expect(v.componentStatus).toBeUndefined();
  });
});

describe('RSS / Atom feeds', () => {
  const at = (msAgo: number) => new Date(NOW - msAgo).toISOString();
  it('parses RSS and Atom, newest first', () => {
    const rss = parseFeed(
      rssFeed([
        { title: 'Old', status: 'Resolved', body: 'done', at: at(2 * DAY) },
        { title: 'New', status: 'Investigating', body: 'looking', at: at(60_000) },
      ]),
    );
    expect(rss?.map((e) => e.title)).toEqual(['New', 'Old']);
    expect(rss?.[0]?.summary).toContain('Investigating - looking');
    const atom = parseFeed(
      atomFeed([{ title: 'A', content: '&lt;p&gt;Resolved&lt;/p&gt;', updated: at(0) }]),
    );
    expect(atom?.[0]).toMatchObject({ title: 'A', link: 'https://status.example.com/incidents/0' });
    expect(parseFeed('<html><body>hi</body></html>')).toBeNull();
    expect(parseFeed('not xml at all <<<')).toBeNull();
  });

  it('an unresolved WhatsApp outage entry is down; resolved, it is up', () => {
    const open = rssFeed([
      {
        title: 'WhatsApp Business API outage',
        status: 'Investigating',
        body: 'Messages are not being delivered; the API is down',
        at: at(10 * 60_000),
      },
      {
        title: 'Instagram Graph API errors',
        status: 'Investigating',
        body: 'elevated errors',
        at: at(5 * 60_000),
      },
    ]);
    const v = evaluateFeed(
      { url: 'https://metastatus.example/rss', match: 'WhatsApp', maxAgeMs: 3 * DAY },
      res(200, open),
      NOW,
    );
    expect(v).toMatchObject({ status: 'down', componentStatus: 'major_outage' });
    expect(v.detail).toContain('WhatsApp Business API outage');
    const closed = rssFeed([
      {
        title: 'WhatsApp Business API outage',
        status: 'Resolved',
        body: 'This incident has been resolved.',
        at: at(60_000),
      },
      {
        title: 'WhatsApp Business API outage',
        status: 'Investigating',
        body: 'the API is down',
        at: at(30 * 60_000),
      },
    ]);
    expect(
      evaluateFeed({ url: 'https://x', match: 'WhatsApp', maxAgeMs: 3 * DAY }, res(200, closed), NOW),
    ).toMatchObject({
      status: 'up',
      componentStatus: 'operational',
    });
  });

  it('old unresolved entries are history; a degraded entry is degraded', () => {
    const old = atomFeed([
      { title: 'Slow webhooks', content: 'Investigating delays', updated: at(10 * DAY) },
    ]);
    expect(evaluateFeed({ url: 'https://x', maxAgeMs: 3 * DAY }, res(200, old), NOW).status).toBe('up');
    const slow = atomFeed([{ title: 'Slow webhooks', content: 'Investigating delays', updated: at(DAY) }]);
    expect(evaluateFeed({ url: 'https://x', maxAgeMs: 3 * DAY }, res(200, slow), NOW)).toMatchObject({
      status: 'degraded',
      componentStatus: 'degraded_performance',
    });
  });

  it.each<[string, FetchOutcome]>([
    ['timeout', timeout],
    ['5xx', res(503, 'down')],
    ['not a feed', res(200, '{"json": true}')],
    ['redirect to a private address', refused],
  ])('cannot read the feed (%s): unknown', (_n, outcome) => {
    expect(evaluateFeed({ url: 'https://x' }, outcome, NOW).status).toBe('unknown');
  });
});

describe('WhatsApp Business health_status', () => {
  it('asks the Graph API with the token', () => {
    const [req] = whatsappRequests({ nodeId: '106540352242922', graphVersion: 'v23.0' }, 'EAAG-token');
    expect(req).toMatchObject({
      url: 'https://graph.facebook.com/v23.0/106540352242922?fields=health_status',
      headers: { authorization: 'Bearer EAAG-token' },
    });
  });

  it.each([
    ['AVAILABLE', 'up', 'operational'],
    ['LIMITED', 'degraded', 'partial_outage'],
    ['BLOCKED', 'down', 'major_outage'],
  ] as const)('%s -> %s', (state, status, componentStatus) => {
    const v = evaluateWhatsApp(res(200, healthStatus(state)));
    expect(v).toMatchObject({ status, componentStatus });
    if (state === 'BLOCKED')
      expect(v.detail).toContain('PHONE_NUMBER BLOCKED (There is an error with the payment method.)');
    if (state === 'LIMITED') expect(v.detail).toContain('24-hour messaging limit');
  });

  it.each<[string, FetchOutcome]>([
    [
      'expired token',
      res(401, {
        error: {
          message: 'Error validating access token',
          type: 'OAuthException',
          code: 190,
          fbtrace_id: 'A1',
        },
      }),
    ],
    [
      'Graph 5xx',
      res(500, { error: { message: 'An unknown error has occurred.', type: 'OAuthException', code: 1 } }),
    ],
    ['HTML error page', res(502, '<html>')],
    ['no health_status', res(200, { id: '1' })],
    ['timeout', timeout],
  ])('%s: unknown', (_n, outcome) => {
    expect(evaluateWhatsApp(outcome).status).toBe('unknown');
  });
});

describe('self-probe', () => {
  it('healthz ok and ingest answering 401 is up; a 5xx on either is down', () => {
    expect(evaluateSelf([res(200, { ok: true }), res(401, { error: {} })]).status).toBe('up');
    expect(evaluateSelf([res(200, { ok: true }), res(503, 'x')]).status).toBe('down');
    expect(evaluateSelf([res(500, 'x'), res(401, {})]).status).toBe('down');
    expect(evaluateSelf([timeout]).status).toBe('down');
    expect(evaluateSelf([]).status).toBe('unknown');
  });
});
