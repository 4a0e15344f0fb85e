export type * from './event-log.js';
export type * from './snapshot-store.js';
export * from './clock.js';
export * from './auth-store.js';
export * from './nonce-store.js';
