/**
 * Opens the adapters a configuration asks for. The composition root and the
 * CLI both use this, so "which store" is decided in one place.
 */
import { join } from 'node:path';
import type { Config } from './config/index.js';
import { systemClock, type AuthStore, type Clock, type EventLog, type NonceStore, type SnapshotStore } from './ports/index.js';
import { MemoryAuthStore, MemoryEventLog, MemoryNonceStore, MemorySnapshotStore } from './adapters/memory/index.js';
import {
  backupDatabase,
  lockDataDir,
  openDatabase,
  SqliteAuthStore,
  SqliteEventLog,
  SqliteSnapshotStore,
  type CommitStats,
  type SqliteDatabase,
} from './adapters/sqlite/index.js';

export interface Stores {
  log: EventLog;
  snapshots: SnapshotStore;
  /** Users, OAuth keys and login sessions. */
  auth: AuthStore;
  /** Single-use OAuth nonces (per process unless the store is shared). */
  nonces: NonceStore;
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

export function openStores(config: Config, clock: Clock = systemClock, options: StoreOptions = {}): Stores {
  switch (config.store) {
    case 'memory': {
      const log = new MemoryEventLog();
      return {
        log,
        snapshots: new MemorySnapshotStore(),
        auth: new MemoryAuthStore(),
        nonces: new MemoryNonceStore(clock),
        db: undefined,
        backup: undefined,
        close: () => log.close(),
      };
    }
    case 'sqlite': {
      // One process per data directory; the OS drops the lock if the process dies.
      const lock = lockDataDir(config.dataDir, 'server');
      let db: SqliteDatabase | undefined;
      let log: SqliteEventLog;
      let snapshots: SqliteSnapshotStore;
      let auth: SqliteAuthStore;
      try {
        db = openDatabase(dataFile(config), {
          synchronous: config.sqliteSynchronous,
          cacheMiB: config.sqliteCacheMiB,
          ...(options.notice ? { notice: options.notice } : {}),
        });
        log = new SqliteEventLog(db);
        snapshots = new SqliteSnapshotStore(db);
        auth = new SqliteAuthStore(db);
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
        auth,
        nonces: new MemoryNonceStore(clock),
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
