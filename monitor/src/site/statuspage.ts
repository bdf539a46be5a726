/**
 * The status page's machine-readable twins, as pure functions of the read model's values: Atlassian
 * Statuspage v2 documents (`summary.json`, `status.json`, `components.json`, `incidents.json`,
 * `scheduled-maintenances.json`, field for field as Statuspage serves them, so aggregators that read
 * Statuspage read Lifeline), RSS 2.0 and Atom feeds of the incident history, and SVG badges.
 */
import type {
  ComponentLayer,
  ComponentSummary,
  IncidentView,
  MaintenanceView,
  PageIndicator,
  PageSummary,
  PublicWorkspace,
} from '../../../status-site/src/read-model.ts';

const iso = (t: number) => new Date(t).toISOString();
const isoOrNull = (t: number | null) => (t === null ? null : iso(t));

const LAYER_NAMES: Record<ComponentLayer, string> = {
  platform: 'Platform',
  devices: 'Device connectivity',
  carrier: 'Carrier delivery',
  upstream: 'Upstream',
};
const LAYER_ORDER: ComponentLayer[] = ['platform', 'devices', 'carrier', 'upstream'];

export function spPage(ws: PublicWorkspace, url: string, updatedAt: number) {
  return { id: ws.id, name: ws.name, url, time_zone: 'Etc/UTC', updated_at: iso(updatedAt) };
}

function spComponent(c: ComponentSummary, pageId: string, groupId: string | null) {
  return {
    id: c.id,
    name: c.name,
    status: c.status,
    created_at: iso(c.createdAt),
    updated_at: iso(c.updatedAt),
    position: c.position,
    description: c.description,
    showcase: true,
    start_date: null,
    group_id: groupId,
    page_id: pageId,
    group: false,
    only_show_if_degraded: false,
  };
}

const STATUS_RANK = {
  operational: 0,
  under_maintenance: 1,
  degraded_performance: 2,
  partial_outage: 3,
  major_outage: 4,
} as const;

/** Components, with one group per layer (Statuspage's component groups), groups first in layer order. */
export function spComponents(summary: PageSummary) {
  const pageId = summary.workspace.id;
  const out: Record<string, unknown>[] = [];
  LAYER_ORDER.forEach((layer, i) => {
    const members = summary.components.filter((c) => c.layer === layer);
    if (members.length === 0) return;
    const groupId = `${pageId}-${layer}`;
    const worst = members.reduce(
      (w, c) => (STATUS_RANK[c.status] > STATUS_RANK[w] ? c.status : w),
      members[0]!.status,
    );
    out.push({
      id: groupId,
      name: LAYER_NAMES[layer],
      status: worst,
      created_at: iso(Math.min(...members.map((c) => c.createdAt))),
      updated_at: iso(Math.max(...members.map((c) => c.updatedAt))),
      position: i + 1,
      description: null,
      showcase: false,
      start_date: null,
      group_id: null,
      page_id: pageId,
      group: true,
      only_show_if_degraded: false,
      components: members.map((c) => c.id),
    });
    for (const c of members) out.push(spComponent(c, pageId, groupId));
  });
  return out;
}

export function spIncident(i: IncidentView, summary: PageSummary, url: string) {
  const pageId = summary.workspace.id;
  const affected = summary.components.filter((c) => i.componentIds.includes(c.id));
  return {
    id: i.id,
    name: i.name,
    status: i.status,
    created_at: iso(i.createdAt),
    updated_at: iso(i.updatedAt),
    monitoring_at: isoOrNull(i.monitoringAt),
    resolved_at: isoOrNull(i.resolvedAt),
    impact: i.impact,
    shortlink: `${url}/history#incident-${i.id}`,
    started_at: iso(i.startedAt),
    page_id: pageId,
    incident_updates: i.updates.map((u) => ({
      id: u.id,
      status: u.status,
      body: u.body,
      incident_id: i.id,
      created_at: iso(u.createdAt),
      updated_at: iso(u.createdAt),
      display_at: iso(u.createdAt),
      affected_components: affected.length
        ? affected.map((c) => ({ code: c.id, name: c.name, old_status: c.status, new_status: c.status }))
        : null,
      deliver_notifications: true,
      custom_tweet: null,
      tweet_id: null,
    })),
    components: affected.map((c) => spComponent(c, pageId, `${pageId}-${c.layer}`)),
    reminder_intervals: null,
  };
}

export function spMaintenance(m: MaintenanceView, summary: PageSummary, url: string) {
  const pageId = summary.workspace.id;
  const affected = summary.components.filter((c) => m.componentIds === null || m.componentIds.includes(c.id));
  const status = m.cancelledAt !== null ? 'completed' : m.status;
  return {
    id: m.id,
    name: m.name,
    status,
    created_at: iso(m.createdAt),
    updated_at: iso(m.cancelledAt ?? m.createdAt),
    monitoring_at: null,
    resolved_at: status === 'completed' ? iso(m.cancelledAt ?? m.scheduledUntil) : null,
    impact: 'maintenance',
    shortlink: `${url}/#maint-h`,
    started_at: iso(m.scheduledFor),
    page_id: pageId,
    incident_updates: [
      {
        id: `${m.id}-scheduled`,
        status: 'scheduled',
        body: m.description ?? m.name,
        incident_id: m.id,
        created_at: iso(m.createdAt),
        updated_at: iso(m.createdAt),
        display_at: iso(m.createdAt),
        affected_components: affected.map((c) => ({
          code: c.id,
          name: c.name,
          old_status: c.status,
          new_status: 'under_maintenance',
        })),
        deliver_notifications: true,
        custom_tweet: null,
        tweet_id: null,
      },
    ],
    components: affected.map((c) => spComponent(c, pageId, `${pageId}-${c.layer}`)),
    scheduled_for: iso(m.scheduledFor),
    scheduled_until: iso(m.scheduledUntil),
  };
}

export function spStatus(summary: PageSummary) {
  return { indicator: summary.indicator, description: summary.description };
}

export function spSummary(summary: PageSummary, url: string) {
  return {
    page: spPage(summary.workspace, url, summary.updatedAt),
    components: spComponents(summary),
    incidents: summary.activeIncidents.map((i) => spIncident(i, summary, url)),
    scheduled_maintenances: [...summary.maintenance.active, ...summary.maintenance.upcoming].map((m) =>
      spMaintenance(m, summary, url),
    ),
    status: spStatus(summary),
  };
}

/** Text for XML (feeds, SVG): the five special characters, and no control characters. */
export function xml(s: string): string {
  return (
    s
      // biome-ignore lint/suspicious/noControlCharactersInRegex: stripping the characters XML forbids
      .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g, '')
      .replace(/&/g, '&amp;')
      .replace(/</g, '&lt;')
      .replace(/>/g, '&gt;')
      .replace(/"/g, '&quot;')
      .replace(/'/g, '&apos;')
  );
}

const STATUS_WORD = {
  investigating: 'Investigating',
  identified: 'Identified',
  monitoring: 'Monitoring',
  resolved: 'Resolved',
  postmortem: 'Postmortem',
} as const;

function entryText(i: IncidentView): string {
  return i.updates.map((u) => `${STATUS_WORD[u.status]} (${iso(u.createdAt)}): ${u.body}`).join('\n\n');
}

export function rssFeed(ws: PublicWorkspace, url: string, incidents: IncidentView[], now: number): string {
  const items = incidents
    .map(
      (i) => `<item>
<title>${xml(i.name)}</title>
<link>${xml(`${url}/history#incident-${i.id}`)}</link>
<guid isPermaLink="false">${xml(`${i.id}:${i.updatedAt}`)}</guid>
<pubDate>${new Date(i.updatedAt).toUTCString()}</pubDate>
<category>${xml(i.status)}</category>
<description>${xml(entryText(i))}</description>
</item>`,
    )
    .join('\n');
  return `<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom">
<channel>
<title>${xml(`${ws.name} status: incident history`)}</title>
<link>${xml(url || '/')}</link>
<atom:link href="${xml(`${url}/history.rss`)}" rel="self" type="application/rss+xml"/>
<description>${xml(`Incidents reported on the ${ws.name} status page`)}</description>
<lastBuildDate>${new Date(now).toUTCString()}</lastBuildDate>
${items}
</channel>
</rss>
`;
}

export function atomFeed(ws: PublicWorkspace, url: string, incidents: IncidentView[], now: number): string {
  const updated = Math.max(0, ...incidents.map((i) => i.updatedAt)) || now;
  const entries = incidents
    .map(
      (i) => `<entry>
<id>${xml(`${url}/history#incident-${i.id}`)}</id>
<title>${xml(i.name)}</title>
<updated>${iso(i.updatedAt)}</updated>
<published>${iso(i.startedAt)}</published>
<link rel="alternate" type="text/html" href="${xml(`${url}/history#incident-${i.id}`)}"/>
<category term="${xml(i.status)}"/>
<content type="text">${xml(entryText(i))}</content>
</entry>`,
    )
    .join('\n');
  return `<?xml version="1.0" encoding="UTF-8"?>
<feed xmlns="http://www.w3.org/2005/Atom">
<id>${xml(`${url}/history.atom`)}</id>
<title>${xml(`${ws.name} status: incident history`)}</title>
<updated>${iso(updated)}</updated>
<link rel="self" type="application/atom+xml" href="${xml(`${url}/history.atom`)}"/>
<link rel="alternate" type="text/html" href="${xml(url || '/')}"/>
<author><name>${xml(ws.name)}</name></author>
${entries}
</feed>
`;
}

const BADGE_COLOURS: Record<PageIndicator | 'none', string> = {
  none: '#1f7a3d',
  maintenance: '#1d5fb4',
  minor: '#8a5a00',
  major: '#a8440c',
  critical: '#b3261e',
};

/** A rough width of a text in 11 px Verdana (what shields-style badges use), without measuring fonts. */
function textWidth(s: string): number {
  let w = 0;
  for (const ch of s) w += /[ilj.,:;'|!]/.test(ch) ? 3.5 : /[A-Z%mw]/.test(ch) ? 8.5 : 6.6;
  return Math.ceil(w) + 10;
}

export function badge(label: string, message: string, colour: string): string {
  const lw = textWidth(label);
  const mw = textWidth(message);
  const w = lw + mw;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="20" role="img" aria-label="${xml(`${label}: ${message}`)}"><title>${xml(`${label}: ${message}`)}</title><rect width="${lw}" height="20" fill="#555"/><rect x="${lw}" width="${mw}" height="20" fill="${colour}"/><g fill="#fff" font-family="Verdana,DejaVu Sans,sans-serif" font-size="11" text-anchor="middle"><text x="${lw / 2}" y="14">${xml(label)}</text><text x="${lw + mw / 2}" y="14">${xml(message)}</text></g></svg>`;
}

export function statusBadge(summary: PageSummary): string {
  return badge('status', summary.description.toLowerCase(), BADGE_COLOURS[summary.indicator]);
}

export function uptimeBadge(ratio: number | null, window: string): string {
  const message = ratio === null ? 'no data' : `${(Math.floor(ratio * 10_000) / 100).toFixed(2)}%`;
  const colour =
    ratio === null
      ? '#777'
      : ratio >= 0.999
        ? '#1f7a3d'
        : ratio >= 0.99
          ? '#8a5a00'
          : ratio >= 0.95
            ? '#a8440c'
            : '#b3261e';
  return badge(`uptime ${window}`, message, colour);
}
