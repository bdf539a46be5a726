/**
 * Stand-ins on 127.0.0.1 for Slack's and Discord's incoming webhooks, checking what the real ones check
 * and answering as they do.
 *
 * Slack (`POST /services/T…/B…/<token>`): a JSON body with `text` or `blocks` (else 400 `no_text`), at
 * most 50 blocks, a header's plain text up to 150 characters, a section's text up to 3,000 (else 400
 * `invalid_blocks`); a revoked token answers 404 `no_service`, an archived channel 410
 * `channel_is_archived`; success is 200 `ok` as plain text.
 *
 * Discord (`POST /api/webhooks/<id>/<token>`): `content` or `embeds` (else 400, code 50006), `content` up
 * to 2,000 characters, at most 10 embeds, a title up to 256, a description up to 4,096 and 6,000 over all
 * embeds, a username without "discord" (else 400, code 50035); an unknown webhook answers 404 (code
 * 10015); success is 204 with no body.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ChatPost {
  path: string;
  body: Record<string, unknown>;
}

abstract class FakeChatService {
  readonly received: ChatPost[] = [];
  readonly attempts: { path: string; status: number }[] = [];
  /** While > 0, answers this status (e.g. 503, 429) instead of posting. */
  failWith = 0;
  #server: Server | null = null;
  url = '';

  protected abstract handle(path: string, body: unknown): { status: number; body: string; type?: string };

  async start(): Promise<void> {
    this.#server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const path = req.url ?? '/';
        const reply = (r: { status: number; body: string; type?: string }) => {
          this.attempts.push({ path, status: r.status });
          res.writeHead(r.status, r.body ? { 'content-type': r.type ?? 'text/plain' } : {}).end(r.body);
        };
        if (req.method !== 'POST') return reply({ status: 405, body: 'invalid_method' });
        if (this.failWith) return reply({ status: this.failWith, body: 'try again' });
        let body: unknown;
        try {
          if (!(req.headers['content-type'] ?? '').startsWith('application/json')) throw new Error('type');
          body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
        } catch {
          return reply(this.invalidBody());
        }
        const result = this.handle(path, body);
        if (result.status < 300) this.received.push({ path, body: body as Record<string, unknown> });
        reply(result);
      });
    });
    await new Promise<void>((r) => this.#server!.listen(0, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.#server!.address() as AddressInfo).port}`;
  }

  protected abstract invalidBody(): { status: number; body: string; type?: string };

  async stop(): Promise<void> {
    await new Promise<void>((r) => this.#server?.close(() => r()) ?? r());
  }
}

const text = (v: unknown): string | null => (typeof v === 'string' ? v : null);

export class FakeSlack extends FakeChatService {
  /** Tokens whose webhook was removed (404 `no_service`) or whose channel is archived (410). */
  readonly revoked = new Set<string>();
  readonly archived = new Set<string>();

  /** A fresh incoming-webhook URL. */
  webhookUrl(token = Math.random().toString(36).slice(2, 14).padEnd(12, '0')): string {
    return `${this.url}/services/T0LIFELINE/B0ALERTS/${token}`;
  }

  protected invalidBody() {
    return { status: 400, body: 'invalid_payload' };
  }

  protected handle(path: string, body: unknown) {
    const m = /^\/services\/T\w+\/B\w+\/(\w+)$/.exec(path);
    if (!m) return { status: 404, body: 'no_service' };
    const token = m[1]!;
    if (this.revoked.has(token)) return { status: 404, body: 'no_service' };
    if (this.archived.has(token)) return { status: 410, body: 'channel_is_archived' };
    const b = body as { text?: unknown; blocks?: unknown };
    const blocks = Array.isArray(b.blocks) ? (b.blocks as Record<string, unknown>[]) : null;
    if (!text(b.text) && !blocks?.length) return { status: 400, body: 'no_text' };
    if (blocks) {
      if (blocks.length > 50) return { status: 400, body: 'invalid_blocks' };
      for (const block of blocks) {
        const t = block.text as { type?: string; text?: unknown } | undefined;
        if (block.type === 'header' && (t?.type !== 'plain_text' || (text(t.text) ?? '').length > 150))
          return { status: 400, body: 'invalid_blocks' };
        if (block.type === 'section' && (!t || (text(t.text) ?? '').length > 3_000))
          return { status: 400, body: 'invalid_blocks' };
      }
    }
    return { status: 200, body: 'ok' };
  }
}

export class FakeDiscord extends FakeChatService {
  readonly #webhooks = new Set<string>();

  /** A new webhook's URL; `deleted` makes it one Discord no longer knows. */
  webhookUrl(): string {
    const id = String(100_000_000_000 + this.#webhooks.size);
    const token = Math.random().toString(36).slice(2, 14);
    this.#webhooks.add(`${id}/${token}`);
    return `${this.url}/api/webhooks/${id}/${token}`;
  }

  delete(url: string): void {
    this.#webhooks.delete(new URL(url).pathname.replace('/api/webhooks/', ''));
  }

  protected invalidBody() {
    return this.#error(400, 50109, 'The request body contains invalid JSON.');
  }

  #error(status: number, code: number, message: string) {
    return { status, body: JSON.stringify({ message, code }), type: 'application/json' };
  }

  protected handle(path: string, body: unknown) {
    const m = /^\/api\/webhooks\/(\d+\/\w+)$/.exec(path);
    if (!m || !this.#webhooks.has(m[1]!)) return this.#error(404, 10015, 'Unknown Webhook');
    const b = body as { content?: unknown; embeds?: unknown; username?: unknown };
    const embeds = Array.isArray(b.embeds) ? (b.embeds as Record<string, unknown>[]) : [];
    const content = text(b.content) ?? '';
    if (!content && embeds.length === 0) return this.#error(400, 50006, 'Cannot send an empty message');
    if (content.length > 2_000 || embeds.length > 10 || /discord/i.test(text(b.username) ?? ''))
      return this.#error(400, 50035, 'Invalid Form Body');
    let total = 0;
    for (const e of embeds) {
      const title = text(e.title) ?? '';
      const description = text(e.description) ?? '';
      if (title.length > 256 || description.length > 4_096)
        return this.#error(400, 50035, 'Invalid Form Body');
      total += title.length + description.length;
    }
    if (total > 6_000) return this.#error(400, 50035, 'Invalid Form Body');
    return { status: 204, body: '' };
  }
}
