import { MemoryNonceStore } from '../../src/adapters/memory/index.js';
import { nonceStoreContract } from './nonce-store.contract.js';

nonceStoreContract('memory', (clock) => Promise.resolve({ store: new MemoryNonceStore(clock), dispose: () => Promise.resolve() }));
