/**
 * Start-up checks of the embedded store on real files: a torn WAL tail is
 * dropped (with a clear log line) without losing an acknowledged commit;
 * damage that would lose acknowledged commits is refused; newer formats are
 * refused; one process per data directory; migrations upgrade older files.
 */
import { appendFileSync, copyFileSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import type { IngestEvent } from '../../core/index.js';
import { loadConfig } from '../../config/index.js';
import { createLogger } from '../../observability/logger.js';
import { startServer } from '../../server.js';
import { openStores } from '../../stores.js';
import { tempDir } from '../../../test/helpers/server.js';
import {
  DATA_FORMAT_VERSION,
  DataDirLockedError,
  DataFileError,
  DataFormatError,
  inspectWal,
  lockDataDir,
  migrate,
  openDatabase,
  SqliteEventLog,
  type Migration,
} from './index.js';

const dirs: string[] = [];
const dir = () => {
  const d = tempDir('agentview-startup-');
  dirs.push(d);
  return d;
};
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const ev = (agentId: string, eventId: string): IngestEvent => ({ type: 'agent.loggedIn', agentId, eventId, time: 1_700_000_000_000 });

/**
 * Builds a data directory whose WAL holds two commits (batch 1, then batch 2)
 * as a crash would leave it: copied while the writer still has it open.
 */
async function crashedDir(): Promise<{ dir: string; wal: string; afterFirst: number; afterSecond: number }> {
  const live = dir();
  const file = join(live, 'agentview.db');
  const db = openDatabase(file);
  const log = new SqliteEventLog(db);
  await log.append({ account: 'acme', events: [ev('1', 'a'), ev('2', 'b')] });
  const afterFirst = inspectWal(`${file}-wal`)!.committedBytes;
  await log.append({ account: 'acme', events: [ev('3', 'c')] });
  const afterSecond = inspectWal(`${file}-wal`)!.committedBytes;
  const crashed = dir();
  copyFileSync(file, join(crashed, 'agentview.db'));
  copyFileSync(`${file}-wal`, join(crashed, 'agentview.db-wal'));
  db.close();
  return { dir: crashed, wal: join(crashed, 'agentview.db-wal'), afterFirst, afterSecond };
}

function capture() {
  const lines: { level: number; msg: string; [k: string]: unknown }[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _e, cb) {
      for (const l of chunk.toString('utf8').split('\n').filter(Boolean)) lines.push(JSON.parse(l) as (typeof lines)[number]);
      cb();
    },
  });
  return { lines, logger: createLogger('info', sink) };
}

const config = (dataDir: string) =>
  loadConfig({ PORT: '0', AGENTVIEW_DEMO: '0', AGENTVIEW_ADMIN_TOKEN: 'admin-token-0123456789', AGENTVIEW_DATA_DIR: dataDir }, () => 'x');

describe('WAL inspection', () => {
  it('sees each commit of a crashed WAL and nothing torn', async () => {
    const { wal, afterFirst, afterSecond } = await crashedDir();
    const r = inspectWal(wal)!;
    expect(r.commits).toBeGreaterThanOrEqual(2);
    expect(r.committedBytes).toBe(afterSecond);
    expect(afterFirst).toBeLessThan(afterSecond);
    expect(r.tornBytes).toBe(0);
  });

  it('reports a frame cut short, and garbage after the last commit, as a torn tail', async () => {
    const a = await crashedDir();
    truncateSync(a.wal, a.afterSecond - 100);
    expect(inspectWal(a.wal)).toMatchObject({ committedBytes: a.afterFirst, tornReason: expect.any(String) });
    expect(inspectWal(a.wal)!.tornBytes).toBe(a.afterSecond - 100 - a.afterFirst);

    const b = await crashedDir();
    appendFileSync(b.wal, Buffer.alloc(5000, 7));
    expect(inspectWal(b.wal)).toMatchObject({ committedBytes: b.afterSecond, tornBytes: 5000, tornReason: 'partial-frame' });
  });
});

describe('start-up on damaged files', () => {
  it('drops a torn last write with a clear log line and keeps every earlier commit', async () => {
    const { dir: dataDir, wal, afterSecond } = await crashedDir();
    // The crash cut the second commit's last frame: that write was never acknowledged.
    truncateSync(wal, afterSecond - 100);
    const { lines, logger } = capture();
    const server = await startServer(config(dataDir), { logger });
    try {
      const torn = lines.find((l) => l.msg.startsWith('data file: dropping the torn tail'));
      expect(torn).toMatchObject({ level: 40, reason: expect.any(String), tornBytes: expect.any(Number) });
      expect(torn!.msg).toContain('never acknowledged');
      expect(server.engine.account('acme')?.agents.size).toBe(2);
      const first = await server.engine.ingest('acme', [ev('1', 'a'), ev('2', 'b')]);
      expect(first).toMatchObject({ accepted: 0, duplicates: 2, lastSeq: 2 });
      const second = await server.engine.ingest('acme', [ev('3', 'c')]);
      expect(second).toMatchObject({ accepted: 1, duplicates: 0, lastSeq: 3 });
    } finally {
      await server.close();
    }
  });

  it('recovers garbage after the last commit (torn tail) with everything acknowledged', async () => {
    const { dir: dataDir, wal } = await crashedDir();
    appendFileSync(wal, Buffer.alloc(3000, 0xab));
    const stores = openStores(config(dataDir));
    try {
      expect(await stores.log.head()).toBe(3);
    } finally {
      await stores.close();
    }
  });

  it('refuses a WAL whose header is damaged (its commits would be silently ignored)', async () => {
    const { dir: dataDir, wal } = await crashedDir();
    const bytes = readFileSync(wal);
    bytes[20] = bytes[20]! ^ 0xff; // a salt byte: the header checksum no longer matches
    writeFileSync(wal, bytes);
    expect(() => openStores(config(dataDir))).toThrow(DataFileError);
    expect(() => openStores(config(dataDir))).toThrow(/damaged header.*restore/);
  });

  it('refuses a data file shorter than its header says, and a file that is not SQLite', async () => {
    const clean = dir();
    const stores = openStores(config(clean));
    await stores.log.append({ account: 'acme', events: Array.from({ length: 200 }, (_, i) => ev(String(i), `e${i}`)) });
    await stores.close(); // clean stop: checkpointed, no WAL left
    const file = join(clean, 'agentview.db');
    truncateSync(file, 4096);
    expect(() => openStores(config(clean))).toThrow(/is truncated: its header records \d+ pages/);

    const junk = dir();
    writeFileSync(join(junk, 'agentview.db'), 'this is not a database, just some text that is long enough to have a header. '.repeat(3));
    expect(() => openStores(config(junk))).toThrow(/not an agentview data file/);
  });
});

describe('format versions and migrations', () => {
  it('refuses a data directory written by a newer agentview, with a clear error', () => {
    const d = dir();
    const db = new Database(join(d, 'agentview.db'));
    db.exec(`CREATE TABLE schema_versions (component TEXT PRIMARY KEY, version INTEGER NOT NULL) WITHOUT ROWID`);
    db.prepare(`INSERT INTO schema_versions VALUES ('data', ?)`).run(DATA_FORMAT_VERSION + 1);
    db.close();
    expect(() => openStores(config(d))).toThrow(DataFormatError);
    expect(() => openStores(config(d))).toThrow(`format version ${DATA_FORMAT_VERSION + 1}, newer than this agentview supports (${DATA_FORMAT_VERSION})`);
    // The refusal released the directory: a fixed file can be opened by the next attempt.
    const lock = lockDataDir(d, 'test');
    lock.release();
  });

  it('refuses a component schema newer than this build', async () => {
    const d = dir();
    const stores = openStores(config(d));
    await stores.close();
    const db = new Database(join(d, 'agentview.db'));
    db.prepare(`UPDATE schema_versions SET version = 99 WHERE component = 'event-log'`).run();
    db.close();
    expect(() => openStores(config(d))).toThrow(/schema of event-log is at version 99, newer than this agentview supports/);
  });

  it('runs pending migrations in order, each once, keeping the data', () => {
    const db = openDatabase(':memory:');
    const v1: Migration = { version: 1, up: (d) => d.exec('CREATE TABLE things (id INTEGER PRIMARY KEY, name TEXT)') };
    migrate(db, 'things', [v1]);
    db.prepare('INSERT INTO things (name) VALUES (?), (?)').run('a', 'b');
    const calls: number[] = [];
    const v2: Migration = {
      version: 2,
      up: (d) => {
        calls.push(2);
        d.exec(`ALTER TABLE things ADD COLUMN upper TEXT; UPDATE things SET upper = upper(name)`);
      },
    };
    const v3: Migration = {
      version: 3,
      up: (d) => {
        calls.push(3);
        d.exec('CREATE INDEX things_upper ON things (upper)');
      },
    };
    migrate(db, 'things', [v3, v1, v2]); // declared out of order: still applied 2 then 3
    migrate(db, 'things', [v1, v2, v3]); // nothing pending
    expect(calls).toEqual([2, 3]);
    expect(db.prepare('SELECT upper FROM things ORDER BY id').pluck().all()).toEqual(['A', 'B']);
    expect(db.prepare(`SELECT version FROM schema_versions WHERE component = 'things'`).pluck().get()).toBe(3);
    db.close();
  });

  it('rolls a failing migration back entirely and keeps the previous version', () => {
    const db = openDatabase(':memory:');
    migrate(db, 'things', [{ version: 1, up: (d) => d.exec('CREATE TABLE things (id INTEGER PRIMARY KEY)') }]);
    const broken: Migration = {
      version: 2,
      up: (d) => {
        d.exec('CREATE TABLE half_done (x)');
        throw new Error('migration bug');
      },
    };
    expect(() => migrate(db, 'things', [{ version: 1, up: () => undefined }, broken])).toThrow('migration bug');
    expect(db.prepare(`SELECT version FROM schema_versions WHERE component = 'things'`).pluck().get()).toBe(1);
    expect(db.prepare(`SELECT name FROM sqlite_master WHERE name = 'half_done'`).get()).toBeUndefined();
    db.close();
  });

  it('upgrades a file written before a component existed (an older agentview), keeping every event', async () => {
    const d = dir();
    // What an older agentview wrote: the event log only (no snapshots table, no snapshot version).
    const db = openDatabase(join(d, 'agentview.db'));
    const log = new SqliteEventLog(db);
    await log.append({ account: 'acme', events: [ev('1', 'a'), ev('2', 'b')] });
    await log.close();
    db.close();
    const { logger } = capture();
    const server = await startServer(config(d), { logger });
    try {
      expect(server.engine.account('acme')?.agents.size).toBe(2);
      const versions = server.stores.db!.prepare('SELECT component, version FROM schema_versions ORDER BY component').all();
      expect(versions).toEqual(
        expect.arrayContaining([
          { component: 'data', version: DATA_FORMAT_VERSION },
          { component: 'event-log', version: 1 },
          { component: 'snapshots', version: 1 },
        ]),
      );
    } finally {
      await server.close();
    }
  });
});

describe('data directory lock', () => {
  it('lets one process use a data directory at a time', async () => {
    const d = dir();
    const stores = openStores(config(d));
    expect(() => openStores(config(d))).toThrow(DataDirLockedError);
    expect(() => openStores(config(d))).toThrow(/in use by another agentview process/);
    await stores.close();
    const again = openStores(config(d));
    await again.close();
  });
});

describe('page cache', () => {
  it('is sized by AGENTVIEW_SQLITE_CACHE_MB (memory the store keeps for hot pages)', async () => {
    const d = dir();
    const stores = openStores(loadConfig({ AGENTVIEW_DEMO: '0', AGENTVIEW_DATA_DIR: d, AGENTVIEW_SQLITE_CACHE_MB: '4' }, () => 'x'));
    try {
      expect(stores.db!.pragma('cache_size', { simple: true })).toBe(-4096);
    } finally {
      await stores.close();
    }
  });
});
