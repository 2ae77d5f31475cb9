import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Received {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}

/** A webhook receiver on 127.0.0.1: records every request; `answer` picks each status. */
export class Receiver {
  readonly received: Received[] = [];
  answer: (req: Received, index: number) => number = () => 200;
  private server: Server | undefined;
  url = '';

  async start() {
    this.server = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk) => {
        body += chunk;
      });
      req.on('end', () => {
        const entry = { path: req.url ?? '', headers: req.headers, body };
        const sameSoFar = this.received.filter((r) => r.path === entry.path).length;
        this.received.push(entry);
        res.writeHead(this.answer(entry, sameSoFar)).end();
      });
    });
    await new Promise<void>((done) => this.server?.listen(0, '127.0.0.1', done));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  on(path: string) {
    return this.received.filter((r) => r.path === path);
  }

  async waitFor(path: string, count: number, timeoutMs = 15_000) {
    const deadline = Date.now() + timeoutMs;
    while (this.on(path).length < count) {
      if (Date.now() > deadline) throw new Error(`${path}: ${this.on(path).length} of ${count} requests`);
      await new Promise((r) => setTimeout(r, 25));
    }
    return this.on(path);
  }

  close() {
    return new Promise<void>((done) => this.server?.close(() => done()));
  }
}
