/**
 * The edge build as the README documents it: `wrangler deploy --dry-run --outdir <dir>` runs wrangler.toml's
 * [build] (the status site's edge build), bundles the Worker with it, and exits without an account. Offline:
 * proxies point at a closed port, so anything that tried the network would fail rather than download.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { root, wrangler } from './wrangler.ts';

const run = promisify(execFile);
let dir = '';

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('the edge build (wrangler deploy --dry-run)', () => {
  it('builds the site for the edge and bundles the Worker with the page renderer, offline', async () => {
    dir = await mkdtemp(join(tmpdir(), 'lifeline-edge-build-'));
    const out = join(dir, 'out');
    const closed = 'http://127.0.0.1:9';
    const { stdout, stderr } = await run(
      process.execPath,
      [wrangler, 'deploy', '--dry-run', '--outdir', out],
      {
        cwd: root,
        timeout: 150_000,
        env: {
          ...process.env,
          CI: 'true',
          WRANGLER_SEND_METRICS: 'false',
          CLOUDFLARE_CF_FETCH_ENABLED: 'false',
          WRANGLER_LOG_PATH: join(dir, 'logs'),
          HTTP_PROXY: closed,
          HTTPS_PROXY: closed,
          NO_COLOR: '1',
        },
      },
    );
    const log = stdout + stderr;
    expect(log).toContain('ensure-built.mjs --edge');
    expect(log).toMatch(/Read \d+ files from the assets directory/);
    expect(log).toContain('--dry-run: exiting now');
    expect(await readdir(out)).toContain('worker.js');
    const bundle = await readFile(join(out, 'worker.js'), 'utf8');
    // Astro's Web-standard App renders the pages; nothing of the Node adapter (node:http, send) came along.
    expect(bundle).toMatch(/app\.render\(request, \{\s+locals,\s+addCookieHeader: true/);
    expect(bundle).not.toMatch(/from "node:(?:http|https|http2|net|stream)"/);
    expect(bundle).not.toContain('@astrojs/node');
    // The hashed assets are cached for a year by Workers static assets' _headers.
    const headers = await readFile(join(root, 'status-site/dist-edge/client/_headers'), 'utf8');
    expect(headers).toMatch(/\/_astro\/\*\n\s+Cache-Control: public, max-age=31536000, immutable/);
  }, 160_000);
});
