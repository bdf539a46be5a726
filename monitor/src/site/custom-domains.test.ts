import { workspaces } from '@lifeline/db/schema';
import { eq } from 'drizzle-orm';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openIngestTestDatabase, TEST_WORKSPACE } from '../ingest/test-database.ts';
import { CustomDomains, hostOf, mayBeMapped, pathOnCustomDomain } from './custom-domains.ts';

describe('hostOf', () => {
  it('lower-cases and drops the port and a trailing dot', () => {
    expect(hostOf('Status.Acme.COM:8443')).toBe('status.acme.com');
    expect(hostOf('status.acme.com.')).toBe('status.acme.com');
    expect(hostOf('[::1]:8787')).toBe('[::1]');
    expect(hostOf('')).toBeNull();
    expect(hostOf(undefined)).toBeNull();
  });
});

describe('pathOnCustomDomain', () => {
  it('maps the public paths under the workspace page', () => {
    expect(pathOnCustomDomain('/', 'acme')).toBe('/s/acme');
    expect(pathOnCustomDomain('/history', 'acme')).toBe('/s/acme/history');
    expect(pathOnCustomDomain('/subscribe/push', 'acme')).toBe('/s/acme/subscribe/push');
    expect(pathOnCustomDomain('/api/v2/summary.json', 'acme')).toBe('/s/acme/api/v2/summary.json');
    expect(pathOnCustomDomain('/history.atom', 'acme')).toBe('/s/acme/history.atom');
    expect(pathOnCustomDomain('/badge/uptime.svg', 'acme')).toBe('/s/acme/badge/uptime.svg');
    expect(pathOnCustomDomain('/api/subscriptions', 'acme')).toBe('/s/acme/api/subscriptions');
  });

  it('leaves the API, the admin pages, other pages and assets alone', () => {
    for (const p of [
      '/v1/heartbeats',
      '/v1',
      '/admin',
      '/admin/login',
      '/s/other',
      '/s/other/history',
      '/_astro/app.js',
      '/docs',
      '/openapi.json',
      '/healthz',
      '/sw.js',
      '/favicon.svg',
    ]) {
      expect(pathOnCustomDomain(p, 'acme'), p).toBeNull();
      expect(mayBeMapped(p), p).toBe(false);
    }
    expect(mayBeMapped('/v1x'), 'a prefix of a word is not the word').toBe(true);
  });
});

describe('CustomDomains', () => {
  let db: Awaited<ReturnType<typeof openIngestTestDatabase>>;
  let now = 0;
  beforeEach(async () => {
    db = await openIngestTestDatabase([], 0);
  });
  afterEach(() => db.close());

  const setDomain = (host: string | null) =>
    db.database.db.update(workspaces).set({ customDomain: host }).where(eq(workspaces.id, TEST_WORKSPACE));

  it('routes a known host, reads changes again after the TTL or at once when told', async () => {
    const domains = new CustomDomains(db.database.db, { ttlMs: 30_000, now: () => now });
    expect(await domains.route('status.acme.com', '/')).toBe('/');
    await setDomain('status.acme.com');
    expect(await domains.route('status.acme.com', '/'), 'cached until the TTL').toBe('/');
    now += 30_000;
    expect(await domains.route('status.acme.com', '/')).toBe('/s/ws');
    expect(await domains.route('status.acme.com', '/v1/heartbeats')).toBe('/v1/heartbeats');
    expect(await domains.route('other.example.com', '/')).toBe('/');
    await setDomain(null);
    domains.invalidate();
    expect(await domains.route('status.acme.com', '/')).toBe('/');
  });

  it('keeps serving what it knew when the database cannot be read', async () => {
    await setDomain('status.acme.com');
    const domains = new CustomDomains(db.database.db, { ttlMs: 0, now: () => now });
    expect(await domains.slugFor('status.acme.com')).toBe('ws');
    db.database.close();
    expect(await domains.slugFor('status.acme.com')).toBe('ws');
  });
});
