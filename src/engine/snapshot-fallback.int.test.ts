/**
 * A damaged snapshot never stops a start: the engine warns, falls back to the
 * previous snapshot, or replays the whole log, and ends in the same state.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { IngestEvent } from '../core/index.js';
import { openDatabase, SqliteEventLog, SqliteSnapshotStore, type SqliteDatabase } from '../adapters/sqlite/index.js';
import { tempDir } from '../../test/helpers/server.js';
import { Engine, SnapshotFallbackError } from './index.js';

const clock = { now: () => 1_700_000_100_000 };
const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const login = (agentId: string): IngestEvent => ({ type: 'agent.loggedIn', agentId, eventId: `in-${agentId}`, time: 1_700_000_000_000 });

/** A store with two snapshots (after 2 and after 4 events) and 5 events in the log. */
async function store(): Promise<{ db: SqliteDatabase; file: string }> {
  const d = tempDir('agentview-snap-');
  dirs.push(d);
  const file = join(d, 'agentview.db');
  const db = openDatabase(file);
  const engine = new Engine(new SqliteEventLog(db), new SqliteSnapshotStore(db), clock, { timeoutSweepMs: 0, snapshotIntervalMs: 0 });
  await engine.start();
  await engine.ingest('acme', [login('1'), login('2')]);
  await engine.snapshot();
  await engine.ingest('acme', [login('3'), login('4')]);
  await engine.snapshot();
  await engine.ingest('acme', [login('5')]);
  await engine.stop();
  return { db, file };
}

async function restart(db: SqliteDatabase) {
  const warnings: string[] = [];
  const engine = new Engine(new SqliteEventLog(db), new SqliteSnapshotStore(db), clock, {
    timeoutSweepMs: 0,
    snapshotIntervalMs: 0,
    onWarning: (_err, what) => warnings.push(what),
    onError: (err) => {
      throw err;
    },
  });
  await engine.start();
  return { engine, warnings };
}

const agents = (engine: Engine) => [...engine.account('acme')!.agents.keys()].sort();

describe('snapshot fallback', () => {
  it('uses the latest snapshot when it is sound', async () => {
    const { db } = await store();
    const { engine, warnings } = await restart(db);
    expect(warnings).toEqual([]);
    expect(engine.startStats).toEqual({ snapshotPosition: 4, replayedEntries: 1, skippedSnapshots: 0 });
    expect(agents(engine)).toEqual(['1', '2', '3', '4', '5']);
    db.close();
  });

  it('falls back to the previous snapshot when the latest is not readable', async () => {
    const { db } = await store();
    db.prepare('UPDATE snapshots SET data = ? WHERE pos = 4').run('{"position": 4, "accounts": [tru');
    const { engine, warnings } = await restart(db);
    expect(warnings).toEqual(['snapshot unreadable; trying the previous one']);
    expect(engine.startStats).toEqual({ snapshotPosition: 2, replayedEntries: 3, skippedSnapshots: 1 });
    expect(agents(engine)).toEqual(['1', '2', '3', '4', '5']);
    db.close();
  });

  it('falls back when the latest does not decode (unknown format), and replays everything when none is usable', async () => {
    const { db } = await store();
    // A snapshot written by a newer format: readable JSON the decoder refuses.
    const latest = JSON.parse(db.prepare('SELECT data FROM snapshots WHERE pos = 4').pluck().get() as string);
    latest.accounts[0].v = 99;
    db.prepare('UPDATE snapshots SET data = ? WHERE pos = 4').run(JSON.stringify(latest));
    const first = await restart(db);
    expect(first.warnings).toEqual(['snapshot does not decode; trying the previous one']);
    expect(first.engine.startStats.snapshotPosition).toBe(2);
    expect(agents(first.engine)).toEqual(['1', '2', '3', '4', '5']);

    db.prepare('UPDATE snapshots SET data = ? WHERE pos = 2').run('not json');
    const second = await restart(db);
    expect(second.warnings).toEqual([
      'snapshot does not decode; trying the previous one',
      'snapshot unreadable; trying the previous one',
      'no usable snapshot left; replaying the whole log',
    ]);
    expect(second.engine.startStats).toEqual({ snapshotPosition: 0, replayedEntries: 5, skippedSnapshots: 2 });
    expect(agents(second.engine)).toEqual(['1', '2', '3', '4', '5']);
    expect(second.engine.account('acme')!.seq).toBe(5);
    db.close();
  });

  it('refuses to start when retention dropped what the fallback snapshot needs (instead of serving a view with holes)', async () => {
    const { db } = await store();
    // Retention may drop everything the latest snapshot (position 4) covers.
    db.prepare('DELETE FROM events WHERE pos <= 4').run();
    db.prepare('UPDATE snapshots SET data = ? WHERE pos = 4').run('damaged');
    await expect(restart(db)).rejects.toThrow(SnapshotFallbackError);
    await expect(restart(db)).rejects.toThrow(/account acme: seq 3–4 missing.*restore the data directory from a backup/);
    db.close();
  });
});
