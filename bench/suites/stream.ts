/**
 * `stream_latency_ratio`: p99 from ingest acknowledgement to the SSE `upsert`
 * received, 100 clients, ≥ 1000 samples ÷ the same from a bare `node:http`
 * SSE server broadcasting the same bytes. Emitted only when the service has
 * the stream route (spec 4.1).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { median, round, specFile, type Context } from '../lib/context.js';
import { accountData } from '../lib/dataset.js';
import { ADMIN_TOKEN, runJson, spawnTs, waitForOutput } from '../lib/proc.js';
import { ingestAll, removeDir, startService, type Service } from '../lib/service.js';
import type { SseSpec } from '../lib/sse-client.js';

const ACCOUNT = 'bench-stream';
const STREAM_PATH = `/api/account/${ACCOUNT}/agent-view/stream`;
const auth = { authorization: `Bearer ${ADMIN_TOKEN}` };

/** Reads the stream until the first `upsert` after making one change; returns its data. */
async function sampleUpsert(svc: Service, body: string): Promise<string | undefined> {
  const ac = new AbortController();
  const res = await fetch(svc.url + STREAM_PATH, { headers: { ...auth, accept: 'text/event-stream' }, signal: ac.signal });
  if (res.status !== 200 || !res.body) {
    ac.abort();
    return undefined;
  }
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  let buf = '';
  let posted = false;
  const deadline = Date.now() + 10_000;
  try {
    while (Date.now() < deadline) {
      const { value, done } = await reader.read();
      if (done) return undefined;
      buf += value;
      if (!posted && buf.includes('event: snapshot')) {
        posted = true;
        await svc.post(`/api/account/${ACCOUNT}/events`, body);
      }
      const m = /event: upsert\n(?:id: \d+\n)?data: (.*)\n\n/.exec(buf) ?? /id: \d+\nevent: upsert\ndata: (.*)\n\n/.exec(buf);
      if (m) return m[1];
    }
    return undefined;
  } finally {
    ac.abort();
  }
}

export async function streamSuite(ctx: Context): Promise<void> {
  const svc = await startService(ctx.runner);
  try {
    const data = accountData(Math.max(100, ctx.sizes.streamClients), Date.now(), 5, { conversations: false });
    await ingestAll(svc, ACCOUNT, data.events);
    const probe = new AbortController();
    const res = await fetch(svc.url + STREAM_PATH, { headers: { ...auth, accept: 'text/event-stream' }, signal: probe.signal }).catch(() => undefined);
    probe.abort();
    if (!res || res.status === 404) {
      ctx.log(`  stream route not present (${res?.status ?? 'no answer'}): stream_latency_ratio not emitted`);
      return;
    }
    // A new away reason every time, so every change really changes a record (and is pushed).
    const bodies = (run: number) =>
      Array.from({ length: ctx.sizes.streamChanges }, (_, c) =>
        JSON.stringify({ events: [{ type: 'agent.statusChanged', agentId: data.active[c % data.active.length]!, status: 'AWAY', reasonId: `r${run}-${c}` }] }),
      );
    const upsert = await sampleUpsert(svc, JSON.stringify({ events: [{ type: 'agent.statusChanged', agentId: data.active[0]!, status: 'AWAY', reasonId: '99' }] }));
    if (upsert === undefined) throw new Error('the stream sent no upsert after a change');
    const sampleFile = join(ctx.tmp, 'upsert.json');
    writeFileSync(sampleFile, upsert);
    const base = spawnTs('bench/lib/sse-baseline.ts', [sampleFile]);
    const port = (await waitForOutput(base, /listening (\d+)/))[1]!;
    const svcP99: number[] = [];
    const baseP99: number[] = [];
    const notes: string[] = [];
    try {
      for (let i = 0; i < ctx.sizes.runs; i++) {
        const common = { headers: auth, clients: ctx.sizes.streamClients, changes: ctx.sizes.streamChanges, bodies: bodies(i), gapMs: 20 };
        const s = await runJson<{ samples: number; missing: number; p50: number; p99: number }>(
          spawnTs('bench/lib/sse-client.ts', [specFile({ ...common, streamUrl: svc.url + STREAM_PATH, changeUrl: `${svc.url}/api/account/${ACCOUNT}/events` } satisfies SseSpec)]),
          'sse client',
        );
        const b = await runJson<{ samples: number; missing: number; p50: number; p99: number }>(
          spawnTs('bench/lib/sse-client.ts', [specFile({ ...common, streamUrl: `http://127.0.0.1:${port}/`, changeUrl: `http://127.0.0.1:${port}/` } satisfies SseSpec)]),
          'sse client (baseline)',
        );
        if (s.missing > 0) throw new Error(`${s.missing} of ${s.samples + s.missing} upserts never arrived`);
        svcP99.push(s.p99);
        baseP99.push(b.p99);
        notes.push(`${s.samples} samples, p50 ${s.p50.toFixed(2)} ms (bare ${b.p50.toFixed(2)} ms)`);
        ctx.log(`  stream run ${i + 1}: p99 ${s.p99.toFixed(2)} ms (p50 ${s.p50.toFixed(2)}), bare node:http p99 ${b.p99.toFixed(2)} ms (p50 ${b.p50.toFixed(2)})`);
      }
    } finally {
      await base.kill();
    }
    const m = median(svcP99);
    const bm = median(baseP99);
    ctx.record('stream_latency_ratio', {
      value: round(m / bm),
      measure: { value: round(m), unit: 'ms p99', runs: svcP99.map((x) => round(x)) },
      baseline: { value: round(bm), unit: 'ms p99', runs: baseP99.map((x) => round(x)), what: `bare node:http SSE broadcast to ${ctx.sizes.streamClients} clients` },
      notes: notes.join('; '),
    });
  } finally {
    await svc.stop();
    removeDir(svc.dataDir);
  }
}
