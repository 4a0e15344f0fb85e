/**
 * SSE latency client, in its own process: opens `clients` event streams,
 * waits until each is live, then makes `changes` changes one at a time
 * (POST, await the acknowledgement) and records, for every client, when the
 * matching `upsert` arrived. Latency = receive time − acknowledgement time,
 * both from `process.hrtime` (CLOCK_MONOTONIC, one clock for the machine).
 *
 * argv[2]: a file holding JSON {@link SseSpec}. Prints one JSON line.
 */
import { Agent, get, request } from 'node:http';
import { readSpec } from './context.js';

export interface SseSpec {
  streamUrl: string;
  changeUrl: string;
  headers: Record<string, string>;
  clients: number;
  changes: number;
  /** Bodies to POST, used round-robin; each must produce one upsert per client. */
  bodies: string[];
  gapMs: number;
}

const spec = readSpec<SseSpec>(process.argv[2]!);
const agent = new Agent({ keepAlive: true, maxSockets: spec.clients + 4 });
const nowMs = () => Number(process.hrtime.bigint()) / 1e6;
const received = new Map<number, number[]>();
const live: boolean[] = [];
const reqs: ReturnType<typeof get>[] = [];

function open(i: number): void {
  const req = get(spec.streamUrl, { agent, headers: { ...spec.headers, accept: 'text/event-stream' } }, (res) => {
    if (res.statusCode !== 200) {
      process.stderr.write(`stream answered ${res.statusCode}\n`);
      process.exit(2);
    }
    res.setEncoding('utf8');
    let buf = '';
    res.on('data', (chunk: string) => {
      const t = nowMs();
      buf += chunk;
      let end: number;
      while ((end = buf.indexOf('\n\n')) >= 0) {
        const msg = buf.slice(0, end);
        buf = buf.slice(end + 2);
        let event = 'message';
        let data = '';
        for (const line of msg.split('\n')) {
          if (line.startsWith('event:')) event = line.slice(6).trim();
          else if (line.startsWith('data:')) data += line.slice(5).trimStart();
          else if (line.startsWith(':')) live[i] = true;
        }
        if (event === 'snapshot') live[i] = true;
        if (event === 'upsert') {
          const seq = (JSON.parse(data) as { seq: number }).seq;
          let arr = received.get(seq);
          if (!arr) received.set(seq, (arr = []));
          arr.push(t);
        }
      }
    });
  });
  req.on('error', (e) => {
    process.stderr.write(`stream error: ${e.message}\n`);
    process.exit(2);
  });
  reqs.push(req);
}

function post(body: string): Promise<{ seq: number; at: number }> {
  return new Promise((resolve, reject) => {
    const req = request(spec.changeUrl, { method: 'POST', agent, headers: { ...spec.headers, 'content-type': 'application/json' } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (text += d));
      res.on('end', () => {
        const at = nowMs();
        if (res.statusCode !== 200) return reject(new Error(`change answered ${res.statusCode}: ${text}`));
        resolve({ seq: (JSON.parse(text) as { lastSeq: number }).lastSeq, at });
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
for (let i = 0; i < spec.clients; i++) open(i);
const deadline = Date.now() + 30_000;
while (live.filter(Boolean).length < spec.clients) {
  if (Date.now() > deadline) throw new Error(`only ${live.filter(Boolean).length} of ${spec.clients} streams went live`);
  await sleep(10);
}
await sleep(200);
const acks: { seq: number; at: number }[] = [];
for (let c = 0; c < spec.changes; c++) {
  const ack = await post(spec.bodies[c % spec.bodies.length]!);
  acks.push(ack);
  const until = Date.now() + 2000;
  while ((received.get(ack.seq)?.length ?? 0) < spec.clients && Date.now() < until) await sleep(1);
  await sleep(spec.gapMs);
}
const samples: number[] = [];
let missing = 0;
for (const a of acks) {
  const r = received.get(a.seq) ?? [];
  missing += spec.clients - r.length;
  for (const t of r) samples.push(t - a.at);
}
samples.sort((x, y) => x - y);
const q = (p: number) => samples[Math.min(samples.length - 1, Math.floor(p * samples.length))] ?? NaN;
for (const r of reqs) r.destroy();
agent.destroy();
process.stdout.write(JSON.stringify({ samples: samples.length, missing, p50: q(0.5), p99: q(0.99), max: samples[samples.length - 1] ?? NaN }) + '\n');
process.exit(0);
