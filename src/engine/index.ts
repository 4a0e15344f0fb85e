export { Engine, SYSTEM_EVENT_ID_PREFIX, type ChangeListener, type EngineOptions, type StartStats, SnapshotFallbackError } from './engine.js';
export * from './retention.js';
