/**
 * Single-use OAuth 1.0a nonces. A nonce only has to be remembered while its
 * timestamp is inside the accepted window: after that the timestamp check
 * rejects the request anyway, so stores forget entries at `expiresAt`.
 */
export interface NonceStore {
  /**
   * Records `nonce` for `scope` (one app key and token) until `expiresAt`
   * (epoch ms). Resolves true when it was not already recorded, false when it
   * was (a replay). Atomic: of two concurrent calls with the same nonce, only
   * one resolves true. Rejects with {@link NonceStoreFullError} rather than
   * forgetting live nonces when it cannot hold more.
   */
  remember(scope: string, nonce: string, expiresAt: number): Promise<boolean>;
}

/** The store is at capacity with unexpired nonces; the request should be retried later. */
export class NonceStoreFullError extends Error {
  override name = 'NonceStoreFullError';
}
