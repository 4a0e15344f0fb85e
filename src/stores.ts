/**
 * Opens the adapters a configuration asks for. The composition root and the
 * CLI both use this, so "which store" is decided in one place.
 */
import { join } from 'node:path';
import type { Config } from './config/index.js';
import {
  systemClock,
  type AlertStore,
  type AuthStore,
  type Clock,
  type EventLog,
  type HistoryIndex,
  type LogCompactor,
  type NonceStore,
  type SnapshotStore,
  type WebhookStore,
} from './ports/index.js';
import {
  MemoryAlertStore,
  MemoryAuthStore,
  MemoryEventLog,
  MemoryHistoryIndex,
  MemoryNonceStore,
  MemorySnapshotStore,
  MemoryWebhookStore,
} from './adapters/memory/index.js';
import {
  openDatabase,
  SqliteAlertStore,
  SqliteAuthStore,
  SqliteEventLog,
  SqliteHistoryIndex,
  SqliteLogCompactor,
  SqliteSnapshotStore,
  SqliteWebhookStore,
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
  /** Status history, kept in step with the log. */
  history: HistoryIndex;
  /** Drops log entries past retention; undefined when the store keeps its own retention. */
  compactor: LogCompactor | undefined;
  /** Webhook registrations and outbox; alert rules and raised alerts. */
  webhooks: WebhookStore;
  alerts: AlertStore;
  close(): Promise<void>;
}

export interface OpenStoresOptions {
  /** Conditions an operator should know about (e.g. history gaps after data loss). */
  onWarning?: (message: string) => void;
}

export function dataFile(config: Pick<Config, 'dataDir'>): string {
  return join(config.dataDir, 'agentview.db');
}

export function openStores(config: Config, clock: Clock = systemClock, options: OpenStoresOptions = {}): Stores {
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
        auth: new MemoryAuthStore(),
        nonces: new MemoryNonceStore(clock),
        db: undefined,
        history,
        compactor: undefined,
        webhooks: new MemoryWebhookStore(),
        alerts: new MemoryAlertStore(),
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
        auth: new SqliteAuthStore(db),
        nonces: new MemoryNonceStore(clock),
        db,
        history,
        compactor: new SqliteLogCompactor(db),
        webhooks: new SqliteWebhookStore(db),
        alerts: new SqliteAlertStore(db),
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
