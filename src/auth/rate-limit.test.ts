import { describe, expect, it } from 'vitest';
import { TokenBuckets } from './rate-limit.js';

describe('TokenBuckets', () => {
  it('allows a burst, then refuses until tokens flow back at the rate', () => {
    const b = new TokenBuckets(2, 4);
    for (let i = 0; i < 4; i++) expect(b.take('a', 0)).toMatchObject({ allowed: true, remaining: 3 - i, limit: 4 });
    expect(b.take('a', 0)).toMatchObject({ allowed: false, remaining: 0, retryAfterSeconds: 1, resetSeconds: 2 });
    expect(b.take('a', 499).allowed).toBe(false);
    expect(b.take('a', 500)).toMatchObject({ allowed: true, remaining: 0 });
    expect(b.take('a', 10_000)).toMatchObject({ allowed: true, remaining: 3 });
  });

  it('keeps keys independent: one burst never slows another', () => {
    const b = new TokenBuckets(1, 2);
    expect(b.take('a', 0).allowed).toBe(true);
    expect(b.take('a', 0).allowed).toBe(true);
    expect(b.take('a', 0).allowed).toBe(false);
    expect(b.take('b', 0)).toMatchObject({ allowed: true, remaining: 1 });
  });

  it('rounds Retry-After up to whole seconds for slow rates', () => {
    const b = new TokenBuckets(0.25, 1);
    expect(b.take('a', 0).allowed).toBe(true);
    expect(b.take('a', 0)).toMatchObject({ allowed: false, retryAfterSeconds: 4, resetSeconds: 4 });
  });

  it('stays bounded in memory, dropping full buckets first', () => {
    const b = new TokenBuckets(1, 1, 2);
    b.take('a', 0);
    b.take('b', 1000);
    // At 1000, a is full again: it is the one dropped to make room for c; b keeps its empty bucket.
    expect(b.take('c', 1000).allowed).toBe(true);
    expect(b.take('b', 1000).allowed).toBe(false);
    expect(b.take('c', 1000).allowed).toBe(false);
  });

  it('ignores a clock going backwards', () => {
    const b = new TokenBuckets(1, 1);
    expect(b.take('a', 10_000).allowed).toBe(true);
    expect(b.take('a', 5_000).allowed).toBe(false);
    expect(b.take('a', 11_000).allowed).toBe(true);
  });
});
