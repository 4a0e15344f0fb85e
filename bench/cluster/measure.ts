/**
 * Cluster ingest throughput, as a ratio to the same machine's raw JetStream
 * ceiling measured in the same run (these machines are shared and noisy):
 *
 * - measure: events/s acknowledged by `POST /events` spread over several
 *   agentview servers in cluster mode (a private NATS cluster, R3 stream);
 * - baseline: events/s of publishing the same batch bytes straight to an R3
 *   stream on the same NATS cluster, awaiting each ack, with the same number
 *   of batches in flight;
 * - for the docs: events/s of one embedded (SQLite) server under the same load.
 *
 * Every server and load generator is its own process; runs are interleaved
 * (cluster, raw, embedded) so noise hits all three alike; medians are reported.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, startNatsCluster } from '../../test/helpers/nats.js';
import type { LoadResult, LoadSpec } from './load.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const TOKEN = 'bench-cluster-admin-token-0123456789';

export interface ClusterIngestOptions {
  durationS: number;
  warmupS: number;
  runs: number;
  /** agentview servers in the cluster (default 3). */
  servers?: number;
  /** NATS nodes (default 3; the stream has min(3, nodes) replicas). */
  nodes?: number;
  /** Batches in flight, in total (default 12). */
  concurrency?: number;
  /** Events per batch (default 100). */
  batch?: number;
  /** `dist` runs `node dist/server.js` (build first), `tsx` runs the sources. */
  runner?: 'dist' | 'tsx';
  log?: (msg: string) => void;
}

export interface Series {
  eventsPerSec: number;
  runs: number[];
}

export interface ClusterIngestResult {
  /** cluster events/s ÷ raw JetStream events/s (medians). */
  ratio: number;
  cluster: Series;
  raw: Series;
  embedded: Series;
  /** embedded events/s ÷ cluster events/s. */
  embeddedOverCluster: number;
  setup: string;
}

interface Server {
  url: string;
  proc: ChildProcess;
  dataDir: string;
  output: () => string;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
}

async function startServer(runner: 'dist' | 'tsx', env: Record<string, string>): Promise<Server> {
  const port = await freePort();
  const dataDir = mkdtempSync(join(tmpdir(), 'agentview-bench-cluster-'));
  const entry = runner === 'dist' ? ['dist/server.js'] : ['--import', 'tsx', 'src/server.ts'];
  const proc = spawn(process.execPath, entry, {
    cwd: ROOT,
    env: {
      ...process.env,
      PORT: String(port),
      HOST: '127.0.0.1',
      AGENTVIEW_DEMO: '0',
      AGENTVIEW_ADMIN_TOKEN: TOKEN,
      AGENTVIEW_DATA_DIR: dataDir,
      AGENTVIEW_LOG_LEVEL: 'warn',
      AGENTVIEW_RATE_LIMIT_RPS: '1000000',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const keep = (d: Buffer) => {
    out = (out + d.toString()).slice(-20_000);
  };
  proc.stdout?.on('data', keep);
  proc.stderr?.on('data', keep);
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 120_000;
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`agentview exited during start:\n${out}`);
    try {
      const res = await fetch(`${url}/readyz`);
      await res.arrayBuffer();
      if (res.status === 200) return { url, proc, dataDir, output: () => out };
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      proc.kill('SIGKILL');
      throw new Error(`agentview not ready in time:\n${out}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function stopServer(s: Server): Promise<void> {
  if (s.proc.exitCode === null) {
    const done = new Promise((r) => s.proc.once('exit', r));
    s.proc.kill('SIGTERM');
    await done;
  }
  rmSync(s.dataDir, { recursive: true, force: true });
}

function runLoad(spec: LoadSpec): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'bench/cluster/load.ts'), JSON.stringify(spec)], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    proc.stdout.on('data', (d: Buffer) => (out += d.toString()));
    proc.stderr.on('data', (d: Buffer) => (err += d.toString()));
    proc.on('exit', (code) => {
      const line = out.trim().split('\n').at(-1) ?? '';
      try {
        if (code !== 0) throw new Error(`exit ${code}`);
        resolve(JSON.parse(line) as LoadResult);
      } catch (e) {
        reject(new Error(`load generator failed (${String(e)}): ${err.slice(-2000)}`));
      }
    });
  });
}

export async function measureClusterIngest(options: ClusterIngestOptions): Promise<ClusterIngestResult> {
  const log = options.log ?? (() => undefined);
  const runner = options.runner ?? 'tsx';
  const nodes = options.nodes ?? 3;
  const replicas = Math.min(3, nodes);
  const serverCount = options.servers ?? 3;
  const concurrency = options.concurrency ?? 12;
  const batch = options.batch ?? 100;
  const nats = await startNatsCluster(nodes);
  const servers: Server[] = [];
  try {
    const clusterEnv = { AGENTVIEW_STORE: 'jetstream', AGENTVIEW_NATS_URL: nats.url, AGENTVIEW_NATS_REPLICAS: String(replicas) };
    for (let i = 0; i < serverCount; i++) servers.push(await startServer(runner, clusterEnv));
    const embedded = await startServer(runner, { AGENTVIEW_STORE: 'sqlite' });
    servers.push(embedded);
    const cluster = servers.slice(0, serverCount);
    const common = { concurrency, batch, durationS: options.durationS, warmupS: options.warmupS, token: TOKEN, account: 'bench' };
    const runs = { cluster: [] as number[], raw: [] as number[], embedded: [] as number[] };
    for (let i = 0; i < options.runs; i++) {
      const c = await runLoad({ kind: 'http', urls: cluster.map((s) => s.url), prefix: `c${i}`, ...common });
      const r = await runLoad({ kind: 'jetstream', urls: nats.urls, prefix: `r${i}`, stream: 'bench_raw', replicas, ...common });
      const e = await runLoad({ kind: 'http', urls: [embedded.url], prefix: `e${i}`, ...common });
      for (const [name, res] of [['cluster', c], ['raw JetStream', r], ['embedded', e]] as const) {
        if (res.failures > 0) throw new Error(`${name} run ${i + 1}: ${res.failures} failed requests`);
      }
      runs.cluster.push(Math.round(c.eventsPerSec));
      runs.raw.push(Math.round(r.eventsPerSec));
      runs.embedded.push(Math.round(e.eventsPerSec));
      log(`  cluster run ${i + 1}: agentview cluster ${Math.round(c.eventsPerSec)} events/s, raw JetStream ${Math.round(r.eventsPerSec)}, embedded ${Math.round(e.eventsPerSec)}`);
    }
    const cm = median(runs.cluster);
    const rm = median(runs.raw);
    const em = median(runs.embedded);
    return {
      ratio: Math.round((cm / rm) * 1000) / 1000,
      cluster: { eventsPerSec: cm, runs: runs.cluster },
      raw: { eventsPerSec: rm, runs: runs.raw },
      embedded: { eventsPerSec: em, runs: runs.embedded },
      embeddedOverCluster: Math.round((em / cm) * 100) / 100,
      setup: `${serverCount} agentview servers (${runner}) on a ${nodes}-node NATS cluster, R${replicas} file stream; ${concurrency} batches of ${batch} events in flight; ${options.durationS} s per run after ${options.warmupS} s warm-up; all on this machine`,
    };
  } finally {
    for (const s of servers) await stopServer(s).catch(() => undefined);
    await nats.stop();
  }
}

/** `node --import tsx bench/cluster/measure.ts [seconds] [runs]`: prints the result as JSON. */
if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const durationS = Number(process.argv[2] ?? 5);
  const runs = Number(process.argv[3] ?? 3);
  const result = await measureClusterIngest({ durationS, warmupS: 1, runs, log: (m) => process.stderr.write(m + '\n') });
  process.stdout.write(JSON.stringify(result, null, 2) + '\n');
}
