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
  type Subscription,
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
  backupDatabase,
  lockDataDir,
  openDatabase,
  SqliteAlertStore,
  SqliteAuthStore,
  SqliteEventLog,
  SqliteHistoryIndex,
  SqliteLogCompactor,
  SqliteSnapshotStore,
  SqliteWebhookStore,
  type CommitStats,
  type SqliteDatabase,
} from './adapters/sqlite/index.js';
import { accountShard, type ShardSpec } from './core/index.js';
import {
  JetStreamAlertStore,
  JetStreamAuthStore,
  JetStreamEventLog,
  JetStreamNonceStore,
  JetStreamSnapshotStore,
  JetStreamWebhookStore,
  NatsConnection,
  type AdapterLogger,
} from './adapters/jetstream/index.js';

export interface Stores {
  log: EventLog;
  snapshots: SnapshotStore;
  /** Users, OAuth keys and login sessions. */
  auth: AuthStore;
  /** Single-use OAuth nonces (per process unless the store is shared). */
  nonces: NonceStore;
  /** The SQLite handle in embedded mode (other components keep their tables there). */
  db: SqliteDatabase | undefined;
  /** The shared NATS connection in cluster mode (other components keep their state in JetStream KV). */
  nats: NatsConnection | undefined;
  /** Online consistent copy of the store to `file` (embedded store only). */
  backup: ((file: string) => Promise<{ bytes: number; events: number; position: number }>) | undefined;
  /** Status history, kept in step with the log. */
  history: HistoryIndex;
  /** Drops log entries past retention; undefined when the store keeps its own retention. */
  compactor: LogCompactor | undefined;
  /** Called once the engine has caught up (work that must not run before its snapshot is loaded). */
  onStarted?: () => void;
  /** Webhook registrations and outbox; alert rules and raised alerts. */
  webhooks: WebhookStore;
  alerts: AlertStore;
  close(): Promise<void>;
}

/** Which accounts this server keeps views of (cluster mode may shard them); undefined = all. */
export function accountFilter(shard: ShardSpec | undefined): ((account: string) => boolean) | undefined {
  if (!shard) return undefined;
  return (account) => accountShard(account, shard.count) === shard.index;
}

export interface OpenStoresOptions {
  /** Conditions an operator should know about (e.g. history gaps after data loss). */
  onWarning?: (message: string) => void;
  /** Start-up findings of the data files (torn tail dropped, crash recovery). */
  notice?: (level: 'info' | 'warn', message: string, details: Record<string, unknown>) => void;
  /** Observes each group commit of the embedded event log. */
  onCommit?: (stats: CommitStats) => void;
  logger?: AdapterLogger;
}

/** Names of everything agentview keeps in NATS, derived from `AGENTVIEW_NATS_NAMESPACE`. */
export function natsNames(namespace: string) {
  return {
    stream: `${namespace}_events`,
    subjectPrefix: `${namespace}.events`,
    snapshotBucket: `${namespace}_snapshots`,
    authBucket: `${namespace}_auth`,
    nonceBucket: `${namespace}_nonces`,
    webhookBucket: `${namespace}_webhooks`,
    alertBucket: `${namespace}_alerts`,
  };
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
        nats: undefined,
        backup: undefined,
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
      // One process per data directory; the OS drops the lock if the process dies.
      const lock = lockDataDir(config.dataDir, 'server');
      let db: SqliteDatabase | undefined;
      let log: SqliteEventLog;
      let snapshots: SqliteSnapshotStore;
      let auth: SqliteAuthStore;
      let history: SqliteHistoryIndex;
      let webhooks: SqliteWebhookStore;
      let alerts: SqliteAlertStore;
      try {
        db = openDatabase(dataFile(config), {
          synchronous: config.sqliteSynchronous,
          cacheMiB: config.sqliteCacheMiB,
          ...(options.notice ? { notice: options.notice } : {}),
        });
        log = new SqliteEventLog(db);
        snapshots = new SqliteSnapshotStore(db);
        auth = new SqliteAuthStore(db);
        history = new SqliteHistoryIndex(db, log, snapshots, options.onWarning ? { onWarning: options.onWarning } : {});
        webhooks = new SqliteWebhookStore(db);
        alerts = new SqliteAlertStore(db);
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
        nats: undefined,
        backup: (file) => backupDatabase(opened, file),
        history,
        compactor: new SqliteLogCompactor(opened),
        webhooks,
        alerts,
        close: async () => {
          await log.close();
          await history.close();
          opened.close();
          lock.release();
        },
      };
    }
    case 'jetstream': {
      // Connects lazily and retries: the server starts (and answers /readyz 503)
      // while NATS or its JetStream leaders are not there yet.
      const names = natsNames(config.natsNamespace);
      const nats = new NatsConnection(config.natsUrls, { name: `agentview ${config.publicUrl}`, ...(options.logger ? { logger: options.logger } : {}) });
      const log = new JetStreamEventLog(nats, {
        stream: names.stream,
        subjectPrefix: names.subjectPrefix,
        replicas: config.natsReplicas,
        retentionMs: config.retentionDays * 86_400_000,
        dedupWindowMs: config.dedupWindowMs,
        ...(config.viewShard ? { serves: accountFilter(config.viewShard)! } : {}),
      });
      const view = config.viewShard ? `shard-${config.viewShard.index}-of-${config.viewShard.count}` : 'all';
      const snapshots = new JetStreamSnapshotStore(nats, log, { bucket: names.snapshotBucket, replicas: config.natsReplicas, view });
      // Users, keys, sessions and nonces are shared by every server through JetStream KV.
      const auth = new JetStreamAuthStore(nats, { bucket: names.authBucket, replicas: config.natsReplicas });
      const nonces = new JetStreamNonceStore(nats, clock, { bucket: names.nonceBucket, replicas: config.natsReplicas });
      // Status history: each server keeps an in-memory index, re-derived from the
      // whole stream (which keeps the retention) once the views loaded their
      // snapshot; subscribing earlier would make the views replay everything too.
      const history = new MemoryHistoryIndex();
      let feed: Subscription | undefined;
      // Webhooks: one server at a time delivers (a lease in the bucket); see live-stores.ts.
      const webhooks = new JetStreamWebhookStore(nats, { bucket: names.webhookBucket, replicas: config.natsReplicas });
      const alerts = new JetStreamAlertStore(nats, { bucket: names.alertBucket, replicas: config.natsReplicas });
      return {
        log,
        snapshots,
        auth,
        nonces,
        db: undefined,
        nats,
        // The stream is replicated by NATS; back it up with NATS tools (docs/cluster.md).
        backup: undefined,
        history,
        // The stream's max_age is the retention of the events.
        compactor: undefined,
        webhooks,
        alerts,
        onStarted: () => {
          feed = log.subscribe(0, (entries) => history.apply(entries));
          feed.caughtUp.catch((err: unknown) => {
            options.onWarning?.(
              `status history on this server starts at log position ${history.position()}, not at the stream's start: ${err instanceof Error ? err.message : String(err)}`,
            );
          });
        },
        close: async () => {
          feed?.close();
          await webhooks.release();
          await log.close();
          await nats.close();
        },
      };
    }
  }
}
