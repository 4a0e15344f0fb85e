import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { accountShard, fnv1a32, parseShardSpec } from './shard.js';

describe('account shards', () => {
  it('uses FNV-1a 32 (published test vectors)', () => {
    expect(fnv1a32('')).toBe(0x811c9dc5);
    expect(fnv1a32('a')).toBe(0xe40c292c);
    expect(fnv1a32('foobar')).toBe(0xbf9cf968);
  });

  it('puts every account in exactly one shard', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[A-Za-z0-9_-]{1,64}$/), fc.integer({ min: 1, max: 64 }), (account, count) => {
        const shard = accountShard(account, count);
        expect(shard).toBeGreaterThanOrEqual(0);
        expect(shard).toBeLessThan(count);
        expect(accountShard(account, count)).toBe(shard);
      }),
    );
  });

  it('parses i/n specs and rejects the rest', () => {
    expect(parseShardSpec('0/3')).toEqual({ index: 0, count: 3 });
    expect(parseShardSpec(' 2/3 ')).toEqual({ index: 2, count: 3 });
    for (const bad of ['3/3', '1/0', '-1/3', 'a/3', '1', '1/3/4', '0/2000']) expect(parseShardSpec(bad)).toBeUndefined();
  });
});
