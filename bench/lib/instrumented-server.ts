/**
 * An agentview server (the real `startServer`) that also counts the event
 * log's commits: the log notifies subscribers once per committed group, so
 * commits and events per commit show how well group commit batches.
 *
 * Configured from the environment like the server. Prints `listening <url>`;
 * on SIGTERM prints one JSON line { commits, events } and exits.
 */
import { loadConfig } from '../../src/config/index.js';
import { createLogger } from '../../src/observability/logger.js';
import { startServer } from '../../src/server.js';

const config = loadConfig(process.env, () => 'unused');
const server = await startServer(config, { logger: createLogger(config.logLevel) });
let commits = 0;
let events = 0;
let counting = false;
server.stores.log.subscribe(await server.stores.log.head(), (entries) => {
  if (!counting) return;
  commits++;
  events += entries.length;
});
process.stdout.write(`listening ${server.url}\n`);
process.on('SIGUSR2', () => {
  counting = true;
  commits = 0;
  events = 0;
});
process.on('SIGTERM', () => {
  process.stdout.write(JSON.stringify({ commits, events }) + '\n');
  void server.close().then(() => process.exit(0));
});
