/**
 * Opens the embedded store's SQLite file and brings each component's schema
 * up to date. Every component (event log, auth, webhooks, history…) owns a
 * list of migrations and its own version in `schema_versions`, so components
 * evolve independently; a file written by a newer agentview is refused.
 */
import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { checkDataFile, DataFileError, inspectWal } from './integrity.js';

export type SqliteDatabase = Database.Database;

/** Format of the data directory as a whole; bump on incompatible layout changes. */
export const DATA_FORMAT_VERSION = 1;

export interface Migration {
  /** Target version; migrations of a component run in ascending order. */
  version: number;
  up: (db: SqliteDatabase) => void;
}

export class DataFormatError extends Error {
  override name = 'DataFormatError';
}

export interface OpenOptions {
  /** `full` survives power loss; `normal` survives process crashes (kill -9). */
  synchronous?: 'full' | 'normal';
  /**
   * SQLite page cache of this connection, in MiB (better-sqlite3's default is 16).
   * It fills as the data file grows, so it is part of the server's steady-state memory.
   */
  cacheMiB?: number;
  /** Told about what the start-up checks found (torn tail dropped, crash recovery). */
  notice?: (level: 'info' | 'warn', message: string, details: Record<string, unknown>) => void;
}

export function openDatabase(file: string, options: OpenOptions = {}): SqliteDatabase {
  if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
  const wal = file === ':memory:' ? undefined : inspectWal(`${file}-wal`);
  // With committed frames in the WAL, SQLite rebuilds the data file's tail from them; check it only otherwise.
  if (file !== ':memory:' && (wal === undefined || wal.commits === 0)) checkDataFile(file);
  if (wal && wal.tornBytes > 0) {
    options.notice?.(
      'warn',
      'data file: dropping the torn tail of the write-ahead log (an unfinished write cut by a crash; it was never acknowledged, every acknowledged commit is intact)',
      { file: `${file}-wal`, tornBytes: wal.tornBytes, reason: wal.tornReason, commitsRecovered: wal.commits },
    );
  } else if (wal && wal.commits > 0) {
    options.notice?.('info', 'data file: recovering after an unclean stop', { file: `${file}-wal`, commitsRecovered: wal.commits });
  }
  const db = new Database(file);
  if (wal && wal.bytes > 0) {
    // After an unclean stop, check the pages before trusting them (a crash is rare; this is cheap next to losing data).
    let result: string[];
    try {
      result = (db.pragma('quick_check') as { quick_check: string }[]).map((r) => r.quick_check);
    } catch (err) {
      result = [(err as Error).message];
    }
    if (result.length !== 1 || result[0] !== 'ok') {
      db.close();
      throw new DataFileError(
        `data file ${file} is damaged (${result.slice(0, 3).join('; ')}); restore the data directory from a backup (agentview restore)`,
      );
    }
  }
  db.pragma('journal_mode = WAL');
  db.pragma(`synchronous = ${options.synchronous === 'normal' ? 'NORMAL' : 'FULL'}`);
  db.pragma('busy_timeout = 5000');
  if (options.cacheMiB !== undefined) db.pragma(`cache_size = ${-Math.round(options.cacheMiB * 1024)}`);
  db.exec(`CREATE TABLE IF NOT EXISTS schema_versions (
    component TEXT PRIMARY KEY,
    version INTEGER NOT NULL
  ) WITHOUT ROWID`);
  const format = db.prepare(`SELECT version FROM schema_versions WHERE component = 'data'`).get() as
    | { version: number }
    | undefined;
  if (format && format.version > DATA_FORMAT_VERSION) {
    db.close();
    throw new DataFormatError(
      `data file ${file} has format version ${format.version}, newer than this agentview supports (${DATA_FORMAT_VERSION}); upgrade agentview or use another AGENTVIEW_DATA_DIR`,
    );
  }
  if (!format) db.prepare(`INSERT INTO schema_versions (component, version) VALUES ('data', ?)`).run(DATA_FORMAT_VERSION);
  return db;
}

/** Runs a component's pending migrations, each in its own transaction. */
export function migrate(db: SqliteDatabase, component: string, migrations: readonly Migration[]): void {
  const row = db.prepare(`SELECT version FROM schema_versions WHERE component = ?`).get(component) as
    | { version: number }
    | undefined;
  const current = row?.version ?? 0;
  const latest = migrations.reduce((m, x) => Math.max(m, x.version), 0);
  if (current > latest) {
    throw new DataFormatError(
      `schema of ${component} is at version ${current}, newer than this agentview supports (${latest}); upgrade agentview`,
    );
  }
  const pending = [...migrations].filter((m) => m.version > current).sort((a, b) => a.version - b.version);
  for (const m of pending) {
    db.transaction(() => {
      m.up(db);
      db.prepare(
        `INSERT INTO schema_versions (component, version) VALUES (?, ?)
         ON CONFLICT(component) DO UPDATE SET version = excluded.version`,
      ).run(component, m.version);
    })();
  }
}
