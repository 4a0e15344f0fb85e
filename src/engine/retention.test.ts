import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock, tempDir } from '../../test/helpers/server.js';
import {
  openDatabase,
  SqliteEventLog,
  SqliteHistoryIndex,
  SqliteLogCompactor,
  SqliteSnapshotStore,
} from '../adapters/sqlite/index.js';
import { MemoryEventLog, MemoryHistoryIndex, MemorySnapshotStore } from '../adapters/memory/index.js';
import { encodeAccount, type IngestEvent } from '../core/index.js';
import { Engine } from './engine.js';
import { DAY_MS, RetentionService } from './retention.js';

const NOW = Date.UTC(2024, 5, 1);
const OLD = NOW - 100 * DAY_MS;
const RECENT = NOW - DAY_MS;

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function open(file: string, clock: ManualClock) {
  const db = openDatabase(file, { synchronous: 'normal' });
  const log = new SqliteEventLog(db);
  const snapshots = new SqliteSnapshotStore(db);
  const history = new SqliteHistoryIndex(db, log, snapshots);
  const compactor = new SqliteLogCompactor(db, 3);
  const engine = new Engine(log, snapshots, clock, { timeoutSweepMs: 0, snapshotIntervalMs: 0 });
  const retention = new RetentionService(engine, history, compactor, clock, { retentionDays: 90, intervalMs: 3_600_000 });
  return {
    db,
    log,
    history,
    compactor,
    engine,
    retention,
    count: (sql: string) => db.prepare(sql).pluck().get() as number,
    async close() {
      await retention.stop();
      await engine.stop();
      await log.close();
      db.close();
    },
  };
}

const hour = 3_600_000;
function oldEvents(): IngestEvent[] {
  return [
    { type: 'account.settingsChanged', connectionTimeoutMs: 86_400_000, time: OLD },
    { type: 'agent.upserted', agentId: '1', name: 'Ann', maxSlots: 2, time: OLD, eventId: 'e1' },
    { type: 'agent.loggedIn', agentId: '1', time: OLD + hour, eventId: 'e2' },
    { type: 'conversation.assigned', agentId: '1', conversationId: 'c1', time: OLD + hour, eventId: 'e3' },
    { type: 'agent.statusChanged', agentId: '1', status: 'AWAY', reasonId: 'r', time: OLD + 2 * hour, eventId: 'e4' },
    { type: 'agent.loggedIn', agentId: '2', time: OLD + 2 * hour, eventId: 'e5' },
    { type: 'agent.loggedOut', agentId: '2', time: OLD + 3 * hour, eventId: 'e6' },
  ];
}
function recentEvents(): IngestEvent[] {
  return [
    { type: 'agent.statusChanged', agentId: '1', status: 'ONLINE', time: RECENT, eventId: 'r1' },
    { type: 'agent.heartbeat', agentId: '1', time: RECENT + hour, eventId: 'r2' },
  ];
}

describe('retention (sqlite)', () => {
  it('drops old events, their ids and ended history rows, keeping live state, recovery and history of the retained time', async () => {
    const dir = tempDir();
    dirs.push(dir);
    const file = join(dir, 'x.db');
    const clock = new ManualClock(NOW);
    let s = open(file, clock);
    await s.engine.start();
    await s.engine.ingest('a', oldEvents());
    await s.engine.ingest('a', recentEvents());
    const liveBefore = encodeAccount(s.engine.account('a')!);
    const recentHistory = await s.history.segments('a', { from: NOW - 30 * DAY_MS, to: NOW, now: NOW, filter: {} }, 100);
    // agent 1: OFFLINE, ONLINE, AWAY, AWAY DISCONNECTED (a day after its last activity), ONLINE; agent 2: ONLINE, OFFLINE
    expect(s.count('SELECT COUNT(*) FROM history_segments')).toBe(7);

    const r = await s.retention.runOnce();
    expect(r.beforeTime).toBe(NOW - 90 * DAY_MS);
    // all 7 old events go (a snapshot was taken first so they are covered)
    expect(r).toMatchObject({ events: 7, eventIds: 6, upTo: 7 });
    expect(s.count('SELECT MIN(pos) FROM events')).toBe(8);
    expect(s.count('SELECT COUNT(*) FROM event_ids')).toBe(2);
    // ended before the cutoff: agent 1's first three, agent 2's ONLINE; open rows stay
    expect(r.historyRows).toBe(4);
    expect(s.count(`SELECT COUNT(*) FROM history_segments WHERE end_ms < ${NOW - 90 * DAY_MS}`)).toBe(0);
    expect(encodeAccount(s.engine.account('a')!)).toEqual(liveBefore);
    expect(await s.history.segments('a', { from: NOW - 30 * DAY_MS, to: NOW, now: NOW, filter: {} }, 100)).toEqual(recentHistory);

    // de-duplication holds within retention only
    const again = await s.engine.ingest('a', [
      { type: 'agent.heartbeat', agentId: '1', time: NOW, eventId: 'r2' },
      { type: 'agent.heartbeat', agentId: '1', time: NOW, eventId: 'e2' },
    ]);
    expect(again).toMatchObject({ accepted: 1, duplicates: 1 });
    await s.close();

    // recovery from the snapshot and the retained tail gives the same state,
    // and positions keep increasing
    s = open(file, clock);
    await s.engine.start();
    expect(s.engine.position).toBe(10);
    const live = encodeAccount(s.engine.account('a')!);
    expect({ ...live, agents: live.agents.map((a) => a.slice(0, 13)) }).toEqual({ ...liveBefore, seq: 10, agents: liveBefore.agents.map((a) => a.slice(0, 13)) });
    const res = await s.engine.ingest('a', [{ type: 'agent.loggedOut', agentId: '1', time: NOW + 1000 }]);
    expect(res.lastSeq).toBe(11);
    expect(s.engine.account('a')!.agents.get('1')!.status).toBe('OFFLINE');
    expect(s.history.position()).toBe(11);
    await s.close();
  });

  it('never drops entries a durable snapshot does not cover, nor the newest entry', async () => {
    const dir = tempDir();
    dirs.push(dir);
    const clock = new ManualClock(NOW);
    const s = open(join(dir, 'x.db'), clock);
    await s.log.append({ account: 'a', events: oldEvents() });
    // nothing covered by a snapshot: nothing goes
    expect(await s.compactor.compact({ beforeTime: NOW, maxPosition: 0 })).toEqual({ events: 0, eventIds: 0, upTo: 0 });
    expect(await s.compactor.compact({ beforeTime: NOW, maxPosition: 3 })).toMatchObject({ events: 3, upTo: 3 });
    // everything old and covered: the newest entry stays
    expect(await s.compactor.compact({ beforeTime: NOW, maxPosition: 7 })).toMatchObject({ events: 3, upTo: 6 });
    expect(s.count('SELECT COUNT(*) FROM events')).toBe(1);
    // a recent entry in the middle stops the prefix
    await s.log.append({ account: 'a', events: [...recentEvents(), { type: 'agent.heartbeat', agentId: '1', time: OLD, eventId: 'late' }] });
    expect(await s.compactor.compact({ beforeTime: NOW - 10 * DAY_MS, maxPosition: 10 })).toMatchObject({ events: 1, upTo: 7 });
    expect(s.count('SELECT MIN(pos) FROM events')).toBe(8);
    await s.close();
  });

  it('runs on its own schedule', async () => {
    const dir = tempDir();
    dirs.push(dir);
    const clock = new ManualClock(NOW);
    const s = open(join(dir, 'x.db'), clock);
    await s.engine.start();
    await s.engine.ingest('a', [...oldEvents(), ...recentEvents()]);
    const done = new Promise<number>((resolve) => {
      const r = new RetentionService(s.engine, s.history, s.compactor, clock, {
        retentionDays: 90,
        intervalMs: 1000,
        onCompacted: (x) => {
          void r.stop();
          resolve(x.events);
        },
      });
      r.start();
    });
    expect(await done).toBe(7);
    await s.close();
  });
});

describe('retention (memory store)', () => {
  it('compacts history rows; the memory log is left to the process lifetime', async () => {
    const clock = new ManualClock(NOW);
    const log = new MemoryEventLog();
    const history = new MemoryHistoryIndex();
    log.subscribe(0, (e) => history.apply(e));
    const engine = new Engine(log, new MemorySnapshotStore(), clock, { timeoutSweepMs: 0, snapshotIntervalMs: 0 });
    await engine.start();
    await engine.ingest('a', [...oldEvents(), ...recentEvents()]);
    const r = await new RetentionService(engine, history, undefined, clock, { retentionDays: 90, intervalMs: 1000 }).runOnce();
    expect(r).toMatchObject({ events: 0, historyRows: 4 });
    await engine.stop();
  });
});
