/**
 * A small Server-Sent Events client over node:http for tests: parses
 * messages (and comment lines), lets a test wait for the next matching one,
 * and can stop reading to play a slow consumer.
 */
import http from 'node:http';

export interface SseEvent {
  event: string;
  data: string;
  id: string | undefined;
  /** Parsed JSON data (undefined for comments). */
  json: any; // eslint-disable-line @typescript-eslint/no-explicit-any -- tests read arbitrary JSON
}

export class SseClient {
  readonly events: SseEvent[] = [];
  /** Index of the next event `next()` looks at. */
  cursor = 0;
  ended = false;
  private buf = '';
  private waiters: (() => void)[] = [];
  private lastId: string | undefined;

  private constructor(
    readonly res: http.IncomingMessage,
    private readonly req: http.ClientRequest,
  ) {
    res.setEncoding('utf8');
    res.on('data', (chunk: string) => this.feed(chunk));
    res.on('end', () => this.finish());
    res.on('close', () => this.finish());
    res.on('error', () => this.finish());
  }

  get status(): number {
    return this.res.statusCode ?? 0;
  }

  /** The id of the last message that carried one (what EventSource would send as Last-Event-ID). */
  get lastEventId(): string | undefined {
    return this.lastId;
  }

  static connect(url: string, headers: Record<string, string> = {}): Promise<SseClient> {
    return new Promise((resolve, reject) => {
      const req = http.get(url, { headers: { accept: 'text/event-stream', ...headers } }, (res) => resolve(new SseClient(res, req)));
      req.on('error', reject);
    });
  }

  /** The first 64 KiB received, as text (error answers). */
  raw = '';

  private feed(chunk: string): void {
    if (this.raw.length < 65536) this.raw += chunk;
    this.buf += chunk;
    let i: number;
    while ((i = this.buf.indexOf('\n\n')) >= 0) {
      const block = this.buf.slice(0, i);
      this.buf = this.buf.slice(i + 2);
      let event = 'message';
      let id: string | undefined;
      const data: string[] = [];
      let comment: string | undefined;
      for (const line of block.split('\n')) {
        if (line.startsWith(':')) comment = line.slice(1).trim();
        else if (line.startsWith('event: ')) event = line.slice(7);
        else if (line.startsWith('data: ')) data.push(line.slice(6));
        else if (line.startsWith('id: ')) id = line.slice(4);
      }
      if (id !== undefined) this.lastId = id;
      if (data.length === 0 && comment !== undefined) {
        this.events.push({ event: 'comment', data: comment, id: undefined, json: undefined });
      } else if (data.length > 0) {
        const text = data.join('\n');
        this.events.push({ event, data: text, id, json: JSON.parse(text) });
      }
    }
    this.notify();
  }

  private finish(): void {
    this.ended = true;
    this.notify();
  }

  private notify(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  /**
   * Resolves with the next event (from the cursor) matching `pred`, skipping
   * others; rejects when the stream ends first or after `guardMs` (a guard
   * against hanging tests, not a timing assertion).
   */
  async next(pred: (e: SseEvent) => boolean = (e) => e.event !== 'comment', guardMs = 20_000): Promise<SseEvent> {
    const deadline = Date.now() + guardMs;
    for (;;) {
      while (this.cursor < this.events.length) {
        const e = this.events[this.cursor++]!;
        if (pred(e)) return e;
      }
      if (this.ended) throw new Error(`stream ended; events: ${this.events.map((e) => e.event).join(',')}`);
      if (Date.now() > deadline) throw new Error(`no matching event within ${guardMs} ms; events: ${this.events.map((e) => e.event).join(',')}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, Math.max(1, deadline - Date.now()));
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  /** Waits until the stream ends (server closed it). */
  async waitEnd(guardMs = 20_000): Promise<void> {
    const deadline = Date.now() + guardMs;
    while (!this.ended) {
      if (Date.now() > deadline) throw new Error('stream did not end');
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, 100);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  pause(): void {
    this.res.pause();
  }

  resume(): void {
    this.res.resume();
  }

  close(): void {
    this.req.destroy();
  }
}

/** Reads a whole non-streaming answer (for error responses of the stream route). */
export async function readBody(c: SseClient): Promise<string> {
  await c.waitEnd();
  return c.raw;
}
