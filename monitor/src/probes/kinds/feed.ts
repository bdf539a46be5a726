import { XMLParser } from 'fast-xml-parser';
import type { ComponentStatus } from '../../domain/component-status.ts';
import {
  describeFailure,
  type FetchOutcome,
  type FetchRequest,
  type ProbeVerdict,
  STATUS_OF_COMPONENT,
} from '../types.ts';

export interface FeedConfig {
  /** An RSS 2.0 or Atom status feed (e.g. Meta's WhatsApp Business API outage events). */
  url: string;
  /** Only entries whose title or text contains this (case-insensitive) count, e.g. "WhatsApp". */
  match?: string;
  /** Entries older than this are history, whatever they say (default 3 days). */
  maxAgeMs?: number;
}

export interface FeedEntry {
  title: string;
  link: string | null;
  updatedAt: number | null;
  summary: string;
}

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@',
  textNodeName: '#text',
  processEntities: true,
  htmlEntities: true,
  // Never expand DOCTYPE entities (billion laughs); feeds do not need them.
  isArray: (name) => name === 'item' || name === 'entry' || name === 'link',
});

const text = (v: unknown): string => {
  if (typeof v === 'string') return v;
  if (typeof v === 'number') return String(v);
  if (v && typeof v === 'object' && '#text' in v) return text((v as Record<string, unknown>)['#text']);
  return '';
};
const stripTags = (s: string) =>
  s
    .replace(/<[^>]*>/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
const date = (s: string): number | null => {
  const t = Date.parse(s);
  return Number.isFinite(t) ? t : null;
};

/** Entries of an RSS 2.0 or Atom document, newest first; null when it is neither. */
export function parseFeed(xml: string): FeedEntry[] | null {
  let doc: Record<string, unknown>;
  try {
    doc = parser.parse(xml, true) as Record<string, unknown>;
  } catch {
    return null;
  }
  let entries: FeedEntry[];
  const rss = doc.rss as Record<string, unknown> | undefined;
  const atom = doc.feed as Record<string, unknown> | undefined;
  if (rss && typeof rss === 'object') {
    const channel = rss.channel as Record<string, unknown> | undefined;
    const items = (channel?.item as Record<string, unknown>[] | undefined) ?? [];
    entries = items.map((i) => ({
      title: stripTags(text(i.title)),
      link: text((i.link as unknown[] | undefined)?.[0]) || null,
      updatedAt: date(text(i.pubDate)),
      summary: stripTags(text(i.description)).slice(0, 500),
    }));
  } else if (atom && typeof atom === 'object') {
    const items = (atom.entry as Record<string, unknown>[] | undefined) ?? [];
    entries = items.map((e) => {
      const links = (e.link as Record<string, unknown>[] | undefined) ?? [];
      const alt = links.find((l) => !l['@rel'] || l['@rel'] === 'alternate') ?? links[0];
      return {
        title: stripTags(text(e.title)),
        link: alt ? text(alt['@href']) || null : null,
        updatedAt: date(text(e.updated)) ?? date(text(e.published)),
        summary: stripTags(text(e.content) || text(e.summary)).slice(0, 500),
      };
    });
  } else return null;
  return entries.sort((a, b) => (b.updatedAt ?? 0) - (a.updatedAt ?? 0));
}

const RESOLVED = /\b(resolved|completed|restored|recovered|fixed|closed|postmortem)\b/i;
const MAJOR = /\b(major|complete|full|total)\s+outage\b|\b(down|unavailable|not working)\b/i;
const PARTIAL = /\b(outage|disruption|errors?|failing|failures?)\b/i;

/** An entry is unresolved until its title or latest text (first words) says it is resolved. */
export function isResolved(e: FeedEntry): boolean {
  return RESOLVED.test(e.title) || RESOLVED.test(e.summary.slice(0, 160));
}

export function severityOf(e: FeedEntry): ComponentStatus {
  const s = `${e.title} ${e.summary}`;
  if (MAJOR.test(s)) return 'major_outage';
  if (PARTIAL.test(s)) return 'partial_outage';
  return 'degraded_performance';
}

export function feedRequests(c: FeedConfig): FetchRequest[] {
  return [
    {
      url: c.url,
      method: 'GET',
      headers: { accept: 'application/rss+xml, application/atom+xml, application/xml' },
    },
  ];
}

/**
 * A status feed: the newest unresolved entries (within `maxAgeMs`, matching `match`) say what is wrong;
 * their words set the severity (an outage that is "down" or "major" is a major outage). A feed that cannot
 * be fetched or parsed is unknown, never down.
 */
export function evaluateFeed(c: FeedConfig, outcome: FetchOutcome, now: number): ProbeVerdict {
  if (!outcome.ok)
    return {
      status: 'unknown',
      latencyMs: outcome.latencyMs,
      detail: `cannot read the feed: ${describeFailure(outcome)}`,
    };
  const r = outcome.response;
  if (r.status < 200 || r.status > 299)
    return { status: 'unknown', latencyMs: r.latencyMs, detail: `the feed answered HTTP ${r.status}` };
  const entries = parseFeed(r.body);
  if (!entries) return { status: 'unknown', latencyMs: r.latencyMs, detail: 'not an RSS or Atom feed' };
  const needle = c.match?.toLowerCase();
  const maxAge = c.maxAgeMs ?? 3 * 86_400_000;
  const relevant = entries.filter(
    (e) => !needle || e.title.toLowerCase().includes(needle) || e.summary.toLowerCase().includes(needle),
  );
  // Statuspage-style feeds repeat an incident's title in each update; the newest entry of a title decides.
  const newestByTitle = new Map<string, FeedEntry>();
  for (const e of relevant) if (!newestByTitle.has(e.title)) newestByTitle.set(e.title, e);
  const open = [...newestByTitle.values()].filter(
    (e) => !isResolved(e) && (e.updatedAt === null || now - e.updatedAt <= maxAge),
  );
  const data = { entries: open.slice(0, 5), newest: relevant[0] ?? null };
  if (open.length === 0)
    return {
      status: 'up',
      latencyMs: r.latencyMs,
      detail: 'no unresolved entries',
      componentStatus: 'operational',
      data,
    };
  const worst = open.map(severityOf).sort((a, b) => rank(b) - rank(a))[0]!;
  return {
    status: STATUS_OF_COMPONENT[worst],
    latencyMs: r.latencyMs,
    detail: `${open.length} unresolved: ${open
      .map((e) => e.title)
      .slice(0, 3)
      .join('; ')}`,
    componentStatus: worst,
    data,
  };
}

const rank = (s: ComponentStatus) =>
  ['operational', 'degraded_performance', 'partial_outage', 'major_outage'].indexOf(s);
