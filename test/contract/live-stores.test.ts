import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { MemoryAlertStore, MemoryWebhookStore } from '../../src/adapters/memory/index.js';
import { openDatabase, SqliteAlertStore, SqliteWebhookStore } from '../../src/adapters/sqlite/index.js';
import { tempDir } from '../helpers/server.js';
import { liveStoresContract, type LiveStoresFixture } from './live-stores.contract.js';

liveStoresContract('memory', () => Promise.resolve({ webhooks: new MemoryWebhookStore(), alerts: new MemoryAlertStore(), dispose: () => Promise.resolve() }));

liveStoresContract('sqlite', () => {
  const dir = tempDir('agentview-live-');
  const file = join(dir, 'agentview.db');
  const openAt = (): LiveStoresFixture => {
    const db = openDatabase(file);
    return {
      webhooks: new SqliteWebhookStore(db),
      alerts: new SqliteAlertStore(db),
      dispose: () => {
        db.close();
        rmSync(dir, { recursive: true, force: true });
        return Promise.resolve();
      },
      reopen: () => {
        db.close();
        return Promise.resolve(openAt());
      },
    };
  };
  return Promise.resolve(openAt());
});
