/**
 * Every page passes through here: the admin guard (session cookie, CSRF token on every POST), and the
 * headers: a Content-Security-Policy that allows nothing inline and nothing third-party, and caching
 * (public pages: revalidated by browsers, kept by CDNs with stale-while-revalidate / stale-if-error so
 * the page stays up when the origin is struggling; admin pages: never stored).
 */
import { defineMiddleware } from 'astro:middleware';
import { SESSION_COOKIE, sameString, sessionFromToken } from './lib/auth.ts';

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

export const onRequest = defineMiddleware(async (ctx, next) => {
  const site = ctx.locals.site;
  if (!site) return new Response('The status site was started without its context.', { status: 500 });
  const path = ctx.url.pathname;
  const isAdmin = path === '/admin' || path.startsWith('/admin/');
  const isPost = ctx.request.method === 'POST';

  if (isAdmin && path !== '/admin/login') {
    const admin = await sessionFromToken(site.db, ctx.cookies.get(SESSION_COOKIE)?.value, site.now());
    if (!admin) {
      if (isPost) return forbidden('Your session has ended: sign in again.');
      return ctx.redirect(`/admin/login?next=${encodeURIComponent(path + ctx.url.search)}`, 303);
    }
    if (isPost) {
      // Synchronizer token: every admin form carries the session's CSRF token.
      if (!FORM_TYPES.test(ctx.request.headers.get('content-type') ?? '')) return forbidden('Send a form.');
      const form = await ctx.request.clone().formData();
      const token = form.get('csrf');
      if (typeof token !== 'string' || !sameString(token, admin.csrfToken))
        return forbidden('The form is out of date (CSRF check failed): reload the page and try again.');
    }
    ctx.locals.admin = admin;
  }

  const res = await next();
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
