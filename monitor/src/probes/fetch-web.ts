/**
 * The Web-standard fetcher (Workers): `redirect: 'manual'` with each hop checked again. There is no DNS
 * lookup on Workers, so only IP literals and local names are refused here; Workers' fetch cannot reach
 * private ranges of the account anyway. The certificate is not exposed, so no TLS expiry warning here.
 */
import { checkTarget, nextHop, readLimited } from './fetch-common.ts';
import type { Fetcher } from './types.ts';

async function* chunksOf(body: ReadableStream<Uint8Array> | null): AsyncGenerator<Uint8Array> {
  if (!body) return;
  const reader = body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return;
    yield value;
  }
}

export const webFetcher: Fetcher = async (req, opts) => {
  const started = performance.now();
  const since = () => Math.round(performance.now() - started);
  const redirects: string[] = [];
  let current = req;
  try {
    for (let hop = 0; ; hop++) {
      const target = checkTarget(current.url, opts.allowPrivate);
      if (!target.ok) return { ...target.failure, latencyMs: since() };
      const res = await fetch(target.url, {
        method: current.method,
        headers: { 'user-agent': 'Lifeline-Probe/1', ...current.headers },
        body: current.body,
        redirect: 'manual',
        signal: opts.signal,
      });
      const next = nextHop(current, target.url, res.status, res.headers.get('location'));
      if (next) {
        await res.body?.cancel();
        if (hop >= (opts.maxRedirects ?? 5))
          return { ok: false, kind: 'too_many_redirects', message: 'too many redirects', latencyMs: since() };
        redirects.push(next.url);
        current = next;
        continue;
      }
      const body = await readLimited(chunksOf(res.body), opts.maxBytes ?? 1_048_576);
      if (body === null)
        return { ok: false, kind: 'too_large', message: 'the body is too large', latencyMs: since() };
      return {
        ok: true,
        response: {
          url: target.url.href,
          status: res.status,
          headers: Object.fromEntries(res.headers),
          body,
          latencyMs: since(),
          tls: null,
          redirects,
        },
      };
    }
  } catch (err) {
    if (opts.signal.aborted)
      return { ok: false, kind: 'timeout', message: 'no answer before the timeout', latencyMs: since() };
    return {
      ok: false,
      kind: 'network',
      message: err instanceof Error ? err.message : String(err),
      latencyMs: since(),
    };
  }
};
