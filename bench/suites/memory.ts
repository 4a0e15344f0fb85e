/** `memory_bytes_per_agent`: growth of heapUsed + external per agent after GC. */
import { median, round, specFile, type Context } from '../lib/context.js';
import { runJson, spawnTs } from '../lib/proc.js';
import { removeDir, tempDir } from '../lib/service.js';

interface MemoryResult {
  agents: number;
  listed: number;
  bytesPerAgent: number;
  heapPerAgent: number;
  externalPerAgent: number;
}

export async function memorySuite(ctx: Context): Promise<void> {
  const runs: MemoryResult[] = [];
  // Heap figures after GC barely vary between runs; two runs catch an outlier.
  for (let i = 0; i < (ctx.mode === 'full' ? 2 : 1); i++) {
    const dataDir = tempDir('agentview-bench-mem-');
    try {
      const r = await runJson<MemoryResult>(
        spawnTs('bench/lib/memory-child.ts', [specFile({ agents: ctx.sizes.memoryAgents, dataDir })], { nodeArgs: ['--expose-gc'] }),
        'memory child',
      );
      if (r.listed !== r.agents) throw new Error(`memory run listed ${r.listed} of ${r.agents} agents`);
      runs.push(r);
      ctx.log(`  memory run ${i + 1}: ${r.bytesPerAgent.toFixed(0)} B/agent (heap ${r.heapPerAgent.toFixed(0)}, external ${r.externalPerAgent.toFixed(0)})`);
    } finally {
      removeDir(dataDir);
    }
  }
  const values = runs.map((r) => r.bytesPerAgent);
  ctx.record('memory_bytes_per_agent', {
    value: round(median(values), 0),
    measure: { value: round(median(values), 0), unit: 'bytes/agent', runs: values.map((x) => round(x, 0)) },
    notes: `${ctx.sizes.memoryAgents} agents with 3 skills, full profiles, every record read once; heap ${round(median(runs.map((r) => r.heapPerAgent)), 0)} + external ${round(median(runs.map((r) => r.externalPerAgent)), 0)} B/agent`,
  });
}
