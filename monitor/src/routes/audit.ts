import { createRoute, OpenAPIHono } from '@hono/zod-openapi';
import { type Db, listAuditEvents } from '@lifeline/db';
import type { AuditEvent } from '@lifeline/db/schema';
import { auditListQuery, auditListSchema } from '../contract/audit.ts';
import { requireAdmin } from '../http/auth.ts';
import type { AppEnv } from '../http/env.ts';
import { errorResponses, jsonContent } from '../http/openapi.ts';

const auditRoute = createRoute({
  method: 'get',
  path: '/v1/audit-log',
  tags: ['Workspace'],
  security: [{ apiKey: [] }],
  summary:
    'Who changed what, newest first: every change an API key or an admin page asked for, refusals included',
  middleware: [requireAdmin] as const,
  request: { query: auditListQuery },
  responses: { 200: jsonContent(auditListSchema, 'A page of events'), ...errorResponses(400, 401, 403) },
});

export function auditEventView(e: AuditEvent) {
  return {
    id: `aud_${e.seq}`,
    at: e.at,
    actor: { kind: e.actorKind, id: e.actorId, label: e.actorLabel },
    action: e.action,
    target: e.target,
    fields: e.fields,
    status: e.status,
    requestId: e.requestId,
  };
}

/** A page of a workspace's audit log, newest first, after the previous page's `nextCursor`. */
export async function auditLogPage(db: Db, workspaceId: string, page: { limit: number; before?: string }) {
  const rows = await listAuditEvents(db, workspaceId, {
    limit: page.limit + 1,
    ...(page.before ? { beforeSeq: Number(page.before.slice('aud_'.length)) } : {}),
  });
  const events = rows.slice(0, page.limit);
  return {
    events: events.map(auditEventView),
    nextCursor: rows.length > page.limit ? `aud_${events.at(-1)!.seq}` : null,
  };
}

export const auditRoutes = new OpenAPIHono<AppEnv>().openapi(auditRoute, async (c) =>
  c.json(await auditLogPage(c.var.deps.db, c.var.admin.workspaceId, c.req.valid('query')), 200),
);
