/**
 * Snapshots kept in the same SQLite file as the log; the two latest are kept,
 * so a damaged latest snapshot falls back to the one before it.
 */
import { SnapshotUnreadableError, type Snapshot, type SnapshotStore } from '../../ports/index.js';
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

  private parse(row: { pos: number; data: string } | undefined): Snapshot | undefined {
    if (!row) return undefined;
    let snap: Snapshot;
    try {
      snap = JSON.parse(row.data) as Snapshot;
    } catch (err) {
      throw new SnapshotUnreadableError(row.pos, `snapshot at position ${row.pos} is not valid JSON: ${(err as Error).message}`);
    }
    if (typeof snap !== 'object' || snap === null || !Array.isArray(snap.accounts) || typeof snap.position !== 'number') {
      throw new SnapshotUnreadableError(row.pos, `snapshot at position ${row.pos} does not have the snapshot shape`);
    }
    return snap;
  }

  load(): Promise<Snapshot | undefined> {
    return Promise.resolve().then(() => this.latest());
  }

  /** The latest snapshot, read synchronously (for rebuilds inside a transaction); throws SnapshotUnreadableError when damaged. */
  latest(): Snapshot | undefined {
    return this.parse(this.db.prepare('SELECT pos, data FROM snapshots ORDER BY id DESC LIMIT 1').get() as { pos: number; data: string } | undefined);
  }

  loadBefore(position: number): Promise<Snapshot | undefined> {
    return Promise.resolve().then(() =>
      this.parse(
        this.db.prepare('SELECT pos, data FROM snapshots WHERE pos < ? ORDER BY id DESC LIMIT 1').get(position) as
          | { pos: number; data: string }
          | undefined,
      ),
    );
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
