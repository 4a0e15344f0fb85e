/**
 * What only the SQLite adapter promises beyond the EventLog contract: group
 * commit, transaction hooks that commit or fail with the events, close()
 * committing what is queued, and refusal of data written by a newer version.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { IngestEvent } from '../../core/index.js';
import type { LogEntry } from '../../ports/index.js';
import { tempDir } from '../../../test/helpers/server.js';
import { DataFormatError, migrate, openDatabase, SqliteEventLog, type SqliteDatabase } from './index.js';

const T = 1_700_000_000_000;
const hb = (agentId: string, eventId?: string): IngestEvent =>
  eventId === undefined ? { type: 'agent.heartbeat', agentId, time: T } : { type: 'agent.heartbeat', agentId, time: T, eventId };

let dir: string;
const dbs: SqliteDatabase[] = [];
const file = () => join(dir, 'agentview.db');
const open = () => {
  const db = openDatabase(file());
  dbs.push(db);
  return db;
};
afterEach(() => {
  for (const d of dbs.splice(0)) if (d.open) d.close();
  rmSync(dir, { recursive: true, force: true });
});
const setup = () => {
  dir = tempDir('agentview-sqlite-');
  const db = open();
  return { db, log: new SqliteEventLog(db) };
};

async function readAll(log: SqliteEventLog): Promise<LogEntry[]> {
  const out: LogEntry[] = [];
  for await (const c of log.read(0)) out.push(...c);
  return out;
}

describe('SqliteEventLog', () => {
  it('commits appends made in the same turn of the event loop in one transaction', async () => {
    const { log } = setup();
    const groups: number[] = [];
    log.addTransactionHook((entries) => groups.push(entries.length));
    await Promise.all([log.append({ account: 'A', events: [hb('1'), hb('2')] }), log.append({ account: 'B', events: [hb('3')] }), log.append({ account: 'A', events: [hb('4')] })]);
    await log.append({ account: 'A', events: [hb('5')] });
    expect(groups).toEqual([4, 1]);
  });

  it('a failing transaction hook rejects every append of the group and leaves no trace', async () => {
    const { db, log } = setup();
    await log.append({ account: 'A', events: [hb('0', 'before')] });
    let fail = true;
    log.addTransactionHook(() => {
      if (fail) throw new Error('derived write failed');
    });
    const seen: LogEntry[] = [];
    const sub = log.subscribe(0, (e) => seen.push(...e));
    await sub.caughtUp;
    const results = await Promise.allSettled([
      log.append({ account: 'A', events: [hb('1', 'x'), hb('2')] }),
      log.append({ account: 'B', events: [hb('3', 'y')] }),
    ]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    expect(await log.head()).toBe(1);
    expect((await readAll(log)).length).toBe(1);
    expect(seen.length).toBe(1);
    expect(db.prepare('SELECT COUNT(*) AS n FROM event_ids').get()).toEqual({ n: 1 });

    fail = false;
    // Sequence numbers and eventIds are as if the failed group never happened.
    expect(await log.append({ account: 'A', events: [hb('1', 'x'), hb('2')] })).toMatchObject({ accepted: 2, duplicates: 0, lastSeq: 3, position: 3 });
    expect(await log.append({ account: 'B', events: [hb('3', 'y')] })).toMatchObject({ accepted: 1, lastSeq: 1, position: 4 });
    expect(seen.map((e) => e.position)).toEqual([1, 2, 3, 4]);
    sub.close();
  });

  it('close() commits what is queued, then refuses appends', async () => {
    const { db, log } = setup();
    const pending = log.append({ account: 'A', events: [hb('1', 'q')] });
    await log.close();
    await expect(pending).resolves.toMatchObject({ accepted: 1, lastSeq: 1 });
    await expect(log.append({ account: 'A', events: [hb('2')] })).rejects.toThrow(/closed/);
    db.close();
    const again = new SqliteEventLog(open());
    expect(await again.head()).toBe(1);
    expect(await again.append({ account: 'A', events: [hb('1', 'q')] })).toMatchObject({ accepted: 0, duplicates: 1, lastSeq: 1 });
  });

  it('buffers entries committed while a subscriber reads its backlog, and delivers them after it', async () => {
    const { log } = setup();
    // 8000 entries: more than one backlog chunk, so reading them spans several turns.
    for (let i = 0; i < 8; i++) await log.append({ account: 'A', events: Array.from({ length: 1000 }, (_, j) => hb(String(j))) });
    const positions: number[] = [];
    let caughtUp = false;
    const sub = log.subscribe(0, (e) => positions.push(...e.map((x) => x.position)));
    void sub.caughtUp.then(() => (caughtUp = true));
    const r = await log.append({ account: 'B', events: [hb('live')] });
    // The live append committed while the backlog (8000 entries, read in chunks) was still being delivered.
    expect(caughtUp).toBe(false);
    await sub.caughtUp;
    expect(positions).toEqual(Array.from({ length: r.position }, (_, i) => i + 1));
    sub.close();
  });

  it('refuses a data file written by a newer agentview', () => {
    const { db } = setup();
    db.prepare(`UPDATE schema_versions SET version = 99 WHERE component = 'data'`).run();
    db.close();
    expect(() => openDatabase(file())).toThrow(DataFormatError);
  });

  it('refuses a component schema newer than this build, and migrates older ones in order', () => {
    const { db } = setup();
    const ran: number[] = [];
    const migrations = [
      { version: 2, up: () => ran.push(2) },
      { version: 1, up: () => ran.push(1) },
    ];
    migrate(db, 'thing', migrations);
    migrate(db, 'thing', migrations);
    expect(ran).toEqual([1, 2]);
    expect(() => migrate(db, 'thing', [{ version: 1, up: () => undefined }])).toThrow(DataFormatError);
  });
});
