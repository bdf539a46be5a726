/**
 * One HTTP request over node:http that says, when it fails, whether any byte could have reached the
 * server: `connected: false` proves the engine never saw the request (connection refused, no route,
 * timeout while connecting); `connected: true` means it may have acted on it. fetch() cannot tell these
 * apart, which is why the SMSGate driver does not use it.
 */
import http from 'node:http';

export interface HttpCallOptions {
  method: 'GET' | 'POST' | 'DELETE';
  url: URL;
  headers?: Record<string, string>;
  body?: string;
  timeoutMs: number;
  maxResponseBytes?: number;
}

export interface HttpCallResponse {
  status: number;
  body: string;
}

export class HttpCallError extends Error {
  /** false: the TCP connection was never established, so the server cannot have received anything. */
  readonly connected: boolean;
  readonly errno: string;
  constructor(errno: string, connected: boolean, message: string) {
    super(message);
    this.name = 'HttpCallError';
    this.errno = errno;
    this.connected = connected;
  }
}

export function httpCall(options: HttpCallOptions): Promise<HttpCallResponse> {
  return new Promise<HttpCallResponse>((resolve, reject) => {
    const limit = options.maxResponseBytes ?? 1024 * 1024;
    let connected = false;
    let settled = false;
    const headers: Record<string, string> = { ...options.headers };
    if (options.body !== undefined) {
      headers['content-type'] ??= 'application/json';
      headers['content-length'] = String(Buffer.byteLength(options.body, 'utf8'));
    }
    const req = http.request(options.url, {
      method: options.method,
      headers,
      // A fresh connection per call: a reused keep-alive socket could fail after the server read the
      // request, and `connected` would then lie.
      agent: false,
    });

    const fail = (errno: string, message: string) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      req.destroy();
      reject(new HttpCallError(errno, connected, message));
    };

    const timer = setTimeout(() => {
      fail('ETIMEDOUT', `no answer within ${options.timeoutMs} ms`);
    }, options.timeoutMs);

    req.on('socket', (socket) => {
      if (!socket.connecting) connected = true;
      else socket.once('connect', () => (connected = true));
    });
    req.on('error', (error: NodeJS.ErrnoException) => {
      fail(error.code ?? 'EUNKNOWN', error.code ?? 'request failed');
    });
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size <= limit) chunks.push(chunk);
      });
      res.on('error', (error: NodeJS.ErrnoException) => fail(error.code ?? 'ECONNRESET', 'response failed'));
      res.on('aborted', () => fail('ECONNRESET', 'response aborted'));
      res.on('end', () => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') });
      });
    });
    if (options.body !== undefined) req.end(options.body, 'utf8');
    else req.end();
  });
}
