/**
 * Shared helpers for the JetStream key-value adapters: a bucket opened (and
 * created) lazily with retries through elections, and the error a
 * compare-and-set loses with.
 */
import { StorageType } from '@nats-io/jetstream';
import { Kvm, type KV } from '@nats-io/kv';
import { ApiError } from '../../errors/index.js';
import { retrying, type NatsConnection } from './connection.js';

export interface BucketOptions {
  bucket: string;
  replicas: number;
  /** Entries older than this are removed by the server (0: never). */
  ttlMs?: number;
}

/** Opens a KV bucket on first use; a failed open is retried on the next use. */
export function lazyBucket(nats: NatsConnection, options: BucketOptions): () => Promise<KV> {
  let bucket: Promise<KV> | undefined;
  return () => {
    const p = (bucket ??= retrying(
      `key-value bucket ${options.bucket} set-up`,
      async () => {
        const { js } = await nats.handles();
        return new Kvm(js).create(options.bucket, {
          replicas: options.replicas,
          history: 1,
          storage: StorageType.File,
          ...(options.ttlMs ? { ttl: options.ttlMs } : {}),
        });
      },
      { logger: nats.logger, isClosed: () => nats.isClosed(), deadline: Date.now() + 30_000 },
    ));
    p.catch(() => {
      if (bucket === p) bucket = undefined;
    });
    return p;
  };
}

/** True for the error of a create/update whose expected revision did not match (the key exists, or changed). */
export function isRevisionConflict(err: unknown): boolean {
  const e = err as { code?: number; message?: string };
  return e?.code === 10071 || /wrong last sequence|key exists/i.test(e?.message ?? '');
}

/** A key segment from any text: base64url of its UTF-8 bytes (KV keys allow few characters). */
export function keyPart(text: string): string {
  return text === '' ? '_' : Buffer.from(text, 'utf8').toString('base64url');
}

/**
 * Runs a request-path store operation with a deadline. NATS being away (or
 * never reached yet) is the client's "retry later" (503 STORE_UNAVAILABLE
 * with Retry-After), never a hang or a 500.
 */
export async function storeCall<T>(what: string, timeoutMs: number, fn: () => Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      fn(),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${what} timed out`)), timeoutMs);
      }),
    ]);
  } catch (err) {
    if (err instanceof ApiError) throw err;
    throw new ApiError('STORE_UNAVAILABLE', `${what}: the shared store (NATS JetStream) is not available; retry shortly`, undefined, {
      'Retry-After': '1',
    });
  } finally {
    clearTimeout(timer);
  }
}
