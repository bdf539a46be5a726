/**
 * The Node fetcher: `node:http` / `node:https` with a DNS lookup that refuses private addresses at connect
 * time (so a name cannot pass the check and then rebind to 127.0.0.1), redirects followed by hand with each
 * hop checked again, a size cap, and the server certificate's expiry from the TLS socket.
 */
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { TLSSocket } from 'node:tls';
import { checkTarget, nextHop, readLimited } from './fetch-common.ts';
import { isBlockedAddress } from './ssrf.ts';
import type { FetchedResponse, Fetcher, FetchOutcome, FetchRequest } from './types.ts';

class PrivateTargetError extends Error {
  code = 'ERR_PRIVATE_TARGET';
}

type LookupCallback = (
  err: NodeJS.ErrnoException | null,
  address: string | LookupAddress[],
  family?: number,
) => void;

/** A `lookup` for node:http that refuses names resolving to a blocked address (unless `allowPrivate`). */
export function guardedLookup(allowPrivate: boolean, isBlocked: (address: string) => boolean) {
  return (hostname: string, options: { all?: boolean; family?: number }, callback: LookupCallback) => {
    dnsLookup(hostname, { family: options.family ?? 0, all: true }, (err, addresses) => {
      if (err) return callback(err, []);
      if (!allowPrivate) {
        const bad = addresses.find((a) => isBlocked(a.address));
        if (bad)
          return callback(
            new PrivateTargetError(`${hostname} resolves to ${bad.address}, a private or local address`),
            [],
          );
      }
      if (options.all) return callback(null, addresses);
      const first = addresses[0];
      if (!first)
        return callback(Object.assign(new Error(`${hostname} has no address`), { code: 'ENOTFOUND' }), []);
      callback(null, first.address, first.family);
    });
  };
}

function once(
  req: FetchRequest,
  url: URL,
  allowPrivate: boolean,
  isBlocked: (address: string) => boolean,
  signal: AbortSignal,
  ca: string | undefined,
) {
  return new Promise<IncomingMessage>((resolve, reject) => {
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    const r = send(
      url,
      {
        method: req.method,
        headers: { 'user-agent': 'Lifeline-Probe/1', ...req.headers },
        signal,
        agent: false,
        lookup: guardedLookup(allowPrivate, isBlocked) as never,
        ...(ca ? { ca } : {}),
      },
      resolve,
    );
    r.on('error', reject);
    r.end(req.body);
  });
}

async function* chunksOf(res: IncomingMessage): AsyncGenerator<Uint8Array> {
  for await (const chunk of res) yield chunk as Uint8Array;
}

function failureOf(err: unknown, signal: AbortSignal, started: number): FetchOutcome {
  const latencyMs = Math.round(performance.now() - started);
  const e = err as NodeJS.ErrnoException;
  if (signal.aborted)
    return { ok: false, kind: 'timeout', message: 'no answer before the timeout', latencyMs };
  if (e?.code === 'ERR_PRIVATE_TARGET')
    return { ok: false, kind: 'refused_private', message: e.message, latencyMs };
  if (e?.code === 'ENOTFOUND' || e?.code === 'EAI_AGAIN')
    return { ok: false, kind: 'dns', message: `cannot resolve the host (${e.code})`, latencyMs };
  if (
    typeof e?.code === 'string' &&
    (/CERT|TLS|SSL/.test(e.code) || e.code === 'DEPTH_ZERO_SELF_SIGNED_CERT')
  )
    return { ok: false, kind: 'tls', message: `${e.code}: ${e.message}`, latencyMs };
  return {
    ok: false,
    kind: 'network',
    message: e?.code ? `${e.code}: ${e.message}` : String(e?.message ?? e),
    latencyMs,
  };
}

/**
 * A Node fetcher; `isBlocked` decides which addresses count as private (tests treat one loopback address
 * as a public upstream, to show that a redirect from it to 127.0.0.1 is refused on its own hop); `tls.ca`
 * adds trust anchors (a private CA; the tests' self-signed certificate).
 */
export function createNodeFetcher(
  isBlocked: (address: string) => boolean = isBlockedAddress,
  tls: { ca?: string } = {},
): Fetcher {
  return (req, opts) => fetchNode(req, opts, isBlocked, tls.ca);
}

export const nodeFetcher: Fetcher = createNodeFetcher();

async function fetchNode(
  req: FetchRequest,
  opts: Parameters<Fetcher>[1],
  isBlocked: (address: string) => boolean,
  ca: string | undefined,
): Promise<FetchOutcome> {
  const started = performance.now();
  const redirects: string[] = [];
  let current = req;
  try {
    for (let hop = 0; ; hop++) {
      const target = checkTarget(current.url, opts.allowPrivate, isBlocked);
      if (!target.ok) return { ...target.failure, latencyMs: Math.round(performance.now() - started) };
      const res = await once(current, target.url, opts.allowPrivate, isBlocked, opts.signal, ca);
      const next = nextHop(current, target.url, res.statusCode ?? 0, res.headers.location);
      if (next) {
        res.resume();
        if (hop >= (opts.maxRedirects ?? 5))
          return {
            ok: false,
            kind: 'too_many_redirects',
            message: `more than ${opts.maxRedirects ?? 5} redirects`,
            latencyMs: Math.round(performance.now() - started),
          };
        redirects.push(next.url);
        current = next;
        continue;
      }
      const socket = res.socket as TLSSocket | null;
      const cert = target.url.protocol === 'https:' ? socket?.getPeerCertificate?.() : undefined;
      const body = await readLimited(chunksOf(res), opts.maxBytes ?? 1_048_576);
      if (body === null)
        return {
          ok: false,
          kind: 'too_large',
          message: `the body is larger than ${opts.maxBytes ?? 1_048_576} bytes`,
          latencyMs: Math.round(performance.now() - started),
        };
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(res.headers))
        if (v !== undefined) headers[k] = Array.isArray(v) ? v.join(', ') : v;
      const response: FetchedResponse = {
        url: target.url.href,
        status: res.statusCode ?? 0,
        headers,
        body,
        latencyMs: Math.round(performance.now() - started),
        tls: cert?.valid_to
          ? { validTo: Date.parse(cert.valid_to), subject: [cert.subject?.CN].flat()[0] ?? null }
          : null,
        redirects,
      };
      return { ok: true, response };
    }
  } catch (err) {
    return failureOf(err, opts.signal, started);
  }
}
