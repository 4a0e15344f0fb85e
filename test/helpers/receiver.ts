/** A real local webhook receiver for tests: records every request, answers what the test says. */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Received {
  headers: http.IncomingHttpHeaders;
  raw: string;
  body: any; // eslint-disable-line @typescript-eslint/no-explicit-any -- tests read arbitrary JSON
  status: number;
}

export class Receiver {
  readonly received: Received[] = [];
  /** Decides the answer to each request (default 200); status 0 = never answer (a hung receiver). */
  respond: (req: http.IncomingMessage, n: number) => { status: number; headers?: Record<string, string> } = () => ({ status: 200 });
  private server!: http.Server;
  private waiters: (() => void)[] = [];
  url = '';

  static async start(): Promise<Receiver> {
    const r = new Receiver();
    r.server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const raw = Buffer.concat(chunks).toString('utf8');
        const answer = r.respond(req, r.received.length);
        let body: unknown;
        try {
          body = JSON.parse(raw);
        } catch {
          body = undefined;
        }
        r.received.push({ headers: req.headers, raw, body, status: answer.status });
        if (answer.status !== 0) res.writeHead(answer.status, answer.headers ?? {}).end();
        const w = r.waiters;
        r.waiters = [];
        for (const f of w) f();
      });
    });
    await new Promise<void>((resolve) => r.server.listen(0, '127.0.0.1', resolve));
    r.url = `http://127.0.0.1:${(r.server.address() as AddressInfo).port}`;
    return r;
  }

  /** Requests answered 2xx, in arrival order. */
  get accepted(): Received[] {
    return this.received.filter((x) => x.status >= 200 && x.status < 300);
  }

  /** Events of accepted deliveries, in order. */
  get events(): any[] { // eslint-disable-line @typescript-eslint/no-explicit-any -- tests read arbitrary JSON
    return this.accepted.flatMap((x) => x.body.events as unknown[]);
  }

  /** Events of accepted deliveries, a delivery id counted once (what a de-duplicating receiver keeps). */
  get uniqueEvents(): any[] { // eslint-disable-line @typescript-eslint/no-explicit-any -- tests read arbitrary JSON
    const seen = new Set<string>();
    return this.accepted.flatMap((x) => {
      const id = x.headers['x-agentview-delivery'] as string;
      if (seen.has(id)) return [];
      seen.add(id);
      return x.body.events as unknown[];
    });
  }

  /** Waits until `cond()` holds (re-checked on every request); a guard stops hanging tests. */
  async until(cond: () => boolean, guardMs = 20_000): Promise<void> {
    const deadline = Date.now() + guardMs;
    while (!cond()) {
      if (Date.now() > deadline) throw new Error(`receiver condition not met; ${this.received.length} requests received`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, 200);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
