/**
 * Starts a real, listening agentview server in this process for end-to-end
 * tests: port 0, demo off, a known admin token, a throwaway data directory.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, type Config } from '../../src/config/index.js';
import { createLogger } from '../../src/observability/logger.js';
import type { Logger } from 'pino';
import type { Clock } from '../../src/ports/index.js';
import { startServer, type RunningServer } from '../../src/server.js';

export const ADMIN_TOKEN = 'test-admin-token-0123456789';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests read arbitrary JSON
type Json = any;

export interface TestServer extends RunningServer {
  token: string;
  dataDir: string;
  /** POST/GET with the admin token; returns status and parsed JSON. */
  call(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<{ status: number; body: Json; headers: Headers }>;
  stop(): Promise<void>;
}

export function tempDir(prefix = 'agentview-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export async function startTestServer(
  env: Record<string, string> = {},
  options: { clock?: Clock; dataDir?: string; keepData?: boolean; demoTickMs?: number; logger?: Logger } = {},
): Promise<TestServer> {
  const dataDir = options.dataDir ?? tempDir();
  const config: Readonly<Config> = loadConfig(
    {
      PORT: '0',
      HOST: '127.0.0.1',
      AGENTVIEW_DEMO: '0',
      AGENTVIEW_ADMIN_TOKEN: ADMIN_TOKEN,
      AGENTVIEW_DATA_DIR: dataDir,
      AGENTVIEW_LOG_LEVEL: 'silent',
      AGENTVIEW_PUBLIC_URL: 'http://agentview.test',
      ...env,
    },
    () => 'unused-random-token',
  );
  const server = await startServer(config, {
    ...(options.clock ? { clock: options.clock } : {}),
    ...(options.demoTickMs !== undefined ? { demoTickMs: options.demoTickMs } : {}),
    logger: options.logger ?? createLogger('silent'),
  });
  const call: TestServer['call'] = async (method, path, body, headers = {}) => {
    const res = await fetch(server.url + path, {
      method,
      headers: {
        authorization: `Bearer ${ADMIN_TOKEN}`,
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...headers,
      },
      ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
    });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = text === '' ? undefined : JSON.parse(text);
    } catch {
      // not JSON: keep the text
    }
    return { status: res.status, body: parsed, headers: res.headers };
  };
  return {
    ...server,
    token: ADMIN_TOKEN,
    dataDir,
    call,
    async stop() {
      await server.close();
      if (!options.keepData && !options.dataDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** A clock tests move by hand. */
export class ManualClock implements Clock {
  constructor(public t: number) {}
  now(): number {
    return this.t;
  }
  advance(ms: number): void {
    this.t += ms;
  }
}

/**
 * Records every connection time-out due at the clock's time and waits until
 * they are applied (the background sweep may be writing some of them).
 */
export async function settleTimeouts(s: RunningServer): Promise<void> {
  await s.engine.sweepTimeouts();
  const pending = () => [...s.engine.accounts.values()].some((acc) => [...acc.loggedIn].some((a) => !a.timedOut && s.engine.clock.now() - a.lastActivity >= acc.settings.connectionTimeoutMs));
  for (let i = 0; pending(); i++) {
    if (i > 500) throw new Error('connection time-outs were not recorded');
    await new Promise((r) => setTimeout(r, 10));
  }
}
