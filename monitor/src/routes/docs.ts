import type { OpenAPIHono } from '@hono/zod-openapi';
import type { AppEnv } from '../http/env.ts';

const INFO = {
  title: 'Lifeline API',
  version: '0.1.0',
  description:
    'Reliability monitoring for SMS gateways built from Android phones. Admin endpoints take a workspace API key, device endpoints a device token, both as `Authorization: Bearer <token>`. Errors are `{ "error": { "code", "message", "field" } }`.',
};

/** Serves the OpenAPI document built from the routes' zod schemas, and a readable reference page. */
export function mountDocs(app: OpenAPIHono<AppEnv>): void {
  app.openAPIRegistry.registerComponent('securitySchemes', 'apiKey', {
    type: 'http',
    scheme: 'bearer',
    description:
      'A workspace API key: `ll_admin_…` (scope admin: everything), `ll_send_…` (scope send: POST and GET /v1/messages…) or `ll_read_…` (scope read: GET only). A key outside its scope gets 403 insufficient_scope.',
  });
  app.openAPIRegistry.registerComponent('securitySchemes', 'deviceToken', {
    type: 'http',
    scheme: 'bearer',
    description: 'A device token (ll_dev_…) from enrolment.',
  });
  let cached: ReturnType<typeof app.getOpenAPI31Document> | undefined;
  const document = () => {
    cached ??= app.getOpenAPI31Document({ openapi: '3.1.0', info: INFO });
    return cached;
  };
  app.get('/openapi.json', (c) => c.json(document()));
  app.get('/docs', (c) => c.html(renderReference(document())));
}

type Doc = ReturnType<OpenAPIHono['getOpenAPI31Document']>;

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
}

/** A plain, dependency-free reference page: one section per operation, no scripts, no third-party requests. */
export function renderReference(doc: Doc): string {
  const sections: string[] = [];
  for (const [path, item] of Object.entries(doc.paths ?? {})) {
    for (const method of ['get', 'post', 'put', 'patch', 'delete'] as const) {
      const op = (
        item as Record<
          string,
          { summary?: string; description?: string; responses?: object; tags?: string[] }
        >
      )[method];
      if (!op) continue;
      const statuses = Object.keys(op.responses ?? {}).join(', ');
      sections.push(
        `<section><h2><code>${method.toUpperCase()} ${escapeHtml(path)}</code></h2>` +
          `<p>${escapeHtml(op.summary ?? '')}</p>` +
          (op.description ? `<p>${escapeHtml(op.description)}</p>` : '') +
          `<p class="meta">${escapeHtml((op.tags ?? []).join(', '))} · responses ${escapeHtml(statuses)}</p></section>`,
      );
    }
  }
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${escapeHtml(doc.info.title)} reference</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#111;background:#fff}
@media (prefers-color-scheme:dark){body{color:#eee;background:#111}}code{font-size:.95em}section{border-top:1px solid #8884;padding:.5rem 0}.meta{color:#888;font-size:.9em}</style>
</head><body><h1>${escapeHtml(doc.info.title)}</h1><p>${escapeHtml(doc.info.description ?? '')}</p>
<p>The machine-readable document is at <a href="/openapi.json">/openapi.json</a>.</p>${sections.join('\n')}</body></html>`;
}
