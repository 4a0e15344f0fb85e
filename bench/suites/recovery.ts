/**
 * `recovery_ratio`: restart to `/readyz` with N events in the log (after a
 * crash, the last snapshot some way back) ÷ merely iterating all rows of the
 * same log file. Also reported: a restart with no snapshot at all (full
 * replay) and after a graceful stop (final snapshot, no tail).
 */
import { copyFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { median, round, specFile, type Context } from '../lib/context.js';
import { runJson, spawnTs } from '../lib/proc.js';
import { removeDir, startService, tempDir } from '../lib/service.js';

export async function recoverySuite(ctx: Context): Promise<void> {
  const dataDir = tempDir('agentview-bench-rec-');
  const noSnapDir = tempDir('agentview-bench-rec-nosnap-');
  try {
    const n = ctx.sizes.recoveryEvents;
    const tail = Math.min(50_000, Math.floor(n / 20));
    ctx.log(`  recovery: writing ${n} events (snapshot ${tail} events before the end)`);
    const fill = await runJson<{ events: number; position: number; snapshotAt: number; fillMs: number }>(
      spawnTs('bench/lib/fill-log.ts', [specFile({ dataDir, events: n, agents: ctx.sizes.recoveryAgents, tail })]),
      'fill',
    );
    ctx.log(`  recovery: log written in ${(fill.fillMs / 1000).toFixed(1)} s (snapshot at ${fill.snapshotAt})`);
    const file = join(dataDir, 'agentview.db');
    // A copy without snapshots measures pure replay.
    {
      const db = new Database(file);
      db.pragma('wal_checkpoint(TRUNCATE)');
      db.close();
      copyFileSync(file, join(noSnapDir, 'agentview.db'));
      const c = new Database(join(noSnapDir, 'agentview.db'));
      c.exec('DELETE FROM snapshots');
      c.close();
    }
    const iterate: number[] = [];
    const crash: number[] = [];
    const catchUp: number[] = [];
    const replay: number[] = [];
    for (let i = 0; i < ctx.sizes.runs; i++) {
      const it = await runJson<{ rows: number; ms: number }>(spawnTs('bench/lib/iterate-baseline.ts', [file]), 'iterate');
      if (it.rows !== fill.position) throw new Error(`log has ${it.rows} rows, expected ${fill.position}`);
      iterate.push(it.ms);
      // At info level the server logs how long catching up with the log took.
      const svc = await startService(ctx.runner, { dataDir, env: { AGENTVIEW_LOG_LEVEL: 'info' } });
      crash.push(svc.readyMs);
      const line = /\{[^\n]*"msg":"caught up with the event log"[^\n]*\}/.exec(svc.child.stdout());
      const ms = line ? (JSON.parse(line[0]) as { ms?: number }).ms : undefined;
      if (ms !== undefined) catchUp.push(ms);
      await svc.stop('SIGKILL');
      ctx.log(`  recovery run ${i + 1}: restart ${crash[i]!.toFixed(0)} ms (catch-up ${catchUp[i]?.toFixed(0) ?? '?'} ms), iterate ${it.ms.toFixed(0)} ms`);
    }
    // Full replay (no snapshot) once: it is slow and only an extra.
    const full = await startService(ctx.runner, { dataDir: noSnapDir, readyTimeoutMs: 600_000 });
    replay.push(full.readyMs);
    await full.stop('SIGKILL');
    ctx.log(`  recovery: restart without any snapshot ${replay[0]!.toFixed(0)} ms`);
    // Graceful: SIGTERM writes a final snapshot; the next start has no tail.
    let gracefulMs = NaN;
    const boots: number[] = [];
    if (ctx.mode !== 'tiny') {
      const g = await startService(ctx.runner, { dataDir });
      await g.stop('SIGTERM');
      const graceful = await startService(ctx.runner, { dataDir });
      gracefulMs = graceful.readyMs;
      await graceful.stop('SIGKILL');
      // Boot alone: an empty data directory.
      const emptyDir = tempDir('agentview-bench-empty-');
      for (let i = 0; i < ctx.sizes.runs; i++) {
        const e = await startService(ctx.runner, { dataDir: emptyDir });
        boots.push(e.readyMs);
        await e.stop('SIGKILL');
      }
      removeDir(emptyDir);
    }
    const m = median(crash);
    const bm = median(iterate);
    ctx.record('recovery_ratio', {
      value: round(m / bm),
      measure: { value: round(m, 0), unit: 'ms to /readyz', runs: crash.map((x) => round(x, 0)) },
      baseline: { value: round(bm, 0), unit: 'ms', runs: iterate.map((x) => round(x, 0)), what: `iterating all ${fill.position} rows of the log` },
      notes: `restart after kill -9, last snapshot ${fill.position - fill.snapshotAt} events back; of which catching up with the log (snapshot load + tail replay) ${round(median(catchUp), 0)} ms; process boot alone (empty store) ${round(median(boots), 0)} ms`,
    });
    ctx.extra('recovery', {
      events: fill.position,
      tailEvents: fill.position - fill.snapshotAt,
      restartMs: round(m, 0),
      catchUpMs: round(median(catchUp), 0),
      catchUpRatio: round(median(catchUp) / bm),
      bootEmptyMs: round(median(boots), 0),
      noSnapshotRestartMs: round(median(replay), 0),
      noSnapshotRatio: round(median(replay) / bm),
      gracefulRestartMs: round(gracefulMs, 0),
      iterateMs: round(bm, 0),
      dataFileBytes: statSync(file).size,
    });
  } finally {
    removeDir(dataDir);
    removeDir(noSnapDir);
  }
}
