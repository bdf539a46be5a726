/**
 * A stand-in for a browser push service (FCM, Mozilla autopush) on 127.0.0.1 that checks what a real one
 * checks: a VAPID `Authorization: vapid t=<JWT>, k=<key>` header whose ES256 signature verifies with that
 * key, whose `aud` is the endpoint's origin, whose `exp` is in the future and at most 24 h away, and whose
 * `sub` is a mailto: or https: contact; a TTL header; an aes128gcm body, which it decrypts with the
 * subscription's private key and auth secret (as the browser would) so tests can read what arrived.
 */
import { createECDH, createPublicKey, type ECDH, randomBytes, verify } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import ece from 'http_ece';

export interface BrowserSubscription {
  endpoint: string;
  keys: { p256dh: string; auth: string };
}

export interface ReceivedPush {
  subscriptionId: string;
  payload: unknown;
  ttl: number;
  urgency: string | null;
  topic: string | null;
  jwt: { aud: string; exp: number; sub: string };
}

interface Registered {
  ecdh: ECDH;
  auth: Buffer;
  /** What this subscription answers: 201, or e.g. 410 once the browser unsubscribed, 503 while down. */
  status: number;
  delayMs: number;
}

const b64u = (b: Buffer) => b.toString('base64url');

export class FakePushService {
  readonly received: ReceivedPush[] = [];
  readonly rejected: { subscriptionId: string; status: number; reason: string }[] = [];
  #subs = new Map<string, Registered>();
  #server: Server | null = null;
  url = '';

  async start(): Promise<void> {
    this.#server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', async () => {
        const id = (req.url ?? '').replace(/^\/push\//, '');
        const sub = this.#subs.get(id);
        const answer = (status: number, reason = '') => {
          if (status >= 400) this.rejected.push({ subscriptionId: id, status, reason });
          res.writeHead(status, { 'content-type': 'text/plain' }).end(reason);
        };
        if (!sub || req.method !== 'POST') return answer(404, 'no such subscription');
        if (sub.delayMs) await new Promise((r) => setTimeout(r, sub.delayMs));
        if (sub.status !== 201) return answer(sub.status, 'configured answer');
        try {
          const jwt = this.#checkVapid(req.headers.authorization);
          const ttl = Number(req.headers.ttl);
          if (!Number.isInteger(ttl) || ttl < 0) return answer(400, 'missing or bad TTL');
          if (req.headers['content-encoding'] !== 'aes128gcm') return answer(415, 'want aes128gcm');
          const plain = ece.decrypt(Buffer.concat(chunks), {
            version: 'aes128gcm',
            privateKey: sub.ecdh,
            authSecret: b64u(sub.auth),
          });
          this.received.push({
            subscriptionId: id,
            payload: JSON.parse(plain.toString('utf8')),
            ttl,
            urgency: (req.headers.urgency as string | undefined) ?? null,
            topic: (req.headers.topic as string | undefined) ?? null,
            jwt,
          });
          answer(201);
        } catch (err) {
          answer(403, (err as Error).message);
        }
      });
    });
    await new Promise<void>((r) => this.#server!.listen(0, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
  }

  /** A new browser subscription, as `PushManager.subscribe` would hand it to the page. */
  subscribe(): BrowserSubscription & { id: string } {
    const id = b64u(randomBytes(8));
    const ecdh = createECDH('prime256v1');
    ecdh.generateKeys();
    const auth = randomBytes(16);
    this.#subs.set(id, { ecdh, auth, status: 201, delayMs: 0 });
    return {
      id,
      endpoint: `${this.url}/push/${id}`,
      keys: { p256dh: b64u(ecdh.getPublicKey()), auth: b64u(auth) },
    };
  }

  /** Make a subscription answer `status` (410 once unsubscribed, 503 while down, 201 to recover). */
  setStatus(id: string, status: number, delayMs = 0): void {
    const sub = this.#subs.get(id);
    if (sub) Object.assign(sub, { status, delayMs });
  }

  #checkVapid(header: string | undefined): ReceivedPush['jwt'] {
    const m = /^vapid t=([^,\s]+),\s*k=([A-Za-z0-9_-]+)$/.exec(header ?? '');
    if (!m) throw new Error('Authorization must be `vapid t=…, k=…`');
    const [head, body, sig] = m[1]!.split('.');
    if (!head || !body || !sig) throw new Error('malformed JWT');
    const header0 = JSON.parse(Buffer.from(head, 'base64url').toString());
    if (header0.alg !== 'ES256') throw new Error('JWT must be ES256');
    const point = Buffer.from(m[2]!, 'base64url');
    if (point.length !== 65 || point[0] !== 4) throw new Error('k must be an uncompressed P-256 point');
    const key = createPublicKey({
      key: { kty: 'EC', crv: 'P-256', x: b64u(point.subarray(1, 33)), y: b64u(point.subarray(33)) },
      format: 'jwk',
    });
    const ok = verify(
      'sha256',
      Buffer.from(`${head}.${body}`),
      { key, dsaEncoding: 'ieee-p1363' },
      Buffer.from(sig, 'base64url'),
    );
    if (!ok) throw new Error('VAPID signature does not verify');
    const claims = JSON.parse(Buffer.from(body, 'base64url').toString());
    const now = Math.floor(Date.now() / 1000);
    if (claims.aud !== this.url) throw new Error(`aud must be ${this.url}`);
    if (!(claims.exp > now && claims.exp <= now + 86_400)) throw new Error('exp must be within 24 h');
    if (!/^(mailto:|https:)/.test(String(claims.sub))) throw new Error('sub must be mailto: or https:');
    return claims;
  }

  async stop(): Promise<void> {
    await new Promise<void>((r) => (this.#server ? this.#server.close(() => r()) : r()));
  }
}
