/**
 * `npx tsx bench/profile.ts <status50|status1000|empty|ingest|summary> [seconds]`
 *
 * Runs one bench scenario against a server started with `--cpu-prof` and
 * prints where the server's CPU time went (self time by function, and
 * inclusive time of agentview's own functions). The `.cpuprofile` file stays
 * in bench/tmp/prof/ for Chrome DevTools or speedscope.
 */
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { loadRunner, makeTmp, SIZES } from './lib/context.js';
import { accountData, STATUS_FILTER } from './lib/dataset.js';
import { ADMIN_TOKEN, ROOT } from './lib/proc.js';
import { ingestAll, removeDir, startService } from './lib/service.js';

interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  children?: number[];
}

/** Self and inclusive sample counts per function from a V8 .cpuprofile. */
export function summarize(file: string, top = 25): string {
  const prof = JSON.parse(readFileSync(file, 'utf8')) as { nodes: Node[] };
  const byId = new Map(prof.nodes.map((n) => [n.id, n]));
  const name = (n: Node) => {
    const url = n.callFrame.url.replace(/^file:\/\//, '').replace(ROOT + '/', '');
    return `${n.callFrame.functionName || '(anonymous)'} ${url ? `${url}:${n.callFrame.lineNumber + 1}` : ''}`.trim();
  };
  const self = new Map<string, number>();
  const incl = new Map<string, number>();
  let total = 0;
  const walk = (id: number, stack: Set<string>): number => {
    const n = byId.get(id)!;
    const k = name(n);
    let sum = n.hitCount ?? 0;
    self.set(k, (self.get(k) ?? 0) + sum);
    total += sum;
    const inStack = stack.has(k);
    if (!inStack) stack.add(k);
    for (const c of n.children ?? []) sum += walk(c, stack);
    if (!inStack) {
      stack.delete(k);
      incl.set(k, (incl.get(k) ?? 0) + sum);
    }
    return sum;
  };
  walk(prof.nodes[0]!.id, new Set());
  const pct = (x: number) => `${((100 * x) / total).toFixed(1).padStart(5)} %`;
  const lines = [`self time (${total} samples):`];
  for (const [k, v] of [...self].sort((a, b) => b[1] - a[1]).slice(0, top)) lines.push(`  ${pct(v)}  ${k}`);
  lines.push('inclusive, agentview code:');
  for (const [k, v] of [...incl].filter(([k]) => k.includes('dist/') || k.includes('src/')).sort((a, b) => b[1] - a[1]).slice(0, top)) {
    lines.push(`  ${pct(v)}  ${k}`);
  }
  return lines.join('\n');
}

async function main(): Promise<void> {
  const scenario = process.argv[2] ?? 'status50';
  const seconds = Number(process.argv[3] ?? 5);
  execFileSync(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json'], { cwd: ROOT, stdio: 'inherit' });
  const dir = join(makeTmp(), 'prof');
  rmSync(dir, { recursive: true, force: true });
  const svc = await startService('dist', { nodeArgs: ['--cpu-prof', '--cpu-prof-dir', dir] });
  const load = loadRunner({ ...SIZES.quick, durationS: seconds, warmupS: 1 });
  const headers = { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' };
  try {
    const data = accountData(10_000, Date.now());
    await ingestAll(svc, 'bench', data.events);
    const body = JSON.stringify(STATUS_FILTER);
    let r;
    if (scenario === 'ingest') {
      r = await load({ url: `${svc.url}/api/account/bench/events`, method: 'POST', headers, connections: 4, ingest: { active: data.active, batch: 100, prefix: 'p' } });
    } else if (scenario === 'empty') {
      r = await load({ url: `${svc.url}/messaging_history/api/account/none/agent-view/status`, method: 'POST', headers, body, connections: 10 });
    } else if (scenario === 'summary') {
      r = await load({ url: `${svc.url}/messaging_history/api/account/bench/agent-view/summary`, method: 'POST', headers, body, connections: 10 });
    } else {
      const limit = scenario === 'status1000' ? 1000 : 50;
      r = await load({ url: `${svc.url}/messaging_history/api/account/bench/agent-view/status?limit=${limit}&sort=load:desc`, method: 'POST', headers, body, connections: 10 });
    }
    process.stdout.write(`${scenario}: ${r.rps.toFixed(0)} req/s, p99 ${r.p99} ms\n`);
  } finally {
    await svc.stop('SIGTERM');
    removeDir(svc.dataDir);
  }
  const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
  if (!file) throw new Error('no profile written');
  process.stdout.write(`${summarize(join(dir, file))}\nprofile: ${join(dir, file)}\n`);
}

if (process.argv[1]?.endsWith('profile.ts')) await main();
