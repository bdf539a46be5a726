// The status site: server-rendered on every request by the Node adapter in middleware mode, mounted by
// the monitor's Node server on the API's port (monitor/src/site/mount.ts).
import node from '@astrojs/node';
import { defineConfig } from 'astro/config';

export default defineConfig({
  output: 'server',
  adapter: node({ mode: 'middleware' }),
  // The CSP allows scripts and styles from 'self' only: nothing may be inlined.
  build: { inlineStylesheets: 'never' },
  vite: { build: { assetsInlineLimit: 0 } },
  devToolbar: { enabled: false },
  prefetch: false,
  // Forms are checked by our CSRF tokens too; the Origin check stays on as a second lock.
  security: { checkOrigin: true },
});
