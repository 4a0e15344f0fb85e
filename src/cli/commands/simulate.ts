import type { Command } from 'commander';
import { Simulator, runSimulation, type SimEvent } from '../../sim/index.js';
import { apiRequest, targetFrom } from '../http-client.js';

export function registerSimulate(program: Command): void {
  program
    .command('simulate')
    .description('drive a running server with simulated agents over the ingest API')
    .requiredOption('-a, --account <id>', 'account to feed')
    .option('-n, --agents <n>', 'number of agents', '300')
    .option('--seed <n>', 'random seed', '1')
    .option('--minutes <n>', 'stop after this many minutes (default: until Ctrl-C)')
    .option('--url <url>', 'server URL (default $AGENTVIEW_URL or http://127.0.0.1:$PORT)')
    .option('--token <token>', 'bearer token with write scope (default $AGENTVIEW_TOKEN or $AGENTVIEW_ADMIN_TOKEN)')
    .action(async (opts: { account: string; agents: string; seed: string; minutes?: string; url?: string; token?: string }) => {
      const target = targetFrom(opts);
      const path = `/api/account/${encodeURIComponent(opts.account)}/events`;
      let sent = 0;
      const sink = async (events: SimEvent[]) => {
        await apiRequest(target, 'POST', path, { events });
        sent += events.length;
      };
      const sim = new Simulator({ agents: Number(opts.agents), seed: Number(opts.seed) });
      const setup = sim.setup(Date.now());
      for (let i = 0; i < setup.length; i += 1000) await sink(setup.slice(i, i + 1000));
      let failed = 0;
      const run = runSimulation(sim, sink, { now: () => Date.now() }, 1000, (e) => {
        failed++;
        process.stderr.write(`ingest failed: ${e instanceof Error ? e.message : String(e)}\n`);
      });
      const report = setInterval(() => process.stdout.write(`\rsent ${sent} events, ${failed} failures`), 1000);
      const stop = async () => {
        clearInterval(report);
        await run.stop();
        process.stdout.write(`\nsent ${sent} events, ${failed} failures\n`);
        process.exit(failed > 0 ? 1 : 0);
      };
      process.once('SIGINT', () => void stop());
      if (opts.minutes) setTimeout(() => void stop(), Number(opts.minutes) * 60_000);
    });
}
