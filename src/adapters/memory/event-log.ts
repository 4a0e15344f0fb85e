/**
 * In-memory EventLog: a real implementation (not a mock) for development and
 * unit tests. Nothing survives the process.
 */
import type {
  AppendRequest,
  AppendResult,
  EventLog,
  LogEntry,
  LogListener,
  Subscription,
} from '../../ports/index.js';

export class MemoryEventLog implements EventLog {
  private readonly entries: LogEntry[] = [];
  private readonly seqs = new Map<string, number>();
  private readonly ids = new Map<string, Set<string>>();
  private readonly listeners = new Set<LogListener>();
  private closed = false;

  append(request: AppendRequest): Promise<AppendResult> {
    if (this.closed) return Promise.reject(new Error('event log is closed'));
    let seq = this.seqs.get(request.account) ?? 0;
    let ids = this.ids.get(request.account);
    const added: LogEntry[] = [];
    let duplicates = 0;
    for (const e of request.events) {
      if (e.eventId !== undefined) {
        if (!ids) this.ids.set(request.account, (ids = new Set()));
        if (ids.has(e.eventId)) {
          duplicates++;
          continue;
        }
        ids.add(e.eventId);
      }
      seq++;
      const event = { ...e, seq };
      added.push({ position: this.entries.length + added.length + 1, account: request.account, event });
    }
    this.seqs.set(request.account, seq);
    this.entries.push(...added);
    if (added.length > 0) for (const l of this.listeners) l(added);
    return Promise.resolve({
      accepted: added.length,
      duplicates,
      lastSeq: seq,
      position: this.entries.length,
    });
  }

  subscribe(after: number, listener: LogListener): Subscription {
    const backlog = this.entries.slice(after);
    if (backlog.length > 0) listener(backlog);
    this.listeners.add(listener);
    return { caughtUp: Promise.resolve(), close: () => this.listeners.delete(listener) };
  }

  async *read(after: number, chunkSize = 1000): AsyncIterable<readonly LogEntry[]> {
    for (let i = after; i < this.entries.length; i += chunkSize) {
      await Promise.resolve();
      yield this.entries.slice(i, i + chunkSize);
    }
  }

  head(): Promise<number> {
    return Promise.resolve(this.entries.length);
  }

  close(): Promise<void> {
    this.closed = true;
    this.listeners.clear();
    return Promise.resolve();
  }
}
