/**
 * `status_query_ratio`, `status_page1000_ratio` and summary req/s: Agent
 * Status over a 10,000-agent account while a writer ingests 100 events/s into
 * it, against a bare `node:http` server answering the same bytes.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadWithCpu, median, round, type Context } from '../lib/context.js';
import { accountData, STATUS_FILTER, Writer } from '../lib/dataset.js';
import { ADMIN_TOKEN, spawnTs, waitForOutput } from '../lib/proc.js';
import { ingestAll, removeDir, startService, type Service } from '../lib/service.js';

export const ACCOUNT = 'bench';
const STATUS_PATH = `/messaging_history/api/account/${ACCOUNT}/agent-view/status`;
const SUMMARY_PATH = `/messaging_history/api/account/${ACCOUNT}/agent-view/summary`;

/** Writes `perTick` events every 100 ms while `on`; counts what the server acknowledged. */
function startWriter(svc: Service, active: readonly string[], eventsPerSec: number) {
  const w = new Writer(active, `qw${Date.now().toString(36)}`);
  const perTick = Math.max(1, Math.round(eventsPerSec / 10));
  let on = false;
  let sent = 0;
  let failed = 0;
  let inFlight = false;
  const timer = setInterval(() => {
    if (!on || inFlight) return;
    inFlight = true;
    svc
      .post(`/api/account/${ACCOUNT}/events`, { events: w.next(perTick) })
      .then((r) => {
        if (r.status === 200) sent += perTick;
        else failed++;
      })
      .catch(() => failed++)
      .finally(() => (inFlight = false));
  }, 100);
  return {
    set(v: boolean) {
      on = v;
    },
    stats: () => ({ sent, failed }),
    stop: () => clearInterval(timer),
  };
}

async function baselineServer(ctx: Context, mode: 'string' | 'buffer', file: string) {
  const child = spawnTs('bench/lib/http-baseline.ts', [mode, file]);
  const m = await waitForOutput(child, /listening (\d+)/);
  return { url: `http://127.0.0.1:${m[1]!}/`, pid: child.proc.pid, stop: () => child.kill() };
}

export async function statusSuite(ctx: Context): Promise<void> {
  const svc = await startService(ctx.runner);
  const writerRate = 100;
  try {
    const data = accountData(ctx.sizes.agents, Date.now());
    ctx.log(`status: loading ${ctx.sizes.agents} agents (${data.events.length} events)`);
    await ingestAll(svc, ACCOUNT, data.events);
    const body = JSON.stringify(STATUS_FILTER);
    const headers = { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' };
    const writer = startWriter(svc, data.active, writerRate);
    try {
      for (const [key, limit, mode, target] of [
        ['status_query_ratio', 50, 'string', '≥ 0.5'],
        ['status_page1000_ratio', 1000, 'buffer', '≥ 0.6'],
      ] as const) {
        const path = `${STATUS_PATH}?limit=${limit}&sort=load:desc`;
        const sample = await svc.post(path, body);
        if (sample.status !== 200) throw new Error(`status query failed (${sample.status}): ${sample.text.slice(0, 300)}`);
        const parsed = JSON.parse(sample.text) as { _metadata: { count: number }; agentStatusRecords: unknown[] };
        const file = join(ctx.tmp, `status-${limit}.json`);
        writeFileSync(file, sample.text);
        const base = await baselineServer(ctx, mode, file);
        const svcRuns: number[] = [];
        const baseRuns: number[] = [];
        const svcCpu: number[] = [];
        const baseCpu: number[] = [];
        const p99s: number[] = [];
        try {
          for (let i = 0; i < ctx.sizes.runs; i++) {
            writer.set(true);
            const s = await loadWithCpu(ctx, svc.child.proc.pid, { url: svc.url + path, method: 'POST', headers, body, connections: 10 });
            writer.set(false);
            if (s.non2xx > 0) throw new Error(`status answered ${s.non2xx} non-2xx responses under load`);
            const b = await loadWithCpu(ctx, base.pid, { url: base.url, method: 'POST', headers, body, connections: 10 });
            svcRuns.push(s.rps);
            baseRuns.push(b.rps);
            if (s.perCpuS !== undefined && b.perCpuS !== undefined) {
              svcCpu.push(s.perCpuS);
              baseCpu.push(b.perCpuS);
            }
            p99s.push(s.p99);
            ctx.log(
              `  ${key} run ${i + 1}: agentview ${s.rps.toFixed(0)} req/s (p99 ${s.p99} ms, ${s.perCpuS?.toFixed(0) ?? '?'} per CPU-s), bare node:http ${b.rps.toFixed(0)} req/s (${b.perCpuS?.toFixed(0) ?? '?'} per CPU-s)`,
            );
          }
        } finally {
          await base.stop();
        }
        const m = median(svcRuns);
        const bm = median(baseRuns);
        ctx.record(key, {
          value: round(m / bm),
          target,
          measure: { value: round(m, 0), unit: 'req/s', runs: svcRuns.map((x) => round(x, 0)) },
          baseline: {
            value: round(bm, 0),
            unit: 'req/s',
            runs: baseRuns.map((x) => round(x, 0)),
            what: `bare node:http res.end(${mode}) of the same ${sample.text.length} bytes`,
          },
          ...(svcCpu.length > 0 ? { cpuRatio: round(median(svcCpu) / median(baseCpu)) } : {}),
          notes: `${parsed._metadata.count} of ${ctx.sizes.agents} agents match; ${parsed.agentStatusRecords.length} records, ${Buffer.byteLength(sample.text)} bytes; p99 ${median(p99s)} ms; writer ${writerRate} events/s`,
        });
      }
      const probe = await svc.post(SUMMARY_PATH, body);
      if (probe.status === 200) {
        const file = join(ctx.tmp, 'summary.json');
        writeFileSync(file, probe.text);
        const base = await baselineServer(ctx, 'string', file);
        const runs: number[] = [];
        const baseRuns: number[] = [];
        try {
          // An extra, not a key: one pair of runs outside the full mode.
          for (let i = 0; i < (ctx.mode === 'full' ? ctx.sizes.runs : 1); i++) {
            writer.set(true);
            runs.push((await ctx.load({ url: svc.url + SUMMARY_PATH, method: 'POST', headers, body, connections: 10 })).rps);
            writer.set(false);
            baseRuns.push((await ctx.load({ url: base.url, method: 'POST', headers, body, connections: 10 })).rps);
          }
        } finally {
          await base.stop();
        }
        ctx.extra('summary_rps', round(median(runs), 0));
        ctx.extra('summary_ratio', round(median(runs) / median(baseRuns)));
        ctx.log(`  summary: ${median(runs).toFixed(0)} req/s, bare ${median(baseRuns).toFixed(0)} req/s`);
      } else {
        ctx.log(`  summary route not present (${probe.status}): skipped`);
      }
    } finally {
      writer.stop();
      const ws = writer.stats();
      ctx.extra('status_writer', { eventsAcknowledged: ws.sent, failedBatches: ws.failed });
      if (ws.failed > 0) ctx.log(`  writer: ${ws.failed} batches failed`);
    }
  } finally {
    await svc.stop();
    removeDir(svc.dataDir);
  }
}
