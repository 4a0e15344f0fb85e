/**
 * Opens the adapters a configuration asks for. The composition root and the
 * CLI both use this, so "which store" is decided in one place.
 */
import { join } from 'node:path';
import type { Config } from './config/index.js';
import type { EventLog, SnapshotStore } from './ports/index.js';
import { MemoryEventLog, MemorySnapshotStore } from './adapters/memory/index.js';
import {
  backupDatabase,
  lockDataDir,
  openDatabase,
  SqliteEventLog,
  SqliteSnapshotStore,
  type CommitStats,
  type SqliteDatabase,
} from './adapters/sqlite/index.js';

export interface Stores {
  log: EventLog;
  snapshots: SnapshotStore;
  /** The SQLite handle in embedded mode (other components keep their tables there). */
  db: SqliteDatabase | undefined;
  /** Online consistent copy of the store to `file` (embedded store only). */
  backup: ((file: string) => Promise<{ bytes: number; events: number; position: number }>) | undefined;
  close(): Promise<void>;
}

export interface StoreOptions {
  /** Start-up findings of the data files (torn tail dropped, crash recovery). */
  notice?: (level: 'info' | 'warn', message: string, details: Record<string, unknown>) => void;
  /** Observes each group commit of the embedded event log. */
  onCommit?: (stats: CommitStats) => void;
}

export function dataFile(config: Pick<Config, 'dataDir'>): string {
  return join(config.dataDir, 'agentview.db');
}

export function openStores(config: Config, options: StoreOptions = {}): Stores {
  switch (config.store) {
    case 'memory': {
      const log = new MemoryEventLog();
      return { log, snapshots: new MemorySnapshotStore(), db: undefined, backup: undefined, close: () => log.close() };
    }
    case 'sqlite': {
      // One process per data directory; the OS drops the lock if the process dies.
      const lock = lockDataDir(config.dataDir, 'server');
      let db: SqliteDatabase | undefined;
      let log: SqliteEventLog;
      let snapshots: SqliteSnapshotStore;
      try {
        db = openDatabase(dataFile(config), {
          synchronous: config.sqliteSynchronous,
          cacheMiB: config.sqliteCacheMiB,
          ...(options.notice ? { notice: options.notice } : {}),
        });
        log = new SqliteEventLog(db);
        snapshots = new SqliteSnapshotStore(db);
      } catch (err) {
        db?.close();
        lock.release();
        throw err;
      }
      const opened = db;
      if (options.onCommit) log.onCommit(options.onCommit);
      return {
        log,
        snapshots,
        db: opened,
        backup: (file) => backupDatabase(opened, file),
        close: async () => {
          await log.close();
          opened.close();
          lock.release();
        },
      };
    }
    case 'jetstream':
      throw new Error('AGENTVIEW_STORE=jetstream is not available in this build');
  }
}
