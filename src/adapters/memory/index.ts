export { MemoryEventLog } from './event-log.js';
export { MemorySnapshotStore } from './snapshot-store.js';
export { MemoryHistoryIndex } from './history-index.js';
