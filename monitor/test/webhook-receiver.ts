/** A webhook endpoint on 127.0.0.1 that records what it is sent and answers `status`. */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export class WebhookReceiver {
  readonly got: { headers: Record<string, string>; body: string }[] = [];
  status = 200;
  #server: Server | null = null;
  url = '';
  readonly path: string;
  constructor(path = '/hook') {
    this.path = path;
  }
  async start() {
    this.#server = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => {
        body += c;
      });
      req.on('end', () => {
        this.got.push({ headers: req.headers as Record<string, string>, body });
        res.writeHead(this.status).end();
      });
    });
    await new Promise<void>((r) => this.#server!.listen(0, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}${this.path}`;
  }
  stop() {
    return new Promise<void>((r) => (this.#server ? this.#server.close(() => r()) : r()));
  }
}
