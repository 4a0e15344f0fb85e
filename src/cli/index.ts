#!/usr/bin/env node
/**
 * `agentview` command line. Each command lives in ./commands/<name>.ts and
 * registers itself on the program here.
 */
import { Command } from 'commander';
import { VERSION } from '../server.js';
import { registerServe } from './commands/serve.js';
import { registerSimulate } from './commands/simulate.js';
import { registerExport } from './commands/export.js';
import { registerUsers } from './commands/users.js';
import { registerKeys } from './commands/keys.js';
import { registerLive } from './commands/live.js';

export function buildProgram(): Command {
  const program = new Command();
  program
    .name('agentview')
    .description('Real-time agent state for messaging contact centers')
    .version(VERSION)
    .showHelpAfterError();
  registerServe(program);
  registerSimulate(program);
  registerExport(program);
  registerUsers(program);
  registerKeys(program);
  registerLive(program);
  return program;
}

buildProgram()
  .parseAsync(process.argv)
  .catch((err: unknown) => {
    process.stderr.write(`agentview: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  });
