export { Engine, SYSTEM_EVENT_ID_PREFIX, type ChangeListener, type EngineOptions, type StartStats } from './engine.js';
