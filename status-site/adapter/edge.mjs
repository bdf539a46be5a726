/**
 * A minimal Astro adapter for the edge: the same pages built as one Web-standard module whose `render`
 * takes a `Request` and the request's locals and returns a `Response` (Astro's own `App`). The Worker
 * (monitor/src/worker.ts) imports the built module and calls it for the public pages; wrangler bundles it
 * with the Worker, and serves the built assets (`dist-edge/client`) as Workers static assets.
 * No dependency: Cloudflare's adapter would bring its Vite plugin and a second workerd; this needs none.
 */
import { writeFile } from 'node:fs/promises';

/** Astro's hashed assets never change; everything else is revalidated (Workers static assets' `_headers`). */
const HEADERS = `/_astro/*\n  Cache-Control: public, max-age=31536000, immutable\n  X-Content-Type-Options: nosniff\n`;

export default function edgeAdapter() {
  let clientDir;
  return {
    name: 'lifeline-edge',
    hooks: {
      'astro:config:done': ({ setAdapter, config }) => {
        clientDir = config.build.client;
        setAdapter({
          name: 'lifeline-edge',
          entrypointResolution: 'auto',
          serverEntrypoint: new URL('./edge-entry.mjs', import.meta.url),
          adapterFeatures: { buildOutput: 'server' },
          supportedAstroFeatures: {
            serverOutput: 'stable',
            staticOutput: 'unsupported',
            hybridOutput: 'unsupported',
            sharpImageService: 'unsupported',
            envGetSecret: 'unsupported',
          },
        });
      },
      'astro:build:done': async () => {
        if (clientDir) await writeFile(new URL('_headers', clientDir), HEADERS);
      },
    },
  };
}
