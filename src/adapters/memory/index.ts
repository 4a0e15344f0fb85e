export { MemoryEventLog } from './event-log.js';
export { MemorySnapshotStore } from './snapshot-store.js';
export { MemoryWebhookStore, MemoryAlertStore } from './live-stores.js';
