// The edge build's server entry: Astro's App over Web Requests, the page's locals passed by the caller.
import { createApp } from 'astro/app/entrypoint';

const app = createApp({ streaming: false });

/** Renders a page; `locals` is what the Node server's middleware passes (`{ site }`). */
export function render(request, locals) {
  return app.render(request, { locals });
}
