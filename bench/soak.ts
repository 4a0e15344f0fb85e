/**
 * Soak test: a real server process (embedded store) under a steady mix of
 * simulated ingest and Agent Status queries for N minutes, with a progress
 * bar; reports error counts, latency percentiles and memory (RSS) growth
 * after warm-up, and ends with a graceful SIGTERM.
 *
 *   npm run soak -- --minutes 10 [--accounts 4 --agents 500 --query-rps 25] [--report docs/soak.md]
 *   npm run soak -- --crash --cycles 50      # the crash harness, longer than in npm test
 */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { parseArgs } from 'node:util';
import cliProgress from 'cli-progress';
import { Simulator, SIM_SKILLS, SIM_GROUPS } from '../src/sim/index.js';
import { spawnServer, killHard, type ChildServer, type LogLine } from '../test/helpers/child-server.js';
import { runCrashHarness } from '../test/helpers/crash-harness.js';
import { ADMIN_TOKEN, tempDir } from '../test/helpers/server.js';

const { values: args } = parseArgs({
  options: {
    minutes: { type: 'string', default: '10' },
    accounts: { type: 'string', default: '4' },
    agents: { type: 'string', default: '500' },
    'query-rps': { type: 'string', default: '25' },
    'warmup-minutes': { type: 'string' },
    // Events written (to a separate account) before the measured run, so the data file starts
    // larger than the SQLite page cache, as on a server that has been running for a while.
    'prefill-events': { type: 'string', default: '150000' },
    // Snapshots every minute (the server's default is 5): a 10-minute run covers ten, and the
    // heap has grown to hold one before the warm-up ends.
    'snapshot-interval-ms': { type: 'string', default: '60000' },
    report: { type: 'string' },
    crash: { type: 'boolean', default: false },
    cycles: { type: 'string', default: '30' },
    seed: { type: 'string', default: '1' },
    // Extra Node options for the server process (e.g. "--max-old-space-size=256 --heapsnapshot-signal=SIGUSR2").
    'node-options': { type: 'string' },
  },
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}
const median = (xs: number[]) => percentile([...xs].sort((a, b) => a - b), 50);
const fmt = (ms: number) => (Number.isNaN(ms) ? 'n/a' : ms < 10 ? ms.toFixed(2) : ms.toFixed(1));
const mb = (bytes: number) => (bytes / 1024 / 1024).toFixed(1);

function rssOf(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const m = /VmRSS:\s+(\d+) kB/.exec(status);
  return m ? Number(m[1]) * 1024 : NaN;
}

async function crashMode(): Promise<void> {
  const dataDir = tempDir('agentview-crash-soak-');
  const cycles = Number(args.cycles);
  const bar = new cliProgress.SingleBar({ format: 'crash |{bar}| {value}/{total} kills | {msg}', noTTYOutput: true, notTTYSchedule: 5000 }, cliProgress.Presets.shades_classic);
  bar.start(cycles, 0, { msg: '' });
  try {
    const report = await runCrashHarness({
      dataDir,
      cycles,
      writers: 6,
      accounts: 3,
      minRunMs: 300,
      maxRunMs: 4000,
      seed: Number(args.seed),
      progress: (msg) => bar.increment(1, { msg }),
    });
    bar.stop();
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    process.exitCode = report.violations.length === 0 ? 0 : 1;
  } finally {
    bar.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

interface Stats {
  ingestRequests: number;
  ingestEvents: number;
  queries: number;
  scrapes: number;
  errors: Map<string, number>;
  ingestMs: number[];
  queryMs: number[];
  rss: { t: number; bytes: number }[];
  heap: { t: number; bytes: number }[];
  /** Per scrape: V8 heap reserved, memory outside the V8 heap (Buffers, native). */
  heapTotal: { t: number; bytes: number }[];
  external: { t: number; bytes: number }[];
}

async function soakMode(): Promise<void> {
  const minutes = Number(args.minutes);
  const durationMs = minutes * 60_000;
  const warmupMs = args['warmup-minutes'] !== undefined ? Number(args['warmup-minutes']) * 60_000 : Math.min(2 * 60_000, durationMs * 0.2);
  const accounts = Number(args.accounts);
  const agents = Number(args.agents);
  const queryRps = Number(args['query-rps']);
  const dataDir = tempDir('agentview-soak-');
  const stats: Stats = { ingestRequests: 0, ingestEvents: 0, queries: 0, scrapes: 0, errors: new Map(), ingestMs: [], queryMs: [], rss: [], heap: [], heapTotal: [], external: [] };
  const error = (kind: string) => stats.errors.set(kind, (stats.errors.get(kind) ?? 0) + 1);
  const load0 = loadavg();
  let server: ChildServer | undefined;
  const keep = (l: LogLine) => (l.level ?? 30) >= 40 || !['incoming request', 'request completed'].includes(l.msg ?? '');
  try {
    server = await spawnServer({
      dataDir,
      env: {
        AGENTVIEW_LOG_LEVEL: 'info',
        AGENTVIEW_SNAPSHOT_INTERVAL_MS: args['snapshot-interval-ms'],
        ...(args['node-options'] ? { NODE_OPTIONS: args['node-options'] } : {}),
      },
      retain: keep,
    });
    const url = server.url;
    const headers = { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' };
    const post = async (path: string, body: unknown, samples: number[], kind: string): Promise<unknown> => {
      const t0 = performance.now();
      try {
        const res = await fetch(url + path, { method: 'POST', headers, body: JSON.stringify(body), signal: AbortSignal.timeout(30_000) });
        const text = await res.text();
        samples.push(performance.now() - t0);
        if (!res.ok) {
          error(`${kind} HTTP ${res.status}`);
          return undefined;
        }
        return JSON.parse(text);
      } catch (e) {
        error(`${kind} ${(e as Error).name}`);
        return undefined;
      }
    };

    const prefill = Number(args['prefill-events']);
    for (let i = 0; i < prefill; i += 1000) {
      const events = Array.from({ length: Math.min(1000, prefill - i) }, (_, j) => ({
        type: 'agent.heartbeat',
        agentId: String(1 + ((i + j) % 1000)),
        eventId: `prefill-${i + j}`,
      }));
      await post('/api/account/soak-prefill/events', { events }, [], 'prefill');
    }

    // Catalog and log-ins, then a steady simulation per account.
    const sims: Simulator[] = [];
    for (let a = 0; a < accounts; a++) {
      const sim = new Simulator({ agents, seed: Number(args.seed) + a });
      sims.push(sim);
      const setup = sim.setup(Date.now());
      for (let i = 0; i < setup.length; i += 1000) await post(`/api/account/soak-${a}/events`, { events: setup.slice(i, i + 1000) }, [], 'setup');
    }

    const started = Date.now();
    const until = started + durationMs;
    let stopping = false;

    const ingestLoop = async (a: number) => {
      let last = Date.now();
      while (!stopping) {
        await sleep(250);
        const now = Date.now();
        const events = sims[a]!.tick(now, now - last);
        last = now;
        for (let i = 0; i < events.length; i += 1000) {
          const chunk = events.slice(i, i + 1000);
          const r = (await post(`/api/account/soak-${a}/events`, { events: chunk }, stats.ingestMs, 'ingest')) as { accepted: number } | undefined;
          stats.ingestRequests++;
          if (r) stats.ingestEvents += chunk.length;
        }
      }
    };

    const statuses = ['ONLINE', 'AWAY', 'BACK_SOON', 'OFFLINE'];
    const sorts = ['', 'load:desc', 'agentName:asc', 'currentStatusDuration:desc', 'start:asc,agentId:desc'];
    let q = 0;
    const queryOne = async () => {
      q++;
      const account = `soak-${q % accounts}`;
      const filter: Record<string, unknown> = {};
      if (q % 2 === 0) filter.status = [statuses[q % statuses.length], statuses[(q + 1) % statuses.length]];
      if (q % 3 === 0) filter.skillIds = [SIM_SKILLS[q % SIM_SKILLS.length]![0]];
      if (q % 5 === 0) filter.agentGroupIds = [SIM_GROUPS[q % SIM_GROUPS.length]![0]];
      const sort = sorts[q % sorts.length]!;
      const limit = [10, 50, 100, 500][q % 4]!;
      const offset = q % 7 === 0 ? 50 : 0;
      const path = `/messaging_history/api/account/${account}/agent-view/status?limit=${limit}&offset=${offset}${sort ? `&sort=${sort}` : ''}`;
      const r = await post(path, filter, stats.queryMs, 'query');
      stats.queries++;
      if (r && typeof (r as { _metadata?: unknown })._metadata !== 'object') error('query bad body');
    };
    const queryLoop = async () => {
      const interval = 1000 / queryRps;
      let next = Date.now();
      const inflight = new Set<Promise<void>>();
      while (!stopping) {
        next += interval;
        const p = queryOne().finally(() => inflight.delete(p));
        inflight.add(p);
        // Open loop at a steady rate, but never more than 50 outstanding.
        while (inflight.size >= 50) await Promise.race(inflight);
        const wait = next - Date.now();
        if (wait > 0) await sleep(wait);
        else next = Date.now();
      }
      await Promise.all(inflight);
    };

    const sampleLoop = async () => {
      while (!stopping) {
        const t = Date.now() - started;
        stats.rss.push({ t, bytes: rssOf(server!.pid) });
        try {
          const res = await fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
          const text = await res.text();
          stats.scrapes++;
          const gauge = (name: string) => {
            const m = new RegExp(`^${name} (\\S+)$`, 'm').exec(text);
            return m ? Number(m[1]) : undefined;
          };
          const used = gauge('nodejs_heap_size_used_bytes');
          const total = gauge('nodejs_heap_size_total_bytes');
          const external = gauge('nodejs_external_memory_bytes');
          if (used !== undefined) stats.heap.push({ t, bytes: used });
          if (total !== undefined) stats.heapTotal.push({ t, bytes: total });
          if (external !== undefined) stats.external.push({ t, bytes: external });
          if (!res.ok) error(`metrics HTTP ${res.status}`);
        } catch (e) {
          error(`metrics ${(e as Error).name}`);
        }
        await sleep(5000);
      }
    };

    const bar = new cliProgress.SingleBar(
      {
        format: 'soak |{bar}| {percentage}% | {value}s/{total}s | ingest {events} ev | queries {queries} | errors {errors} | rss {rss} MB',
        noTTYOutput: true,
        notTTYSchedule: 30_000,
      },
      cliProgress.Presets.shades_classic,
    );
    bar.start(Math.round(durationMs / 1000), 0, { events: 0, queries: 0, errors: 0, rss: '-' });
    const loops = [...sims.map((_, a) => ingestLoop(a)), queryLoop(), sampleLoop()];
    while (Date.now() < until) {
      await sleep(1000);
      const errors = [...stats.errors.values()].reduce((s, n) => s + n, 0);
      const rss = stats.rss.at(-1)?.bytes;
      bar.update(Math.round((Date.now() - started) / 1000), { events: stats.ingestEvents, queries: stats.queries, errors, rss: rss ? mb(rss) : '-' });
    }
    stopping = true;
    await Promise.all(loops);
    bar.stop();
    const elapsedS = (Date.now() - started) / 1000;

    // Graceful stop, as an orchestrator would.
    server.kill('SIGTERM');
    const exit = await server.exited;
    const load1 = loadavg();

    const warm = stats.rss.filter((s) => s.t >= warmupMs && s.t < warmupMs + 60_000).map((s) => s.bytes);
    const end = stats.rss.filter((s) => s.t >= durationMs - 60_000).map((s) => s.bytes);
    const base = median(warm);
    const last = median(end);
    const growth = ((last - base) / base) * 100;
    const heapWarm = median(stats.heap.filter((s) => s.t >= warmupMs && s.t < warmupMs + 60_000).map((s) => s.bytes));
    const heapEnd = median(stats.heap.filter((s) => s.t >= durationMs - 60_000).map((s) => s.bytes));
    const ingestSorted = [...stats.ingestMs].sort((a, b) => a - b);
    const querySorted = [...stats.queryMs].sort((a, b) => a - b);
    const totalErrors = [...stats.errors.values()].reduce((s, n) => s + n, 0);
    const warnings = server.logs.filter((l) => (l.level ?? 0) >= 40);

    const lines = [
      `# Soak run`,
      '',
      `- Date: ${new Date().toISOString()}`,
      `- Command: \`npm run soak -- --minutes ${minutes} --accounts ${accounts} --agents ${agents} --query-rps ${queryRps} --prefill-events ${prefill} --snapshot-interval-ms ${args['snapshot-interval-ms']}\``,
      `- Machine: ${cpus().length} cores (${cpus()[0]?.model ?? 'unknown'}), ${mb(totalmem())} MB RAM, Node ${process.version}; load average ${load0[0]!.toFixed(1)} at start, ${load1[0]!.toFixed(1)} at end (the cores are shared with other work, so absolute latencies are noisy)`,
      `- Server: a child process, embedded SQLite store (synchronous=full, default 16 MiB page cache), snapshot every ${Number(args['snapshot-interval-ms']) / 1000} s, log level info; ${prefill} events written to another account before the run (data file larger than the page cache); warm-up ${(warmupMs / 60_000).toFixed(1)} min`,
      '',
      '## Load',
      '',
      `| | count | per second |`,
      `|---|---|---|`,
      `| ingest requests | ${stats.ingestRequests} | ${(stats.ingestRequests / elapsedS).toFixed(1)} |`,
      `| events ingested | ${stats.ingestEvents} | ${(stats.ingestEvents / elapsedS).toFixed(1)} |`,
      `| Agent Status queries | ${stats.queries} | ${(stats.queries / elapsedS).toFixed(1)} |`,
      `| /metrics scrapes | ${stats.scrapes} | |`,
      '',
      '## Errors',
      '',
      totalErrors === 0 ? 'None: every request answered 2xx.' : [...stats.errors].map(([k, n]) => `- ${k}: ${n}`).join('\n'),
      '',
      `Server warnings and errors in its log: ${warnings.length}${warnings.length ? ` (first: ${JSON.stringify(warnings[0]).slice(0, 300)})` : ''}.`,
      '',
      '## Latency (ms, client side, including HTTP)',
      '',
      '| | p50 | p90 | p99 | max |',
      '|---|---|---|---|---|',
      `| ingest | ${fmt(percentile(ingestSorted, 50))} | ${fmt(percentile(ingestSorted, 90))} | ${fmt(percentile(ingestSorted, 99))} | ${fmt(ingestSorted.at(-1) ?? NaN)} |`,
      `| query | ${fmt(percentile(querySorted, 50))} | ${fmt(percentile(querySorted, 90))} | ${fmt(percentile(querySorted, 99))} | ${fmt(querySorted.at(-1) ?? NaN)} |`,
      '',
      '## Memory',
      '',
      `- RSS after warm-up (median of the minute after it): ${mb(base)} MB`,
      `- RSS at the end (median of the last minute): ${mb(last)} MB`,
      `- **RSS growth after warm-up: ${growth.toFixed(1)} %** (goal: under 10 %)`,
      `- RSS max: ${mb(Math.max(...stats.rss.map((s) => s.bytes)))} MB`,
      `- JS heap used: ${mb(heapWarm)} MB after warm-up, ${mb(heapEnd)} MB at the end`,
      '',
      'Every minute (MB; heap figures are what the server reported at that moment, between garbage collections):',
      '',
      '| minute | RSS | V8 heap used | V8 heap reserved | external |',
      '|---|---|---|---|---|',
      ...Array.from({ length: Math.ceil(durationMs / 60_000) }, (_, i) => {
        const at = (xs: { t: number; bytes: number }[]) => {
          const inMinute = xs.filter((s) => s.t >= i * 60_000 && s.t < (i + 1) * 60_000);
          return inMinute.length ? mb(median(inMinute.map((s) => s.bytes))) : '-';
        };
        return `| ${i}–${i + 1} | ${at(stats.rss)} | ${at(stats.heap)} | ${at(stats.heapTotal)} | ${at(stats.external)} |`;
      }),
      '',
      '## Shutdown',
      '',
      `SIGTERM at the end: exit code ${String(exit.code)}${exit.signal ? `, signal ${exit.signal}` : ''}.`,
      '',
      `Verdict: ${totalErrors === 0 ? 'no errors' : `${totalErrors} errors`}; RSS growth ${growth.toFixed(1)} % ${growth < 10 ? '(within' : '(over'} the 10 % goal); clean exit ${exit.code === 0 ? 'yes' : 'no'}.`,
      '',
    ];
    const report = lines.join('\n');
    process.stdout.write(`\n${report}`);
    if (args.report) writeFileSync(args.report, report);
    process.exitCode = totalErrors === 0 && exit.code === 0 ? 0 : 1;
  } finally {
    await killHard(server);
    rmSync(dataDir, { recursive: true, force: true });
  }
}

await (args.crash ? crashMode() : soakMode());
