/**
 * Custom domains: a workspace may serve its status page on a host name of its own (`status.acme.com`,
 * pointed at this server by DNS, with TLS at the proxy in front). A request for such a host has its public
 * path mapped under the workspace's `/s/<slug>`: `/` is the page, `/history.rss` its feed, `/api/v2/…`
 * its Statuspage-compatible JSON. The API, the admin pages, the `/s/` pages and the built assets keep
 * their own paths on every host, so devices and admins can use any name the server answers to.
 *
 * Shared by the Node server and the Worker: Web APIs only.
 */
import { type Db, listCustomDomains } from '@lifeline/db';

/** Set by the server alone on a request it mapped from a workspace's own host name (see the status site's `format.ts`). */
export { OWN_DOMAIN_HEADER } from '../../../status-site/src/lib/format.ts';

/** Paths that mean the same on every host (never mapped to a workspace's page). */
const EVERY_HOST =
  /^\/(?:v1|admin|s|_astro|docs|openapi\.json|healthz|sw\.js|favicon\.svg|robots\.txt)(?:\/|$)/;

/** The host name of a `Host` header: lower case, without port or trailing dot; null if there is none. */
export function hostOf(header: string | null | undefined): string | null {
  if (!header) return null;
  const host = header.trim().toLowerCase();
  const name = host.startsWith('[') ? host.slice(0, host.indexOf(']') + 1) : host.split(':')[0]!;
  return name.replace(/\.$/, '') || null;
}

/** Where a path on a workspace's custom domain is served from; null for a path that is the same everywhere. */
export function pathOnCustomDomain(pathname: string, slug: string): string | null {
  if (EVERY_HOST.test(pathname)) return null;
  return `/s/${slug}${pathname === '/' ? '' : pathname}`;
}

/** Whether a path could be mapped (cheap, before looking the host up). */
export function mayBeMapped(pathname: string): boolean {
  return !EVERY_HOST.test(pathname);
}

/**
 * The custom domains, kept in memory and read again every `ttlMs` (another instance may have changed
 * them) or at once after this instance changed one (`invalidate`).
 */
export class CustomDomains {
  readonly #db: Db;
  readonly #ttlMs: number;
  readonly #now: () => number;
  #map: Map<string, string> | null = null;
  #loadedAt = 0;
  #loading: Promise<Map<string, string>> | null = null;

  constructor(db: Db, opts: { ttlMs?: number; now?: () => number } = {}) {
    this.#db = db;
    this.#ttlMs = opts.ttlMs ?? 30_000;
    this.#now = opts.now ?? Date.now;
  }

  /** The slug whose page `host` serves, or null. */
  async slugFor(host: string | null): Promise<string | null> {
    if (!host) return null;
    return (await this.#current()).get(host) ?? null;
  }

  /**
   * The path to serve for a request to `host` and `pathname`: mapped under the workspace's page on its
   * custom domain, else unchanged. Paths that mean the same on every host (the API's hot paths among
   * them) never wait for the lookup.
   */
  async route(host: string | null, pathname: string): Promise<string> {
    if (!host || !mayBeMapped(pathname)) return pathname;
    const slug = await this.slugFor(host);
    return slug === null ? pathname : (pathOnCustomDomain(pathname, slug) ?? pathname);
  }

  invalidate(): void {
    this.#map = null;
  }

  #current(): Promise<Map<string, string>> {
    if (this.#map && this.#now() - this.#loadedAt < this.#ttlMs) return Promise.resolve(this.#map);
    this.#loading ??= listCustomDomains(this.#db)
      .then((rows) => {
        this.#map = new Map(rows.map((r) => [r.host, r.slug]));
        this.#loadedAt = this.#now();
        return this.#map;
      })
      // The database unreachable for a moment: keep serving what was known (or nothing), and ask again next time.
      .catch(() => this.#map ?? new Map<string, string>())
      .finally(() => {
        this.#loading = null;
      });
    return this.#loading;
  }
}
