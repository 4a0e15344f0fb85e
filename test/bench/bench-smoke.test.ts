/**
 * Smoke test of `npm run bench`: the harness runs end to end at a tiny size
 * (from source, no build) and writes a well-formed results file. It checks
 * shape only, never speed: benchmarks are not part of the test suite.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/server.js';

const ROOT = join(import.meta.dirname, '..', '..');
const ALWAYS = ['status_query_ratio', 'status_page1000_ratio', 'ingest_ratio', 'memory_bytes_per_agent', 'recovery_ratio'];

describe('bench harness (tiny smoke run)', () => {
  it('writes every key that applies, each with a finite value, measure and baseline', { timeout: 300_000 }, () => {
    const out = join(tempDir('agentview-bench-smoke-'), 'results.json');
    const run = spawnSync(process.execPath, ['--import', 'tsx', 'bench/run.ts', '--tiny', '--runner', 'tsx', '--out', out], {
      cwd: ROOT,
      encoding: 'utf8',
      timeout: 280_000,
    });
    expect(run.status, `${run.stdout}\n${run.stderr}`).toBe(0);
    const results = JSON.parse(readFileSync(out, 'utf8'));
    expect(results.meta.mode).toBe('tiny');
    expect(results.failures).toEqual({});
    for (const key of ALWAYS) {
      expect(Number.isFinite(results[key]), key).toBe(true);
      expect(results[key], key).toBeGreaterThan(0);
      expect(results.details[key].value).toBe(results[key]);
      expect(results.details[key].target).toBe(results.targets[key]);
      expect(results.details[key].measure.runs.length).toBeGreaterThan(0);
    }
    for (const key of ['status_query_ratio', 'status_page1000_ratio', 'ingest_ratio', 'recovery_ratio']) {
      expect(results.details[key].baseline.value, key).toBeGreaterThan(0);
    }
    // Keys that need parts not built yet are absent, never filled with placeholders.
    for (const key of Object.keys(results.targets)) {
      if (!(key in results)) expect(results.details[key]).toBeUndefined();
    }
    const md = readFileSync(out.replace(/\.json$/, '.md'), 'utf8');
    expect(md).toContain('| `status_query_ratio` |');
  });
});
