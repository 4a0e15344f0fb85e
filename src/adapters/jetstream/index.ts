export { NatsConnection, retrying, silentLogger, type AdapterLogger, type NatsConnectionOptions } from './connection.js';
export { JetStreamEventLog, type JetStreamEventLogOptions, type LogStateExport } from './event-log.js';
export { JetStreamSnapshotStore, type JetStreamSnapshotStoreOptions } from './snapshot-store.js';
export { LogState, type EncodedLogState, type StreamMessage } from './log-state.js';
export { JetStreamAuthStore, type JetStreamAuthStoreOptions } from './auth-store.js';
export { JetStreamNonceStore, type JetStreamNonceStoreOptions } from './nonce-store.js';
export { JetStreamWebhookStore, JetStreamAlertStore, type JetStreamWebhookStoreOptions, type JetStreamAlertStoreOptions } from './live-stores.js';
