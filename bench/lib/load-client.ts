/**
 * Load generator process: autocannon against one URL, printing one JSON line
 * with the result. Runs in its own process (spawned by the harness), so the
 * client never shares a core's event loop with the server it measures.
 *
 * argv[2]: a file holding a JSON {@link LoadSpec}.
 */
import autocannon from 'autocannon';
import { readSpec } from './context.js';
import { Writer } from './dataset.js';

export interface LoadSpec {
  url: string;
  method: 'GET' | 'POST';
  headers?: Record<string, string>;
  body?: string;
  connections: number;
  durationS: number;
  warmupS: number;
  /** Generate ingest bodies: `batch` events per request with unique event ids. */
  ingest?: { active: string[]; batch: number; prefix: string };
}

export interface LoadResult {
  rps: number;
  ok: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  p50: number;
  p99: number;
  meanMs: number;
  throughputBps: number;
  durationS: number;
  /** 2xx answers during the warm-up (so server CPU over the whole run can be divided by all requests). */
  warmupOk: number;
}

type AcResult = Awaited<ReturnType<typeof autocannon>>;

function run(spec: LoadSpec, durationS: number, prefix: string): Promise<AcResult> {
  const writer = spec.ingest ? new Writer(spec.ingest.active, prefix, prefix.length * 7919 + 3) : undefined;
  const batch = spec.ingest?.batch ?? 0;
  return autocannon({
    url: spec.url,
    method: spec.method,
    connections: spec.connections,
    duration: durationS,
    headers: spec.headers ?? {},
    ...(spec.body !== undefined ? { body: spec.body } : {}),
    ...(writer
      ? {
          requests: [
            {
              method: 'POST' as const,
              setupRequest: (req: autocannon.Request) => ({ ...req, body: JSON.stringify({ events: writer.next(batch) }) }),
            },
          ],
        }
      : {}),
  });
}

async function main(): Promise<void> {
  const spec = readSpec<LoadSpec>(process.argv[2]!);
  const tag = `${process.pid.toString(36)}${Date.now().toString(36)}`;
  const warm = spec.warmupS > 0 ? await run(spec, spec.warmupS, `wu${tag}`) : undefined;
  const r = await run(spec, spec.durationS, `m${tag}`);
  const ok = r['2xx'];
  const out: LoadResult = {
    rps: ok / r.duration,
    ok,
    non2xx: r.non2xx,
    errors: r.errors,
    timeouts: r.timeouts,
    p50: r.latency.p50,
    p99: r.latency.p99,
    meanMs: r.latency.average,
    throughputBps: r.throughput.average,
    durationS: r.duration,
    warmupOk: warm ? warm['2xx'] : 0,
  };
  process.stdout.write(JSON.stringify(out) + '\n');
}

await main();
