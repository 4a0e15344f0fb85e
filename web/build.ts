/**
 * Builds the wallboard into web/dist: the bundle (Preact, uPlot, our code and
 * CSS) by esbuild, plus index.html and the icon. `npm run build` runs this;
 * the browser tests call `buildWeb()` first.
 */
import { copyFile, mkdir, rm } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));

export async function buildWeb(options: { minify?: boolean } = {}): Promise<string> {
  const out = here('./dist/');
  await rm(out, { recursive: true, force: true });
  await mkdir(here('./dist/assets/'), { recursive: true });
  await build({
    entryPoints: { app: here('./src/main.tsx') },
    outdir: here('./dist/assets/'),
    bundle: true,
    format: 'esm',
    target: ['es2022', 'chrome110', 'firefox110', 'safari16'],
    jsx: 'automatic',
    jsxImportSource: 'preact',
    minify: options.minify ?? true,
    sourcemap: true,
    legalComments: 'linked',
    logLevel: 'warning',
  });
  await copyFile(here('./index.html'), here('./dist/index.html'));
  await copyFile(here('./favicon.svg'), here('./dist/assets/favicon.svg'));
  return out;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const out = await buildWeb();
  process.stdout.write(`wallboard built into ${out}\n`);
}
