import { describe, expect, it } from 'vitest';
import { NonceStoreFullError } from '../../ports/index.js';
import { MemoryNonceStore } from './nonce-store.js';

describe('MemoryNonceStore', () => {
  it('accepts a nonce once per scope until it expires', async () => {
    const clock = { t: 1000, now() { return this.t; } };
    const s = new MemoryNonceStore(clock);
    expect(await s.remember('k1', 'n', 5000)).toBe(true);
    expect(await s.remember('k1', 'n', 5000)).toBe(false);
    expect(await s.remember('k2', 'n', 5000)).toBe(true);
    clock.t = 5000;
    expect(await s.remember('k1', 'n', 9000)).toBe(true);
  });

  it('forgets expired nonces, staying bounded, and refuses (never forgets live ones) when full', async () => {
    const clock = { t: 0, now() { return this.t; } };
    const s = new MemoryNonceStore(clock, { maxEntries: 3 });
    for (const n of ['a', 'b', 'c']) expect(await s.remember('k', n, 100)).toBe(true);
    await expect(s.remember('k', 'd', 100)).rejects.toBeInstanceOf(NonceStoreFullError);
    expect(await s.remember('k', 'a', 100)).toBe(false);
    clock.t = 100;
    expect(await s.remember('k', 'd', 200)).toBe(true);
    expect(s.size).toBe(1);
  });
});
