/**
 * The audit log of the API: each change an API key asks for (any method but GET/HEAD, outside the messages
 * data plane) gets a row naming the key, the route, the id it is about, the names of the body's top-level
 * fields (never their values) and the answer's status.
 *
 * The row is written before the change is made (`beginApiAudit`, once the key is known and allowed) and
 * completed with the status after (`auditApi`), so no change is ever made without its row: if the server
 * stops or the database fails in between, the row stays with its outcome unknown (status null). If the
 * row cannot be written, the change is not attempted. A request refused before that (wrong scope) gets its
 * row afterwards, as nothing changed.
 */
import { beginAuditEvent, finishAuditEvent, insertAuditEvent } from '@lifeline/db';
import type { Context, MiddlewareHandler } from 'hono';
import { matchedRoutes } from 'hono/route';
import type { AppEnv } from './env.ts';
import { ApiError } from './errors.ts';
import { isMessagesPath } from './scopes.ts';

/** Whether this request, by this key, is a change the audit log records. */
function audited(c: Context<AppEnv>): boolean {
  const method = c.req.method;
  return (
    Boolean(c.get('admin')) &&
    method !== 'GET' &&
    method !== 'HEAD' &&
    method !== 'OPTIONS' &&
    !isMessagesPath(c.req.path)
  );
}

async function rowOf(c: Context<AppEnv>) {
  const admin = c.get('admin');
  const route = routeOf(c);
  return {
    workspaceId: admin.workspaceId,
    at: c.var.deps.clock.now(),
    actorKind: 'api_key' as const,
    actorId: admin.keyId,
    actorLabel: admin.label,
    action: `${c.req.method} ${route}`,
    target: targetOf(route, c.req.path),
    fields: await bodyFields(c),
    requestId: c.var.requestId ?? null,
  };
}

/** Called by `requireAdmin` once the key may make this request: the row, before the change. */
export async function beginApiAudit(c: Context<AppEnv>): Promise<void> {
  if (!audited(c)) return;
  const row = await rowOf(c);
  try {
    c.set('auditSeq', await beginAuditEvent(c.var.deps.db, row));
  } catch (err) {
    c.var.deps.logger.error('audit log write failed', { error: (err as Error).message, action: row.action });
    throw new ApiError(
      503,
      'audit_unavailable',
      'The change could not be recorded in the audit log, so it was not made: try again.',
    );
  }
}

export const auditApi: MiddlewareHandler<AppEnv> = async (c, next) => {
  await next();
  if (!audited(c)) return;
  const { db, logger } = c.var.deps;
  const seq = c.get('auditSeq');
  try {
    if (seq !== undefined) await finishAuditEvent(db, seq, c.res.status);
    else await insertAuditEvent(db, { ...(await rowOf(c)), status: c.res.status });
  } catch (err) {
    // The row of a change exists already (outcome unknown); a refusal's row is logged as lost.
    logger.error('audit log write failed', {
      error: (err as Error).message,
      action: `${c.req.method} ${routeOf(c)}`,
    });
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
