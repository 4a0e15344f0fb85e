export { Engine, SYSTEM_EVENT_ID_PREFIX, type ChangeListener, type EngineOptions } from './engine.js';
export * from './retention.js';
