import { NonceStoreFullError, type Clock, type NonceStore } from '../../ports/index.js';

export interface MemoryNonceStoreOptions {
  /** Most unexpired nonces held at once (memory bound); default 1,000,000. */
  maxEntries?: number;
}

/**
 * Nonces of one process, each forgotten once its `expiresAt` has passed.
 * Expired entries are swept at most once a second of clock time, and before
 * refusing a new nonce when full, so memory is bounded by what the timestamp
 * window lets in.
 */
export class MemoryNonceStore implements NonceStore {
  private readonly seen = new Map<string, number>();
  private readonly maxEntries: number;
  private lastSweep = -Infinity;

  constructor(
    private readonly clock: Clock,
    options: MemoryNonceStoreOptions = {},
  ) {
    this.maxEntries = options.maxEntries ?? 1_000_000;
  }

  remember(scope: string, nonce: string, expiresAt: number): Promise<boolean> {
    const now = this.clock.now();
    if (now - this.lastSweep >= 1000) this.sweep(now);
    const k = `${scope}\n${nonce}`;
    const until = this.seen.get(k);
    if (until !== undefined && until > now) return Promise.resolve(false);
    if (until === undefined && this.seen.size >= this.maxEntries) {
      this.sweep(now);
      if (this.seen.size >= this.maxEntries) return Promise.reject(new NonceStoreFullError('too many live OAuth nonces'));
    }
    this.seen.set(k, expiresAt);
    return Promise.resolve(true);
  }

  /** Live entries (for tests and metrics). */
  get size(): number {
    return this.seen.size;
  }

  private sweep(now: number): void {
    this.lastSweep = now;
    for (const [k, until] of this.seen) if (until <= now) this.seen.delete(k);
  }
}
