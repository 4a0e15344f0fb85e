/**
 * Wallboard smoothness with many agents: a server in a child process runs the
 * demo simulator with `agents` agents; headless Chromium (Debian's
 * /usr/bin/chromium) signs in and we measure, in the page, the time to the
 * first rows, main-thread long tasks (> 50 ms) while live updates flow, and
 * frame times while scrolling the table.
 *
 *   npx tsx bench/wallboard.ts [--agents 5000] [--seconds 10]
 *
 * Needs `npm run build:web` (or `npm run build`) first.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

export interface WallboardBenchResult {
  agents: number;
  listed: number;
  firstRowsMs: number;
  longTasks: { count: number; maxMs: number; totalMs: number; seconds: number };
  scrollFrameMs: { p50: number; p90: number; max: number };
}

const TOKEN = 'bench-admin-token-0123456789';

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

export async function runWallboardBench(options: { agents?: number; seconds?: number; log?: (l: string) => void } = {}): Promise<WallboardBenchResult> {
  const agents = options.agents ?? 5000;
  const seconds = options.seconds ?? 10;
  const log = options.log ?? (() => undefined);
  const root = fileURLToPath(new URL('..', import.meta.url));
  if (!existsSync(join(root, 'web/dist/index.html'))) throw new Error('build the wallboard first: npm run build:web');
  const port = await freePort();
  const dataDir = mkdtempSync(join(tmpdir(), 'agentview-bench-wb-'));
  const userDir = mkdtempSync(join(tmpdir(), 'agentview-bench-chromium-'));
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/server.ts'], {
    cwd: root,
    env: { ...process.env, PORT: String(port), HOST: '127.0.0.1', AGENTVIEW_DEMO_AGENTS: String(agents), AGENTVIEW_ADMIN_TOKEN: TOKEN, AGENTVIEW_DATA_DIR: dataDir, AGENTVIEW_LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const base = `http://127.0.0.1:${port}`;
  const ctx = await chromium.launchPersistentContext(userDir, {
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    viewport: { width: 1600, height: 1000 },
  });
  try {
    for (let i = 0; ; i++) {
      try {
        if ((await fetch(`${base}/readyz`)).ok && (await fetch(`${base}/`)).ok) break;
      } catch {
        // starting
      }
      if (i > 600) throw new Error('server did not start');
      await new Promise((r) => setTimeout(r, 100));
    }
    await new Promise((r) => setTimeout(r, 2000)); // demo set-up
    log(`server with ${agents} demo agents on ${base}`);
    const page = ctx.pages()[0] ?? (await ctx.newPage());
    await page.goto(`${base}/`);
    // Page functions run in the browser; the casts stand in for DOM types this project does not load.
    await page.evaluate(() => {
      type Observer = new (cb: (list: { getEntries(): { duration: number }[] }) => void) => { observe(o: { entryTypes: string[] }): void };
      const w = globalThis as unknown as { __long: number[]; PerformanceObserver: Observer };
      w.__long = [];
      new w.PerformanceObserver((l) => {
        for (const e of l.getEntries()) w.__long.push(e.duration);
      }).observe({ entryTypes: ['longtask'] });
    });
    await page.getByRole('tab', { name: 'Access token' }).click();
    await page.fill('input[name=account]', '1000');
    await page.fill('input[name=token]', TOKEN);
    const t0 = Date.now();
    await page.click('button[type=submit]');
    await page.waitForSelector('[data-agent-id]', { timeout: 60_000 });
    const firstRowsMs = Date.now() - t0;
    const listed = Number(await page.locator('[data-shown]').getAttribute('data-shown'));
    await page.evaluate(() => {
      (globalThis as unknown as { __long: number[] }).__long = [];
    });
    await page.waitForTimeout(seconds * 1000);
    const long = await page.evaluate(() => (globalThis as unknown as { __long: number[] }).__long);
    const frames = await page.locator('.tbody').evaluate(async (el) => {
      const w = globalThis as unknown as { requestAnimationFrame(cb: () => void): void; Event: new (type: string) => unknown };
      const out: number[] = [];
      for (let i = 0; i < 30; i++) {
        const t = performance.now();
        el.scrollTop += 1500;
        el.dispatchEvent(new w.Event('scroll') as Parameters<typeof el.dispatchEvent>[0]);
        // (no named helper functions here: tsx would wrap them in a __name() the page lacks)
        await new Promise<void>((res) => w.requestAnimationFrame(() => w.requestAnimationFrame(() => res())));
        out.push(performance.now() - t);
      }
      return out;
    });
    const sorted = [...frames].sort((a, b) => a - b);
    const q = (p: number) => Math.round(sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!);
    return {
      agents,
      listed,
      firstRowsMs,
      longTasks: { count: long.length, maxMs: Math.round(Math.max(0, ...long)), totalMs: Math.round(long.reduce((a, b) => a + b, 0)), seconds },
      scrollFrameMs: { p50: q(0.5), p90: q(0.9), max: Math.round(sorted.at(-1) ?? 0) },
    };
  } finally {
    await ctx.close();
    child.kill('SIGTERM');
    await new Promise((r) => (child.exitCode !== null ? r(undefined) : child.once('exit', r)));
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(userDir, { recursive: true, force: true });
  }
}

function arg(name: string): number | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : undefined;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const agents = arg('agents');
  const seconds = arg('seconds');
  const r = await runWallboardBench({
    ...(agents !== undefined ? { agents } : {}),
    ...(seconds !== undefined ? { seconds } : {}),
    log: (l) => process.stderr.write(`${l}\n`),
  });
  process.stderr.write(
    `wallboard, ${r.agents} agents (${r.listed} listed): first rows after ${r.firstRowsMs} ms; ` +
      `${r.longTasks.count} long tasks in ${r.longTasks.seconds} s of live updates (max ${r.longTasks.maxMs} ms, total ${r.longTasks.totalMs} ms); ` +
      `scroll frames p50 ${r.scrollFrameMs.p50} ms, p90 ${r.scrollFrameMs.p90} ms, max ${r.scrollFrameMs.max} ms\n`,
  );
  process.stdout.write(JSON.stringify(r) + '\n');
}
