/**
 * Opens the adapters a configuration asks for. The composition root and the
 * CLI both use this, so "which store" is decided in one place.
 */
import { join } from 'node:path';
import type { Config } from './config/index.js';
import type { AlertStore, EventLog, SnapshotStore, WebhookStore } from './ports/index.js';
import { MemoryAlertStore, MemoryEventLog, MemorySnapshotStore, MemoryWebhookStore } from './adapters/memory/index.js';
import {
  openDatabase,
  SqliteAlertStore,
  SqliteEventLog,
  SqliteSnapshotStore,
  SqliteWebhookStore,
  type SqliteDatabase,
} from './adapters/sqlite/index.js';

export interface Stores {
  log: EventLog;
  snapshots: SnapshotStore;
  /** The SQLite handle in embedded mode (other components keep their tables there). */
  db: SqliteDatabase | undefined;
  /** Webhook registrations and outbox; alert rules and raised alerts. */
  webhooks: WebhookStore;
  alerts: AlertStore;
  close(): Promise<void>;
}

export function dataFile(config: Pick<Config, 'dataDir'>): string {
  return join(config.dataDir, 'agentview.db');
}

export function openStores(config: Config): Stores {
  switch (config.store) {
    case 'memory': {
      const log = new MemoryEventLog();
      return {
        log,
        snapshots: new MemorySnapshotStore(),
        db: undefined,
        webhooks: new MemoryWebhookStore(),
        alerts: new MemoryAlertStore(),
        close: () => log.close(),
      };
    }
    case 'sqlite': {
      const db = openDatabase(dataFile(config), { synchronous: config.sqliteSynchronous });
      const log = new SqliteEventLog(db);
      return {
        log,
        snapshots: new SqliteSnapshotStore(db),
        db,
        webhooks: new SqliteWebhookStore(db),
        alerts: new SqliteAlertStore(db),
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
