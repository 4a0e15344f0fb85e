import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { MemoryAuthStore } from '../../src/adapters/memory/index.js';
import { openDatabase, SqliteAuthStore } from '../../src/adapters/sqlite/index.js';
import { tempDir } from '../helpers/server.js';
import { authStoreContract, type AuthStoreFixture } from './auth-store.contract.js';

authStoreContract('memory', () => {
  const store = new MemoryAuthStore();
  return Promise.resolve({ store, dispose: () => store.close() });
});

authStoreContract('sqlite', () => {
  const dir = tempDir('agentview-auth-');
  const file = join(dir, 'agentview.db');
  const openAt = (cleanup: boolean): AuthStoreFixture => {
    const db = openDatabase(file);
    const store = new SqliteAuthStore(db);
    return {
      store,
      dispose: async () => {
        await store.close();
        db.close();
        if (cleanup) rmSync(dir, { recursive: true, force: true });
      },
      reopen: async () => {
        await store.close();
        db.close();
        return openAt(true);
      },
    };
  };
  return Promise.resolve(openAt(true));
});
