export { openDatabase, migrate, DataFormatError, DATA_FORMAT_VERSION, type SqliteDatabase, type Migration } from './db.js';
export { SqliteEventLog, type TransactionHook } from './event-log.js';
export { SqliteSnapshotStore } from './snapshot-store.js';
export { SqliteHistoryIndex, type SqliteHistoryIndexOptions } from './history-index.js';
export { SqliteLogCompactor } from './log-compactor.js';
export { SqliteAuthStore, AUTH_MIGRATIONS } from './auth-store.js';
export { SqliteWebhookStore, SqliteAlertStore } from './live-stores.js';
