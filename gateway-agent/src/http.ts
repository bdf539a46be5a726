/**
 * A small HTTP client over node:http/node:https with keep-alive, a timeout and an abort signal. The agent
 * uses it instead of fetch(): fetch loads undici, which alone costs a phone about 17 MB of RSS.
 */
import http from 'node:http';
import type https from 'node:https';

const httpAgent = new http.Agent({ keepAlive: true, keepAliveMsecs: 10_000 });
/** node:https (TLS) costs about 5 MB of RSS: loaded only for an https server. */
let httpsLib: { lib: typeof https; agent: https.Agent } | null = null;

async function transport(protocol: string): Promise<{ lib: typeof http | typeof https; agent: http.Agent }> {
  if (protocol === 'http:') return { lib: http, agent: httpAgent };
  if (protocol !== 'https:') throw new HttpError(`unsupported protocol ${protocol}`);
  if (!httpsLib) {
    const lib = (await import('node:https')).default;
    httpsLib = { lib, agent: new lib.Agent({ keepAlive: true, keepAliveMsecs: 10_000 }) };
  }
  return httpsLib;
}

export interface HttpResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
}

export interface HttpRequestOptions {
  method: string;
  headers?: Record<string, string>;
  body?: string;
  timeoutMs: number;
  signal?: AbortSignal | undefined;
  maxResponseBytes?: number;
}

export class HttpError extends Error {
  readonly timedOut: boolean;
  constructor(message: string, timedOut = false) {
    super(message);
    this.name = 'HttpError';
    this.timedOut = timedOut;
  }
}

export async function httpRequest(url: string, opts: HttpRequestOptions): Promise<HttpResponse> {
  const u = new URL(url);
  const { lib, agent } = await transport(u.protocol);
  const max = opts.maxResponseBytes ?? 8 * 1024 * 1024;
  return new Promise((resolve, reject) => {
    let settled = false;
    const headers: Record<string, string> = { ...opts.headers };
    if (opts.body !== undefined) headers['content-length'] = String(Buffer.byteLength(opts.body));
    const req = lib.request(u, { method: opts.method, headers, agent });
    const finish = (err: Error | null, res?: HttpResponse) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onAbort);
      if (err) {
        req.destroy();
        reject(err);
      } else resolve(res!);
    };
    const timer = setTimeout(
      () => finish(new HttpError(`timed out after ${opts.timeoutMs} ms`, true)),
      opts.timeoutMs,
    );
    const onAbort = () => finish(new HttpError('aborted'));
    if (opts.signal?.aborted) return onAbort();
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    req.on('error', (err) => finish(new HttpError((err as NodeJS.ErrnoException).code ?? err.message)));
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (c: Buffer) => {
        size += c.length;
        if (size > max) finish(new HttpError(`response larger than ${max} bytes`));
        else chunks.push(c);
      });
      res.on('error', (err) => finish(new HttpError(err.message)));
      res.on('end', () =>
        finish(null, {
          status: res.statusCode ?? 0,
          headers: res.headers,
          text: Buffer.concat(chunks).toString('utf8'),
        }),
      );
    });
    req.end(opts.body);
  });
}
