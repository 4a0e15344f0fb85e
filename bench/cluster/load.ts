/**
 * Load generator for the cluster bench, run in its own process:
 * `node --import tsx bench/cluster/load.ts '<json spec>'`. Either POSTs
 * ingest batches to agentview servers (`http`), or publishes the same batch
 * bytes straight to a JetStream stream (`jetstream`, the baseline), with the
 * same number of requests in flight. Prints one JSON line with the result.
 */
import { connect } from '@nats-io/transport-node';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';

export interface LoadSpec {
  kind: 'http' | 'jetstream';
  /** http: agentview base URLs (clients spread over them); jetstream: NATS URLs. */
  urls: string[];
  /** Requests (or publishes) in flight at once, in total. */
  concurrency: number;
  /** Events per batch. */
  batch: number;
  durationS: number;
  warmupS: number;
  /** Unique per run, so event ids never repeat across runs. */
  prefix: string;
  token?: string;
  account?: string;
  /** jetstream: stream to create and subject prefix to publish to. */
  stream?: string;
  replicas?: number;
}

export interface LoadResult {
  eventsPerSec: number;
  requests: number;
  failures: number;
}

const STATUSES = ['ONLINE', 'AWAY', 'BACK_SOON', 'ONLINE'];

/** A batch of status changes with unique event ids (the shape a contact-center platform sends). */
function makeBatch(prefix: string, client: number, n: number, size: number): { events: unknown[] } {
  const events = [];
  const t = Date.now();
  for (let k = 0; k < size; k++) {
    const agent = (n * size + k) % 1000;
    events.push({
      type: 'agent.statusChanged',
      agentId: String(1000 + agent),
      status: STATUSES[(n + k) % STATUSES.length],
      eventId: `${prefix}-${client}-${n}-${k}`,
      time: t,
    });
  }
  return { events };
}

async function runLoad(spec: LoadSpec, send: (client: number, n: number) => Promise<boolean>): Promise<LoadResult> {
  const start = Date.now();
  const measureFrom = start + spec.warmupS * 1000;
  const end = measureFrom + spec.durationS * 1000;
  let counted = 0;
  let failures = 0;
  const clients = Array.from({ length: spec.concurrency }, async (_, client) => {
    for (let n = 0; Date.now() < end; n++) {
      const ok = await send(client, n);
      const now = Date.now();
      if (now >= measureFrom && now <= end) {
        if (ok) counted++;
        else failures++;
      }
    }
  });
  await Promise.all(clients);
  return { eventsPerSec: (counted * spec.batch) / spec.durationS, requests: counted, failures };
}

async function httpLoad(spec: LoadSpec): Promise<LoadResult> {
  const headers = { authorization: `Bearer ${spec.token ?? ''}`, 'content-type': 'application/json' };
  return runLoad(spec, async (client, n) => {
    const url = spec.urls[client % spec.urls.length]!;
    const res = await fetch(`${url}/api/account/${spec.account ?? 'bench'}/events`, {
      method: 'POST',
      headers,
      body: JSON.stringify(makeBatch(spec.prefix, client, n, spec.batch)),
    });
    await res.arrayBuffer();
    return res.status === 200;
  });
}

async function jetstreamLoad(spec: LoadSpec): Promise<LoadResult> {
  const nc = await connect({ servers: spec.urls });
  try {
    const stream = spec.stream ?? 'bench_raw';
    const jsm = await jetstreamManager(nc);
    await jsm.streams.add({ name: stream, subjects: [`${stream}.*`], num_replicas: spec.replicas ?? 1 });
    const js = jetstream(nc);
    let id = 0;
    return await runLoad(spec, async (client, n) => {
      // The bytes agentview stores for one batch: the events as JSON.
      const data = JSON.stringify(makeBatch(spec.prefix, client, n, spec.batch).events);
      try {
        await js.publish(`${stream}.bench`, data, { msgID: `${spec.prefix}-${id++}` });
        return true;
      } catch {
        return false;
      }
    });
  } finally {
    await nc.close();
  }
}

async function main(): Promise<void> {
  const spec = JSON.parse(process.argv[2] ?? '{}') as LoadSpec;
  const result = spec.kind === 'http' ? await httpLoad(spec) : await jetstreamLoad(spec);
  process.stdout.write(JSON.stringify(result) + '\n');
}

await main();
