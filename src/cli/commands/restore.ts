import { resolve } from 'node:path';
import type { Command } from 'commander';
import { restoreBackup } from '../../adapters/sqlite/index.js';

export function registerRestore(program: Command): void {
  program
    .command('restore')
    .description('replace the data directory\u2019s store with a backup (the server must be stopped; the file is validated first)')
    .argument('<file>', 'a backup written by `agentview backup`')
    .option('--data-dir <dir>', 'data directory (default $AGENTVIEW_DATA_DIR or ./data)')
    .action((fileArg: string, opts: { dataDir?: string }) => {
      const dataDir = resolve(opts.dataDir ?? process.env.AGENTVIEW_DATA_DIR ?? './data');
      const { summary, replacedTo } = restoreBackup(resolve(fileArg), dataDir);
      process.stdout.write(
        `restored ${summary.events} events in ${summary.accounts} accounts (log position ${summary.position}) into ${dataDir}\n` +
          (replacedTo ? `the previous data files were moved to ${replacedTo}\n` : ''),
      );
    });
}
