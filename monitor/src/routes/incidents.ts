/**
 * Incidents and scheduled maintenance, for admins over the API (the admin pages write the same rows):
 * what the public status page and its Statuspage-compatible twins show. Every change refreshes the
 * workspace's cached page summary at once.
 */
import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import {
  addIncidentUpdate,
  createIncident,
  type Db,
  findIncident,
  findMaintenance,
  insertMaintenance,
  listComponents,
  listMaintenances,
  updateMaintenance,
} from '@lifeline/db';
import type { Maintenance } from '@lifeline/db/schema';
import {
  incidentIdParam,
  incidentListQuery,
  incidentSchema,
  incidentUpdateRequestSchema,
  maintenancePatchSchema,
  maintenanceSchema,
  newIncidentSchema,
  newMaintenanceSchema,
} from '../contract/incidents.ts';
import type { Deps } from '../deps.ts';
import { requireAdmin } from '../http/auth.ts';
import type { AppEnv } from '../http/env.ts';
import { ApiError } from '../http/errors.ts';
import { errorResponses, jsonBody, jsonContent } from '../http/openapi.ts';
import { incidentView, maintenanceView, statusReadModelFor } from '../site/read-model.ts';

const security = [{ apiKey: [] }];
const DAY = 86_400_000;

async function checkComponents(db: Db, workspaceId: string, ids: string[] | null | undefined) {
  if (!ids || ids.length === 0) return;
  const known = new Set((await listComponents(db, workspaceId)).map((c) => c.id));
  const unknown = ids.find((i) => !known.has(i));
  if (unknown)
    throw new ApiError(
      400,
      'unknown_component',
      `No component ${unknown} in this workspace.`,
      'componentIds',
    );
}

function maintenanceWithWarnings(m: Maintenance, now: number, announced: boolean) {
  const warnings: string[] = [];
  if (announced && m.startsAt - now < DAY)
    warnings.push('Announced less than 24 h ahead: subscribers get short notice.');
  return { ...maintenanceView(m, now), ...(warnings.length > 0 ? { warnings } : {}) };
}

function refreshPage(deps: Deps, workspaceId: string) {
  statusReadModelFor(deps).invalidate(workspaceId);
}

export const incidentRoutes = new OpenAPIHono<AppEnv>()
  .openapi(
    createRoute({
      method: 'get',
      path: '/v1/incidents',
      tags: ['Incidents'],
      security,
      middleware: [requireAdmin] as const,
      summary: 'Incidents, newest first, with their updates',
      request: { query: incidentListQuery },
      responses: {
        200: jsonContent(
          z.object({ incidents: z.array(incidentSchema), next: z.string().nullable() }),
          'A page',
        ),
        ...errorResponses(400, 401),
      },
    }),
    async (c) => {
      const q = c.req.valid('query');
      const page = await statusReadModelFor(c.var.deps).incidents(c.var.admin.workspaceId, {
        limit: q.limit,
        cursor: q.cursor ?? null,
      });
      return c.json(page, 200);
    },
  )
  .openapi(
    createRoute({
      method: 'post',
      path: '/v1/incidents',
      tags: ['Incidents'],
      security,
      middleware: [requireAdmin] as const,
      summary: 'Open an incident (it appears on the public page at once)',
      request: { body: jsonBody(newIncidentSchema) },
      responses: { 201: jsonContent(incidentSchema, 'The incident'), ...errorResponses(400, 401, 413, 415) },
    }),
    async (c) => {
      const { db, clock } = c.var.deps;
      const { workspaceId } = c.var.admin;
      const body = c.req.valid('json');
      await checkComponents(db, workspaceId, body.componentIds);
      const incident = await createIncident(db, { workspaceId, ...body, now: clock.now() });
      refreshPage(c.var.deps, workspaceId);
      return c.json(incidentView(incident), 201);
    },
  )
  .openapi(
    createRoute({
      method: 'get',
      path: '/v1/incidents/{id}',
      tags: ['Incidents'],
      security,
      middleware: [requireAdmin] as const,
      summary: 'One incident with its updates',
      request: { params: incidentIdParam },
      responses: { 200: jsonContent(incidentSchema, 'The incident'), ...errorResponses(401, 404) },
    }),
    async (c) => {
      const incident = await findIncident(c.var.deps.db, c.var.admin.workspaceId, c.req.valid('param').id);
      if (!incident) throw new ApiError(404, 'not_found', 'No such incident in this workspace.');
      return c.json(incidentView(incident), 200);
    },
  )
  .openapi(
    createRoute({
      method: 'post',
      path: '/v1/incidents/{id}/updates',
      tags: ['Incidents'],
      security,
      middleware: [requireAdmin] as const,
      summary: 'Post an update: investigating -> identified -> monitoring -> resolved',
      request: { params: incidentIdParam, body: jsonBody(incidentUpdateRequestSchema) },
      responses: {
        201: jsonContent(incidentSchema, 'The incident'),
        ...errorResponses(400, 401, 404, 413, 415),
      },
    }),
    async (c) => {
      const { db, clock } = c.var.deps;
      const { workspaceId } = c.var.admin;
      const incident = await addIncidentUpdate(db, {
        workspaceId,
        incidentId: c.req.valid('param').id,
        ...c.req.valid('json'),
        now: clock.now(),
      });
      if (!incident) throw new ApiError(404, 'not_found', 'No such incident in this workspace.');
      refreshPage(c.var.deps, workspaceId);
      return c.json(incidentView(incident), 201);
    },
  )
  .openapi(
    createRoute({
      method: 'get',
      path: '/v1/maintenances',
      tags: ['Maintenance'],
      security,
      middleware: [requireAdmin] as const,
      summary: 'Scheduled maintenance windows, latest first',
      responses: {
        200: jsonContent(z.object({ maintenances: z.array(maintenanceSchema) }), 'Windows'),
        ...errorResponses(401),
      },
    }),
    async (c) => {
      const now = c.var.deps.clock.now();
      const rows = await listMaintenances(c.var.deps.db, c.var.admin.workspaceId, 200);
      return c.json({ maintenances: rows.map((m) => maintenanceView(m, now)) }, 200);
    },
  )
  .openapi(
    createRoute({
      method: 'post',
      path: '/v1/maintenances',
      tags: ['Maintenance'],
      security,
      middleware: [requireAdmin] as const,
      summary: 'Schedule maintenance: alerts are silenced and uptime excluded inside it',
      description: 'The answer carries `warnings` when the window starts less than 24 h from now.',
      request: { body: jsonBody(newMaintenanceSchema) },
      responses: { 201: jsonContent(maintenanceSchema, 'The window'), ...errorResponses(400, 401, 413, 415) },
    }),
    async (c) => {
      const { db, clock } = c.var.deps;
      const { workspaceId } = c.var.admin;
      const body = c.req.valid('json');
      const now = clock.now();
      if (body.endsAt <= body.startsAt)
        throw new ApiError(400, 'invalid_field', 'endsAt must be after startsAt.', 'endsAt');
      if (body.endsAt <= now)
        throw new ApiError(400, 'invalid_field', 'The window must end in the future.', 'endsAt');
      await checkComponents(db, workspaceId, body.componentIds);
      const row = await insertMaintenance(
        db,
        {
          workspaceId,
          title: body.title,
          description: body.description ?? null,
          startsAt: body.startsAt,
          endsAt: body.endsAt,
          componentIds: body.componentIds && body.componentIds.length > 0 ? body.componentIds : null,
        },
        now,
      );
      refreshPage(c.var.deps, workspaceId);
      return c.json(maintenanceWithWarnings(row, now, true), 201);
    },
  )
  .openapi(
    createRoute({
      method: 'patch',
      path: '/v1/maintenances/{id}',
      tags: ['Maintenance'],
      security,
      middleware: [requireAdmin] as const,
      summary: 'Move, change or cancel a maintenance window',
      request: { params: incidentIdParam, body: jsonBody(maintenancePatchSchema) },
      responses: {
        200: jsonContent(maintenanceSchema, 'The window'),
        ...errorResponses(400, 401, 404, 413, 415),
      },
    }),
    async (c) => {
      const { db, clock } = c.var.deps;
      const { workspaceId } = c.var.admin;
      const { id } = c.req.valid('param');
      const current = await findMaintenance(db, workspaceId, id);
      if (!current) throw new ApiError(404, 'not_found', 'No such maintenance window in this workspace.');
      const { cancelled, ...patch } = c.req.valid('json');
      const startsAt = patch.startsAt ?? current.startsAt;
      const endsAt = patch.endsAt ?? current.endsAt;
      if (endsAt <= startsAt)
        throw new ApiError(400, 'invalid_field', 'endsAt must be after startsAt.', 'endsAt');
      await checkComponents(db, workspaceId, patch.componentIds);
      const now = clock.now();
      const row = await updateMaintenance(
        db,
        workspaceId,
        id,
        {
          ...patch,
          ...(patch.componentIds !== undefined
            ? { componentIds: patch.componentIds?.length ? patch.componentIds : null }
            : {}),
          ...(cancelled ? { cancelledAt: now } : {}),
        },
        now,
      );
      refreshPage(c.var.deps, workspaceId);
      return c.json(maintenanceWithWarnings(row!, now, patch.startsAt !== undefined), 200);
    },
  );
