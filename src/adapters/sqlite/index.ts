export { openDatabase, migrate, DataFormatError, DATA_FORMAT_VERSION, type SqliteDatabase, type Migration } from './db.js';
export { SqliteEventLog, type TransactionHook, type CommitStats } from './event-log.js';
export { SqliteSnapshotStore } from './snapshot-store.js';
export { SqliteHistoryIndex, type SqliteHistoryIndexOptions } from './history-index.js';
export { SqliteLogCompactor } from './log-compactor.js';
export { SqliteAuthStore, AUTH_MIGRATIONS } from './auth-store.js';
export { inspectWal, checkDataFile, DataFileError, type WalReport } from './integrity.js';
export { lockDataDir, DataDirLockedError, LOCK_FILE, type DataDirLock } from './lock.js';
export { backupDatabase, validateBackup, restoreBackup, type BackupSummary } from './backup.js';
