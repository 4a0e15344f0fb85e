export * from './events.js';
export * from './ids.js';
export * from './time.js';
export * from './state.js';
export * from './query.js';
export * from './record.js';
export * from './snapshot.js';
export * from './page-cache.js';
