/**
 * One Server-Sent Events connection with a bounded send queue. Messages sent
 * in one turn of the event loop go out in one socket write; while the socket
 * is full they wait in the queue, and when the queue passes its bound the
 * client is told `event: overflow` and disconnected (never buffered without
 * bound).
 */
import type { ServerResponse } from 'node:http';

/** Formats one SSE message; `data` is a JSON text on one line. */
export function sseMessage(event: string, data: string, id?: number): string {
  return `${id !== undefined ? `id: ${id}\n` : ''}event: ${event}\ndata: ${data}\n\n`;
}

export type CloseReason = 'client' | 'overflow' | 'shutdown' | 'error';

export interface SseOptions {
  /** Queue bound in characters (≈ bytes) for messages waiting behind a full socket. */
  queueBytes: number;
  /** After `overflow`, how long the client may take to read what is left before the socket is destroyed. */
  overflowGraceMs: number;
}

export class SseConnection {
  private parts: string[] = [];
  private queued = 0;
  private scheduled = false;
  private blocked = false;
  private closedReason: CloseReason | undefined;
  private graceTimer: NodeJS.Timeout | undefined;
  lastWrite = 0;

  constructor(
    private readonly res: ServerResponse,
    private readonly opts: SseOptions,
    private readonly onClose: (reason: CloseReason) => void,
  ) {
    res.on('drain', () => {
      this.blocked = false;
      this.schedule();
    });
    res.on('close', () => this.finish('client'));
    res.on('error', () => this.finish('error'));
  }

  get closed(): boolean {
    return this.closedReason !== undefined;
  }

  /** Characters waiting to be written. */
  get queuedBytes(): number {
    return this.queued;
  }

  /** Writes the response head and the first bytes right away. */
  open(headers: Record<string, string>, first: string): void {
    this.res.writeHead(200, headers);
    this.write(first);
  }

  /** Queues a message; returns false once the connection is closed. */
  send(chunk: string): boolean {
    if (this.closedReason) return false;
    this.parts.push(chunk);
    this.queued += chunk.length;
    if (this.blocked && this.queued > this.opts.queueBytes) {
      this.terminate('overflow', sseMessage('overflow', JSON.stringify({ queuedBytes: this.queued, limitBytes: this.opts.queueBytes })));
      return false;
    }
    this.schedule();
    return true;
  }

  /** Ends the stream after what is queued and a last message (shutdown). */
  end(reason: CloseReason, last?: string): void {
    if (this.closedReason) return;
    const rest = this.parts.join('') + (last ?? '');
    this.parts = [];
    this.queued = 0;
    this.closedReason = reason;
    this.res.end(rest);
    this.onClose(reason);
  }

  private terminate(reason: CloseReason, last: string): void {
    if (this.closedReason) return;
    // What is queued is dropped: the client reconnects (with Last-Event-ID) and catches up.
    this.parts = [];
    this.queued = 0;
    this.closedReason = reason;
    this.res.end(last);
    this.graceTimer = setTimeout(() => this.res.destroy(), this.opts.overflowGraceMs);
    this.graceTimer.unref();
    this.res.once('close', () => clearTimeout(this.graceTimer));
    this.onClose(reason);
  }

  private schedule(): void {
    if (this.scheduled || this.blocked || this.parts.length === 0 || this.closedReason) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      if (this.blocked || this.parts.length === 0 || this.closedReason) return;
      const chunk = this.parts.length === 1 ? this.parts[0]! : this.parts.join('');
      this.parts = [];
      this.queued = 0;
      this.write(chunk);
    });
  }

  private write(chunk: string): void {
    this.lastWrite = Date.now();
    if (!this.res.write(chunk)) this.blocked = true;
  }

  private finish(reason: CloseReason): void {
    if (this.closedReason) return;
    this.closedReason = reason;
    this.parts = [];
    this.queued = 0;
    // The response never ends by itself: make sure the socket goes too, or the
    // server would count the connection as busy until the peer's own time-out.
    this.res.destroy();
    this.onClose(reason);
  }
}
