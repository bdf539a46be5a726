/**
 * A small HTTP client over node:http/node:https with keep-alive, a timeout and an abort signal. The agent
 * uses it instead of fetch(): fetch loads undici, which alone costs a phone about 17 MB of RSS.
 */
import http from 'node:http';
import https from 'node:https';

const agents = {
  'http:': new http.Agent({ keepAlive: true, keepAliveMsecs: 10_000 }),
  'https:': new https.Agent({ keepAlive: true, keepAliveMsecs: 10_000 }),
};

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

export function httpRequest(url: string, opts: HttpRequestOptions): Promise<HttpResponse> {
  const u = new URL(url);
  const lib = u.protocol === 'https:' ? https : http;
  const agent = agents[u.protocol as 'http:' | 'https:'];
  if (!agent) return Promise.reject(new HttpError(`unsupported protocol ${u.protocol}`));
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
