// The edge build's server entry: Astro's App over Web Requests, the page's locals passed by the caller.
import { createApp } from 'astro/app/entrypoint';

const app = createApp({ streaming: false });

/**
 * Renders a page; `locals` is what the Node server's middleware passes (`{ site }`), `clientAddress` the
 * visitor's IP address (`Astro.clientAddress`: sign-in counts failures per address).
 */
export function render(request, locals, clientAddress) {
  // addCookieHeader: what the pages set with Astro.cookies (the admin session, CSRF tokens) goes out as Set-Cookie.
  return app.render(request, { locals, addCookieHeader: true, ...(clientAddress ? { clientAddress } : {}) });
}
