import { createRoute, OpenAPIHono } from '@hono/zod-openapi';
import { workspacePatchSchema, workspaceSchema } from '../contract/workspace.ts';
import { requireAdmin } from '../http/auth.ts';
import type { AppEnv } from '../http/env.ts';
import { errorResponses, jsonBody, jsonContent } from '../http/openapi.ts';
import { changeWorkspace, getWorkspace } from '../services/workspace.ts';
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

export const workspaceRoutes = new OpenAPIHono<AppEnv>()
  .openapi(getWorkspaceRoute, async (c) =>
    c.json(await getWorkspace(c.var.deps, c.var.admin.workspaceId), 200),
  )
  .openapi(patchWorkspaceRoute, async (c) => {
    const changed = await changeWorkspace(c.var.deps, c.var.admin.workspaceId, c.req.valid('json'));
    statusReadModelFor(c.var.deps).invalidate(changed.id); // the page shows the new name at once
    return c.json(changed, 200);
  });
