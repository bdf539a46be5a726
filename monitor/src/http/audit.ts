/**
 * The audit log of the API: after each change an API key asked for (any method but GET/HEAD, outside the
 * messages data plane), one row naming the key, the route, the id it was about, the names of the body's
 * top-level fields (never their values) and the answer's status, refusals included.
 */
import { insertAuditEvent } from '@lifeline/db';
import type { Context, MiddlewareHandler } from 'hono';
import { matchedRoutes } from 'hono/route';
import type { AppEnv } from './env.ts';
import { isMessagesPath } from './scopes.ts';

export const auditApi: MiddlewareHandler<AppEnv> = async (c, next) => {
  await next();
  const admin = c.get('admin');
  const method = c.req.method;
  if (!admin || method === 'GET' || method === 'HEAD' || method === 'OPTIONS') return;
  if (isMessagesPath(c.req.path)) return;
  const { db, clock, logger } = c.var.deps;
  const route = routeOf(c);
  try {
    await insertAuditEvent(db, {
      workspaceId: admin.workspaceId,
      at: clock.now(),
      actorKind: 'api_key',
      actorId: admin.keyId,
      actorLabel: admin.label,
      action: `${method} ${route}`,
      target: targetOf(route, c.req.path),
      fields: await bodyFields(c),
      status: c.res.status,
      requestId: c.var.requestId ?? null,
    });
  } catch (err) {
    // The change itself is done (or refused); a lost audit row is logged, never a failed request.
    logger.error('audit log write failed', { error: (err as Error).message, action: `${method} ${route}` });
  }
};

/** The matched route's pattern (`/v1/devices/:id`), or the path when no route matched. */
function routeOf(c: Context<AppEnv>): string {
  const routes = matchedRoutes(c).filter((r) => r.method !== 'ALL');
  return routes.at(-1)?.path ?? c.req.path;
}

/** The value of the route's last `:param` in the path: the id the change was about. */
export function targetOf(route: string, path: string): string | null {
  const patternParts = route.split('/');
  const pathParts = path.split('/');
  let target: string | null = null;
  patternParts.forEach((part, i) => {
    if (part.startsWith(':') && pathParts[i]) target = decodeURIComponent(pathParts[i]!);
  });
  return target;
}

/** Top-level keys of a JSON object body, sorted; [] for anything else. Hono has the parsed body cached. */
async function bodyFields(c: Context<AppEnv>): Promise<string[]> {
  try {
    const body: unknown = await c.req.json();
    return body && typeof body === 'object' && !Array.isArray(body)
      ? Object.keys(body).sort().slice(0, 50)
      : [];
  } catch {
    return [];
  }
}
