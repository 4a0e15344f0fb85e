/**
 * Single-use OAuth nonces shared by every server of a cluster: a replay sent
 * to another server than the original request is refused too. One key per
 * (scope, nonce), `n.<sha256>`; the first `kv.create` wins, so of concurrent
 * uses exactly one is accepted. An entry whose expiry passed (by the injected
 * clock) is taken over with a compare-and-set; the bucket's TTL removes old
 * entries on the server.
 */
import { createHash } from 'node:crypto';
import type { Clock, NonceStore } from '../../ports/index.js';
import type { NatsConnection } from './connection.js';
import { isRevisionConflict, lazyBucket, storeCall } from './kv.js';
import type { KV } from '@nats-io/kv';

export interface JetStreamNonceStoreOptions {
  bucket: string;
  replicas: number;
  /** Server-side lifetime of entries: at least the longest nonce validity (default 1 h). */
  ttlMs?: number;
  /** Deadline of one check before it fails as STORE_UNAVAILABLE (default 5 s). */
  timeoutMs?: number;
}

export class JetStreamNonceStore implements NonceStore {
  private readonly kv: () => Promise<KV>;
  private readonly timeoutMs: number;

  constructor(
    nats: NatsConnection,
    private readonly clock: Clock,
    options: JetStreamNonceStoreOptions,
  ) {
    this.kv = lazyBucket(nats, { bucket: options.bucket, replicas: options.replicas, ttlMs: options.ttlMs ?? 3_600_000 });
    this.timeoutMs = options.timeoutMs ?? 5000;
  }

  remember(scope: string, nonce: string, expiresAt: number): Promise<boolean> {
    return storeCall('recording an OAuth nonce', this.timeoutMs, () => this.rememberNow(scope, nonce, expiresAt));
  }

  private async rememberNow(scope: string, nonce: string, expiresAt: number): Promise<boolean> {
    const kv = await this.kv();
    const key = `n.${createHash('sha256').update(scope).update('\n').update(nonce).digest('base64url')}`;
    for (let attempt = 0; attempt < 10; attempt++) {
      try {
        await kv.create(key, String(expiresAt));
        return true;
      } catch (err) {
        if (!isRevisionConflict(err)) throw err;
      }
      const e = await kv.get(key);
      if (e === null || e.operation !== 'PUT') continue;
      if (Number(e.string()) > this.clock.now()) return false;
      try {
        await kv.update(key, String(expiresAt), e.revision);
        return true;
      } catch (err) {
        // Someone else took the expired nonce over first: theirs.
        if (isRevisionConflict(err)) return false;
        throw err;
      }
    }
    return false;
  }
}
