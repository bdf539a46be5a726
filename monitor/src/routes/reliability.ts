import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import {
  carrierScopeKeys,
  deleteSlo,
  findDevice,
  findSlo,
  insertSlo,
  listSlos,
  scopeKeys,
  updateSlo,
} from '@lifeline/db';
import type { Slo } from '@lifeline/db/schema';
import {
  SUMMARY_WINDOWS,
  sloInputSchema,
  sloPatchSchema,
  sloSchema,
  sloStatusSchema,
  summaryQuery,
  summarySchema,
  uptimeQuery,
  uptimeSeriesSchema,
} from '../contract/reliability.ts';
import { GRANULARITY_MS } from '../domain/buckets.ts';
import { DEFAULT_DELIVERY_TARGET } from '../domain/slo.ts';
import { requireAdmin } from '../http/auth.ts';
import type { AppEnv } from '../http/env.ts';
import { ApiError } from '../http/errors.ts';
import { errorResponses, jsonBody, jsonContent } from '../http/openapi.ts';
import {
  deliveryCountsByRange,
  deliveryRates,
  type LayerFigures,
  layerFiguresForRanges,
} from '../reliability/figures.ts';
import { monthRange, previousMonth, reliabilityReportCsv } from '../reliability/report.ts';
import { MAX_POINTS, reliabilitySeries } from '../reliability/series.ts';
import { sloStatus } from '../reliability/slo-status.ts';

const tags = ['Reliability'];
const security = [{ apiKey: [] }];
const DAY = 86_400_000;
const idParam = z.object({ id: z.string().min(1).max(64) });

const summaryRoute = createRoute({
  method: 'get',
  path: '/v1/reliability/summary',
  tags,
  security,
  summary:
    'Every layer for the last 1 h, 24 h, 7 d, 30 d and 90 d (and a custom range), with the end-to-end rate',
  middleware: [requireAdmin] as const,
  request: { query: summaryQuery },
  responses: { 200: jsonContent(summarySchema, 'Figures per window'), ...errorResponses(400, 401) },
});

const reportRoute = createRoute({
  method: 'get',
  path: '/v1/reliability/report.csv',
  tags,
  security,
  summary:
    "A month's reliability as CSV: a row per UTC day (device uptime, delivery rate) and the month's total",
  middleware: [requireAdmin] as const,
  request: {
    query: z.object({
      month: z
        .string()
        .regex(/^[0-9]{4}-(0[1-9]|1[0-2])$/, { message: 'Use YYYY-MM.' })
        .optional()
        .meta({ description: 'A UTC month, YYYY-MM; default: the last whole month.' }),
    }),
  },
  responses: {
    200: { content: { 'text/csv': { schema: z.string() } }, description: 'CSV with a header row' },
    ...errorResponses(400, 401, 403),
  },
});

const uptimeRoute = createRoute({
  method: 'get',
  path: '/v1/reliability/uptime',
  tags,
  security,
  summary: 'A bucketed series for charts and 90-day uptime bars',
  middleware: [requireAdmin] as const,
  request: { query: uptimeQuery },
  responses: { 200: jsonContent(uptimeSeriesSchema, 'The series'), ...errorResponses(400, 401, 404) },
});

const listSlosRoute = createRoute({
  method: 'get',
  path: '/v1/slos',
  tags,
  security,
  summary: "The workspace's SLOs",
  middleware: [requireAdmin] as const,
  responses: { 200: jsonContent(z.object({ slos: z.array(sloSchema) }), 'SLOs'), ...errorResponses(401) },
});

const createSloRoute = createRoute({
  method: 'post',
  path: '/v1/slos',
  tags,
  security,
  summary: 'Define an SLO',
  middleware: [requireAdmin] as const,
  request: { body: jsonBody(sloInputSchema) },
  responses: { 201: jsonContent(sloSchema, 'The SLO'), ...errorResponses(400, 401) },
});

const getSloRoute = createRoute({
  method: 'get',
  path: '/v1/slos/{id}',
  tags,
  security,
  summary: 'One SLO',
  middleware: [requireAdmin] as const,
  request: { params: idParam },
  responses: { 200: jsonContent(sloSchema, 'The SLO'), ...errorResponses(401, 404) },
});

const patchSloRoute = createRoute({
  method: 'patch',
  path: '/v1/slos/{id}',
  tags,
  security,
  summary: "Change an SLO's name, target, window or guard",
  middleware: [requireAdmin] as const,
  request: { params: idParam, body: jsonBody(sloPatchSchema) },
  responses: { 200: jsonContent(sloSchema, 'The SLO'), ...errorResponses(400, 401, 404) },
});

const deleteSloRoute = createRoute({
  method: 'delete',
  path: '/v1/slos/{id}',
  tags,
  security,
  summary: 'Delete an SLO',
  middleware: [requireAdmin] as const,
  request: { params: idParam },
  responses: { 204: { description: 'Deleted' }, ...errorResponses(401, 404) },
});

const sloStatusRoute = createRoute({
  method: 'get',
  path: '/v1/slos/{id}/status',
  tags,
  security,
  summary: 'Attainment, error budget, burn rates (5 m … 3 d) and multiwindow alert states',
  middleware: [requireAdmin] as const,
  request: { params: idParam },
  responses: { 200: jsonContent(sloStatusSchema, 'The status now'), ...errorResponses(401, 404) },
});

function sloNotFound(id: string) {
  return new ApiError(404, 'slo_not_found', `No SLO '${id}' in this workspace.`, 'id');
}

function view(slo: Slo) {
  const { workspaceId: _w, ...rest } = slo;
  return rest;
}

export const reliabilityRoutes = new OpenAPIHono<AppEnv>()
  .openapi(summaryRoute, async (c) => {
    const { db, clock } = c.var.deps;
    const workspaceId = c.var.admin.workspaceId;
    const now = clock.now();
    const q = c.req.valid('query');
    const names = Object.keys(SUMMARY_WINDOWS) as (keyof typeof SUMMARY_WINDOWS)[];
    const ranges = names.map((name) => ({ from: now - SUMMARY_WINDOWS[name], to: now }));
    if (q.from !== undefined || q.to !== undefined) {
      const from = q.from ?? 0;
      const to = q.to ?? now;
      if (to <= from) throw new ApiError(400, 'invalid_field', "'to' must be after 'from'.", 'to');
      ranges.push({ from, to });
    }
    // Every window in one pass over the rollups.
    const figures = await layerFiguresForRanges(db, workspaceId, ranges, now);
    const windows = Object.fromEntries(names.map((name, i) => [name, figures[i]!])) as Record<
      keyof typeof SUMMARY_WINDOWS,
      LayerFigures
    >;
    const custom = figures[names.length];
    const keys = await carrierScopeKeys(db, workspaceId);
    const byCarrier = await deliveryCountsByRange(db, workspaceId, keys, [{ from: now - DAY, to: now }], now);
    const prefix = scopeKeys.carrier(workspaceId, '');
    const carriers = keys.map((key) => {
      const rates = deliveryRates(byCarrier.get(key)![0]!);
      return {
        carrier: key.slice(prefix.length),
        deliveryRate24h: rates.deliveryRate,
        events24h: rates.events,
      };
    });
    return c.json({ at: now, windows, ...(custom ? { custom } : {}), carriers }, 200);
  })
  .openapi(reportRoute, async (c) => {
    const { db, clock } = c.var.deps;
    const now = clock.now();
    const month = c.req.valid('query').month ?? previousMonth(now);
    const range = monthRange(month, now);
    if (range.from >= now) throw new ApiError(400, 'invalid_field', 'That month has not begun.', 'month');
    const csv = await reliabilityReportCsv(db, c.var.admin.workspaceId, range, now);
    return c.text(csv, 200, {
      'Content-Type': 'text/csv; charset=utf-8; header=present',
      'Content-Disposition': `attachment; filename="lifeline-reliability-${month}.csv"`,
      'Cache-Control': 'no-store',
    });
  })
  .openapi(uptimeRoute, async (c) => {
    const { db, clock } = c.var.deps;
    const workspaceId = c.var.admin.workspaceId;
    const now = clock.now();
    const q = c.req.valid('query');
    const to = q.to ?? now;
    const from = q.from ?? to - 90 * DAY;
    if (to <= from) throw new ApiError(400, 'invalid_field', "'to' must be after 'from'.", 'to');
    if ((to - from) / GRANULARITY_MS[q.bucket] > MAX_POINTS) {
      throw new ApiError(
        400,
        'invalid_field',
        `At most ${MAX_POINTS} buckets; use a larger bucket.`,
        'bucket',
      );
    }
    if (q.scope.startsWith('device:') && !(await findDevice(db, workspaceId, q.scope.slice(7)))) {
      throw new ApiError(404, 'device_not_found', 'No such device in this workspace.', 'scope');
    }
    if (q.layer === 'devices' && q.scope.startsWith('carrier:')) {
      throw new ApiError(400, 'invalid_field', 'Device uptime has no carrier scope.', 'scope');
    }
    const points = await reliabilitySeries(db, {
      workspaceId,
      layer: q.layer,
      scope: q.scope,
      from,
      to,
      bucket: q.bucket,
      now,
    });
    return c.json({ layer: q.layer, scope: q.scope, bucket: q.bucket, points }, 200);
  })
  .openapi(listSlosRoute, async (c) => {
    const rows = await listSlos(c.var.deps.db, c.var.admin.workspaceId);
    return c.json({ slos: rows.map(view) }, 200);
  })
  .openapi(createSloRoute, async (c) => {
    const { db, clock } = c.var.deps;
    const workspaceId = c.var.admin.workspaceId;
    const body = c.req.valid('json');
    if (body.scope !== 'workspace' && !body.scopeId) {
      throw new ApiError(400, 'missing_field', `A ${body.scope} SLO needs 'scopeId'.`, 'scopeId');
    }
    if (body.scope === 'workspace' && body.scopeId) {
      throw new ApiError(400, 'invalid_field', 'A workspace SLO takes no scopeId.', 'scopeId');
    }
    if (body.scope === 'device' && !(await findDevice(db, workspaceId, body.scopeId!))) {
      throw new ApiError(400, 'device_not_found', 'No such device in this workspace.', 'scopeId');
    }
    if (body.scope === 'carrier' && body.indicator !== 'delivery') {
      throw new ApiError(400, 'invalid_field', 'Only delivery SLOs can be scoped to a carrier.', 'scope');
    }
    if (body.indicator === 'platform_uptime' && body.scope !== 'workspace') {
      throw new ApiError(400, 'invalid_field', 'Platform uptime SLOs are workspace-wide.', 'scope');
    }
    const slo = await insertSlo(
      db,
      {
        workspaceId,
        name: body.name,
        indicator: body.indicator,
        scope: body.scope,
        scopeId: body.scopeId ?? null,
        target: body.target ?? (body.indicator === 'delivery' ? DEFAULT_DELIVERY_TARGET : 0.99),
        windowDays: body.windowDays,
        minEvents: body.minEvents,
      },
      clock.now(),
    );
    return c.json(view(slo), 201);
  })
  .openapi(getSloRoute, async (c) => {
    const { id } = c.req.valid('param');
    const slo = await findSlo(c.var.deps.db, c.var.admin.workspaceId, id);
    if (!slo) throw sloNotFound(id);
    return c.json(view(slo), 200);
  })
  .openapi(patchSloRoute, async (c) => {
    const { id } = c.req.valid('param');
    const slo = await updateSlo(
      c.var.deps.db,
      c.var.admin.workspaceId,
      id,
      c.req.valid('json'),
      c.var.deps.clock.now(),
    );
    if (!slo) throw sloNotFound(id);
    return c.json(view(slo), 200);
  })
  .openapi(deleteSloRoute, async (c) => {
    const { id } = c.req.valid('param');
    if (!(await deleteSlo(c.var.deps.db, c.var.admin.workspaceId, id))) throw sloNotFound(id);
    return c.body(null, 204);
  })
  .openapi(sloStatusRoute, async (c) => {
    const { id } = c.req.valid('param');
    const slo = await findSlo(c.var.deps.db, c.var.admin.workspaceId, id);
    if (!slo) throw sloNotFound(id);
    return c.json(await sloStatus(c.var.deps.db, slo, c.var.deps.clock.now()), 200);
  });
