import { ipLiteralOf, isBlockedAddress, isLocalName } from './ssrf.ts';
import type { FetchFailureKind, FetchRequest } from './types.ts';

type Failure = { ok: false; kind: FetchFailureKind; message: string; latencyMs: null };

/** Checks a hop's URL before connecting: http(s) only, and no private IP literal or local name unless allowed. */
export function checkTarget(
  raw: string,
  allowPrivate: boolean,
  isBlocked: (address: string) => boolean = isBlockedAddress,
): { ok: true; url: URL } | { ok: false; failure: Failure } {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return {
      ok: false,
      failure: { ok: false, kind: 'invalid_url', message: `not a URL: ${raw}`, latencyMs: null },
    };
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    return {
      ok: false,
      failure: { ok: false, kind: 'invalid_url', message: `${url.protocol} is not http(s)`, latencyMs: null },
    };
  if (!allowPrivate) {
    const ip = ipLiteralOf(url.hostname);
    if ((ip && isBlocked(ip)) || (!ip && isLocalName(url.hostname)))
      return {
        ok: false,
        failure: {
          ok: false,
          kind: 'refused_private',
          message: `${url.hostname} is a private or local address`,
          latencyMs: null,
        },
      };
  }
  return { ok: true, url };
}

/** The request of the next hop when a response redirects, or null. 303 (and 301/302 after POST) become GET. */
export function nextHop(
  req: FetchRequest,
  from: URL,
  status: number,
  location: string | null | undefined,
): FetchRequest | null {
  if (![301, 302, 303, 307, 308].includes(status) || !location) return null;
  const url = new URL(location, from).href;
  const toGet = status === 303 || ((status === 301 || status === 302) && req.method === 'POST');
  return toGet ? { url, method: 'GET', headers: req.headers } : { ...req, url };
}

/** The body as text, or null when it is longer than `maxBytes`. */
export async function readLimited(
  chunks: AsyncIterable<Uint8Array>,
  maxBytes: number,
): Promise<string | null> {
  const parts: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of chunks) {
    size += chunk.byteLength;
    if (size > maxBytes) return null;
    parts.push(chunk);
  }
  const all = new Uint8Array(size);
  let at = 0;
  for (const p of parts) {
    all.set(p, at);
    at += p.byteLength;
  }
  return new TextDecoder().decode(all);
}
