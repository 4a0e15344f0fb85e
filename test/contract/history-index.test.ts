/**
 * One contract for every HistoryIndex adapter, plus what only the embedded
 * store promises: rows commit with the events, stay right when a commit
 * fails, and survive restarts.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { MemoryEventLog, MemoryHistoryIndex } from '../../src/adapters/memory/index.js';
import {
  openDatabase,
  SqliteEventLog,
  SqliteHistoryIndex,
  SqliteSnapshotStore,
  type SqliteDatabase,
} from '../../src/adapters/sqlite/index.js';
import { WRITE_SQL } from '../../src/adapters/sqlite/history-index.js';
import { createAccountState, encodeAccount, evolve, type IngestEvent } from '../../src/core/index.js';
import type { HistoryIndex, LogEntry, RangeQuery, StoredSegment } from '../../src/ports/index.js';
import { tempDir } from '../helpers/server.js';

const MIN = 60_000;
const HOUR_MS = 60 * MIN;
const T0 = Date.UTC(2024, 0, 10);

/** A small account: numeric and non-numeric agent ids, groups, skills, a deletion. */
function sampleEvents(): IngestEvent[] {
  const ev: IngestEvent[] = [
    { type: 'account.settingsChanged', connectionTimeoutMs: 86_400_000, time: T0 },
    { type: 'agent.upserted', agentId: '10', groupId: '1', skillIds: ['s1'], maxSlots: 1, time: T0 },
    { type: 'agent.upserted', agentId: '9', groupId: '2', skillIds: ['s2'], time: T0 },
    { type: 'agent.upserted', agentId: 'bob', groupId: '1', skillIds: ['s1', 's2'], time: T0 },
    { type: 'agent.loggedIn', agentId: '10', time: T0 + MIN },
    { type: 'agent.loggedIn', agentId: '9', time: T0 + MIN },
    { type: 'agent.loggedIn', agentId: 'bob', status: 'AWAY', reasonId: 'r1', time: T0 + 2 * MIN },
    { type: 'conversation.assigned', agentId: '10', conversationId: 'c1', time: T0 + 3 * MIN },
    { type: 'agent.statusChanged', agentId: '9', status: 'AWAY', reasonId: 'r2', time: T0 + 4 * MIN },
    { type: 'agent.statusChanged', agentId: 'bob', status: 'ONLINE', time: T0 + 5 * MIN },
    { type: 'conversation.unassigned', conversationId: 'c1', time: T0 + 6 * MIN },
    { type: 'agent.upserted', agentId: '9', groupId: '1', time: T0 + 7 * MIN },
    { type: 'agent.loggedOut', agentId: '10', time: T0 + 8 * MIN },
    { type: 'agent.statusChanged', agentId: '9', status: 'ONLINE', time: T0 + 9 * MIN },
    { type: 'agent.loggedIn', agentId: '10', time: T0 + 10 * MIN },
    { type: 'agent.deleted', agentId: 'bob', time: T0 + 11 * MIN },
  ];
  return ev;
}

function entriesOf(events: IngestEvent[], account = 'a1', firstPos = 1): LogEntry[] {
  return events.map((e, i) => ({ position: firstPos + i, account, event: { ...e, seq: firstPos + i } }));
}

const ALL: RangeQuery = { from: T0, to: T0 + 60 * MIN, now: T0 + 12 * MIN, filter: {} };

async function allPages(ix: HistoryIndex, account: string, q: RangeQuery, limit: number): Promise<StoredSegment[]> {
  const out: StoredSegment[] = [];
  let page = await ix.segments(account, q, limit);
  out.push(...page.segments);
  while (page.next) {
    page = await ix.segments(account, q, limit, page.next);
    out.push(...page.segments);
  }
  return out;
}

const strip = (segs: StoredSegment[]) => segs.map(({ id: _id, ...s }) => s);

interface Harness {
  index: HistoryIndex;
  feed(events: IngestEvent[], account?: string): Promise<void>;
  close(): Promise<void>;
}

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const adapters: Record<string, () => Harness> = {
  memory: () => {
    const log = new MemoryEventLog();
    const index = new MemoryHistoryIndex();
    log.subscribe(0, (e) => index.apply(e));
    return {
      index,
      feed: async (events, account = 'a1') => {
        await log.append({ account, events });
      },
      close: () => log.close(),
    };
  },
  sqlite: () => {
    const dir = tempDir();
    const db = openDatabase(join(dir, 'x.db'), { synchronous: 'normal' });
    const log = new SqliteEventLog(db);
    const index = new SqliteHistoryIndex(db, log, new SqliteSnapshotStore(db));
    return {
      index,
      feed: async (events, account = 'a1') => {
        await log.append({ account, events });
      },
      close: async () => {
        await log.close();
        db.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  },
};

for (const [name, make] of Object.entries(adapters)) {
  describe(`HistoryIndex contract: ${name}`, () => {
    const open = () => {
      const h = make();
      cleanups.push(() => h.close());
      return h;
    };

    it('returns segments by agent id (numeric first, numerically) then start, clipped by the caller', async () => {
      const h = open();
      await h.feed(sampleEvents());
      const segs = await allPages(h.index, 'a1', ALL, 1000);
      expect(segs.map((s) => s.agentId)).toEqual(['9', '9', '9', '9', '9', '10', '10', '10', '10', 'bob', 'bob', 'bob']);
      // at-capacity changes do not cut segments
      expect(segs.filter((s) => s.agentId === '10').map((s) => [s.status, s.start])).toEqual([
        ['OFFLINE', T0],
        ['ONLINE', T0 + MIN],
        ['OFFLINE', T0 + 8 * MIN],
        ['ONLINE', T0 + 10 * MIN],
      ]);
      const nine = segs.filter((s) => s.agentId === '9').map((s) => [s.status, s.reasonId ?? null, s.groupId, s.start, s.end ?? null]);
      expect(nine).toEqual([
        ['OFFLINE', null, '2', T0, T0 + MIN],
        ['ONLINE', null, '2', T0 + MIN, T0 + 4 * MIN],
        ['AWAY', 'r2', '2', T0 + 4 * MIN, T0 + 7 * MIN],
        ['AWAY', 'r2', '1', T0 + 7 * MIN, T0 + 9 * MIN],
        ['ONLINE', null, '1', T0 + 9 * MIN, null],
      ]);
      expect(segs.filter((s) => s.agentId === 'bob').at(-1)!.end).toBe(T0 + 11 * MIN);
      expect(await h.index.count('a1', ALL)).toBe(12);
      expect(h.index.position()).toBe(sampleEvents().length);
    });

    it('pages with a cursor to exactly the same rows', async () => {
      const h = open();
      await h.feed(sampleEvents());
      const whole = await allPages(h.index, 'a1', ALL, 1000);
      for (const limit of [1, 2, 5]) expect(await allPages(h.index, 'a1', ALL, limit)).toEqual(whole);
    });

    it('keeps only segments with a non-empty part in the range', async () => {
      const h = open();
      await h.feed(sampleEvents());
      const q = { ...ALL, from: T0 + 4 * MIN, to: T0 + 7 * MIN };
      const segs = await allPages(h.index, 'a1', q, 1000);
      expect(segs.map((s) => `${s.agentId}:${s.status}`)).toEqual(['9:AWAY', '10:ONLINE', 'bob:AWAY', 'bob:ONLINE']);
      expect(await h.index.count('a1', q)).toBe(4);
      // an empty range holds nothing, not even segments around its instant
      expect(await h.index.count('a1', { ...ALL, from: T0 + 5 * MIN, to: T0 + 5 * MIN })).toBe(0);
      expect((await h.index.segments('a1', { ...ALL, from: T0 + 5 * MIN, to: T0 + 5 * MIN }, 10)).segments).toEqual([]);
      // an open segment ends at min(now, to): nothing after now
      const late = { ...ALL, from: T0 + 13 * MIN, to: T0 + 20 * MIN };
      expect(await h.index.count('a1', late)).toBe(0);
      expect((await h.index.segments('a1', { ...late, now: T0 + 14 * MIN }, 10)).segments.map((s) => s.agentId)).toEqual(['9', '10']);
    });

    it('filters by agent, by group and skill at the time of the segment', async () => {
      const h = open();
      await h.feed(sampleEvents());
      const q = (filter: RangeQuery['filter']) => allPages(h.index, 'a1', { ...ALL, filter }, 1000);
      expect(new Set((await q({ agentIds: ['bob', '10', 'nobody'] })).map((s) => s.agentId))).toEqual(new Set(['10', 'bob']));
      const g1 = await q({ groupIds: ['1'] });
      expect(g1.filter((s) => s.agentId === '9').map((s) => s.start)).toEqual([T0 + 7 * MIN, T0 + 9 * MIN]);
      const s2 = await q({ skillIds: ['s2'] });
      expect(new Set(s2.map((s) => s.agentId))).toEqual(new Set(['9', 'bob']));
      expect(await h.index.count('a1', { ...ALL, filter: { skillIds: ['s2'], groupIds: ['1'] } })).toBe(2 + 3);
    });

    it('gives each agent its timeline with at-capacity periods', async () => {
      const h = open();
      await h.feed(sampleEvents());
      const batches = [];
      for await (const b of h.index.timelines('a1', ALL)) batches.push(...b);
      expect(batches.map((t) => t.agentId)).toEqual(['9', '10', 'bob']);
      expect(batches[1]!.capacity).toEqual([{ agentId: '10', start: T0 + 3 * MIN, end: T0 + 6 * MIN }]);
      expect(strip(batches[0]!.segments as StoredSegment[])).toEqual(
        strip((await allPages(h.index, 'a1', ALL, 1000)).filter((s) => s.agentId === '9')),
      );
    });

    it('keeps accounts apart', async () => {
      const h = open();
      await h.feed(sampleEvents(), 'a1');
      await h.feed([{ type: 'agent.loggedIn', agentId: '9', time: T0 }], 'a2');
      expect(await h.index.count('a2', ALL)).toBe(1);
      expect(await h.index.count('a3', ALL)).toBe(0);
    });

    it('skips entries it already has (idempotent by position)', async () => {
      const h = open();
      await h.feed(sampleEvents());
      const before = await allPages(h.index, 'a1', ALL, 1000);
      h.index.apply(entriesOf(sampleEvents()));
      expect(await allPages(h.index, 'a1', ALL, 1000)).toEqual(before);
    });

    it('compacts rows that ended before a time, never open ones', async () => {
      const h = open();
      await h.feed(sampleEvents());
      const removed = await h.index.compact(T0 + 5 * MIN);
      const left = await allPages(h.index, 'a1', ALL, 1000);
      // ended before 00:05: 9 OFFLINE, 9 ONLINE, 10 OFFLINE, bob OFFLINE
      expect(removed).toBe(4);
      expect(left.every((s) => s.end === undefined || s.end >= T0 + 5 * MIN)).toBe(true);
      expect(left.filter((s) => s.end === undefined).map((s) => s.agentId)).toEqual(['9', '10']);
    });
  });
}

describe('SqliteHistoryIndex', () => {
  function openAll(file: string) {
    const db = openDatabase(file, { synchronous: 'normal' });
    const log = new SqliteEventLog(db);
    const snapshots = new SqliteSnapshotStore(db);
    const index = new SqliteHistoryIndex(db, log, snapshots);
    return { db, log, snapshots, index };
  }
  const dir = () => {
    const d = tempDir();
    cleanups.push(() => rmSync(d, { recursive: true, force: true }));
    return d;
  };
  /** What a memory index fed the same entries holds: the reference. */
  async function reference(events: IngestEvent[]) {
    const m = new MemoryHistoryIndex();
    m.apply(entriesOf(events));
    return strip(await allPages(m, 'a1', ALL, 1000));
  }

  it('commits rows in the append transaction: a failing commit leaves neither events nor rows, and memory is rebuilt', async () => {
    const file = join(dir(), 'x.db');
    const s = openAll(file);
    const events = sampleEvents();
    await s.log.append({ account: 'a1', events: events.slice(0, 8) });
    let fail = true;
    // A later hook that throws aborts the commit after the history hook ran.
    s.log.addTransactionHook(() => {
      if (fail) throw new Error('disk full');
    });
    await expect(s.log.append({ account: 'a1', events: events.slice(8, 12) })).rejects.toThrow('disk full');
    // the hook ran and its memory ran ahead, but nothing of it committed
    expect(s.index.position()).toBe(8);
    expect(s.db.prepare('SELECT position FROM history_meta').pluck().get()).toBe(8);
    fail = false;
    await s.log.append({ account: 'a1', events: events.slice(8) });
    expect(strip(await allPages(s.index, 'a1', ALL, 1000))).toEqual(await reference(events));
    await s.log.close();
    s.db.close();
  });

  it('picks up after a restart from the snapshot, the log and its own open rows', async () => {
    const file = join(dir(), 'x.db');
    const events = sampleEvents();
    let s = openAll(file);
    await s.log.append({ account: 'a1', events: events.slice(0, 6) });
    // a snapshot in the middle, as the engine takes them
    const state = createAccountState('a1');
    for (const e of entriesOf(events.slice(0, 6))) evolve(state, e.event);
    await s.snapshots.save({ position: 6, takenAt: T0, accounts: [encodeAccount(state)] });
    await s.log.append({ account: 'a1', events: events.slice(6, 9) });
    await s.log.close();
    s.db.close();
    s = openAll(file);
    expect(s.index.position()).toBe(9);
    await s.log.append({ account: 'a1', events: events.slice(9) });
    expect(strip(await allPages(s.index, 'a1', ALL, 1000))).toEqual(await reference(events));
    await s.log.close();
    s.db.close();
  });

  it('finds open rows through their index, not by walking the account', () => {
    const s = openAll(join(dir(), 'x.db'));
    for (const [kind, sql] of Object.entries(WRITE_SQL)) {
      if (kind.endsWith('Started')) continue;
      const plan = (s.db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...['a', 'b', 'c'].slice(0, sql.split('?').length - 1)) as { detail: string }[]).map((r) => r.detail).join(' | ');
      expect([kind, plan]).toEqual([kind, expect.stringMatching(/USING INDEX history_(segments|capacity)_open \(account=\? AND agent=\?\)/)]);
    }
    s.db.close();
  });

  it('indexes a log written before the index existed', async () => {
    const file = join(dir(), 'x.db');
    const events = sampleEvents();
    const db = openDatabase(file, { synchronous: 'normal' });
    const log = new SqliteEventLog(db);
    await log.append({ account: 'a1', events });
    await log.close();
    db.close();
    const s = openAll(file);
    expect(s.index.position()).toBe(events.length);
    expect(strip(await allPages(s.index, 'a1', ALL, 1000))).toEqual(await reference(events));
    await s.log.close();
    s.db.close();
  });
});

describe('SqliteHistoryIndex property', () => {
  const AG = ['1', '2', '3'];
  const agentId = fc.constantFrom(...AG);
  const conv = fc.constantFrom('c1', 'c2', 'c3');
  const event: fc.Arbitrary<IngestEvent> = fc.oneof(
    fc.record({ type: fc.constant('agent.loggedIn' as const), agentId }),
    fc.record({ type: fc.constant('agent.loggedOut' as const), agentId }),
    fc.record({ type: fc.constant('agent.statusChanged' as const), agentId, status: fc.constantFrom('ONLINE', 'AWAY', 'BACK_SOON' as const), reasonId: fc.constantFrom('r1', 'r2') }),
    fc.record({ type: fc.constant('agent.heartbeat' as const), agentId }),
    fc.record({ type: fc.constant('agent.upserted' as const), agentId, groupId: fc.constantFrom('-1', '4'), skillIds: fc.subarray(['s1', 's2']), maxSlots: fc.integer({ min: 0, max: 2 }) }),
    fc.record({ type: fc.constant('agent.deleted' as const), agentId }),
    fc.record({ type: fc.constant('agent.connectionTimedOut' as const), agentId }),
    fc.record({ type: fc.constant('conversation.assigned' as const), agentId, conversationId: conv }),
    fc.record({ type: fc.constant('conversation.unassigned' as const), conversationId: conv }),
  ) as fc.Arbitrary<IngestEvent>;
  const step = fc.record({
    events: fc.array(fc.tuple(event, fc.integer({ min: 0, max: 3 * MIN })), { minLength: 1, maxLength: 6 }),
    fail: fc.boolean(),
    snapshot: fc.boolean(),
    restart: fc.boolean(),
  });

  it('holds exactly what a memory index fed the committed entries holds, through failed commits, snapshots and restarts', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 10 }), async (steps) => {
        const d = tempDir();
        const file = join(d, 'p.db');
        let failNext = false;
        const openIt = () => {
          const o = { db: openDatabase(file, { synchronous: 'normal' }) } as { db: SqliteDatabase; log: SqliteEventLog; snapshots: SqliteSnapshotStore; index: SqliteHistoryIndex };
          o.log = new SqliteEventLog(o.db);
          o.snapshots = new SqliteSnapshotStore(o.db);
          o.index = new SqliteHistoryIndex(o.db, o.log, o.snapshots);
          o.log.addTransactionHook(() => {
            if (failNext) throw new Error('injected commit failure');
          });
          return o;
        };
        let s = openIt();
        const committed: IngestEvent[] = [];
        let t = T0;
        try {
          for (const st of steps) {
            const events = st.events.map(([e, gap]) => ({ ...e, time: (t += gap) }));
            failNext = st.fail;
            if (st.fail) {
              await expect(s.log.append({ account: 'a1', events })).rejects.toThrow('injected');
            } else {
              await s.log.append({ account: 'a1', events });
              committed.push(...events);
            }
            failNext = false;
            if (st.snapshot && committed.length > 0) {
              const state = createAccountState('a1');
              for (const e of entriesOf(committed)) evolve(state, e.event);
              await s.snapshots.save({ position: committed.length, takenAt: t, accounts: [encodeAccount(state)] });
            }
            if (st.restart) {
              await s.log.close();
              s.db.close();
              s = openIt();
            }
          }
          const m = new MemoryHistoryIndex();
          m.apply(entriesOf(committed));
          const q: RangeQuery = { from: T0, to: t + HOUR_MS, now: t, filter: {} };
          const timelines = async (ix: HistoryIndex) => {
            const out = [];
            for await (const b of ix.timelines('a1', q)) out.push(...b.map((x) => ({ ...x, segments: strip(x.segments as StoredSegment[]) })));
            return out;
          };
          expect(await timelines(s.index)).toEqual(await timelines(m));
          expect(s.index.position()).toBe(committed.length);
        } finally {
          await s.log.close();
          s.db.close();
          rmSync(d, { recursive: true, force: true });
        }
      }),
      { numRuns: 40 },
    );
  });
});
