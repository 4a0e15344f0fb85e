/**
 * `npx tsx bench/ab-core.ts [commit]`: the Agent Status work in one process,
 * CPU time per operation, this tree against an older commit's `src/core`
 * (default: the skeleton, 600f4f9), on the bench's 10,000-agent account.
 * Filtering + sorting (uncached and cached) and turning records into bytes.
 */
import { execSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { accountData, STATUS_FILTER } from './lib/dataset.js';
import { ROOT } from './lib/proc.js';
import * as cur from '../src/core/index.js';
import { validateBatch } from '../src/schemas/events.js';
import { toAgentFilter, toSortKeys } from '../src/schemas/agent-view.js';
import { StatusRenderer } from '../src/http/status-render.js';

const commit = process.argv[2] ?? '600f4f9';
const dir = join(ROOT, 'bench', 'tmp', `core-${commit}`);
if (!existsSync(join(dir, 'src', 'core', 'index.ts'))) {
  mkdirSync(dir, { recursive: true });
  execSync(`git archive ${commit} src/core | tar -x -C ${JSON.stringify(dir)}`, { cwd: ROOT });
}
const old = (await import(pathToFileURL(join(dir, 'src', 'core', 'index.ts')).href)) as typeof cur;

const now = Date.now();
const data = accountData(10_000, now);
const events = [];
for (let i = 0; i < data.events.length; i += 1000) events.push(...validateBatch({ events: data.events.slice(i, i + 1000) }, now));
const accOld = old.createAccountState('b');
const accCur = cur.createAccountState('b');
let seq = 0;
for (const e of events) {
  seq++;
  old.evolve(accOld, { ...e, seq });
  cur.evolve(accCur, { ...e, seq });
}
const f = toAgentFilter(STATUS_FILTER as Parameters<typeof toAgentFilter>[0], now);
const sort = toSortKeys('load:desc');

function time(name: string, fn: () => void, n: number): void {
  for (let i = 0; i < Math.min(20, n); i++) fn();
  const xs: number[] = [];
  for (let k = 0; k < 5; k++) {
    const t = process.cpuUsage();
    for (let i = 0; i < n; i++) fn();
    const u = process.cpuUsage(t);
    xs.push((u.user + u.system) / n);
  }
  xs.sort((a, b) => a - b);
  process.stdout.write(`${name.padEnd(52)} ${xs[2]!.toFixed(1).padStart(9)} µs CPU (median of 5)\n`);
}

const pages = new cur.PageCache();
const renderer = new StatusRenderer();
for (const limit of [50, 1000]) {
  time(`${commit}: filter + top ${limit}`, () => old.queryAgents(accOld, f, sort, 0, limit, now), 20);
  time(`now: filter + top ${limit} (uncached)`, () => pages.compute(accCur, f, sort, 0, limit, now), 20);
  time(`now: filter + top ${limit} (cached answer)`, () => pages.query(accCur, f, sort, 0, limit, now, `k${limit}`, true), 200);
  const pOld = old.queryAgents(accOld, f, sort, 0, limit, now).agents;
  const pCur = pages.query(accCur, f, sort, 0, limit, now, `k${limit}`, true).agents;
  const n = limit === 50 ? 200 : 20;
  time(`${commit}: ${limit} records, toRecord + stringify + encode`, () => Buffer.from(JSON.stringify({ r: pOld.map((a) => old.toRecord(accOld, a, now)) })), n);
  time(`now: ${limit} records from fragments`, () => renderer.render(accCur, pCur, now, '{"r":[', ']}'), n);
}
time(`${commit}: default sort, page of 1000 of all`, () => old.queryAgents(accOld, { from: 0 }, [], 0, 1000, now), 5);
time('now: default sort, page of 1000 of all', () => pages.compute(accCur, { from: 0 }, [], 0, 1000, now), 5);
