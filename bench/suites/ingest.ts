/**
 * `ingest_ratio`: durable events/s through `POST /events` (batches of 100,
 * 4 concurrent clients) ÷ raw better-sqlite3 inserting the same event bytes
 * in transactions of 100 with the same `synchronous`.
 */
import { median, round, specFile, type Context } from '../lib/context.js';
import { accountData, Writer } from '../lib/dataset.js';
import { ADMIN_TOKEN, freePort, runJson, sleep, spawnTs, waitForOutput } from '../lib/proc.js';
import { ingestAll, removeDir, serviceEnv, startService, tempDir } from '../lib/service.js';

const ACCOUNT = 'bench-ingest';
const BATCH = 100;

export async function ingestSuite(ctx: Context): Promise<void> {
  const synchronous = 'full';
  const svc = await startService(ctx.runner, { env: { AGENTVIEW_SQLITE_SYNC: synchronous } });
  try {
    const data = accountData(ctx.sizes.agents, Date.now());
    await ingestAll(svc, ACCOUNT, data.events);
    // The bytes the service stores per event: the normalised event with its time and seq.
    const sample = new Writer(data.active, 'raw').next(BATCH * 10);
    const now = Date.now();
    const rows = sample.map((e, i) => JSON.stringify({ ...e, time: now + i, seq: 100_000 + i }));
    const headers = { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' };
    const svcRuns: number[] = [];
    const baseRuns: number[] = [];
    const p99s: number[] = [];
    for (let i = 0; i < ctx.sizes.runs; i++) {
      const s = await ctx.load({
        url: `${svc.url}/api/account/${ACCOUNT}/events`,
        method: 'POST',
        headers,
        connections: 4,
        ingest: { active: data.active, batch: BATCH, prefix: `r${i}` },
      });
      if (s.non2xx > 0) throw new Error(`ingest answered ${s.non2xx} non-2xx responses under load`);
      const b = await runJson<{ rowsPerSec: number }>(
        spawnTs('bench/lib/sqlite-baseline.ts', [specFile({ dir: ctx.tmp, synchronous, batch: BATCH, durationS: ctx.sizes.durationS, events: rows })]),
        'sqlite baseline',
      );
      svcRuns.push(s.rps * BATCH);
      baseRuns.push(b.rowsPerSec);
      p99s.push(s.p99);
      ctx.log(`  ingest run ${i + 1}: agentview ${(s.rps * BATCH).toFixed(0)} events/s (p99 ${s.p99} ms), raw sqlite ${b.rowsPerSec.toFixed(0)} rows/s`);
    }
    const m = median(svcRuns);
    const bm = median(baseRuns);
    ctx.record('ingest_ratio', {
      value: round(m / bm),
      target: '≥ 0.5',
      measure: { value: round(m, 0), unit: 'events/s', runs: svcRuns.map((x) => round(x, 0)) },
      baseline: {
        value: round(bm, 0),
        unit: 'rows/s',
        runs: baseRuns.map((x) => round(x, 0)),
        what: `raw better-sqlite3, WAL, synchronous=${synchronous}, transactions of ${BATCH}`,
      },
      notes: `batches of ${BATCH} events with unique eventIds, 4 connections; p99 ${median(p99s)} ms per batch`,
    });
    if (ctx.mode === 'full') await groupCommit(ctx, data.active, headers);
  } finally {
    await svc.stop();
    removeDir(svc.dataDir);
  }
}

/** How many requests one commit carries under the same load (an instrumented server from source). */
async function groupCommit(ctx: Context, active: string[], headers: Record<string, string>): Promise<void> {
  const port = await freePort();
  const dataDir = tempDir('agentview-bench-gc-');
  const child = spawnTs('bench/lib/instrumented-server.ts', [], { env: serviceEnv(port, dataDir) });
  try {
    const url = (await waitForOutput(child, /listening (\S+)/))[1]!;
    child.proc.kill('SIGUSR2');
    await sleep(50);
    const r = await ctx.load({ url: `${url}/api/account/${ACCOUNT}/events`, method: 'POST', headers, connections: 4, warmupS: 0, ingest: { active, batch: BATCH, prefix: 'gc' } });
    child.proc.kill('SIGTERM');
    await child.exited;
    const lines = child.stdout().trim().split('\n');
    const stats = JSON.parse(lines[lines.length - 1]!) as { commits: number; events: number };
    const requests = r.ok + r.non2xx;
    ctx.extra('ingest_group_commit', {
      requests,
      commits: stats.commits,
      requestsPerCommit: round(requests / Math.max(1, stats.commits), 2),
      eventsPerCommit: round(stats.events / Math.max(1, stats.commits), 1),
    });
    ctx.log(`  group commit: ${requests} requests in ${stats.commits} commits (${(requests / Math.max(1, stats.commits)).toFixed(2)} per commit)`);
  } finally {
    await child.kill('SIGKILL');
    removeDir(dataDir);
  }
}
