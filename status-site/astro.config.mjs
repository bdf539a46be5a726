// The status site: server-rendered on every request. Two builds of the same pages:
//   - Node (default, into dist/): the Node adapter in middleware mode, mounted by the monitor's Node server
//     on the API's port (monitor/src/site/mount.ts);
//   - edge (LIFELINE_SITE_TARGET=edge, into dist-edge/): a Web-standard `render(request, locals)` that the
//     Worker (monitor/src/worker.ts) calls for the public pages (adapter/edge.mjs).
import node from '@astrojs/node';
import { defineConfig, passthroughImageService } from 'astro/config';
import edge from './adapter/edge.mjs';

const isEdge = process.env.LIFELINE_SITE_TARGET === 'edge';

export default defineConfig({
  output: 'server',
  adapter: isEdge ? edge() : node({ mode: 'middleware' }),
  outDir: isEdge ? './dist-edge' : './dist',
  // No page uses images; on the edge no image service may pull in sharp.
  ...(isEdge ? { image: { service: passthroughImageService() } } : {}),
  // The CSP allows scripts and styles from 'self' only: nothing may be inlined.
  build: { inlineStylesheets: 'never' },
  vite: { build: { assetsInlineLimit: 0 } },
  devToolbar: { enabled: false },
  prefetch: false,
  // Forms are checked by our CSRF tokens too; the Origin check stays on as a second lock.
  security: { checkOrigin: true },
});
