import { createWriteStream, existsSync, renameSync, rmSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import type { Command } from 'commander';
import { backupDatabase, lockDataDir, openDatabase, validateBackup, type BackupSummary } from '../../adapters/sqlite/index.js';
import { HttpError, targetFrom } from '../http-client.js';

function describe(file: string, s: BackupSummary): string {
  return `backup written to ${file}: ${s.bytes} bytes, ${s.events} events in ${s.accounts} accounts, log position ${s.position}\n`;
}

/** Online: the running server streams a consistent copy (POST /api/admin/backup). */
async function online(file: string, opts: { url?: string; token?: string }): Promise<BackupSummary> {
  const target = targetFrom(opts);
  const res = await fetch(new URL('/api/admin/backup', target.url), {
    method: 'POST',
    headers: target.token ? { authorization: `Bearer ${target.token}` } : {},
  });
  if (!res.ok || !res.body) {
    const text = await res.text();
    let body: unknown = text;
    try {
      body = JSON.parse(text);
    } catch {
      // keep the text
    }
    throw new HttpError(res.status, body);
  }
  const partial = join(dirname(file), `.${basename(file)}.partial`);
  try {
    await pipeline(Readable.fromWeb(res.body as WebReadableStream<Uint8Array>), createWriteStream(partial));
    // Check what arrived before it takes the file's name.
    const summary = validateBackup(partial);
    renameSync(partial, file);
    return summary;
  } catch (err) {
    rmSync(partial, { force: true });
    throw err;
  }
}

/** Offline: straight from a stopped server's data directory. */
async function offline(file: string, dataDir: string): Promise<BackupSummary> {
  const source = join(dataDir, 'agentview.db');
  if (!existsSync(source)) throw new Error(`no agentview data file in ${dataDir}`);
  let lock;
  try {
    lock = lockDataDir(dataDir, 'backup');
  } catch (err) {
    throw new Error(`${(err as Error).message}; while it runs, back up online: agentview backup ${file} (without --data-dir)`);
  }
  try {
    const db = openDatabase(source);
    try {
      return await backupDatabase(db, file);
    } finally {
      db.close();
    }
  } finally {
    lock.release();
  }
}

export function registerBackup(program: Command): void {
  program
    .command('backup')
    .description('write a consistent backup of the embedded store to <file> (from the running server, or with --data-dir from a stopped one)')
    .argument('<file>', 'where to write the backup (an SQLite file)')
    .option('--url <url>', 'server URL (default $AGENTVIEW_URL or http://127.0.0.1:$PORT)')
    .option('--token <token>', 'admin token (default $AGENTVIEW_TOKEN or $AGENTVIEW_ADMIN_TOKEN)')
    .option('--data-dir <dir>', 'back up this data directory directly (the server must be stopped)')
    .action(async (fileArg: string, opts: { url?: string; token?: string; dataDir?: string }) => {
      const file = resolve(fileArg);
      const summary = opts.dataDir ? await offline(file, opts.dataDir) : await online(file, opts);
      process.stdout.write(describe(file, summary));
    });
}
