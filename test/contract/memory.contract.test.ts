/** The EventLog and SnapshotStore contracts against the in-memory adapters. */
import { MemoryEventLog, MemorySnapshotStore } from '../../src/adapters/memory/index.js';
import { eventLogContract, snapshotStoreContract } from './event-log.contract.js';

eventLogContract('memory', () => ({ open: () => new MemoryEventLog(), cleanup: () => undefined }));
snapshotStoreContract('memory', () => ({ open: () => new MemorySnapshotStore(), cleanup: () => undefined }));
