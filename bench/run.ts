/**
 * `npm run bench [-- --quick | --tiny] [--only a,b] [--update] [--out file] [--runner dist|tsx] [--no-build]`
 *
 * Measures agentview against this machine's own ceilings, each as a ratio to
 * a baseline measured in the same run (machines here are shared and noisy;
 * absolute numbers do not compare between runs). Writes `bench/results.json`
 * (the keys, with measures, baselines and runs) and `bench/results.md`
 * (a readable table), and prints the table.
 */
import { execFileSync } from 'node:child_process';
import { cpus } from 'node:os';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadRunner, makeTmp, SIZES, type Context, type KeyResult, type Mode } from './lib/context.js';
import { ROOT } from './lib/proc.js';
import type { Runner } from './lib/service.js';
import { statusSuite } from './suites/status.js';
import { ingestSuite } from './suites/ingest.js';
import { memorySuite } from './suites/memory.js';
import { recoverySuite } from './suites/recovery.js';
import { streamSuite } from './suites/stream.js';
import { pluginSuites } from './suites/plugins.js';

/** The keys, in the order, with their targets. */
export const KEYS: Record<string, string> = {
  status_query_ratio: '≥ 0.5',
  status_page1000_ratio: '≥ 0.6',
  ingest_ratio: '≥ 0.5',
  stream_latency_ratio: '≤ 1.5',
  memory_bytes_per_agent: '≤ 1500',
  recovery_ratio: '≤ 0.5',
  cluster_ingest_ratio: '≥ 0.5',
};

const SUITES: Record<string, (ctx: Context) => Promise<void>> = {
  status: statusSuite,
  ingest: ingestSuite,
  stream: streamSuite,
  memory: memorySuite,
  recovery: recoverySuite,
  plugins: pluginSuites,
};

interface Args {
  mode: Mode;
  only: string[] | undefined;
  out: string;
  runner: Runner;
  build: boolean;
  /** Keep what an existing results file holds for suites not run now. */
  update: boolean;
}

function parseArgs(argv: string[]): Args {
  const args: Args = { mode: 'full', only: undefined, out: join(ROOT, 'bench', 'results.json'), runner: 'dist', build: true, update: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--quick') args.mode = 'quick';
    else if (a === '--tiny') args.mode = 'tiny';
    else if (a === '--full') args.mode = 'full';
    else if (a === '--only') args.only = argv[++i]!.split(',');
    else if (a === '--out') args.out = argv[++i]!;
    else if (a === '--runner') args.runner = argv[++i] === 'tsx' ? 'tsx' : 'dist';
    else if (a === '--no-build') args.build = false;
    else if (a === '--update') args.update = true;
    else throw new Error(`unknown argument ${a} (use --quick, --tiny, --only suite,…, --update, --out file, --runner dist|tsx, --no-build)`);
  }
  for (const s of args.only ?? []) if (!(s in SUITES)) throw new Error(`unknown suite ${s} (${Object.keys(SUITES).join(', ')})`);
  return args;
}

function fmt(x: number | undefined): string {
  if (x === undefined || Number.isNaN(x)) return '—';
  return Math.abs(x) >= 100 ? Math.round(x).toLocaleString('en-US') : String(x);
}

export function table(keys: Record<string, KeyResult>): string {
  const lines = ['| key | value | target | measure | baseline | per CPU-second ratio |', '|---|---|---|---|---|---|'];
  for (const [key, target] of Object.entries(KEYS)) {
    const k = keys[key];
    if (!k) {
      lines.push(`| \`${key}\` | not measured | ${target} | | | |`);
      continue;
    }
    const measure = k.measure ? `${fmt(k.measure.value)} ${k.measure.unit}` : '';
    const base = k.baseline ? `${fmt(k.baseline.value)} ${k.baseline.unit} (${k.baseline.what})` : '';
    lines.push(`| \`${key}\` | **${fmt(k.value)}** | ${target} | ${measure} | ${base} | ${k.cpuRatio !== undefined ? fmt(k.cpuRatio) : ''} |`);
  }
  return lines.join('\n');
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const started = new Date();
  if (args.runner === 'dist' && args.build) {
    process.stderr.write('building dist/ (tsc -p tsconfig.build.json)…\n');
    execFileSync(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json'], { cwd: ROOT, stdio: 'inherit' });
  }
  const keys: Record<string, KeyResult> = {};
  const extras: Record<string, unknown> = {};
  const failures: Record<string, string> = {};
  let previous: { meta?: { mode?: string; startedAt?: string } } | undefined;
  if (args.update && existsSync(args.out)) {
    // Re-measure some suites, keep the rest of an earlier run of the same mode.
    const old = JSON.parse(readFileSync(args.out, 'utf8')) as { meta?: { mode?: string; startedAt?: string }; details?: Record<string, KeyResult>; extras?: Record<string, unknown> };
    if (old.meta?.mode === args.mode) {
      Object.assign(keys, old.details ?? {});
      Object.assign(extras, old.extras ?? {});
      previous = old;
    }
  }
  const sizes = SIZES[args.mode];
  const ctx: Context = {
    mode: args.mode,
    sizes,
    runner: args.runner,
    tmp: makeTmp(),
    log: (m) => process.stderr.write(`${m}\n`),
    record: (key, r) => {
      keys[key] = { ...r, target: KEYS[key] ?? r.target };
      process.stderr.write(`→ ${key} = ${r.value}\n`);
    },
    extra: (key, v) => {
      extras[key] = v;
    },
    load: loadRunner(sizes),
  };
  for (const [name, suite] of Object.entries(SUITES)) {
    if (args.only && !args.only.includes(name)) continue;
    const t0 = performance.now();
    ctx.log(`== ${name}`);
    try {
      await suite(ctx);
    } catch (err) {
      failures[name] = err instanceof Error ? (err.stack ?? err.message) : String(err);
      ctx.log(`suite ${name} failed: ${failures[name]}`);
    }
    ctx.log(`   (${((performance.now() - t0) / 1000).toFixed(1)} s)`);
  }
  const flat: Record<string, number> = {};
  for (const k of Object.keys(KEYS)) if (keys[k]) flat[k] = keys[k].value;
  const results = {
    ...flat,
    meta: {
      ...(previous ? { updatedFrom: previous.meta?.startedAt, suitesRerun: args.only } : {}),
      mode: args.mode,
      runner: args.runner,
      startedAt: started.toISOString(),
      seconds: Math.round((Date.now() - started.getTime()) / 1000),
      node: process.version,
      cpus: cpus().length,
      cpuModel: cpus()[0]?.model ?? 'unknown',
      sizes,
    },
    targets: KEYS,
    details: keys,
    extras,
    failures,
  };
  writeFileSync(args.out, JSON.stringify(results, null, 2) + '\n');
  const when = previous
    ? `${previous.meta?.startedAt ?? '?'} (${(args.only ?? []).join(', ')} re-measured at ${started.toISOString()})`
    : started.toISOString();
  const md = `Mode \`${args.mode}\`, ${when}, Node ${process.version}, ${cpus().length} × ${results.meta.cpuModel}\n\n${table(keys)}\n`;
  writeFileSync(args.out.replace(/\.json$/, '') + '.md', md);
  process.stdout.write(`\n${md}\n`);
  if (Object.keys(extras).length > 0) process.stdout.write(`extras: ${JSON.stringify(extras)}\n`);
  if (Object.keys(failures).length > 0) {
    process.stdout.write(`failed suites: ${Object.keys(failures).join(', ')}\n`);
    process.exitCode = 1;
  }
}

await main();
