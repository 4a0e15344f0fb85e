/**
 * Private nats-server processes with JetStream for tests: a single node or a
 * cluster of N on free loopback ports, each with a throwaway store directory.
 * Nodes can be killed (SIGKILL) and restarted on the same ports and store, so
 * tests can take the stream leader away in the middle of a write loop.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The nats-server binary: `NATS_SERVER_BIN`, then PATH, then Debian's /usr/sbin. */
export function natsServerBinary(): string | undefined {
  const env = process.env.NATS_SERVER_BIN;
  if (env && existsSync(env)) return env;
  const which = spawnSync('sh', ['-c', 'command -v nats-server'], { encoding: 'utf8' });
  const found = which.stdout.trim();
  if (which.status === 0 && found) return found;
  return existsSync('/usr/sbin/nats-server') ? '/usr/sbin/nats-server' : undefined;
}

/**
 * Whether the JetStream tests can run. A missing binary skips them with a
 * warning, unless `AGENTVIEW_REQUIRE_NATS` or `CI` is set (`.ci/run` sets the
 * former): then it is an error, so a broken install cannot turn the cluster
 * tests into silent no-ops.
 */
export function natsAvailable(): boolean {
  if (natsServerBinary()) return true;
  if (process.env.AGENTVIEW_REQUIRE_NATS || process.env.CI) {
    throw new Error('nats-server is not installed (apt-get install nats-server, or set NATS_SERVER_BIN)');
  }
  console.warn('nats-server not found: skipping JetStream tests (install it, or set NATS_SERVER_BIN)');
  return false;
}

/** A free TCP port on 127.0.0.1 (bound, read, released). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

export interface NatsNode {
  name: string;
  /** Client URL, nats://127.0.0.1:port. */
  url: string;
  monitorPort: number;
  running(): boolean;
  /** Sends a signal (default SIGKILL) and waits for the process to exit. */
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** Starts the node again on the same ports and store directory. */
  restart(): Promise<void>;
}

export interface NatsCluster {
  nodes: NatsNode[];
  urls: string[];
  /** Comma-separated, as AGENTVIEW_NATS_URL takes them. */
  url: string;
  node(name: string): NatsNode | undefined;
  stop(): Promise<void>;
}

interface NodePorts {
  client: number;
  cluster: number;
  monitor: number;
}

/** Starts `size` JetStream nodes (1 = standalone, ≥ 2 = a routed cluster) and waits until they serve. */
export async function startNatsCluster(
  size = 3,
  options: { startTimeoutMs?: number; /** Extra nats-server configuration lines (e.g. `max_payload: 65536`). */ extraConfig?: string[] } = {},
): Promise<NatsCluster> {
  const bin = natsServerBinary();
  if (!bin) throw new Error('nats-server binary not found');
  const root = mkdtempSync(join(tmpdir(), 'agentview-nats-'));
  const ports: NodePorts[] = [];
  for (let i = 0; i < size; i++) ports.push({ client: await freePort(), cluster: await freePort(), monitor: await freePort() });
  const nodes: (NatsNode & { proc: ChildProcess | undefined; start(): Promise<void> })[] = [];
  for (let i = 0; i < size; i++) {
    const name = `n${i + 1}`;
    const p = ports[i]!;
    const conf = join(root, `${name}.conf`);
    const routes = ports.map((q) => `nats-route://127.0.0.1:${q.cluster}`).join(', ');
    writeFileSync(
      conf,
      [
        `server_name: ${name}`,
        `listen: 127.0.0.1:${p.client}`,
        `http: 127.0.0.1:${p.monitor}`,
        `jetstream { store_dir: "${join(root, name)}" }`,
        ...(size > 1 ? [`cluster { name: test, listen: 127.0.0.1:${p.cluster}, routes: [${routes}] }`] : []),
        ...(options.extraConfig ?? []),
        '',
      ].join('\n'),
    );
    const node = {
      name,
      url: `nats://127.0.0.1:${p.client}`,
      monitorPort: p.monitor,
      proc: undefined as ChildProcess | undefined,
      running() {
        return node.proc !== undefined && node.proc.exitCode === null && node.proc.signalCode === null;
      },
      async start() {
        const proc = spawn(bin, ['-c', conf], { stdio: ['ignore', 'ignore', 'pipe'] });
        let stderr = '';
        proc.stderr?.on('data', (d: Buffer) => {
          stderr = (stderr + d.toString()).slice(-4000);
        });
        node.proc = proc;
        await waitHealthy(p.monitor, proc, options.startTimeoutMs ?? 30_000, () => stderr);
      },
      async kill(signal: NodeJS.Signals = 'SIGKILL') {
        const proc = node.proc;
        if (!proc || !node.running()) return;
        const exited = new Promise<void>((r) => proc.once('exit', () => r()));
        proc.kill(signal);
        await exited;
      },
      async restart() {
        if (node.running()) throw new Error(`${name} is still running`);
        await node.start();
      },
    };
    nodes.push(node);
  }
  try {
    // Cluster nodes wait for each other before JetStream is healthy: start all, then wait.
    await Promise.all(nodes.map((n) => n.start()));
  } catch (err) {
    await Promise.all(nodes.map((n) => n.kill()));
    rmSync(root, { recursive: true, force: true });
    throw err;
  }
  const urls = nodes.map((n) => n.url);
  return {
    nodes,
    urls,
    url: urls.join(','),
    node: (name) => nodes.find((n) => n.name === name),
    async stop() {
      await Promise.all(nodes.map((n) => n.kill()));
      rmSync(root, { recursive: true, force: true });
    },
  };
}

/** Polls the monitor's /healthz until JetStream reports healthy (or the process dies). */
async function waitHealthy(port: number, proc: ChildProcess, timeoutMs: number, stderr: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (proc.exitCode !== null || proc.signalCode !== null) {
      throw new Error(`nats-server exited (${proc.exitCode ?? proc.signalCode}): ${stderr()}`);
    }
    try {
      const res = await fetch(`http://127.0.0.1:${port}/healthz`);
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`nats-server on monitor port ${port} not healthy after ${timeoutMs} ms: ${stderr()}`);
}
