/**
 * A stand-in for Resend's API on 127.0.0.1 (the SDK honours a base URL) that checks what Resend checks for
 * `POST /emails`: a Bearer key, a JSON body with `from`, `to` (1–50 addresses), `subject`, and `html` or
 * `text`; answers 422 with Resend's error shape otherwise. An `Idempotency-Key` seen before returns the
 * first email's id without sending again (Resend keeps keys 24 h). It can be told to fail for a while.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface SentEmail {
  id: string;
  from: string;
  to: string[];
  subject: string;
  text?: string;
  html?: string;
  headers?: Record<string, string>;
  idempotencyKey: string | null;
}

const EMAIL = /^[^\s@<>]+@[^\s@<>]+\.[^\s@<>]+$/;
const address = (s: string) => EMAIL.test(s) || /^[^<>]*<[^\s@<>]+@[^\s@<>]+\.[^\s@<>]+>$/.test(s);

export class FakeResend {
  readonly sent: SentEmail[] = [];
  readonly attempts: { status: number; idempotencyKey: string | null }[] = [];
  /** While > 0, answers this status (e.g. 503, 429) instead of sending. */
  failWith = 0;
  #byKey = new Map<string, string>();
  #server: Server | null = null;
  url = '';
  readonly apiKey = 're_test_0123456789';

  async start(): Promise<void> {
    this.#server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const key = (req.headers['idempotency-key'] as string | undefined) ?? null;
        const reply = (status: number, body: unknown) => {
          this.attempts.push({ status, idempotencyKey: key });
          res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
        };
        const error = (status: number, name: string, message: string) =>
          reply(status, { statusCode: status, name, message });
        if (req.method !== 'POST' || req.url !== '/emails') return error(404, 'not_found', 'Unknown route');
        if (req.headers.authorization !== `Bearer ${this.apiKey}`)
          return error(401, 'missing_api_key', 'Missing or invalid API key');
        if (this.failWith) return error(this.failWith, 'application_error', 'Try again later');
        let body: Record<string, unknown>;
        try {
          body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
        } catch {
          return error(422, 'validation_error', 'Invalid JSON');
        }
        const to = Array.isArray(body.to) ? body.to : [body.to];
        if (typeof body.from !== 'string' || !address(body.from))
          return error(422, 'validation_error', '`from` must be an email address');
        if (to.length < 1 || to.length > 50 || !to.every((t) => typeof t === 'string' && address(t)))
          return error(422, 'validation_error', '`to` must hold 1 to 50 email addresses');
        if (typeof body.subject !== 'string' || body.subject.length === 0)
          return error(422, 'validation_error', '`subject` is required');
        if (typeof body.html !== 'string' && typeof body.text !== 'string')
          return error(422, 'validation_error', '`html` or `text` is required');
        if (key && this.#byKey.has(key)) return reply(200, { id: this.#byKey.get(key) });
        const id = crypto.randomUUID();
        if (key) this.#byKey.set(key, id);
        this.sent.push({
          id,
          from: body.from,
          to: to as string[],
          subject: body.subject,
          text: body.text as string | undefined,
          html: body.html as string | undefined,
          headers: body.headers as Record<string, string> | undefined,
          idempotencyKey: key,
        });
        reply(200, { id });
      });
    });
    await new Promise<void>((r) => this.#server!.listen(0, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    await new Promise<void>((r) => (this.#server ? this.#server.close(() => r()) : r()));
  }
}
