import type { Command } from 'commander';
import { main } from '../../server.js';

export function registerServe(program: Command): void {
  program
    .command('serve')
    .description('run the server (configured by the environment, see README)')
    .action(() => main());
}
