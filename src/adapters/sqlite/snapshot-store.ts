/** Snapshots kept in the same SQLite file as the log; the two latest are kept. */
import type { Snapshot, SnapshotStore } from '../../ports/index.js';
import { migrate, type SqliteDatabase } from './db.js';

export class SqliteSnapshotStore implements SnapshotStore {
  constructor(private readonly db: SqliteDatabase) {
    migrate(db, 'snapshots', [
      {
        version: 1,
        up: (d) =>
          d.exec(`CREATE TABLE snapshots (
            id INTEGER PRIMARY KEY,
            pos INTEGER NOT NULL,
            taken_at INTEGER NOT NULL,
            data TEXT NOT NULL
          )`),
      },
    ]);
  }

  load(): Promise<Snapshot | undefined> {
    return Promise.resolve(this.latest());
  }

  /** The latest snapshot, read synchronously (for rebuilds inside a transaction). */
  latest(): Snapshot | undefined {
    const row = this.db.prepare('SELECT data FROM snapshots ORDER BY id DESC LIMIT 1').get() as
      | { data: string }
      | undefined;
    return row ? (JSON.parse(row.data) as Snapshot) : undefined;
  }

  save(snapshot: Snapshot): Promise<void> {
    const data = JSON.stringify(snapshot);
    this.db.transaction(() => {
      const { lastInsertRowid } = this.db
        .prepare('INSERT INTO snapshots (pos, taken_at, data) VALUES (?, ?, ?)')
        .run(snapshot.position, snapshot.takenAt, data);
      this.db.prepare('DELETE FROM snapshots WHERE id < ?').run(Number(lastInsertRowid) - 1);
    })();
    return Promise.resolve();
  }
}
