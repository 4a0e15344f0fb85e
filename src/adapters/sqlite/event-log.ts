/**
 * The embedded store's EventLog: one SQLite file in WAL mode.
 *
 * Appends are group-committed: every batch that arrives during one turn of
 * the event loop is written in a single transaction, so one fsync covers many
 * requests. Subscribers see entries only after the commit, so views never hold
 * anything that is not durable.
 */
import type { StoredEvent } from '../../core/index.js';
import type {
  AppendRequest,
  AppendResult,
  EventLog,
  LogEntry,
  LogListener,
  Subscription,
} from '../../ports/index.js';
import { migrate, type Migration, type SqliteDatabase } from './db.js';
import type { Statement } from 'better-sqlite3';

const MIGRATIONS: Migration[] = [
  {
    version: 1,
    up: (db) => {
      db.exec(`
        CREATE TABLE events (
          pos INTEGER PRIMARY KEY,
          account TEXT NOT NULL,
          seq INTEGER NOT NULL,
          time INTEGER NOT NULL,
          body TEXT NOT NULL
        );
        CREATE TABLE accounts (
          account TEXT PRIMARY KEY,
          seq INTEGER NOT NULL
        ) WITHOUT ROWID;
        CREATE TABLE event_ids (
          account TEXT NOT NULL,
          event_id TEXT NOT NULL,
          seq INTEGER NOT NULL,
          PRIMARY KEY (account, event_id)
        ) WITHOUT ROWID;
      `);
    },
  },
];

/**
 * Work that must commit atomically with the events (derived indexes such as
 * status history). Called inside the transaction with the accepted entries;
 * throwing aborts the whole commit.
 */
export type TransactionHook = (entries: readonly LogEntry[]) => void;

interface Pending {
  request: AppendRequest;
  resolve: (r: AppendResult) => void;
  reject: (e: unknown) => void;
}

interface Row {
  pos: number;
  account: string;
  body: string;
}

export class SqliteEventLog implements EventLog {
  private readonly seqs = new Map<string, number>();
  private readonly listeners = new Set<LogListener>();
  private readonly hooks: TransactionHook[] = [];
  private queue: Pending[] = [];
  private scheduled = false;
  private closed = false;
  private lastPos: number;
  private readonly insertEvent: Statement;
  private readonly insertId: Statement;
  private readonly upsertSeq: Statement;
  private readonly selectAfter: Statement;

  constructor(private readonly db: SqliteDatabase) {
    migrate(db, 'event-log', MIGRATIONS);
    for (const r of db.prepare('SELECT account, seq FROM accounts').all() as { account: string; seq: number }[]) {
      this.seqs.set(r.account, r.seq);
    }
    this.lastPos = (db.prepare('SELECT COALESCE(MAX(pos), 0) AS p FROM events').get() as { p: number }).p;
    this.insertEvent = db.prepare('INSERT INTO events (pos, account, seq, time, body) VALUES (?, ?, ?, ?, ?)');
    this.insertId = db.prepare('INSERT OR IGNORE INTO event_ids (account, event_id, seq) VALUES (?, ?, ?)');
    this.upsertSeq = db.prepare(
      'INSERT INTO accounts (account, seq) VALUES (?, ?) ON CONFLICT(account) DO UPDATE SET seq = excluded.seq',
    );
    this.selectAfter = db.prepare('SELECT pos, account, body FROM events WHERE pos > ? AND pos <= ? ORDER BY pos LIMIT ?');
  }

  /** Registers work to run inside every append transaction (see {@link TransactionHook}). */
  addTransactionHook(hook: TransactionHook): void {
    this.hooks.push(hook);
  }

  append(request: AppendRequest): Promise<AppendResult> {
    if (this.closed) return Promise.reject(new Error('event log is closed'));
    return new Promise((resolve, reject) => {
      this.queue.push({ request, resolve, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  /** Commits every queued batch in one transaction, then notifies and answers. */
  private flush(): void {
    this.scheduled = false;
    const batch = this.queue;
    this.queue = [];
    if (batch.length === 0) return;
    const seqs = new Map<string, number>();
    const results: AppendResult[] = [];
    const entries: LogEntry[] = [];
    let pos = this.lastPos;
    try {
      this.db.transaction(() => {
        for (const { request } of batch) {
          const account = request.account;
          let seq = seqs.get(account) ?? this.seqs.get(account) ?? 0;
          let accepted = 0;
          let duplicates = 0;
          for (const e of request.events) {
            if (e.eventId !== undefined && this.insertId.run(account, e.eventId, seq + 1).changes === 0) {
              duplicates++;
              continue;
            }
            seq++;
            pos++;
            accepted++;
            const event = { ...e, seq };
            this.insertEvent.run(pos, account, seq, e.time, JSON.stringify(event));
            entries.push({ position: pos, account, event });
          }
          seqs.set(account, seq);
          results.push({ accepted, duplicates, lastSeq: seq, position: pos });
        }
        for (const [account, seq] of seqs) this.upsertSeq.run(account, seq);
        if (entries.length > 0) for (const hook of this.hooks) hook(entries);
      })();
    } catch (err) {
      for (const p of batch) p.reject(err);
      return;
    }
    this.lastPos = pos;
    for (const [account, seq] of seqs) this.seqs.set(account, seq);
    if (entries.length > 0) for (const l of this.listeners) l(entries);
    batch.forEach((p, i) => p.resolve(results[i]!));
  }

  subscribe(after: number, listener: LogListener): Subscription {
    // Live entries that commit while the backlog is read wait in `buffered`.
    let buffered: LogEntry[] | undefined = [];
    const live: LogListener = (entries) => {
      if (buffered) buffered.push(...entries);
      else listener(entries);
    };
    this.listeners.add(live);
    const until = this.lastPos;
    const caughtUp = (async () => {
      let from = after;
      while (from < until && this.listeners.has(live)) {
        const chunk = this.readChunk(from, until, 5000);
        if (chunk.length === 0) break;
        listener(chunk);
        from = chunk[chunk.length - 1]!.position;
        await new Promise((r) => setImmediate(r));
      }
      const pending = buffered ?? [];
      buffered = undefined;
      if (pending.length > 0) listener(pending);
    })();
    return { caughtUp, close: () => this.listeners.delete(live) };
  }

  /**
   * Reads committed entries in `(after, until]`, at most `limit`, synchronously:
   * for components that rebuild derived state inside an append transaction.
   */
  readRange(after: number, until: number, limit: number): LogEntry[] {
    return this.readChunk(after, until, limit);
  }

  private readChunk(after: number, until: number, limit: number): LogEntry[] {
    const rows = this.selectAfter.all(after, until, limit) as Row[];
    return rows.map((r) => ({ position: r.pos, account: r.account, event: JSON.parse(r.body) as StoredEvent }));
  }

  async *read(after: number, chunkSize = 1000): AsyncIterable<readonly LogEntry[]> {
    const until = this.lastPos;
    let from = after;
    while (from < until) {
      const chunk = this.readChunk(from, until, chunkSize);
      if (chunk.length === 0) return;
      yield chunk;
      from = chunk[chunk.length - 1]!.position;
      await new Promise((r) => setImmediate(r));
    }
  }

  head(): Promise<number> {
    return Promise.resolve(this.lastPos);
  }

  /** Commits what is queued, then refuses further appends. */
  close(): Promise<void> {
    this.flush();
    this.closed = true;
    this.listeners.clear();
    return Promise.resolve();
  }
}
