/**
 * Memory per agent, in a process of its own started with `--expose-gc`: a
 * real agentview server (embedded store, demo off) is started, `heapUsed +
 * external` is read after GC, N agents with 3 skills are ingested, every
 * agent's record is read once through Agent Status (so any per-agent cache
 * the service keeps is filled, after a wallboard paged through the first
 * 20,000), and the growth is divided by N.
 *
 * argv[2]: a file holding JSON { agents, dataDir }. Prints one JSON line.
 */
import { readSpec } from './context.js';
import { accountData } from './dataset.js';
import { loadConfig } from '../../src/config/index.js';
import { createLogger } from '../../src/observability/logger.js';
import { validateBatch } from '../../src/schemas/events.js';
import { startServer } from '../../src/server.js';
import { ADMIN_TOKEN } from './proc.js';

const spec = readSpec<{ agents: number; dataDir: string }>(process.argv[2]!);
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with --expose-gc');

function used(): { heapUsed: number; external: number; total: number } {
  for (let i = 0; i < 4; i++) gc!();
  const m = process.memoryUsage();
  return { heapUsed: m.heapUsed, external: m.external, total: m.heapUsed + m.external };
}

const config = loadConfig(
  {
    PORT: '0',
    AGENTVIEW_DEMO: '0',
    AGENTVIEW_ADMIN_TOKEN: ADMIN_TOKEN,
    AGENTVIEW_DATA_DIR: spec.dataDir,
    AGENTVIEW_LOG_LEVEL: 'silent',
    AGENTVIEW_RATE_LIMIT_RPS: '1000000',
  },
  () => 'unused',
);
const server = await startServer(config, { logger: createLogger('silent') });
// One request of each kind first, so lazily built route state is not counted per agent.
const account = 'mem';
const statusUrl = (offset: number) => `/messaging_history/api/account/${account}/agent-view/status?limit=1000&offset=${offset}`;
const headers = { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' };
await server.engine.ingest('warm', validateBatch({ events: [{ type: 'agent.loggedIn', agentId: '1' }] }, Date.now()));
await server.app.inject({ method: 'POST', url: statusUrl(0).replace(account, 'warm'), headers, payload: '{}' });
const before = used();
const data = accountData(spec.agents, Date.now(), 7, { conversations: false });
for (let i = 0; i < data.events.length; i += 1000) {
  await server.engine.ingest(account, validateBatch({ events: data.events.slice(i, i + 1000) }, Date.now()));
}
// A wallboard paging through the account (answers and their bytes are cached),
// then every record read once, 1000 agents per request (an agentIds filter
// keeps each request cheap on a 100,000-agent account).
for (let offset = 0; offset < Math.min(spec.agents, 20_000); offset += 1000) {
  const r = await server.app.inject({ method: 'POST', url: statusUrl(offset), headers, payload: '{}' });
  if (r.statusCode !== 200) throw new Error(`status answered ${r.statusCode}: ${r.body.slice(0, 300)}`);
}
const ids = [...(server.engine.account(account)?.agents.keys() ?? [])];
let listed = 0;
for (let i = 0; i < ids.length; i += 1000) {
  const r = await server.app.inject({ method: 'POST', url: statusUrl(0), headers, payload: JSON.stringify({ agentIds: ids.slice(i, i + 1000) }) });
  if (r.statusCode !== 200) throw new Error(`status answered ${r.statusCode}: ${r.body.slice(0, 300)}`);
  listed += (JSON.parse(r.body) as { agentStatusRecords: unknown[] }).agentStatusRecords.length;
}
const after = used();
const agents = server.engine.account(account)?.agents.size ?? 0;
await server.close();
process.stdout.write(
  JSON.stringify({
    agents,
    listed,
    before,
    after,
    bytesPerAgent: (after.total - before.total) / agents,
    heapPerAgent: (after.heapUsed - before.heapUsed) / agents,
    externalPerAgent: (after.external - before.external) / agents,
  }) + '\n',
);
