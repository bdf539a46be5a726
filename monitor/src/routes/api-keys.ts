import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import { insertApiKeyQuery, listApiKeys, revokeApiKey } from '@lifeline/db';
import type { ApiKeyScope } from '@lifeline/db/schema';
import { apiKeyRequestSchema, apiKeySchema, createdApiKeySchema } from '../contract/devices.ts';
import { requireAdmin } from '../http/auth.ts';
import type { AppEnv } from '../http/env.ts';
import { ApiError } from '../http/errors.ts';
import { errorResponses, jsonBody, jsonContent } from '../http/openapi.ts';
import { generateToken, sha256Hex } from '../secrets.ts';

const tags = ['API keys'];
const security = [{ apiKey: [] }];

const createKeyRoute = createRoute({
  method: 'post',
  path: '/v1/api-keys',
  tags,
  security,
  summary: 'Create a workspace API key (shown once): admin, send-only or read-only',
  middleware: [requireAdmin] as const,
  request: { body: jsonBody(apiKeyRequestSchema) },
  responses: { 201: jsonContent(createdApiKeySchema, 'The key, shown once'), ...errorResponses(400, 401) },
});

const listKeysRoute = createRoute({
  method: 'get',
  path: '/v1/api-keys',
  tags,
  security,
  summary: "The workspace's API keys (prefixes only)",
  middleware: [requireAdmin] as const,
  responses: {
    200: jsonContent(z.object({ apiKeys: z.array(apiKeySchema) }), 'Keys, newest first'),
    ...errorResponses(401),
  },
});

const revokeKeyRoute = createRoute({
  method: 'delete',
  path: '/v1/api-keys/{id}',
  tags,
  security,
  summary: 'Revoke an API key',
  middleware: [requireAdmin] as const,
  request: { params: z.object({ id: z.string().min(1).max(64) }) },
  responses: { 204: { description: 'Revoked' }, ...errorResponses(401, 404) },
});

/** Creates an API key (an admin key unless another scope is asked for) and returns the secret once. */
export async function createApiKey(
  db: AppEnv['Variables']['deps']['db'],
  input: { workspaceId: string; name: string; now: number; scope?: ApiKeyScope },
) {
  const scope = input.scope ?? 'admin';
  const key = generateToken(scope);
  const { row, query } = insertApiKeyQuery(db, {
    workspaceId: input.workspaceId,
    name: input.name,
    scope,
    tokenHash: sha256Hex(key),
    prefix: key.slice(0, 13),
    now: input.now,
  });
  return { key, row, query };
}

export const apiKeyRoutes = new OpenAPIHono<AppEnv>()
  .openapi(createKeyRoute, async (c) => {
    const { db, clock } = c.var.deps;
    const { name, scope } = c.req.valid('json');
    const { key, row, query } = await createApiKey(db, {
      workspaceId: c.var.admin.workspaceId,
      name,
      scope,
      now: clock.now(),
    });
    await query;
    const { tokenHash: _h, workspaceId: _w, ...view } = row;
    return c.json({ ...view, key }, 201);
  })
  .openapi(listKeysRoute, async (c) => {
    const rows = await listApiKeys(c.var.deps.db, c.var.admin.workspaceId);
    return c.json({ apiKeys: rows.map(({ tokenHash: _h, workspaceId: _w, ...view }) => view) }, 200);
  })
  .openapi(revokeKeyRoute, async (c) => {
    const { db, clock, authCache } = c.var.deps;
    const { id } = c.req.valid('param');
    const ok = await revokeApiKey(db, c.var.admin.workspaceId, id, clock.now());
    if (!ok)
      throw new ApiError(404, 'api_key_not_found', `No active API key '${id}' in this workspace.`, 'id');
    authCache.clear();
    return c.body(null, 204);
  });
