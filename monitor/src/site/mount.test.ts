import { describe, expect, it } from 'vitest';
import { isSitePath } from './mount.ts';

describe('isSitePath', () => {
  it('sends the pages to Astro and everything else (API, twins) to the Hono app', () => {
    for (const p of [
      '/',
      '/history',
      '/subscribe',
      '/subscribe/push',
      '/s/acme/subscribe/push',
      '/s/acme',
      '/s/acme/',
      '/s/acme/history',
      '/admin',
      '/admin/incidents/inc_1',
    ])
      expect(isSitePath(p), p).toBe(true);
    for (const p of [
      '/v1/heartbeats',
      '/healthz',
      '/docs',
      '/openapi.json',
      '/api/v2/summary.json',
      '/s/acme/api/v2/summary.json',
      '/history.rss',
      '/badge/status.svg',
      '/api/subscriptions',
      '/subscriptions/unsubscribe',
      '/administrator',
      '/s/a/b/c',
    ])
      expect(isSitePath(p), p).toBe(false);
  });
});
