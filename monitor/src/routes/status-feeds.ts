/**
 * The public status page's machine-readable twins, in the Hono app so they run on Node and on Workers
 * alike: Statuspage v2 JSON under `/api/v2/`, RSS and Atom at `/history.rss` and `/history.atom`, and SVG
 * badges at `/badge/status.svg` and `/badge/uptime.svg`. The default workspace answers at the root, the
 * others under `/s/<slug>`. No authentication; cacheable like the page, readable cross-origin.
 */
import { type Context, Hono } from 'hono';
import type { PublicWorkspace } from '../../../status-site/src/read-model.ts';
import type { AppEnv } from '../http/env.ts';
import { errorBody } from '../http/errors.ts';
import { hostOf, OWN_DOMAIN_HEADER } from '../site/custom-domains.ts';
import { statusReadModelFor } from '../site/read-model.ts';
import {
  atomFeed,
  rssFeed,
  spComponents,
  spIncident,
  spMaintenance,
  spPage,
  spStatus,
  spSummary,
  statusBadge,
  uptimeBadge,
} from '../site/statuspage.ts';

/** Same policy as the pages: browsers revalidate, CDNs may serve a stale copy while the origin is down. */
export const PUBLIC_CACHE =
  'public, max-age=0, s-maxage=30, stale-while-revalidate=300, stale-if-error=86400';
const WINDOWS = ['24h', '7d', '30d', '90d'] as const;
const HISTORY_ITEMS = 50;

type C = Context<AppEnv>;

async function workspaceOf(c: C): Promise<PublicWorkspace | null> {
  const model = statusReadModelFor(c.var.deps);
  const slug = c.req.param('slug');
  return slug === undefined ? model.defaultWorkspace() : model.workspaceBySlug(slug);
}

function baseUrl(c: C, ws: PublicWorkspace): string {
  // Asked on the workspace's own host name: links stay there (https: TLS is the proxy's).
  const own = c.req.header(OWN_DOMAIN_HEADER) === '1' ? hostOf(c.req.header('host')) : null;
  if (own) return `https://${own}`;
  const origin = c.var.deps.publicUrl || new URL(c.req.url).origin;
  return ws.isDefault ? origin : `${origin}/s/${encodeURIComponent(ws.slug)}`;
}

function headers(c: C, type: string) {
  c.header('Content-Type', type);
  c.header('Cache-Control', PUBLIC_CACHE);
  c.header('Access-Control-Allow-Origin', '*');
  c.header('X-Content-Type-Options', 'nosniff');
}

const noPage = (c: C) => c.json(errorBody('not_found', 'No status page here.'), 404);

type Doc = 'summary' | 'status' | 'components' | 'incidents' | 'scheduled-maintenances';

async function statuspageDoc(c: C, doc: Doc) {
  const ws = await workspaceOf(c);
  if (!ws) return noPage(c);
  const model = statusReadModelFor(c.var.deps);
  const now = c.var.deps.clock.now();
  const summary = await model.pageSummary(ws.id, now);
  const url = baseUrl(c, ws);
  const page = spPage(ws, url, summary.updatedAt);
  headers(c, 'application/json; charset=utf-8');
  switch (doc) {
    case 'summary':
      return c.json(spSummary(summary, url));
    case 'status':
      return c.json({ page, status: spStatus(summary) });
    case 'components':
      return c.json({ page, components: spComponents(summary) });
    case 'incidents': {
      const { incidents } = await model.incidents(ws.id, { limit: HISTORY_ITEMS });
      return c.json({ page, incidents: incidents.map((i) => spIncident(i, summary, url)) });
    }
    case 'scheduled-maintenances': {
      const list = await model.maintenances(ws.id, now);
      return c.json({ page, scheduled_maintenances: list.map((m) => spMaintenance(m, summary, url)) });
    }
  }
}

async function feed(c: C, kind: 'rss' | 'atom') {
  const ws = await workspaceOf(c);
  if (!ws) return noPage(c);
  const model = statusReadModelFor(c.var.deps);
  const { incidents } = await model.incidents(ws.id, { limit: HISTORY_ITEMS });
  const url = baseUrl(c, ws);
  const now = c.var.deps.clock.now();
  headers(c, kind === 'rss' ? 'application/rss+xml; charset=utf-8' : 'application/atom+xml; charset=utf-8');
  return c.body(kind === 'rss' ? rssFeed(ws, url, incidents, now) : atomFeed(ws, url, incidents, now));
}

async function badgeOf(c: C, kind: 'status' | 'uptime') {
  const ws = await workspaceOf(c);
  if (!ws) return noPage(c);
  const summary = await statusReadModelFor(c.var.deps).pageSummary(ws.id, c.var.deps.clock.now());
  headers(c, 'image/svg+xml; charset=utf-8');
  c.header('Content-Security-Policy', "default-src 'none'; style-src 'unsafe-inline'");
  if (kind === 'status') return c.body(statusBadge(summary));
  const w = WINDOWS.find((x) => x === c.req.query('window')) ?? '30d';
  const id = c.req.query('component');
  const component = id
    ? summary.components.find((x) => x.id === id)
    : summary.components.find((x) => x.metric === 'uptime');
  if (id && !component) return c.json(errorBody('not_found', 'No such component on this page.'), 404);
  return c.body(uptimeBadge(component?.uptime[w] ?? null, w));
}

const DOCS: Doc[] = ['summary', 'status', 'components', 'incidents', 'scheduled-maintenances'];

export const statusFeedRoutes = new Hono<AppEnv>();
for (const prefix of ['', '/s/:slug']) {
  for (const doc of DOCS) statusFeedRoutes.get(`${prefix}/api/v2/${doc}.json`, (c) => statuspageDoc(c, doc));
  statusFeedRoutes.get(`${prefix}/history.rss`, (c) => feed(c, 'rss'));
  statusFeedRoutes.get(`${prefix}/history.atom`, (c) => feed(c, 'atom'));
  statusFeedRoutes.get(`${prefix}/badge/status.svg`, (c) => badgeOf(c, 'status'));
  statusFeedRoutes.get(`${prefix}/badge/uptime.svg`, (c) => badgeOf(c, 'uptime'));
}
