/**
 * History query time (spec 4.3, 4.4) for a month of 1,000 agents, through
 * the history helper's `bench/history.ts`: the index is built in the
 * embedded store, then each query is timed (median of several runs, wall
 * and CPU). Recorded as the extra `history`.
 */
import { benchHistory } from '../history.js';
import type { Context } from '../lib/context.js';

const SIZE = { full: { agents: 1000, days: 31 }, quick: { agents: 1000, days: 7 }, tiny: { agents: 20, days: 3 } } as const;

export async function run(ctx: Context): Promise<void> {
  const size = SIZE[ctx.mode];
  const r = await benchHistory({ ...size, runs: ctx.mode === 'full' ? 5 : 1, log: (l) => ctx.log(`  ${l}`) });
  ctx.extra('history', {
    agents: r.agents,
    days: r.days,
    events: r.events,
    segments: r.segments,
    buildMs: Math.round(r.buildMs),
    queries: Object.fromEntries(r.results.map((q) => [q.name, { medianMs: q.medianMs, medianCpuMs: q.medianCpuMs, items: q.items }])),
  });
}
