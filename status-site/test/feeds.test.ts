/**
 * The machine-readable twins (served by the Hono app, so on Workers too): Statuspage v2 documents with the
 * same fields as real Statuspage captures, RSS and Atom, badges; per workspace; escaping in XML.
 */
import { readFile } from 'node:fs/promises';
import { createIncident, listComponents } from '@lifeline/db';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../../monitor/test/helpers.ts';

const fixture = async (name: string) =>
  JSON.parse(await readFile(new URL(`fixtures/${name}`, import.meta.url), 'utf8'));

let s: TestServer;
const PAYLOAD = '<script>alert(1)</script><img src=x onerror=alert(2)> & "quotes"';

beforeAll(async () => {
  s = await startTestServer();
  const [component] = await listComponents(s.deps.db, s.creds.workspaceId);
  await createIncident(s.deps.db, {
    workspaceId: s.creds.workspaceId,
    name: `Outage ${PAYLOAD}`,
    status: 'investigating',
    impact: 'major',
    componentIds: [component!.id],
    body: `We are looking into it. ${PAYLOAD}`,
    now: s.clock.now(),
  });
});
afterAll(() => s?.close());

function keysOf(o: object) {
  return Object.keys(o).sort();
}

describe('Statuspage v2 twins', () => {
  it('summary.json has the shape of a real Statuspage summary, with the open incident', async () => {
    const res = await fetch(`${s.url}/api/v2/summary.json`);
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toContain('stale-while-revalidate');
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    const doc = await res.json();
    expect(keysOf(doc)).toEqual(['components', 'incidents', 'page', 'scheduled_maintenances', 'status']);
    expect(doc.status).toEqual({ indicator: 'major', description: 'Partial System Outage' });
    expect(doc.incidents).toHaveLength(1);
    expect(doc.incidents[0].name).toBe(`Outage ${PAYLOAD}`);
    const real = await fixture('statuspage-summary-operational.json');
    expect(keysOf(doc.page)).toEqual(keysOf(real.page));
    const leaf = doc.components.find((c: { group: boolean }) => !c.group);
    // The 2019 capture's components lack start_date; the 2024 ones carry it (as Lifeline does).
    expect(keysOf(leaf).filter((k) => k !== 'start_date')).toEqual(keysOf(real.components[0]));
    const groups = doc.components.filter((c: { group: boolean }) => c.group);
    expect(groups.map((g: { name: string }) => g.name)).toEqual(['Platform', 'Device connectivity']);
  });

  it('incidents.json matches a real capture field for field', async () => {
    const doc = await (await fetch(`${s.url}/api/v2/incidents.json`)).json();
    const real = await fixture('statuspage-incidents-resolved.json');
    expect(doc.incidents).toHaveLength(1);
    expect(keysOf(doc.incidents[0])).toEqual(keysOf(real.incidents[0]));
    expect(keysOf(doc.incidents[0].incident_updates[0])).toEqual(
      keysOf(real.incidents[0].incident_updates[0]),
    );
    expect(keysOf(doc.incidents[0].components[0])).toEqual(keysOf(real.incidents[0].components[0]));
  });

  it('serves status.json, components.json and scheduled-maintenances.json, and per workspace under /s/<slug>', async () => {
    for (const doc of ['status', 'components', 'scheduled-maintenances']) {
      const res = await fetch(`${s.url}/api/v2/${doc}.json`);
      expect(res.status).toBe(200);
      expect(keysOf(await res.json())).toContain('page');
    }
    await s.createWorkspace('acme');
    const acme = await (await fetch(`${s.url}/s/acme/api/v2/summary.json`)).json();
    expect(acme.page.url).toBe(`${s.url}/s/acme`);
    expect(acme.incidents).toEqual([]);
    expect(acme.status.indicator).toBe('none');
    expect((await fetch(`${s.url}/s/nobody/api/v2/summary.json`)).status).toBe(404);
  });
});

describe('feeds and badges', () => {
  it('RSS and Atom list the incident with every special character escaped', async () => {
    for (const [path, type] of [
      ['/history.rss', 'application/rss+xml'],
      ['/history.atom', 'application/atom+xml'],
    ] as const) {
      const res = await fetch(s.url + path);
      expect(res.headers.get('content-type')).toContain(type);
      const body = await res.text();
      expect(body).toContain(
        'Outage &lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x onerror=alert(2)&gt; &amp; &quot;quotes&quot;',
      );
      expect(body).not.toContain('<script>');
      expect(body).not.toContain('<img');
    }
  });

  it('badges are SVG with the status and the uptime', async () => {
    const status = await fetch(`${s.url}/badge/status.svg`);
    expect(status.headers.get('content-type')).toContain('image/svg+xml');
    expect(await status.text()).toContain('partial system outage');
    const uptime = await (await fetch(`${s.url}/badge/uptime.svg?window=7d`)).text();
    expect(uptime).toContain('uptime 7d');
  });
});
