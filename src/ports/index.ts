export type * from './event-log.js';
export type * from './snapshot-store.js';
export * from './clock.js';
export type * from './history-index.js';
export type * from './retention.js';
export * from './auth-store.js';
export * from './nonce-store.js';
export type * from './webhook-store.js';
export type * from './alert-store.js';
