/**
 * Measures that other parts of agentview bring along: a module
 * `bench/plugins/<name>.ts` exporting `run(ctx: Context): Promise<void>`
 * (recording keys or extras through the context) is run when present.
 * See bench/README.md.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Context } from '../lib/context.js';
import { ROOT } from '../lib/proc.js';

interface Plugin {
  run(ctx: Context): Promise<void>;
}

export async function pluginSuites(ctx: Context): Promise<void> {
  const dir = join(ROOT, 'bench', 'plugins');
  let files: string[] = [];
  try {
    files = readdirSync(dir).filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts')).sort();
  } catch {
    // no plugins yet
  }
  if (files.length === 0) ctx.log('  no bench plugins present');
  for (const f of files) {
    ctx.log(`  plugin ${f}`);
    const mod = (await import(pathToFileURL(join(dir, f)).href)) as Partial<Plugin>;
    if (typeof mod.run !== 'function') throw new Error(`bench/plugins/${f} exports no run(ctx)`);
    await mod.run(ctx);
  }
}
