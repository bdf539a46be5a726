/**
 * Mounts the status site (Astro's Node adapter in middleware mode) on the monitor's Node server, so one
 * port serves the API, the JSON/feed twins and the pages. Requests are split by path before anything is
 * parsed, so the API's hot paths (heartbeats, receipts) never pass through Astro:
 *   - built assets (`/_astro/*`, `/favicon.svg`): served from `status-site/dist/client`, hashed ones immutable;
 *   - the pages (`/`, `/history`, `/subscribe`, `/subscribe/push`, the same under `/s/<slug>`, `/admin/*`): Astro;
 *   - everything else: the Hono app.
 * Node only (node:fs, node:http); the Worker renders the public pages with the edge build (worker.ts).
 */
import { readdir, readFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, join, relative, sep } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Deps } from '../deps.ts';
import { isSitePath, siteContext } from './context.ts';

export { isSitePath, siteContext };

type NodeHandler = (req: IncomingMessage, res: ServerResponse) => void | Promise<void>;
type AstroHandler = (
  req: IncomingMessage,
  res: ServerResponse,
  next: (err?: unknown) => void,
  locals: object,
) => Promise<void>;

const TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.webmanifest': 'application/manifest+json',
  '.txt': 'text/plain; charset=utf-8',
};

interface Asset {
  body: Buffer;
  type: string;
  immutable: boolean;
}

/** Every built asset, read once: the set is small (a stylesheet, two scripts, an icon). */
async function loadAssets(clientDir: string): Promise<Map<string, Asset>> {
  const assets = new Map<string, Asset>();
  for (const entry of await readdir(clientDir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const file = join(entry.parentPath, entry.name);
    const url = `/${relative(clientDir, file).split(sep).join('/')}`;
    assets.set(url, {
      body: await readFile(file),
      type: TYPES[extname(file)] ?? 'application/octet-stream',
      immutable: url.startsWith('/_astro/'),
    });
  }
  return assets;
}

function serveAsset(req: IncomingMessage, res: ServerResponse, asset: Asset) {
  res.writeHead(200, {
    'Content-Type': asset.type,
    'Content-Length': asset.body.length,
    'Cache-Control': asset.immutable ? 'public, max-age=31536000, immutable' : 'public, max-age=3600',
    'X-Content-Type-Options': 'nosniff',
  });
  res.end(req.method === 'HEAD' ? undefined : asset.body);
}

export interface SiteMount {
  /** Build (if it was needed) and load time, for the start log. */
  built: boolean;
  ms: number;
  /** Wraps the API's listener: site paths go to Astro, the rest to `api`. */
  listener(api: NodeHandler): NodeHandler;
}

/** Builds the site if its sources changed (ensure-built), then loads its handler and assets. */
export async function loadSite(deps: Deps): Promise<SiteMount> {
  const started = performance.now();
  const { ensureSiteBuilt, siteEntry, siteClientDir } = await import('@lifeline/status-site/build');
  const { built } = await ensureSiteBuilt();
  const { handler } = (await import(pathToFileURL(siteEntry).href)) as { handler: AstroHandler };
  const assets = await loadAssets(siteClientDir);
  const locals = { site: siteContext(deps) };
  return {
    built,
    ms: performance.now() - started,
    listener(api) {
      return (req, res) => {
        const url = req.url ?? '/';
        const q = url.indexOf('?');
        const pathname = q === -1 ? url : url.slice(0, q);
        if (req.method === 'GET' || req.method === 'HEAD') {
          const asset = assets.get(pathname);
          if (asset) return serveAsset(req, res, asset);
        }
        if (!isSitePath(pathname)) return api(req, res);
        // A fresh locals object per request: Astro's middleware stores the signed-in admin on it.
        return handler(req, res, () => void api(req, res), { ...locals });
      };
    },
  };
}
