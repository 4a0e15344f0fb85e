/**
 * Opens the adapters a configuration asks for. The composition root and the
 * CLI both use this, so "which store" is decided in one place.
 */
import { join } from 'node:path';
import type { Config } from './config/index.js';
import { systemClock, type AuthStore, type Clock, type EventLog, type NonceStore, type SnapshotStore } from './ports/index.js';
import { accountShard, type ShardSpec } from './core/index.js';
import { MemoryAuthStore, MemoryEventLog, MemoryNonceStore, MemorySnapshotStore } from './adapters/memory/index.js';
import { openDatabase, SqliteAuthStore, SqliteEventLog, SqliteSnapshotStore, type SqliteDatabase } from './adapters/sqlite/index.js';
import {
  JetStreamAuthStore,
  JetStreamEventLog,
  JetStreamNonceStore,
  JetStreamSnapshotStore,
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
  close(): Promise<void>;
}

/** Which accounts this server keeps views of (cluster mode may shard them); undefined = all. */
export function accountFilter(shard: ShardSpec | undefined): ((account: string) => boolean) | undefined {
  if (!shard) return undefined;
  return (account) => accountShard(account, shard.count) === shard.index;
}

export interface OpenStoresOptions {
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
    /** Prefix for the key-value buckets of other components (`<prefix>_auth`, …). */
    bucketPrefix: namespace,
  };
}

export function dataFile(config: Pick<Config, 'dataDir'>): string {
  return join(config.dataDir, 'agentview.db');
}

export function openStores(config: Config, clock: Clock = systemClock, options: OpenStoresOptions = {}): Stores {
  switch (config.store) {
    case 'memory': {
      const log = new MemoryEventLog();
      return {
        log,
        snapshots: new MemorySnapshotStore(),
        auth: new MemoryAuthStore(),
        nonces: new MemoryNonceStore(clock),
        db: undefined,
        nats: undefined,
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
        nats: undefined,
        close: async () => {
          await log.close();
          db.close();
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
      return {
        log,
        snapshots,
        auth,
        nonces,
        db: undefined,
        nats,
        close: async () => {
          await log.close();
          await nats.close();
        },
      };
    }
  }
}
