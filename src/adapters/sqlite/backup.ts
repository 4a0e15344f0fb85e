/**
 * Online backups and restores of the embedded store.
 *
 * A backup is taken with SQLite's backup API through the server's own
 * connection, so it is a consistent image of one moment even while events are
 * being committed; it is then switched to a self-contained single file
 * (rollback journal, no -wal beside it) and checked. A restore validates the
 * file completely before it replaces anything, and keeps the replaced files.
 */
import Database from 'better-sqlite3';
import { closeSync, copyFileSync, existsSync, fsyncSync, mkdirSync, openSync, renameSync, rmSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { DATA_FORMAT_VERSION, type SqliteDatabase } from './db.js';
import { DataFileError } from './integrity.js';
import { lockDataDir } from './lock.js';

/** What a backup file holds. */
export interface BackupSummary {
  bytes: number;
  formatVersion: number;
  /** Schema version of each component (event-log, snapshots, auth…). */
  components: Record<string, number>;
  events: number;
  accounts: number;
  /** Log position of the last event. */
  position: number;
}

function fsyncPath(path: string): void {
  const fd = openSync(path, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/**
 * Writes a consistent copy of `db` to `file` (through a temporary file in the
 * same directory, renamed at the end, so `file` is never half-written).
 */
export async function backupDatabase(db: SqliteDatabase, file: string): Promise<BackupSummary> {
  mkdirSync(dirname(file), { recursive: true });
  const tmp = join(dirname(file), `.${basename(file)}.${process.pid}.partial`);
  rmSync(tmp, { force: true });
  try {
    await db.backup(tmp);
    const copy = new Database(tmp);
    try {
      copy.pragma('journal_mode = DELETE');
    } finally {
      copy.close();
    }
    const summary = validateBackup(tmp);
    fsyncPath(tmp);
    renameSync(tmp, file);
    return summary;
  } catch (err) {
    rmSync(tmp, { force: true });
    rmSync(`${tmp}-journal`, { force: true });
    throw err;
  }
}

/**
 * Checks that `file` is a complete, undamaged agentview data file this
 * version can open, and summarises it. Throws {@link DataFileError} otherwise.
 */
export function validateBackup(file: string): BackupSummary {
  if (!existsSync(file)) throw new DataFileError(`${file} does not exist`);
  const bytes = statSync(file).size;
  let db: SqliteDatabase;
  try {
    db = new Database(file, { readonly: true, fileMustExist: true });
  } catch (err) {
    throw new DataFileError(`${file} cannot be opened: ${(err as Error).message}`);
  }
  try {
    const check = (() => {
      try {
        return (db.pragma('integrity_check') as { integrity_check: string }[]).map((r) => r.integrity_check);
      } catch (err) {
        return [(err as Error).message];
      }
    })();
    if (check.length !== 1 || check[0] !== 'ok') {
      throw new DataFileError(`${file} is not a valid agentview backup: ${check.slice(0, 3).join('; ')}`);
    }
    const hasTable = (name: string) =>
      db.prepare(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?`).get(name) !== undefined;
    if (!hasTable('schema_versions')) throw new DataFileError(`${file} is an SQLite file but not an agentview data file (no schema_versions)`);
    const components: Record<string, number> = {};
    for (const r of db.prepare('SELECT component, version FROM schema_versions').all() as { component: string; version: number }[]) {
      components[r.component] = r.version;
    }
    const formatVersion = components.data ?? 0;
    if (formatVersion > DATA_FORMAT_VERSION) {
      throw new DataFileError(
        `${file} has data format version ${formatVersion}, newer than this agentview supports (${DATA_FORMAT_VERSION}); restore it with a newer agentview`,
      );
    }
    if (formatVersion < 1 || !hasTable('events') || !hasTable('accounts')) {
      throw new DataFileError(`${file} is not an agentview data file (no event log)`);
    }
    const ev = db.prepare('SELECT COUNT(*) AS n, COALESCE(MAX(pos), 0) AS pos FROM events').get() as { n: number; pos: number };
    const acc = db.prepare('SELECT COUNT(*) AS n FROM accounts').get() as { n: number };
    return { bytes, formatVersion, components, events: ev.n, accounts: acc.n, position: ev.pos };
  } finally {
    db.close();
  }
}

/**
 * Replaces the data directory's store with a backup. Refuses while an
 * agentview process holds the directory. The replaced files are moved to
 * `pre-restore-<time>/` in the data directory, never deleted.
 */
export function restoreBackup(
  backupFile: string,
  dataDir: string,
  dataFileName = 'agentview.db',
): { summary: BackupSummary; replacedTo: string | undefined } {
  if (!existsSync(backupFile)) throw new DataFileError(`${backupFile} does not exist`);
  const lock = lockDataDir(dataDir, 'restore');
  try {
    const target = join(dataDir, dataFileName);
    const staging = join(dataDir, `.${dataFileName}.restoring`);
    rmSync(staging, { force: true });
    copyFileSync(backupFile, staging);
    let summary: BackupSummary;
    try {
      // A file copied by hand may be in WAL mode; make the copy self-contained before checking it.
      try {
        const copy = new Database(staging, { fileMustExist: true });
        try {
          copy.pragma('journal_mode = DELETE');
        } finally {
          copy.close();
        }
      } catch (err) {
        throw new DataFileError(`${backupFile} is not a valid agentview backup: ${(err as Error).message}`);
      }
      summary = validateBackup(staging);
      fsyncPath(staging);
    } catch (err) {
      rmSync(staging, { force: true });
      throw err;
    }
    let replacedTo: string | undefined;
    const existing = [target, `${target}-wal`, `${target}-shm`, `${target}-journal`].filter((f) => existsSync(f));
    if (existing.length > 0) {
      replacedTo = join(dataDir, `pre-restore-${new Date().toISOString().replace(/[:.]/g, '-')}`);
      mkdirSync(replacedTo, { recursive: true });
      // The -wal must go with its data file: applied to the restored file it would corrupt it.
      for (const f of existing) renameSync(f, join(replacedTo, basename(f)));
    }
    renameSync(staging, target);
    fsyncPath(dataDir);
    return { summary, replacedTo };
  } finally {
    lock.release();
  }
}
