/**
 * Bench plugin: `cluster_ingest_ratio` (target ≥ 0.5), cluster-mode ingest
 * events/s ÷ raw JetStream publishes of the same batches (see
 * bench/cluster/measure.ts), plus the embedded mode's events/s under the same
 * load for docs/cluster.md.
 */
import { measureClusterIngest } from '../cluster/measure.js';

/** What this plugin uses of the bench harness's context (structurally). */
export interface ClusterBenchContext {
  mode: 'full' | 'quick' | 'tiny';
  sizes: { durationS: number; warmupS: number; runs: number };
  runner: 'dist' | 'tsx';
  log(msg: string): void;
  record(
    key: string,
    result: {
      value: number;
      target?: string;
      measure?: { value: number; unit: string; runs: number[] };
      baseline?: { value: number; unit: string; runs: number[]; what: string };
      notes?: string;
    },
  ): void;
  extra(key: string, value: unknown): void;
}

export async function run(ctx: ClusterBenchContext): Promise<void> {
  const tiny = ctx.mode === 'tiny';
  const r = await measureClusterIngest({
    durationS: Math.max(ctx.sizes.durationS, 1),
    warmupS: ctx.sizes.warmupS,
    runs: ctx.sizes.runs,
    nodes: tiny ? 1 : 3,
    servers: tiny ? 1 : 3,
    runner: ctx.runner,
    log: (m) => ctx.log(m),
  });
  ctx.record('cluster_ingest_ratio', {
    value: r.ratio,
    target: '≥ 0.5',
    measure: { value: r.cluster.eventsPerSec, unit: 'events/s', runs: r.cluster.runs },
    baseline: { value: r.raw.eventsPerSec, unit: 'events/s', runs: r.raw.runs, what: 'raw JetStream publishes of the same batch bytes, same R, same batches in flight' },
    notes: r.setup,
  });
  ctx.extra('cluster_ingest', { embeddedEventsPerSec: r.embedded.eventsPerSec, embeddedRuns: r.embedded.runs, embeddedOverCluster: r.embeddedOverCluster });
}
