/**
 * Opens the adapters a configuration asks for. The composition root and the
 * CLI both use this, so "which store" is decided in one place.
 */
import { join } from 'node:path';
import type { Config } from './config/index.js';
import type { EventLog, HistoryIndex, LogCompactor, SnapshotStore } from './ports/index.js';
import { MemoryEventLog, MemoryHistoryIndex, MemorySnapshotStore } from './adapters/memory/index.js';
import {
  openDatabase,
  SqliteEventLog,
  SqliteHistoryIndex,
  SqliteLogCompactor,
  SqliteSnapshotStore,
  type SqliteDatabase,
} from './adapters/sqlite/index.js';

export interface Stores {
  log: EventLog;
  snapshots: SnapshotStore;
  /** The SQLite handle in embedded mode (other components keep their tables there). */
  db: SqliteDatabase | undefined;
  /** Status history, kept in step with the log. */
  history: HistoryIndex;
  /** Drops log entries past retention; undefined when the store keeps its own retention. */
  compactor: LogCompactor | undefined;
  close(): Promise<void>;
}

export interface OpenStoresOptions {
  /** Conditions an operator should know about (e.g. history gaps after data loss). */
  onWarning?: (message: string) => void;
}

export function dataFile(config: Pick<Config, 'dataDir'>): string {
  return join(config.dataDir, 'agentview.db');
}

export function openStores(config: Config, options: OpenStoresOptions = {}): Stores {
  switch (config.store) {
    case 'memory': {
      const log = new MemoryEventLog();
      // The memory log delivers each append to subscribers before it resolves,
      // so history is current by the time an ingest is acknowledged.
      const history = new MemoryHistoryIndex();
      const feed = log.subscribe(0, (entries) => history.apply(entries));
      return {
        log,
        snapshots: new MemorySnapshotStore(),
        db: undefined,
        history,
        compactor: undefined,
        close: async () => {
          feed.close();
          await log.close();
        },
      };
    }
    case 'sqlite': {
      const db = openDatabase(dataFile(config), { synchronous: config.sqliteSynchronous });
      const log = new SqliteEventLog(db);
      const snapshots = new SqliteSnapshotStore(db);
      const history = new SqliteHistoryIndex(db, log, snapshots, options.onWarning ? { onWarning: options.onWarning } : {});
      return {
        log,
        snapshots,
        db,
        history,
        compactor: new SqliteLogCompactor(db),
        close: async () => {
          await log.close();
          await history.close();
          db.close();
        },
      };
    }
    case 'jetstream':
      throw new Error('AGENTVIEW_STORE=jetstream is not available in this build');
  }
}
