/**
 * Runs agentview as a real child process (`node --import tsx src/server.ts`),
 * for tests that need signals: SIGKILL crashes, SIGTERM/SIGINT shutdowns.
 * Port 0 on loopback; the bound URL is read from the server's `listening`
 * log line. Logs (pino JSON on stdout) are collected for assertions.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { ADMIN_TOKEN } from './server.js';

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- log lines are arbitrary JSON
export type LogLine = Record<string, any> & { msg?: string };

export interface ChildServer {
  proc: ChildProcess;
  pid: number;
  /** Base URL (set once the server logged `listening`). */
  url: string;
  logs: LogLine[];
  stderr: string[];
  /** Resolves with the first log line (already seen or future) that matches. */
  waitForLog(match: (l: LogLine) => boolean, timeoutMs?: number): Promise<LogLine>;
  /** Resolves when the process exited. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  kill(signal: NodeJS.Signals): void;
  /** The same process as `proc`. */
  child: ChildProcess;
  /** SIGKILL: no shutdown work at all; resolves once it exited. */
  kill9(): Promise<void>;
  /** SIGTERM (graceful shutdown); resolves once it exited. */
  stop(): Promise<void>;
}

export interface SpawnOptions {
  dataDir: string;
  env?: Record<string, string>;
  /** Wait until the server caught up with its log (default true). */
  waitReady?: boolean;
  /** Which log lines to keep in `logs` (default all; long runs keep warnings only). */
  retain?: (l: LogLine) => boolean;
  timeoutMs?: number;
}

export async function spawnServer(options: SpawnOptions): Promise<ChildServer> {
  const proc = spawn(process.execPath, ['--import', 'tsx', 'src/server.ts'], {
    cwd: REPO_ROOT,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      TMPDIR: process.env.TMPDIR ?? '/tmp',
      PORT: '0',
      HOST: '127.0.0.1',
      AGENTVIEW_DEMO: '0',
      AGENTVIEW_ADMIN_TOKEN: ADMIN_TOKEN,
      AGENTVIEW_DATA_DIR: options.dataDir,
      AGENTVIEW_LOG_LEVEL: 'info',
      AGENTVIEW_PUBLIC_URL: 'http://agentview.test',
      ...options.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: LogLine[] = [];
  const stderr: string[] = [];
  const waiters: { match: (l: LogLine) => boolean; resolve: (l: LogLine) => void }[] = [];
  let buffer = '';
  proc.stdout.setEncoding('utf8');
  proc.stdout.on('data', (chunk: string) => {
    buffer += chunk;
    let nl: number;
    while ((nl = buffer.indexOf('\n')) >= 0) {
      const text = buffer.slice(0, nl);
      buffer = buffer.slice(nl + 1);
      let line: LogLine;
      try {
        line = JSON.parse(text) as LogLine;
      } catch {
        line = { msg: text, raw: true };
      }
      if (!options.retain || options.retain(line)) logs.push(line);
      for (let i = waiters.length - 1; i >= 0; i--) {
        if (waiters[i]!.match(line)) {
          waiters[i]!.resolve(line);
          waiters.splice(i, 1);
        }
      }
    }
  });
  proc.stderr.setEncoding('utf8');
  proc.stderr.on('data', (chunk: string) => stderr.push(chunk));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    proc.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const waitForLog = (match: (l: LogLine) => boolean, timeoutMs = 30_000) => {
    const seen = logs.find(match);
    if (seen) return Promise.resolve(seen);
    return new Promise<LogLine>((resolve, reject) => {
      const timer = setTimeout(() => {
        const i = waiters.findIndex((w) => w.resolve === done);
        if (i >= 0) waiters.splice(i, 1);
        reject(new Error(`no matching log line within ${timeoutMs} ms; stderr: ${stderr.join('').slice(-2000)}; last logs: ${JSON.stringify(logs.slice(-5))}`));
      }, timeoutMs);
      const done = (l: LogLine) => {
        clearTimeout(timer);
        resolve(l);
      };
      waiters.push({ match, resolve: done });
      void exited.then(({ code, signal }) => {
        if (waiters.some((w) => w.resolve === done)) {
          clearTimeout(timer);
          reject(new Error(`server exited (code ${code}, signal ${signal}) before the log line; stderr: ${stderr.join('').slice(-2000)}`));
        }
      });
    });
  };
  const server: ChildServer = {
    proc,
    pid: proc.pid!,
    url: '',
    logs,
    stderr,
    waitForLog,
    exited,
    kill: (signal) => {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal);
    },
    child: proc,
    kill9: async () => {
      server.kill('SIGKILL');
      await exited;
    },
    stop: async () => {
      server.kill('SIGTERM');
      await exited;
    },
  };
  const timeoutMs = options.timeoutMs ?? 60_000;
  const listening = await waitForLog((l) => l.msg === 'listening' && typeof l.url === 'string', timeoutMs);
  server.url = listening.url as string;
  if (options.waitReady ?? true) {
    await waitForLog((l) => l.msg === 'caught up with the event log', timeoutMs);
  }
  return server;
}

/** Stops a child for good (test clean-up): SIGKILL if still running. */
export async function killHard(server: ChildServer | undefined): Promise<void> {
  if (!server) return;
  server.kill('SIGKILL');
  await server.exited;
}

/** Starts a server child on `dataDir` and waits until it serves (kept for tests written against this name). */
export function startChildServer(dataDir: string, env: Record<string, string> = {}): Promise<ChildServer> {
  // The `listening` line is read from the log, so the level stays at least info.
  const { AGENTVIEW_LOG_LEVEL: _ignored, ...rest } = env;
  return spawnServer({ dataDir, env: rest, retain: (l) => (l.level ?? 30) >= 40 || !['incoming request', 'request completed'].includes(l.msg ?? '') });
}
