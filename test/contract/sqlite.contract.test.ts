/** The EventLog and SnapshotStore contracts against the SQLite adapters, on real files. */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { openDatabase, SqliteEventLog, SqliteSnapshotStore, type SqliteDatabase } from '../../src/adapters/sqlite/index.js';
import type { EventLog } from '../../src/ports/index.js';
import { tempDir } from '../helpers/server.js';
import { eventLogContract, snapshotStoreContract } from './event-log.contract.js';

function files() {
  const dir = tempDir('agentview-contract-');
  const dbs: SqliteDatabase[] = [];
  const db = () => {
    const d = openDatabase(join(dir, 'agentview.db'));
    dbs.push(d);
    return d;
  };
  const cleanup = () => {
    for (const d of dbs) if (d.open) d.close();
    rmSync(dir, { recursive: true, force: true });
  };
  return { db, dbs, cleanup };
}

eventLogContract('sqlite', () => {
  const f = files();
  return {
    open: () => new SqliteEventLog(f.db()),
    reopen: async (log: EventLog) => {
      await log.close();
      for (const d of f.dbs) if (d.open) d.close();
      return new SqliteEventLog(f.db());
    },
    cleanup: f.cleanup,
  };
});

snapshotStoreContract('sqlite', () => {
  const f = files();
  return {
    open: () => new SqliteSnapshotStore(f.db()),
    reopen: () => {
      for (const d of f.dbs) if (d.open) d.close();
      return Promise.resolve(new SqliteSnapshotStore(f.db()));
    },
    cleanup: f.cleanup,
  };
});
