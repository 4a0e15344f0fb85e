/** What every bench suite gets: the mode's sizes, where to put files, how to report. */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { LoadResult, LoadSpec } from './load-client.js';
import { cpuMs, ROOT, runJson, spawnTs } from './proc.js';
import type { Runner } from './service.js';

export type Mode = 'full' | 'quick' | 'tiny';

export interface Sizes {
  /** Seconds per measured load run, and warm-up before it. */
  durationS: number;
  warmupS: number;
  /** Measured runs per point; the median is reported. */
  runs: number;
  /** Agents in the status-query account. */
  agents: number;
  /** Agents for the memory measure. */
  memoryAgents: number;
  /** Events in the log for the recovery measure. */
  recoveryEvents: number;
  /** Agents in the recovery account. */
  recoveryAgents: number;
  /** SSE: clients and changes sent (samples = clients × changes). */
  streamClients: number;
  streamChanges: number;
}

export const SIZES: Record<Mode, Sizes> = {
  full: { durationS: 10, warmupS: 1, runs: 3, agents: 10_000, memoryAgents: 100_000, recoveryEvents: 1_000_000, recoveryAgents: 10_000, streamClients: 100, streamChanges: 60 },
  quick: { durationS: 2, warmupS: 1, runs: 3, agents: 10_000, memoryAgents: 50_000, recoveryEvents: 200_000, recoveryAgents: 10_000, streamClients: 100, streamChanges: 20 },
  tiny: { durationS: 0.5, warmupS: 0, runs: 1, agents: 300, memoryAgents: 2_000, recoveryEvents: 5_000, recoveryAgents: 300, streamClients: 5, streamChanges: 5 },
};

/** One measured key: the value, its target and how it was obtained. */
export interface KeyResult {
  value: number;
  target?: string;
  /** The measure and its baseline (medians), with units. */
  measure?: { value: number; unit: string; runs: number[] };
  baseline?: { value: number; unit: string; runs: number[]; what: string };
  /** The same ratio in requests per CPU-second of each server (steadier on a shared machine). */
  cpuRatio?: number;
  notes?: string;
}

export interface Context {
  mode: Mode;
  sizes: Sizes;
  runner: Runner;
  tmp: string;
  log(msg: string): void;
  /** Records a key of the results file. */
  record(key: string, result: KeyResult): void;
  /** Records an extra figure that is not one of the keys. */
  extra(key: string, value: unknown): void;
  /** Runs autocannon in a separate process. */
  load(spec: Omit<LoadSpec, 'durationS' | 'warmupS'> & Partial<Pick<LoadSpec, 'durationS' | 'warmupS'>>): Promise<LoadResult>;
}

export function makeTmp(): string {
  const dir = join(ROOT, 'bench', 'tmp');
  mkdirSync(dir, { recursive: true });
  return dir;
}

export function loadRunner(sizes: Sizes) {
  return async (spec: Omit<LoadSpec, 'durationS' | 'warmupS'> & Partial<Pick<LoadSpec, 'durationS' | 'warmupS'>>): Promise<LoadResult> => {
    const full: LoadSpec = { durationS: sizes.durationS, warmupS: sizes.warmupS, ...spec };
    const r = await runJson<LoadResult>(spawnTs('bench/lib/load-client.ts', [specFile(full)]), 'load client');
    if (r.ok === 0) throw new Error(`load run got no 2xx answer (non2xx ${r.non2xx}, errors ${r.errors}) from ${spec.url}`);
    return r;
  };
}

/** A load run plus the server's CPU time over it: requests per CPU-second. */
export async function loadWithCpu(ctx: Context, pid: number | undefined, spec: Parameters<Context['load']>[0]): Promise<LoadResult & { perCpuS: number | undefined }> {
  const c0 = cpuMs(pid);
  const r = await ctx.load(spec);
  const c1 = cpuMs(pid);
  const perCpuS = c0 !== undefined && c1 !== undefined && c1 > c0 ? ((r.ok + r.warmupOk) * 1000) / (c1 - c0) : undefined;
  return { ...r, perCpuS };
}

let specs = 0;
/** Writes a child's JSON spec to a file (argv strings are limited to 128 KiB). */
export function specFile(spec: unknown): string {
  const file = join(makeTmp(), `spec-${process.pid}-${specs++}.json`);
  writeFileSync(file, JSON.stringify(spec));
  return file;
}

/** Reads a spec written by {@link specFile}. */
export function readSpec<T>(file: string): T {
  return JSON.parse(readFileSync(file, 'utf8')) as T;
}

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const n = s.length;
  if (n === 0) return NaN;
  return n % 2 === 1 ? s[(n - 1) / 2]! : (s[n / 2 - 1]! + s[n / 2]!) / 2;
}

export function round(x: number, digits = 3): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}
