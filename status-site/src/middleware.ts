/**
 * Every page passes through here: the admin guard (session cookie, CSRF token on every POST), and the
 * headers: a Content-Security-Policy that allows nothing inline and nothing third-party, and caching
 * (public pages: revalidated by browsers, kept by CDNs with stale-while-revalidate / stale-if-error so
 * the page stays up when the origin is struggling; admin pages: never stored).
 */
import { defineMiddleware } from 'astro:middleware';
import { beginAuditEvent, findMovedWorkspace, finishAuditEvent } from '@lifeline/db';
import { MFA_PAGE, SESSION_COOKIE, sameString, sessionFromToken } from './lib/auth.ts';

export const CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
  "form-action 'self'",
].join('; ');

export const PUBLIC_CACHE =
  'public, max-age=0, s-maxage=30, stale-while-revalidate=300, stale-if-error=86400';

const FORM_TYPES = /^(application\/x-www-form-urlencoded|multipart\/form-data)\b/i;

function forbidden(message: string): Response {
  return new Response(message, { status: 403, headers: { 'Content-Type': 'text/plain; charset=utf-8' } });
}

/**
 * The audit log of the admin pages: each form an admin posts, with the page, its `action`, the `id` it is
 * about and the names of the fields it sets (never their values). The row is written before the page acts
 * on the form and completed with the answer's status after, so no change goes unrecorded (a row left
 * without a status means the outcome is unknown); if it cannot be written, the form is not acted on.
 */
function auditRow(
  site: App.Locals['site'],
  admin: NonNullable<App.Locals['admin']>,
  path: string,
  form: FormData,
) {
  const action = form.get('action');
  const id = form.get('id');
  const fields = [...new Set([...form.keys()])]
    .filter((k) => k !== 'csrf' && k !== 'action' && k !== 'id')
    .sort();
  return {
    workspaceId: admin.workspaceId,
    at: site.now(),
    actorKind: 'admin_user' as const,
    actorId: admin.userId,
    actorLabel: admin.email,
    action: `POST ${path}${typeof action === 'string' && action ? ` ${action.slice(0, 40)}` : ''}`,
    target: typeof id === 'string' && id ? id.slice(0, 64) : null,
    fields: fields.slice(0, 50),
    requestId: null,
  };
}

export const onRequest = defineMiddleware(async (ctx, next) => {
  const site = ctx.locals.site;
  if (!site) return new Response('The status site was started without its context.', { status: 500 });
  const path = ctx.url.pathname;
  const isAdmin = path === '/admin' || path.startsWith('/admin/');
  const isPost = ctx.request.method === 'POST';
  let form: FormData | null = null;

  if (isAdmin && path !== '/admin/login') {
    const admin = await sessionFromToken(site.db, ctx.cookies.get(SESSION_COOKIE)?.value, site.now());
    if (!admin) {
      if (isPost) return forbidden('Your session has ended: sign in again.');
      return ctx.redirect(`/admin/login?next=${encodeURIComponent(path + ctx.url.search)}`, 303);
    }
    // A session still owing its second factor opens the code page and sign-out, nothing else.
    if (admin.mfaPending && path !== MFA_PAGE && path !== '/admin/logout') {
      if (isPost) return forbidden('Enter the code from your authenticator app first.');
      return ctx.redirect(`${MFA_PAGE}?next=${encodeURIComponent(path + ctx.url.search)}`, 303);
    }
    if (isPost) {
      // Synchronizer token: every admin form carries the session's CSRF token.
      if (!FORM_TYPES.test(ctx.request.headers.get('content-type') ?? '')) return forbidden('Send a form.');
      form = await ctx.request.clone().formData();
      const token = form.get('csrf');
      if (typeof token !== 'string' || !sameString(token, admin.csrfToken))
        return forbidden('The form is out of date (CSRF check failed): reload the page and try again.');
    }
    ctx.locals.admin = admin;
  }

  let auditSeq: number | null = null;
  if (form && ctx.locals.admin) {
    try {
      auditSeq = await beginAuditEvent(site.db, auditRow(site, ctx.locals.admin, path, form));
    } catch (err) {
      console.error(
        JSON.stringify({ level: 'error', msg: 'audit log write failed', error: (err as Error).message }),
      );
      return new Response(
        'The change could not be recorded in the audit log, so it was not made: try again.',
        {
          status: 503,
          headers: { 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-store' },
        },
      );
    }
  }
  const res = await next();
  if (auditSeq !== null) {
    await finishAuditEvent(site.db, auditSeq, res.status).catch((err: Error) =>
      console.error(JSON.stringify({ level: 'error', msg: 'audit log write failed', error: err.message })),
    );
  }
  // A status page that moved to another slug: its old address redirects (links in sent emails keep working).
  const old = res.status === 404 && ctx.request.method === 'GET' ? /^\/s\/([^/]+)(\/.*)?$/.exec(path) : null;
  if (old) {
    const moved = await findMovedWorkspace(site.db, old[1]!);
    if (moved)
      return ctx.redirect(`/s/${encodeURIComponent(moved.slug)}${old[2] ?? ''}${ctx.url.search}`, 301);
  }
  const h = res.headers;
  h.set('Content-Security-Policy', CSP);
  h.set('X-Content-Type-Options', 'nosniff');
  h.set('Referrer-Policy', 'same-origin');
  h.set('X-Frame-Options', 'DENY');
  h.set('Permissions-Policy', 'camera=(), microphone=(), geolocation=()');
  if (isAdmin) h.set('Cache-Control', 'no-store');
  else if (!h.has('Cache-Control'))
    h.set('Cache-Control', !isPost && res.status === 200 ? PUBLIC_CACHE : 'no-store');
  return res;
});
