/**
 * agentview servers in cluster mode for integration tests: in-process ones
 * (fast, inspectable) and child processes (so a test can SIGKILL a server
 * and start it again), all pointed at a private NATS cluster.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createLogger } from '../../src/observability/logger.js';
import { connect } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
import { freePort, type NatsCluster } from './nats.js';
import { ADMIN_TOKEN, startTestServer, type TestServer } from './server.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** Logs of the servers under test go to stderr when AGENTVIEW_TEST_LOG is set (e.g. `warn`). */
const TEST_LOG = process.env.AGENTVIEW_TEST_LOG;

export function clusterEnv(nats: NatsCluster, extra: Record<string, string> = {}): Record<string, string> {
  return {
    AGENTVIEW_STORE: 'jetstream',
    AGENTVIEW_NATS_URL: nats.url,
    AGENTVIEW_NATS_REPLICAS: String(Math.min(3, nats.nodes.length)),
    ...extra,
  };
}

/** An in-process agentview server of the cluster. */
export function startClusterServer(nats: NatsCluster, extra: Record<string, string> = {}): Promise<TestServer> {
  return startTestServer(clusterEnv(nats, extra), TEST_LOG ? { logger: createLogger(TEST_LOG, process.stderr) } : {});
}

export interface ChildServer {
  url: string;
  /** Everything the child logged (pino JSON lines). */
  output(): string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests read arbitrary JSON
  call(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<{ status: number; body: any; headers: Headers }>;
  kill(signal?: NodeJS.Signals): Promise<void>;
}

/** An agentview server as a child process (`node --import tsx src/server.ts`), ready when /readyz is 200. */
export async function spawnClusterServer(nats: NatsCluster, extra: Record<string, string> = {}, readyTimeoutMs = 60_000): Promise<ChildServer> {
  const port = await freePort();
  const env = {
    ...process.env,
    PORT: String(port),
    HOST: '127.0.0.1',
    AGENTVIEW_DEMO: '0',
    AGENTVIEW_ADMIN_TOKEN: ADMIN_TOKEN,
    AGENTVIEW_PUBLIC_URL: 'http://agentview.test',
    AGENTVIEW_LOG_LEVEL: 'info',
    ...clusterEnv(nats, extra),
  };
  const proc: ChildProcess = spawn(process.execPath, ['--import', 'tsx', 'src/server.ts'], {
    cwd: ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const keep = (d: Buffer) => {
    out = (out + d.toString()).slice(-200_000);
    if (TEST_LOG) process.stderr.write(d);
  };
  proc.stdout?.on('data', keep);
  proc.stderr?.on('data', keep);
  const url = `http://127.0.0.1:${port}`;
  const call: ChildServer['call'] = async (method, path, body, headers = {}) => {
    const res = await fetch(url + path, {
      method,
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = text === '' ? undefined : JSON.parse(text);
    } catch {
      // keep the text
    }
    return { status: res.status, body: parsed, headers: res.headers };
  };
  const exited = () => proc.exitCode !== null || proc.signalCode !== null;
  const server: ChildServer = {
    url,
    output: () => out,
    call,
    async kill(signal: NodeJS.Signals = 'SIGKILL') {
      if (exited()) return;
      const done = new Promise<void>((r) => proc.once('exit', () => r()));
      proc.kill(signal);
      await done;
    },
  };
  const deadline = Date.now() + readyTimeoutMs;
  for (;;) {
    if (exited()) throw new Error(`agentview child exited (${proc.exitCode ?? proc.signalCode}):\n${out.slice(-4000)}`);
    try {
      const res = await fetch(`${url}/readyz`);
      if (res.status === 200) return server;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await server.kill();
      throw new Error(`agentview child not ready after ${readyTimeoutMs} ms:\n${out.slice(-4000)}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Name of the node leading a stream (asks the cluster; retries through elections). */
export async function streamLeader(nats: NatsCluster, stream: string, timeoutMs = 30_000): Promise<string> {
  const nc = await connect({ servers: nats.nodes.filter((n) => n.running()).map((n) => n.url) });
  try {
    const jsm = await jetstreamManager(nc, { checkAPI: false });
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      try {
        const info = await jsm.streams.info(stream);
        if (info.cluster?.leader) return info.cluster.leader;
      } catch {
        // no leader yet
      }
      if (Date.now() > deadline) throw new Error(`stream ${stream} has no leader`);
      await new Promise((r) => setTimeout(r, 200));
    }
  } finally {
    await nc.close();
  }
}

/** Polls `check` until it returns a value (not undefined) or the time is up. */
export async function eventually<T>(check: () => Promise<T | undefined> | T | undefined, timeoutMs = 30_000, intervalMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v !== undefined) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms${last instanceof Error ? `: ${last.message}` : ''}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
