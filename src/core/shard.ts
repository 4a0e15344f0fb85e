/**
 * Account shards for cluster mode: a server may keep views of only the
 * accounts whose hash falls in its shard, so the views of many accounts can
 * be spread over several servers. The hash is FNV-1a (32 bits) of the
 * account id's UTF-8 bytes, modulo the shard count: stable across versions,
 * platforms and languages, so a load balancer can compute it too.
 */

/** FNV-1a 32-bit hash of a string's UTF-8 bytes. */
export function fnv1a32(text: string): number {
  let h = 0x811c9dc5;
  for (const byte of new TextEncoder().encode(text)) {
    h ^= byte;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

/** The shard (0 … count−1) an account belongs to. */
export function accountShard(accountId: string, count: number): number {
  return fnv1a32(accountId) % count;
}

/** One server's part of the accounts: `index` of `count`. */
export interface ShardSpec {
  index: number;
  count: number;
}

/** Parses `i/n` (0 ≤ i < n ≤ 1024); undefined when malformed. */
export function parseShardSpec(text: string): ShardSpec | undefined {
  const m = /^([0-9]{1,4})\/([0-9]{1,4})$/.exec(text.trim());
  if (!m) return undefined;
  const index = Number(m[1]);
  const count = Number(m[2]);
  return count >= 1 && count <= 1024 && index < count ? { index, count } : undefined;
}
