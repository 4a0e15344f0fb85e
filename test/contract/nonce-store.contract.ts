/**
 * The NonceStore contract, run against every adapter
 * (`nonceStoreContract('memory', (clock) => …)`); a cluster adapter runs it too.
 */
import { describe, expect, it } from 'vitest';
import type { Clock, NonceStore } from '../../src/ports/index.js';

export function nonceStoreContract(name: string, open: (clock: Clock) => Promise<{ store: NonceStore; dispose(): Promise<void> }>): void {
  describe(`NonceStore contract: ${name}`, () => {
    const run = async (fn: (s: NonceStore, clock: { t: number }) => Promise<void>) => {
      const clock = { t: 1_700_000_000_000, now() { return this.t; } };
      const f = await open(clock);
      try {
        await fn(f.store, clock);
      } finally {
        await f.dispose();
      }
    };

    it('accepts a nonce once per scope', () =>
      run(async (s, c) => {
        expect(await s.remember('key1\ntoken1', 'abc', c.t + 600_000)).toBe(true);
        expect(await s.remember('key1\ntoken1', 'abc', c.t + 600_000)).toBe(false);
        expect(await s.remember('key2\ntoken2', 'abc', c.t + 600_000)).toBe(true);
        expect(await s.remember('key1\ntoken1', 'abd', c.t + 600_000)).toBe(true);
      }));

    it('accepts exactly one of concurrent uses of the same nonce', () =>
      run(async (s, c) => {
        const results = await Promise.all(Array.from({ length: 10 }, () => s.remember('k', 'same', c.t + 600_000)));
        expect(results.filter(Boolean)).toHaveLength(1);
      }));

    it('forgets a nonce once its expiry has passed', () =>
      run(async (s, c) => {
        expect(await s.remember('k', 'n', c.t + 1000)).toBe(true);
        c.t += 999;
        expect(await s.remember('k', 'n', c.t + 1000)).toBe(false);
        c.t += 2;
        expect(await s.remember('k', 'n', c.t + 1000)).toBe(true);
      }));
  });
}
