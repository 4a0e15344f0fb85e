/**
 * Backups: `agentview backup` against a running server under write load,
 * `agentview restore` into a stopped data directory, and a server started on
 * the restored data serving exactly what the backup held. Refusals: a running
 * server, damaged or foreign files, stores that cannot be backed up.
 */
import { execFile } from 'node:child_process';
import { copyFileSync, existsSync, readdirSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { DataDirLockedError, DataFileError, restoreBackup, validateBackup } from '../../src/adapters/sqlite/index.js';
import { MemoryEventLog, MemorySnapshotStore } from '../../src/adapters/memory/index.js';
import { Engine } from '../../src/engine/index.js';
import { buildApp } from '../../src/http/app.js';
import { adminTokenAuthenticator } from '../../src/http/plugins/auth.js';
import { REPO_ROOT } from '../helpers/child-server.js';
import { ADMIN_TOKEN, startTestServer, tempDir, type TestServer } from '../helpers/server.js';

const run = promisify(execFile);
const cli = (...args: string[]) =>
  run(process.execPath, ['--import', 'tsx', 'src/cli/index.ts', ...args], { cwd: REPO_ROOT, env: { ...process.env, AGENTVIEW_ADMIN_TOKEN: '' } });

const dirs: string[] = [];
const servers: TestServer[] = [];
const dir = () => {
  const d = tempDir('agentview-backup-');
  dirs.push(d);
  return d;
};
afterEach(async () => {
  for (const s of servers.splice(0)) await s.stop();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const logins = (from: number, n: number) =>
  Array.from({ length: n }, (_, i) => ({ type: 'agent.loggedIn', agentId: String(from + i), eventId: `e-${from + i}` }));

describe('backup and restore round trip', () => {
  it('backs up a running server under writes and restores it into a stopped data directory', { timeout: 90_000 }, async () => {
    const source = await startTestServer({}, { dataDir: dir() });
    servers.push(source);
    expect((await source.call('POST', '/api/account/acme/events', { events: logins(1, 300) })).status).toBe(200);
    expect((await source.call('POST', '/api/account/beta/events', { events: logins(1, 5) })).status).toBe(200);

    // Writes keep landing while the backup is taken.
    let writing = true;
    let next = 1000;
    const writer = (async () => {
      while (writing) {
        const r = await source.call('POST', '/api/account/acme/events', { events: logins(next, 10) });
        expect(r.status).toBe(200);
        next += 10;
      }
    })();
    const out = dir();
    const file = join(out, 'nightly.db');
    const { stdout } = await cli('backup', file, '--url', source.url, '--token', ADMIN_TOKEN);
    writing = false;
    await writer;
    expect(stdout).toMatch(/^backup written to .*nightly\.db: \d+ bytes, \d+ events in 2 accounts, log position \d+/);
    expect(readdirSync(out)).toEqual(['nightly.db']); // no partial or -wal file beside it
    const summary = validateBackup(file);
    // Consistent: one moment of the log, every event up to its position and nothing else.
    expect(summary.events).toBe(summary.position);
    expect(summary.position).toBeGreaterThanOrEqual(305);
    expect(summary.components).toMatchObject({ data: 1, 'event-log': 1, snapshots: 1 });
    await source.stop();
    servers.splice(servers.indexOf(source), 1);

    // Restore over an existing (different) data directory; its files are kept aside.
    const target = dir();
    const other = await startTestServer({}, { dataDir: target });
    await other.call('POST', '/api/account/zeta/events', { events: logins(1, 3) });
    await expect(Promise.resolve().then(() => restoreBackup(file, target))).rejects.toThrow(DataDirLockedError);
    await other.stop();
    const restored = await cli('restore', file, '--data-dir', target);
    expect(restored.stdout).toContain(`restored ${summary.events} events in 2 accounts (log position ${summary.position})`);
    expect(restored.stdout).toMatch(/previous data files were moved to .*pre-restore-/);
    expect(readdirSync(target).some((f) => f.startsWith('pre-restore-'))).toBe(true);

    const again = await startTestServer({}, { dataDir: target });
    servers.push(again);
    expect(again.engine.position).toBe(summary.position);
    expect(again.engine.account('zeta')).toBeUndefined();
    expect(again.engine.account('beta')?.agents.size).toBe(5);
    // Every event the backup holds is there: re-sending is all duplicates.
    const resend = await again.call('POST', '/api/account/acme/events', { events: logins(1, 300) });
    expect(resend.body).toMatchObject({ accepted: 0, duplicates: 300 });
    const status = await again.call('POST', '/messaging_history/api/account/beta/agent-view/status');
    expect(status.body._metadata.count).toBe(5);
  });

  it('backs up a stopped data directory directly with --data-dir', { timeout: 60_000 }, async () => {
    const dataDir = dir();
    const server = await startTestServer({}, { dataDir });
    await server.call('POST', '/api/account/acme/events', { events: logins(1, 7) });
    const file = join(dir(), 'offline.db');
    await server.stop();
    const { stdout } = await cli('backup', file, '--data-dir', dataDir);
    expect(stdout).toContain('7 events in 1 accounts');
    expect(validateBackup(file).position).toBe(7);
  });
});

describe('restore refuses bad input and leaves the data directory alone', () => {
  async function backupOf(events: number): Promise<string> {
    const dataDir = dir();
    const server = await startTestServer({}, { dataDir });
    await server.call('POST', '/api/account/acme/events', { events: logins(1, events) });
    const res = await fetch(`${server.url}/api/admin/backup`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/vnd.sqlite3');
    expect(res.headers.get('x-agentview-backup-position')).toBe(String(events));
    const file = join(dir(), 'b.db');
    writeFileSync(file, Buffer.from(await res.arrayBuffer()));
    // The staged copy is gone as soon as the answer started.
    expect(readdirSync(join(dataDir, 'tmp'))).toEqual([]);
    await server.stop();
    return file;
  }

  it('a truncated backup, a foreign SQLite file, a text file, a missing file', async () => {
    const good = await backupOf(500);
    const target = dir();

    const truncated = join(dir(), 'truncated.db');
    copyFileSync(good, truncated);
    truncateSync(truncated, 8192);
    expect(() => restoreBackup(truncated, target)).toThrow(DataFileError);

    const foreign = join(dir(), 'foreign.db');
    const db = new Database(foreign);
    db.exec('CREATE TABLE t (x); INSERT INTO t VALUES (1)');
    db.close();
    expect(() => restoreBackup(foreign, target)).toThrow(/not an agentview data file/);

    const text = join(dir(), 'notes.txt');
    writeFileSync(text, 'hello');
    expect(() => restoreBackup(text, target)).toThrow(DataFileError);
    expect(() => restoreBackup(join(target, 'nope.db'), target)).toThrow(/does not exist/);
    // Nothing was installed or moved aside (only the lock file was taken and released).
    expect(readdirSync(target).filter((f) => f !== 'agentview.lock')).toEqual([]);

    const newer = join(dir(), 'newer.db');
    copyFileSync(good, newer);
    const n = new Database(newer);
    n.prepare(`UPDATE schema_versions SET version = 99 WHERE component = 'data'`).run();
    n.close();
    expect(() => restoreBackup(newer, target)).toThrow(/newer than this agentview supports/);
    expect(existsSync(join(target, 'agentview.db'))).toBe(false);
  });
});

describe('backup endpoint', () => {
  it('is for operators only', async () => {
    const server = await startTestServer();
    servers.push(server);
    const res = await fetch(`${server.url}/api/admin/backup`, { method: 'POST' });
    expect(res.status).toBe(401);
  });

  it('says when the store cannot be backed up, and when a backup is already running', async () => {
    const engine = new Engine(new MemoryEventLog(), new MemorySnapshotStore(), { now: () => Date.now() });
    await engine.start();
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const base = {
      engine,
      clock: { now: () => Date.now() },
      publicUrl: 'http://agentview.test',
      authenticators: [adminTokenAuthenticator(ADMIN_TOKEN)],
      isShuttingDown: () => false,
    };
    const memoryApp = await buildApp(base);
    const none = await memoryApp.inject({ method: 'POST', url: '/api/admin/backup', headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    expect(none.statusCode).toBe(409);
    expect(none.json().code).toBe('BACKUP_NOT_SUPPORTED');
    await memoryApp.close();

    const tmp = dir();
    const slowApp = await buildApp({
      ...base,
      backup: {
        tempDir: tmp,
        backup: async (file) => {
          await gate;
          writeFileSync(file, 'x');
          return { bytes: 1, events: 0, position: 0 };
        },
      },
    });
    const auth = { authorization: `Bearer ${ADMIN_TOKEN}` };
    const first = slowApp.inject({ method: 'POST', url: '/api/admin/backup', headers: auth });
    await new Promise((r) => setImmediate(r));
    const second = await slowApp.inject({ method: 'POST', url: '/api/admin/backup', headers: auth });
    expect(second.statusCode).toBe(409);
    expect(second.json().code).toBe('BACKUP_IN_PROGRESS');
    expect(second.headers['retry-after']).toBe('5');
    release();
    expect((await first).statusCode).toBe(200);
    await slowApp.close();
    await engine.stop();
  });
});
