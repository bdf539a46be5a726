/**
 * A `fetch` for destinations a member of the public chose (their webhook URL, their browser's push
 * endpoint), on Node: node:http(s) with the probes' DNS lookup that refuses private and local addresses
 * at connect time, so a name that passed the check when subscribing cannot later resolve (or rebind) to
 * 127.0.0.1 or a cloud metadata address. Literal addresses are checked too. No redirects (the callers
 * ask for `redirect: 'manual'` anyway); the answer's body is cut at 64 KiB.
 */
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { guardedLookup } from '../probes/fetch-node.ts';
import { ipLiteralOf, isBlockedAddress } from '../probes/ssrf.ts';

const MAX_BYTES = 64 * 1024;
const NULL_BODY = new Set([101, 204, 205, 304]);

export function createGuardedFetch(allowPrivate: boolean): typeof fetch {
  return ((input: string | URL | Request, init?: RequestInit) =>
    new Promise<Response>((resolve, reject) => {
      const url = new URL(input instanceof Request ? input.url : String(input));
      const literal = ipLiteralOf(url.hostname);
      if (!allowPrivate && literal !== null && isBlockedAddress(literal)) {
        reject(new Error(`${url.hostname} is a private or local address`));
        return;
      }
      const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
      const req = send(
        url,
        {
          method: init?.method ?? 'GET',
          headers: Object.fromEntries(new Headers(init?.headers).entries()),
          signal: init?.signal ?? undefined,
          agent: false,
          lookup: guardedLookup(allowPrivate, isBlockedAddress) as never,
        },
        (res) => {
          const chunks: Buffer[] = [];
          let size = 0;
          res.on('data', (c: Buffer) => {
            size += c.length;
            if (size <= MAX_BYTES) chunks.push(c);
          });
          res.on('error', reject);
          res.on('end', () => {
            const status = res.statusCode ?? 502;
            resolve(new Response(NULL_BODY.has(status) ? null : Buffer.concat(chunks), { status }));
          });
        },
      );
      req.on('error', reject);
      const body = init?.body;
      req.end(typeof body === 'string' || body instanceof Uint8Array ? body : undefined);
    })) as typeof fetch;
}
