/**
 * Child processes for the bench: every server and every load generator runs in
 * its own process so the harness never competes with what it measures.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const ADMIN_TOKEN = 'bench-admin-token-0123456789abcdef';

/** A port nobody listens on right now (loopback only). */
export async function freePort(): Promise<number> {
  const srv = createServer();
  srv.listen(0, '127.0.0.1');
  await once(srv, 'listening');
  const addr = srv.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  await new Promise((r) => srv.close(r));
  return port;
}

export interface Child {
  proc: ChildProcess;
  /** Everything the child wrote to stdout so far. */
  stdout(): string;
  stderr(): string;
  /** Resolves with the exit code. */
  exited: Promise<number | null>;
  kill(signal?: NodeJS.Signals): Promise<number | null>;
}

/** Runs a TypeScript file of this repository in a fresh Node process (through tsx). */
export function spawnTs(file: string, args: string[] = [], opts: { env?: Record<string, string>; nodeArgs?: string[] } = {}): Child {
  return spawnNode(['--import', 'tsx', ...(opts.nodeArgs ?? []), join(ROOT, file), ...args], opts.env);
}

export function spawnNode(args: string[], env: Record<string, string> = {}): Child {
  const proc = spawn(process.execPath, args, {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  proc.stdout.setEncoding('utf8').on('data', (d: string) => {
    out += d;
    if (out.length > 4_000_000) out = out.slice(-2_000_000);
  });
  proc.stderr.setEncoding('utf8').on('data', (d: string) => {
    err += d;
    if (err.length > 1_000_000) err = err.slice(-500_000);
  });
  const exited = new Promise<number | null>((resolve) => proc.on('exit', (code) => resolve(code)));
  return {
    proc,
    stdout: () => out,
    stderr: () => err,
    exited,
    async kill(signal = 'SIGTERM') {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal);
      return exited;
    },
  };
}

/** Runs a child to completion and parses the last stdout line as JSON. */
export async function runJson<T>(child: Child, what: string): Promise<T> {
  const code = await child.exited;
  if (code !== 0) throw new Error(`${what} exited with ${String(code)}:\n${child.stderr().slice(-4000)}`);
  const lines = child.stdout().trim().split('\n');
  try {
    return JSON.parse(lines[lines.length - 1]!) as T;
  } catch {
    throw new Error(`${what} printed no JSON result:\n${child.stdout().slice(-2000)}\n${child.stderr().slice(-2000)}`);
  }
}

/** Waits until a child prints a line matching `re`; returns the match. */
export async function waitForOutput(child: Child, re: RegExp, timeoutMs = 60_000): Promise<RegExpMatchArray> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const m = re.exec(child.stdout());
    if (m) return m;
    if (child.proc.exitCode !== null) throw new Error(`child exited before printing ${String(re)}:\n${child.stderr().slice(-4000)}`);
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${String(re)}`);
    await sleep(10);
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/**
 * CPU time (user + system, ms) a process has used so far, from /proc (Linux).
 * On a shared machine, requests per CPU-second of the server is a steadier
 * comparison than requests per wall-second; undefined where /proc is missing.
 */
export function cpuMs(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces) start after ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]);
    return (ticks * 1000) / CLOCK_TICKS;
  } catch {
    return undefined;
  }
}

const CLOCK_TICKS = 100;
