/**
 * The agentview server under test, in its own process: `node dist/server.js`
 * (what `npm start` runs) or, for smoke runs, `src/server.ts` through tsx.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ADMIN_TOKEN, freePort, sleep, spawnNode, type Child } from './proc.js';

export type Runner = 'dist' | 'tsx';

export interface Service {
  url: string;
  port: number;
  dataDir: string;
  child: Child;
  /** Milliseconds from spawn until `/readyz` answered 200. */
  readyMs: number;
  post(path: string, body: unknown): Promise<{ status: number; text: string }>;
  get(path: string, headers?: Record<string, string>): Promise<{ status: number; text: string }>;
  /** SIGTERM (graceful: final snapshot) or SIGKILL (crash). */
  stop(signal?: NodeJS.Signals): Promise<void>;
}

export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

/** Environment every bench server gets: no demo, quiet logs, no rate limit in the way. */
export function serviceEnv(port: number, dataDir: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    PORT: String(port),
    HOST: '127.0.0.1',
    AGENTVIEW_DEMO: '0',
    AGENTVIEW_ADMIN_TOKEN: ADMIN_TOKEN,
    AGENTVIEW_DATA_DIR: dataDir,
    AGENTVIEW_LOG_LEVEL: 'warn',
    AGENTVIEW_PUBLIC_URL: `http://127.0.0.1:${port}`,
    // The bench measures throughput, not the per-account limiter.
    AGENTVIEW_RATE_LIMIT_RPS: '1000000',
    ...extra,
  };
}

export async function startService(
  runner: Runner,
  opts: { dataDir?: string; env?: Record<string, string>; nodeArgs?: string[]; readyTimeoutMs?: number } = {},
): Promise<Service> {
  const port = await freePort();
  const dataDir = opts.dataDir ?? tempDir('agentview-bench-');
  const entry = runner === 'dist' ? ['dist/server.js'] : ['--import', 'tsx', 'src/server.ts'];
  const t0 = performance.now();
  const child = spawnNode([...(opts.nodeArgs ?? []), ...entry], serviceEnv(port, dataDir, opts.env));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + (opts.readyTimeoutMs ?? 120_000);
  let readyMs = -1;
  for (;;) {
    if (child.proc.exitCode !== null) throw new Error(`agentview exited during start:\n${child.stderr().slice(-4000)}\n${child.stdout().slice(-4000)}`);
    try {
      const res = await fetch(`${url}/readyz`);
      await res.arrayBuffer();
      if (res.status === 200) {
        readyMs = performance.now() - t0;
        break;
      }
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await child.kill('SIGKILL');
      throw new Error('agentview did not become ready in time');
    }
    await sleep(5);
  }
  const auth = { authorization: `Bearer ${ADMIN_TOKEN}` };
  return {
    url,
    port,
    dataDir,
    child,
    readyMs,
    async post(path, body) {
      const res = await fetch(url + path, {
        method: 'POST',
        headers: { ...auth, 'content-type': 'application/json' },
        body: typeof body === 'string' ? body : JSON.stringify(body),
      });
      return { status: res.status, text: await res.text() };
    },
    async get(path, headers = {}) {
      const res = await fetch(url + path, { headers: { ...auth, ...headers } });
      return { status: res.status, text: await res.text() };
    },
    async stop(signal = 'SIGTERM') {
      await child.kill(signal);
    },
  };
}

/** Posts events in batches of at most 1000, failing loudly on any non-200. */
export async function ingestAll(svc: Service, account: string, events: readonly object[], batch = 1000): Promise<void> {
  for (let i = 0; i < events.length; i += batch) {
    const r = await svc.post(`/api/account/${account}/events`, { events: events.slice(i, i + batch) });
    if (r.status !== 200) throw new Error(`ingest failed (${r.status}): ${r.text.slice(0, 500)}`);
  }
}
