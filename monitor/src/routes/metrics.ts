import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import { defaultWorkspace } from '@lifeline/db';
import { requireAdmin } from '../http/auth.ts';
import type { AppEnv } from '../http/env.ts';
import { errorResponses } from '../http/openapi.ts';
import { backupMetrics, workspaceMetrics } from '../metrics/collect.ts';
import { EXPOSITION_CONTENT_TYPE, formatMetrics } from '../metrics/exposition.ts';

const metricsRoute = createRoute({
  method: 'get',
  path: '/v1/metrics',
  tags: ['Reliability'],
  security: [{ apiKey: [] }],
  summary: "The workspace's phones, messages, layers, components and alerts for Prometheus to scrape",
  description:
    'Prometheus text exposition format 0.0.4, computed at each scrape. Use a read-only key (`scope: read`) as the bearer token of the scrape job.',
  middleware: [requireAdmin] as const,
  responses: {
    200: {
      content: { [EXPOSITION_CONTENT_TYPE]: { schema: z.string() } },
      description: 'Gauges, one family per metric',
    },
    ...errorResponses(401, 403),
  },
});

export const metricsRoutes = new OpenAPIHono<AppEnv>().openapi(metricsRoute, async (c) => {
  const { db, clock, backups } = c.var.deps;
  const families = await workspaceMetrics(db, c.var.admin.workspaceId, clock.now());
  // The installation's backups are its owner's business: the default workspace's metrics carry them.
  if (backups && (await defaultWorkspace(db))?.id === c.var.admin.workspaceId)
    families.push(...backupMetrics(backups));
  return c.text(formatMetrics(families), 200, {
    'Content-Type': EXPOSITION_CONTENT_TYPE,
    'Cache-Control': 'no-store',
  });
});
