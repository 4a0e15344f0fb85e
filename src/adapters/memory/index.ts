export { MemoryEventLog } from './event-log.js';
export { MemorySnapshotStore } from './snapshot-store.js';
export { MemoryHistoryIndex } from './history-index.js';
export { MemoryAuthStore } from './auth-store.js';
export { MemoryNonceStore, type MemoryNonceStoreOptions } from './nonce-store.js';
export { MemoryWebhookStore, MemoryAlertStore } from './live-stores.js';
