/**
 * Retention for the embedded log: deletes the oldest events (a prefix of the
 * log, so positions after it stay contiguous) and their `eventId` records.
 * De-duplication by `eventId` is therefore guaranteed within retention only.
 */
import type { CompactionRequest, CompactionResult, LogCompactor } from '../../ports/index.js';
import { migrate, type SqliteDatabase } from './db.js';

export class SqliteLogCompactor implements LogCompactor {
  constructor(
    private readonly db: SqliteDatabase,
    /** Rows deleted per statement; the event loop runs between chunks. */
    private readonly chunk = 5000,
  ) {
    // Dropping the ids of dropped events by sequence number needs this index.
    migrate(db, 'retention', [
      { version: 1, up: (d) => d.exec('CREATE INDEX IF NOT EXISTS event_ids_by_seq ON event_ids (account, seq)') },
    ]);
  }

  async compact({ beforeTime, maxPosition }: CompactionRequest): Promise<CompactionResult> {
    const db = this.db;
    const head = db.prepare('SELECT COALESCE(MAX(pos), 0) FROM events').pluck().get() as number;
    const firstRecent = db.prepare('SELECT pos FROM events WHERE time >= ? ORDER BY pos LIMIT 1').pluck().get(beforeTime) as
      | number
      | undefined;
    // The newest entry always stays: the log's next position is computed from it.
    const upTo = Math.min(maxPosition, head - 1, (firstRecent ?? head + 1) - 1);
    const first = db.prepare('SELECT MIN(pos) FROM events').pluck().get() as number | null;
    if (first === null || upTo < first) return { events: 0, eventIds: 0, upTo: 0 };
    const lastSeqs = db.prepare('SELECT account, MAX(seq) AS seq FROM events WHERE pos <= ? GROUP BY account').all(upTo) as {
      account: string;
      seq: number;
    }[];
    let eventIds = 0;
    const delIds = db.prepare(
      'DELETE FROM event_ids WHERE account = ? AND event_id IN (SELECT event_id FROM event_ids WHERE account = ? AND seq <= ? LIMIT ?)',
    );
    for (const { account, seq } of lastSeqs) {
      for (;;) {
        const n = delIds.run(account, account, seq, this.chunk).changes;
        eventIds += n;
        if (n < this.chunk) break;
        await new Promise((r) => setImmediate(r));
      }
    }
    let events = 0;
    const delEvents = db.prepare('DELETE FROM events WHERE pos >= ? AND pos < ? AND pos <= ?');
    for (let from = first; from <= upTo; from += this.chunk) {
      events += delEvents.run(from, from + this.chunk, upTo).changes;
      await new Promise((r) => setImmediate(r));
    }
    return { events, eventIds, upTo };
  }
}
