/**
 * Opens the adapters a configuration asks for. The composition root and the
 * CLI both use this, so "which store" is decided in one place.
 */
import { join } from 'node:path';
import type { Config } from './config/index.js';
import { systemClock, type AuthStore, type Clock, type EventLog, type NonceStore, type SnapshotStore } from './ports/index.js';
import { MemoryAuthStore, MemoryEventLog, MemoryNonceStore, MemorySnapshotStore } from './adapters/memory/index.js';
import { openDatabase, SqliteAuthStore, SqliteEventLog, SqliteSnapshotStore, type SqliteDatabase } from './adapters/sqlite/index.js';

export interface Stores {
  log: EventLog;
  snapshots: SnapshotStore;
  /** Users, OAuth keys and login sessions. */
  auth: AuthStore;
  /** Single-use OAuth nonces (per process unless the store is shared). */
  nonces: NonceStore;
  /** The SQLite handle in embedded mode (other components keep their tables there). */
  db: SqliteDatabase | undefined;
  close(): Promise<void>;
}

export function dataFile(config: Pick<Config, 'dataDir'>): string {
  return join(config.dataDir, 'agentview.db');
}

export function openStores(config: Config, clock: Clock = systemClock): Stores {
  switch (config.store) {
    case 'memory': {
      const log = new MemoryEventLog();
      return {
        log,
        snapshots: new MemorySnapshotStore(),
        auth: new MemoryAuthStore(),
        nonces: new MemoryNonceStore(clock),
        db: undefined,
        close: () => log.close(),
      };
    }
    case 'sqlite': {
      const db = openDatabase(dataFile(config), { synchronous: config.sqliteSynchronous });
      const log = new SqliteEventLog(db);
      return {
        log,
        snapshots: new SqliteSnapshotStore(db),
        auth: new SqliteAuthStore(db),
        nonces: new MemoryNonceStore(clock),
        db,
        close: async () => {
          await log.close();
          db.close();
        },
      };
    }
    case 'jetstream':
      throw new Error('AGENTVIEW_STORE=jetstream is not available in this build');
  }
}
