/**
 * Writes a realistic event log for the recovery measure, through the same
 * engine and SQLite store the server uses: an account of A agents, then
 * writer events until the log holds N events. One snapshot is taken `tail`
 * events before the end (where a periodic snapshot would have left it), then
 * the process exits without a final snapshot, as after `kill -9`.
 *
 * argv[2]: a file holding JSON { dataDir, events, agents, tail }. Prints one JSON line.
 */
import { readSpec } from './context.js';
import { accountData, Writer } from './dataset.js';
import { loadConfig } from '../../src/config/index.js';
import { Engine } from '../../src/engine/index.js';
import { systemClock } from '../../src/ports/index.js';
import { validateBatch } from '../../src/schemas/events.js';
import { openStores } from '../../src/stores.js';

const spec = readSpec<{ dataDir: string; events: number; agents: number; tail: number }>(process.argv[2]!);
const config = loadConfig({ AGENTVIEW_DEMO: '0', AGENTVIEW_DATA_DIR: spec.dataDir }, () => 'unused');
const stores = openStores(config);
const engine = new Engine(stores.log, stores.snapshots, systemClock, { timeoutSweepMs: 0, snapshotIntervalMs: 0, snapshotEveryEvents: Number.MAX_SAFE_INTEGER });
await engine.start();
const t0 = performance.now();
const account = 'bench';
const data = accountData(spec.agents, Date.now());
const writer = new Writer(data.active, 'fill');
let written = 0;
let snapshotAt = -1;
const snapshotPos = spec.events - spec.tail;
const push = async (events: object[]) => {
  const r = await engine.ingest(account, validateBatch({ events }, Date.now()));
  written += r.accepted;
  if (snapshotAt < 0 && written >= snapshotPos) {
    await engine.snapshot();
    snapshotAt = engine.position;
  }
};
for (let i = 0; i < data.events.length && written < spec.events; i += 1000) {
  await push(data.events.slice(i, Math.min(i + 1000, i + spec.events - written)));
}
while (written < spec.events) {
  await push(writer.next(Math.min(1000, spec.events - written, Math.max(1, snapshotAt < 0 ? snapshotPos - written : 1000))));
}
const ms = performance.now() - t0;
process.stdout.write(JSON.stringify({ events: written, position: engine.position, snapshotAt, fillMs: ms }) + '\n');
// Exit like a crash: no engine.stop(), no final snapshot. The log is durable already.
process.exit(0);
