import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import { deleteComponent, insertComponent, isUniqueViolation, updateComponent } from '@lifeline/db';
import type { Component } from '@lifeline/db/schema';
import { componentInputSchema, componentPatchSchema, componentSchema } from '../contract/components.ts';
import { requireAdmin } from '../http/auth.ts';
import type { AppEnv } from '../http/env.ts';
import { ApiError } from '../http/errors.ts';
import { errorResponses, jsonBody, jsonContent } from '../http/openapi.ts';
import { type ComponentState, componentStates } from '../reliability/components.ts';

const tags = ['Components'];
const security = [{ apiKey: [] }];
const idParam = z.object({ id: z.string().min(1).max(64) });

function view(s: ComponentState) {
  const c = s.component;
  return {
    id: c.id,
    name: c.name,
    description: c.description,
    layer: c.layer,
    source: c.source,
    position: c.position,
    status: s.status,
    derivedStatus: s.derived,
    signal: s.signal,
    inMaintenance: s.inMaintenance,
    override: s.override ? { status: s.override, until: c.overrideUntil } : null,
    thresholds: c.thresholds ?? null,
  };
}

const listRoute = createRoute({
  method: 'get',
  path: '/v1/components',
  tags,
  security,
  summary: 'Status-page components with their current status and the signal behind it',
  middleware: [requireAdmin] as const,
  responses: {
    200: jsonContent(z.object({ components: z.array(componentSchema) }), 'Components'),
    ...errorResponses(401),
  },
});

const createComponentRoute = createRoute({
  method: 'post',
  path: '/v1/components',
  tags,
  security,
  summary: 'Add a component',
  middleware: [requireAdmin] as const,
  request: { body: jsonBody(componentInputSchema) },
  responses: { 201: jsonContent(componentSchema, 'The component'), ...errorResponses(400, 401, 409) },
});

const patchRoute = createRoute({
  method: 'patch',
  path: '/v1/components/{id}',
  tags,
  security,
  summary: 'Rename or reorder a component, set or clear an override, tune its thresholds',
  middleware: [requireAdmin] as const,
  request: { params: idParam, body: jsonBody(componentPatchSchema) },
  responses: { 200: jsonContent(componentSchema, 'The component'), ...errorResponses(400, 401, 404) },
});

const deleteRoute = createRoute({
  method: 'delete',
  path: '/v1/components/{id}',
  tags,
  security,
  summary: 'Remove a component',
  middleware: [requireAdmin] as const,
  request: { params: idParam },
  responses: { 204: { description: 'Removed' }, ...errorResponses(401, 404) },
});

async function stateOf(c: AppEnv['Variables']['deps'], workspaceId: string, id: string) {
  const state = (await componentStates(c.db, workspaceId, c.clock.now())).find((s) => s.component.id === id);
  if (!state) throw new ApiError(404, 'component_not_found', `No component '${id}' in this workspace.`, 'id');
  return view(state);
}

export const componentRoutes = new OpenAPIHono<AppEnv>()
  .openapi(listRoute, async (c) => {
    const states = await componentStates(c.var.deps.db, c.var.admin.workspaceId, c.var.deps.clock.now());
    return c.json({ components: states.map(view) }, 200);
  })
  .openapi(createComponentRoute, async (c) => {
    const { db, clock } = c.var.deps;
    const workspaceId = c.var.admin.workspaceId;
    const body = c.req.valid('json');
    const now = clock.now();
    let created: Component;
    try {
      created = await insertComponent(
        db,
        {
          workspaceId,
          name: body.name,
          description: body.description ?? null,
          layer: body.layer,
          source: body.source ?? `manual:${crypto.randomUUID()}`,
          position: body.position,
          overrideStatus: null,
          overrideUntil: null,
          thresholds: null,
        },
        now,
      );
    } catch (err) {
      if (!isUniqueViolation(err)) throw err;
      throw new ApiError(409, 'component_exists', 'A component already shows this source.', 'source');
    }
    return c.json(await stateOf(c.var.deps, workspaceId, created.id), 201);
  })
  .openapi(patchRoute, async (c) => {
    const workspaceId = c.var.admin.workspaceId;
    const { id } = c.req.valid('param');
    const body = c.req.valid('json');
    const patch: Partial<Component> = {};
    if (body.name !== undefined) patch.name = body.name;
    if (body.description !== undefined) patch.description = body.description;
    if (body.position !== undefined) patch.position = body.position;
    if (body.thresholds !== undefined) patch.thresholds = body.thresholds;
    if (body.override !== undefined) {
      patch.overrideStatus = body.override?.status ?? null;
      patch.overrideUntil = body.override?.until ?? null;
    }
    const updated = await updateComponent(c.var.deps.db, workspaceId, id, patch);
    if (!updated)
      throw new ApiError(404, 'component_not_found', `No component '${id}' in this workspace.`, 'id');
    return c.json(await stateOf(c.var.deps, workspaceId, id), 200);
  })
  .openapi(deleteRoute, async (c) => {
    const { id } = c.req.valid('param');
    if (!(await deleteComponent(c.var.deps.db, c.var.admin.workspaceId, id))) {
      throw new ApiError(404, 'component_not_found', `No component '${id}' in this workspace.`, 'id');
    }
    return c.body(null, 204);
  });
