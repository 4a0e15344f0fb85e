/**
 * The EventLog, SnapshotStore, AuthStore and NonceStore contracts against
 * the JetStream adapters (stream, object store, key-value buckets),
 * on a private single-node nats-server; every harness gets its own stream
 * and bucket, and "reopen" is a new connection and log over the same stream
 * (what a restarted server does).
 */
import { afterAll, beforeAll } from 'vitest';
import {
  JetStreamAlertStore,
  JetStreamAuthStore,
  JetStreamEventLog,
  JetStreamNonceStore,
  JetStreamSnapshotStore,
  JetStreamWebhookStore,
  NatsConnection,
} from '../../src/adapters/jetstream/index.js';
import { liveStoresContract, type LiveStoresFixture } from './live-stores.contract.js';
import type { EventLog } from '../../src/ports/index.js';
import { authStoreContract, type AuthStoreFixture } from './auth-store.contract.js';
import { nonceStoreContract } from './nonce-store.contract.js';
import { natsAvailable, startNatsCluster, type NatsCluster } from '../helpers/nats.js';
import { eventLogContract, snapshotStoreContract } from './event-log.contract.js';

const available = natsAvailable();
let nats: NatsCluster | undefined;
let counter = 0;

beforeAll(async () => {
  if (available) nats = await startNatsCluster(1);
}, 60_000);
afterAll(async () => {
  await nats?.stop();
});

function jetstream() {
  const ns = `c${++counter}`;
  const conns: NatsConnection[] = [];
  const open = () => {
    if (!nats) throw new Error('nats-server is not available');
    const conn = new NatsConnection(nats.urls);
    conns.push(conn);
    const log = new JetStreamEventLog(conn, { stream: `${ns}_events`, subjectPrefix: `${ns}.events`, replicas: 1, retentionMs: 86_400_000 });
    const store = new JetStreamSnapshotStore(conn, log, { bucket: `${ns}_snapshots`, replicas: 1, view: 'all' });
    return { log, store };
  };
  const cleanup = async () => {
    for (const c of conns) await c.close();
  };
  return { open, cleanup };
}

if (available) {
  eventLogContract('jetstream', () => {
    const j = jetstream();
    return {
      open: () => j.open().log,
      reopen: async (log: EventLog) => {
        await log.close();
        return j.open().log;
      },
      cleanup: j.cleanup,
    };
  });

  snapshotStoreContract('jetstream', () => {
    const j = jetstream();
    return {
      // A snapshot is of a point of the stream: give the stream the positions
      // the contract saves (a snapshot beyond the stream's end is refused on load).
      open: async () => {
        const { log, store } = j.open();
        for (let i = 0; i < 40; i++) await log.append({ account: 'A', events: [{ type: 'agent.heartbeat', agentId: '1', time: 1 }] });
        return store;
      },
      reopen: () => Promise.resolve(j.open().store),
      cleanup: j.cleanup,
    };
  });

  authStoreContract('jetstream', () => {
    const bucket = `auth${++counter}`;
    const openAt = (): AuthStoreFixture => {
      const conn = new NatsConnection(nats!.urls);
      const store = new JetStreamAuthStore(conn, { bucket, replicas: 1 });
      return {
        store,
        dispose: () => conn.close(),
        reopen: async () => {
          await conn.close();
          return openAt();
        },
      };
    };
    return Promise.resolve(openAt());
  });

  nonceStoreContract('jetstream', (clock) => {
    const conn = new NatsConnection(nats!.urls);
    return Promise.resolve({ store: new JetStreamNonceStore(conn, clock, { bucket: `nonces${++counter}`, replicas: 1 }), dispose: () => conn.close() });
  });

  liveStoresContract('jetstream', () => {
    const n = ++counter;
    const openAt = (): LiveStoresFixture => {
      const conn = new NatsConnection(nats!.urls);
      const webhooks = new JetStreamWebhookStore(conn, { bucket: `webhooks${n}`, replicas: 1 });
      return {
        webhooks,
        alerts: new JetStreamAlertStore(conn, { bucket: `alerts${n}`, replicas: 1 }),
        dispose: async () => {
          await webhooks.release();
          await conn.close();
        },
        reopen: async () => {
          // A graceful stop hands the delivery lease over at once.
          await webhooks.release();
          await conn.close();
          return openAt();
        },
      };
    };
    return Promise.resolve(openAt());
  });
}
