export { MemoryEventLog } from './event-log.js';
export { MemorySnapshotStore } from './snapshot-store.js';
export { MemoryAuthStore } from './auth-store.js';
export { MemoryNonceStore, type MemoryNonceStoreOptions } from './nonce-store.js';
