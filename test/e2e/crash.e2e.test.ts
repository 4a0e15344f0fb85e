/**
 * Crash safety: SIGKILL a real server process at random moments under a
 * writer load, restart it on the same data, and prove no acknowledged event
 * was lost or applied twice (see test/helpers/crash-harness.ts). A longer run:
 * `npm run soak -- --crash --cycles 50`.
 */
import { rmSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { runCrashHarness } from '../helpers/crash-harness.js';
import { tempDir } from '../helpers/server.js';

describe('crash safety (embedded store)', () => {
  it('keeps every acknowledged event across repeated SIGKILLs', { timeout: 120_000 }, async () => {
    const dataDir = tempDir('agentview-crash-');
    try {
      const report = await runCrashHarness({ dataDir, cycles: 3, writers: 4, accounts: 2, minRunMs: 300, maxRunMs: 1200, seed: Date.now() % 100_000 });
      expect(report.violations).toEqual([]);
      expect(report.cycles).toBe(3);
      // The run really wrote under the kills.
      expect(report.batches).toBeGreaterThan(10);
      expect(report.failedAttempts).toBeGreaterThan(0);
      // Kills hit batches in flight: their retries were answered as wholly new or wholly duplicate.
      expect(report.retriesAlreadyCommitted + report.retriesNotCommitted).toBeGreaterThan(0);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
