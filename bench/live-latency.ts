/**
 * Live push latency: how long after an ingest is acknowledged its change
 * reaches SSE clients (spec 4.1: "within milliseconds").
 *
 * The server runs in a child process (so the clients' parsing does not share
 * its event loop); `clients` streams follow one account; events are ingested
 * one at a time, each changing one agent's status, and every client's
 * arrival time of the matching `upsert` (by seq) is compared with the time
 * the ingest answer arrived (ack → upsert) and the time it was sent
 * (send → upsert). All times are taken in this process.
 *
 *   npx tsx bench/live-latency.ts [--clients 100] [--events 300] [--agents 1000] [--store sqlite|memory]
 *
 * `runLiveLatency()` is the same measurement for a benchmark harness.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface LiveLatencyOptions {
  clients?: number;
  events?: number;
  agents?: number;
  store?: 'sqlite' | 'memory';
  /** Events sent before measuring (warm-up), not counted. */
  warmup?: number;
  log?: (line: string) => void;
}

export interface Percentiles {
  count: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  mean: number;
}

export interface LiveLatencyResult {
  clients: number;
  events: number;
  agents: number;
  store: string;
  /** ms from the ingest answer's arrival to the upsert's arrival (negative: the push came first). */
  ackToUpsertMs: Percentiles;
  /** ms from sending the ingest request to the upsert's arrival. */
  sendToUpsertMs: Percentiles;
  /** ms from sending the ingest request to its answer. */
  ingestMs: Percentiles;
  /** Upserts expected but never seen (should be 0). */
  missing: number;
}

const TOKEN = 'bench-admin-token-0123456789';
const ACCOUNT = 'bench';

function percentiles(xs: number[]): Percentiles {
  const s = [...xs].sort((a, b) => a - b);
  const at = (q: number) => (s.length === 0 ? NaN : s[Math.min(s.length - 1, Math.floor(q * s.length))]!);
  const round = (x: number) => Math.round(x * 1000) / 1000;
  return {
    count: s.length,
    p50: round(at(0.5)),
    p90: round(at(0.9)),
    p99: round(at(0.99)),
    max: round(s.at(-1) ?? NaN),
    mean: round(s.reduce((a, b) => a + b, 0) / Math.max(1, s.length)),
  };
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

async function waitReady(base: string, child: ChildProcess): Promise<void> {
  for (let i = 0; i < 300; i++) {
    if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode}`);
    try {
      const r = await fetch(`${base}/readyz`);
      if (r.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('server did not become ready');
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });

function post(base: string, path: string, body: unknown): Promise<{ status: number; json: { lastSeq?: number } }> {
  const data = JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = http.request(
      `${base}${path}`,
      { method: 'POST', agent, headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json', 'content-length': Buffer.byteLength(data) } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, json: JSON.parse(Buffer.concat(chunks).toString() || '{}') as { lastSeq?: number } }));
      },
    );
    req.on('error', reject);
    req.end(data);
  });
}

/** A minimal SSE reader that reports the arrival time of each upsert by seq. */
function follow(base: string, onUpsert: (seq: number, at: number) => void): Promise<{ close(): void }> {
  return new Promise((resolve, reject) => {
    const req = http.get(`${base}/api/account/${ACCOUNT}/agent-view/stream`, { headers: { authorization: `Bearer ${TOKEN}` } }, (res) => {
      if (res.statusCode !== 200) {
        reject(new Error(`stream answered ${res.statusCode}`));
        return;
      }
      res.setEncoding('utf8');
      let buf = '';
      let snapshot = false;
      res.on('data', (chunk: string) => {
        const at = performance.now();
        buf += chunk;
        let i: number;
        while ((i = buf.indexOf('\n\n')) >= 0) {
          const block = buf.slice(0, i);
          buf = buf.slice(i + 2);
          if (block.includes('event: snapshot') && !snapshot) {
            snapshot = true;
            resolve({ close: () => req.destroy() });
          } else if (block.includes('event: upsert')) {
            const m = /^id: (\d+)$/m.exec(block);
            if (m) onUpsert(Number(m[1]), at);
          }
        }
      });
    });
    req.on('error', reject);
  });
}

export async function runLiveLatency(options: LiveLatencyOptions = {}): Promise<LiveLatencyResult> {
  const clients = options.clients ?? 100;
  const events = options.events ?? 300;
  const agents = options.agents ?? 1000;
  const store = options.store ?? 'sqlite';
  const warmup = options.warmup ?? 20;
  const log = options.log ?? (() => undefined);
  const port = await freePort();
  const dataDir = mkdtempSync(join(tmpdir(), 'agentview-bench-live-'));
  const root = fileURLToPath(new URL('..', import.meta.url));
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/server.ts'], {
    cwd: root,
    env: {
      ...process.env,
      PORT: String(port),
      HOST: '127.0.0.1',
      AGENTVIEW_DEMO: '0',
      AGENTVIEW_ADMIN_TOKEN: TOKEN,
      AGENTVIEW_DATA_DIR: dataDir,
      AGENTVIEW_STORE: store,
      AGENTVIEW_LOG_LEVEL: 'warn',
      AGENTVIEW_STREAM_MAX_CLIENTS: String(clients + 10),
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const base = `http://127.0.0.1:${port}`;
  const streams: { close(): void }[] = [];
  try {
    await waitReady(base, child);
    log(`server ready on ${base} (${store})`);
    for (let i = 0; i < agents; i += 1000) {
      const batch = [];
      for (let j = i; j < Math.min(agents, i + 1000); j++) {
        batch.push({ type: 'agent.upserted', agentId: String(j + 1), name: `Agent ${j + 1}`, groupId: (j % 5) + 1, skillIds: [String(j % 7)] });
        batch.push({ type: 'agent.loggedIn', agentId: String(j + 1) });
      }
      for (let k = 0; k < batch.length; k += 1000) await post(base, `/api/account/${ACCOUNT}/events`, { events: batch.slice(k, k + 1000) });
    }
    const arrivals = new Map<number, number[]>();
    for (let c = 0; c < clients; c++) {
      streams.push(
        await follow(base, (seq, at) => {
          let list = arrivals.get(seq);
          if (!list) arrivals.set(seq, (list = []));
          list.push(at);
        }),
      );
    }
    log(`${clients} streams connected`);
    const sent: { seq: number; send: number; ack: number }[] = [];
    // Every event really changes its agent (a repeated status would change nothing and push nothing).
    const cycle = ['AWAY', 'BACK_SOON', 'ONLINE'] as const;
    const step = new Map<string, number>();
    for (let i = 0; i < warmup + events; i++) {
      const id = String((i % agents) + 1);
      const n = step.get(id) ?? 0;
      step.set(id, n + 1);
      const status = cycle[n % cycle.length]!;
      const send = performance.now();
      const r = await post(base, `/api/account/${ACCOUNT}/events`, {
        events: [{ type: 'agent.statusChanged', agentId: id, status, ...(status === 'AWAY' ? { reasonId: '1' } : {}) }],
      });
      const ack = performance.now();
      if (r.status !== 200 || r.json.lastSeq === undefined) throw new Error(`ingest answered ${r.status}`);
      if (i >= warmup) sent.push({ seq: r.json.lastSeq, send, ack });
      // Let the pushes of this event land before the next one, as independent changes would.
      await new Promise((res) => setTimeout(res, 2));
    }
    // Wait (bounded) for the last pushes.
    const last = sent.at(-1)?.seq ?? 0;
    for (let i = 0; i < 200 && (arrivals.get(last)?.length ?? 0) < clients; i++) await new Promise((res) => setTimeout(res, 25));
    const ackTo: number[] = [];
    const sendTo: number[] = [];
    let missing = 0;
    for (const s of sent) {
      const at = arrivals.get(s.seq) ?? [];
      missing += Math.max(0, clients - at.length);
      for (const t of at) {
        ackTo.push(t - s.ack);
        sendTo.push(t - s.send);
      }
    }
    return {
      clients,
      events,
      agents,
      store,
      ackToUpsertMs: percentiles(ackTo),
      sendToUpsertMs: percentiles(sendTo),
      ingestMs: percentiles(sent.map((s) => s.ack - s.send)),
      missing,
    };
  } finally {
    for (const s of streams) s.close();
    agent.destroy();
    child.kill('SIGTERM');
    await new Promise((r) => (child.exitCode !== null ? r(undefined) : child.once('exit', r)));
    rmSync(dataDir, { recursive: true, force: true });
  }
}

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const num = (name: string) => (arg(name) !== undefined ? Number(arg(name)) : undefined);
  const store = arg('store');
  const result = await runLiveLatency({
    ...(num('clients') !== undefined ? { clients: num('clients')! } : {}),
    ...(num('events') !== undefined ? { events: num('events')! } : {}),
    ...(num('agents') !== undefined ? { agents: num('agents')! } : {}),
    ...(store === 'memory' || store === 'sqlite' ? { store } : {}),
    log: (l) => process.stderr.write(`${l}\n`),
  });
  const p = (x: Percentiles) => `p50 ${x.p50} ms, p90 ${x.p90} ms, p99 ${x.p99} ms, max ${x.max} ms (n=${x.count})`;
  process.stderr.write(
    [
      `live push latency: ${result.clients} clients, ${result.events} events, ${result.agents} agents, ${result.store} store`,
      `  ingest ack → SSE upsert: ${p(result.ackToUpsertMs)}`,
      `  ingest send → SSE upsert: ${p(result.sendToUpsertMs)}`,
      `  ingest round trip:        ${p(result.ingestMs)}`,
      `  missing upserts: ${result.missing}`,
      '',
    ].join('\n'),
  );
  process.stdout.write(JSON.stringify(result) + '\n');
}
