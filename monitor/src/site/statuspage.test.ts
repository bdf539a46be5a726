import { describe, expect, it, vi } from 'vitest';
import type { PageSummary, StatusReadModel } from '../../../status-site/src/read-model.ts';
import { cachedStatusReadModel } from './read-model.ts';
import { atomFeed, badge, rssFeed, spSummary, xml } from './statuspage.ts';

const T = Date.UTC(2026, 10, 1, 12);
const ws = {
  id: 'ws_1',
  slug: 'default',
  name: 'Acme <Taxis>',
  about: null,
  websiteUrl: null,
  supportUrl: null,
  isDefault: true,
};
const summary = (): PageSummary => ({
  workspace: ws,
  generatedAt: T,
  updatedAt: T,
  indicator: 'minor',
  description: 'Minor Service Outage',
  components: [
    {
      id: 'c1',
      name: 'Phones',
      description: null,
      layer: 'devices',
      status: 'degraded_performance',
      position: 10,
      createdAt: T,
      updatedAt: T,
      metric: 'uptime',
      uptime: { '24h': 0.99, '7d': 0.999, '30d': 0.999, '90d': 0.999 },
      days: [],
    },
  ],
  delivery: { carriers: [], overall: [] },
  slo: {
    name: 'Delivery',
    defined: false,
    target: 0.97,
    windowDays: 30,
    good: 0,
    total: 0,
    attainment: null,
    errorBudget: { total: 0, consumed: 0, remaining: 0, remainingRatio: null },
    budgetByDay: [],
  },
  activeIncidents: [
    {
      id: 'inc_1',
      name: 'Slow & "late" <messages>',
      status: 'investigating',
      impact: 'minor',
      componentIds: ['c1'],
      startedAt: T,
      createdAt: T,
      updatedAt: T,
      monitoringAt: null,
      resolvedAt: null,
      updates: [{ id: 'u1', status: 'investigating', body: 'Looking </description>]]>', createdAt: T }],
    },
  ],
  maintenance: { active: [], upcoming: [] },
});

describe('Statuspage v2 summary', () => {
  it('groups components by layer, worst member status on the group', () => {
    const doc = spSummary(summary(), 'https://status.example');
    expect(doc.components.map((c) => [c.name, c.status, c.group])).toEqual([
      ['Device connectivity', 'degraded_performance', true],
      ['Phones', 'degraded_performance', false],
    ]);
    expect(doc.incidents[0]!.incident_updates[0]!.affected_components).toEqual([
      { code: 'c1', name: 'Phones', old_status: 'degraded_performance', new_status: 'degraded_performance' },
    ]);
    expect(doc.status).toEqual({ indicator: 'minor', description: 'Minor Service Outage' });
  });
});

describe('feeds and badges', () => {
  it('escape every text, so no entry can close an element', () => {
    const s = summary();
    for (const feed of [
      rssFeed(ws, 'https://x', s.activeIncidents, T),
      atomFeed(ws, 'https://x', s.activeIncidents, T),
    ]) {
      expect(feed).toContain('Slow &amp; &quot;late&quot; &lt;messages&gt;');
      expect(feed).toContain('Looking &lt;/description&gt;]]&gt;');
      expect(feed).toContain('Acme &lt;Taxis&gt;');
    }
    expect(xml('a\u0001b')).toBe('ab');
    expect(badge('status', '<x>', '#000')).toContain('&lt;x&gt;');
  });
});

describe('cached read model', () => {
  it('computes a summary once per 5 s and once for concurrent callers; invalidate drops it', async () => {
    const inner = { pageSummary: vi.fn(async () => summary()) } as unknown as StatusReadModel;
    const model = cachedStatusReadModel(inner, 5_000);
    await Promise.all([model.pageSummary('ws_1', T), model.pageSummary('ws_1', T)]);
    await model.pageSummary('ws_1', T + 4_999);
    expect(inner.pageSummary).toHaveBeenCalledTimes(1);
    await model.pageSummary('ws_1', T + 5_000);
    expect(inner.pageSummary).toHaveBeenCalledTimes(2);
    model.invalidate('ws_1');
    await model.pageSummary('ws_1', T + 5_001);
    expect(inner.pageSummary).toHaveBeenCalledTimes(3);
  });

  it('does not keep a failed computation', async () => {
    let fail = true;
    const inner = {
      pageSummary: vi.fn(async () => {
        if (fail) throw new Error('db down');
        return summary();
      }),
    } as unknown as StatusReadModel;
    const model = cachedStatusReadModel(inner, 5_000);
    await expect(model.pageSummary('ws_1', T)).rejects.toThrow('db down');
    fail = false;
    await expect(model.pageSummary('ws_1', T)).resolves.toMatchObject({ indicator: 'minor' });
  });
});
