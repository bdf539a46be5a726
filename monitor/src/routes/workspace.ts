import { createRoute, OpenAPIHono } from '@hono/zod-openapi';
import { defaultWorkspace, findWorkspace, isUniqueViolation, updateWorkspace } from '@lifeline/db';
import type { Workspace } from '@lifeline/db/schema';
import { workspacePatchSchema, workspaceSchema } from '../contract/workspace.ts';
import { requireAdmin } from '../http/auth.ts';
import type { AppEnv } from '../http/env.ts';
import { ApiError } from '../http/errors.ts';
import { errorResponses, jsonBody, jsonContent } from '../http/openapi.ts';
import { statusReadModelFor } from '../site/read-model.ts';

const tags = ['Workspace'];
const security = [{ apiKey: [] }];

const getWorkspaceRoute = createRoute({
  method: 'get',
  path: '/v1/workspace',
  tags,
  security,
  summary: "The API key's workspace: its name, slug, heartbeat interval and status page",
  middleware: [requireAdmin] as const,
  responses: { 200: jsonContent(workspaceSchema, 'The workspace'), ...errorResponses(401) },
});

const patchWorkspaceRoute = createRoute({
  method: 'patch',
  path: '/v1/workspace',
  tags,
  security,
  summary: 'Rename the workspace, move its status page to another slug, or change the heartbeat interval',
  middleware: [requireAdmin] as const,
  request: { body: jsonBody(workspacePatchSchema) },
  responses: {
    200: jsonContent(workspaceSchema, 'The workspace as changed'),
    ...errorResponses(400, 401, 409),
  },
});

/** The API's view of a workspace; the status page is at `/` for the default workspace, else `/s/<slug>`. */
export function workspaceView(w: Workspace, isDefault: boolean, publicUrl: string) {
  return {
    id: w.id,
    slug: w.slug,
    name: w.name,
    heartbeatIntervalS: w.heartbeatIntervalMs / 1000,
    createdAt: w.createdAt,
    statusPageUrl: `${publicUrl}${isDefault ? '/' : `/s/${w.slug}`}`,
  };
}

export const workspaceRoutes = new OpenAPIHono<AppEnv>()
  .openapi(getWorkspaceRoute, async (c) => {
    const { db, publicUrl } = c.var.deps;
    const w = await findWorkspace(db, c.var.admin.workspaceId);
    if (!w) throw new ApiError(401, 'invalid_token', 'The API key is unknown or revoked.');
    return c.json(workspaceView(w, (await defaultWorkspace(db))?.id === w.id, publicUrl), 200);
  })
  .openapi(patchWorkspaceRoute, async (c) => {
    const { deps } = c.var;
    const { db, publicUrl, authCache } = deps;
    const patch = c.req.valid('json');
    let w: Workspace | undefined;
    try {
      w = await updateWorkspace(db, c.var.admin.workspaceId, {
        ...(patch.name === undefined ? {} : { name: patch.name }),
        ...(patch.slug === undefined ? {} : { slug: patch.slug }),
        ...(patch.heartbeatIntervalS === undefined
          ? {}
          : { heartbeatIntervalMs: patch.heartbeatIntervalS * 1000 }),
      });
    } catch (err) {
      if (isUniqueViolation(err))
        throw new ApiError(409, 'slug_taken', 'Another workspace has this slug.', 'slug');
      throw err;
    }
    if (!w) throw new ApiError(401, 'invalid_token', 'The API key is unknown or revoked.');
    // Devices' cached principals carry the interval they are told; the next heartbeats read the new one.
    if (patch.heartbeatIntervalS !== undefined) authCache.clear();
    statusReadModelFor(deps).invalidate(w.id); // the page shows the new name at once
    return c.json(workspaceView(w, (await defaultWorkspace(db))?.id === w.id, publicUrl), 200);
  });
