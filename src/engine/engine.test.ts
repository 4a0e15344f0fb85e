/**
 * The engine over real adapters: ingest is applied before it resolves,
 * time-outs are recorded as events (once, stamped at the deadline), snapshots
 * plus the tail rebuild the same view, and random batches through the log
 * give the same state as replaying the events directly.
 */
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { MemoryEventLog, MemorySnapshotStore } from '../adapters/memory/index.js';
import { openDatabase, SqliteEventLog, SqliteSnapshotStore } from '../adapters/sqlite/index.js';
import type { IngestEvent, StoredEvent } from '../core/index.js';
import type { Clock, EventLog, LogEntry, SnapshotStore } from '../ports/index.js';
import { Engine } from './index.js';
import { replay, stepArb, toStream, T0 } from '../../test/helpers/arbitraries.js';
import { viewOf } from '../../test/helpers/reference.js';
import { tempDir } from '../../test/helpers/server.js';
import { join } from 'node:path';
import { rmSync } from 'node:fs';

class TestClock implements Clock {
  constructor(public t: number) {}
  now(): number {
    return this.t;
  }
}

const engines: Engine[] = [];
const cleanups: (() => void)[] = [];
afterEach(async () => {
  for (const e of engines.splice(0)) await e.stop();
  for (const c of cleanups.splice(0)) c();
});

async function startEngine(log: EventLog = new MemoryEventLog(), snapshots: SnapshotStore = new MemorySnapshotStore(), clock = new TestClock(T0), opts = {}) {
  const engine = new Engine(log, snapshots, clock, { timeoutSweepMs: 0, snapshotIntervalMs: 0, ...opts });
  engines.push(engine);
  await engine.start();
  return { engine, log, snapshots, clock };
}

async function allEntries(log: EventLog): Promise<LogEntry[]> {
  const out: LogEntry[] = [];
  for await (const chunk of log.read(0)) out.push(...chunk);
  return out;
}

const ev = (e: Record<string, unknown>, time: number) => ({ ...e, time }) as IngestEvent;

describe('Engine', () => {
  it('applies an ingested batch before ingest resolves and reports the change', async () => {
    const { engine } = await startEngine();
    const seen: [string, string[], number][] = [];
    engine.onChange((acc, change, seq) => seen.push([acc.accountId, change.agentIds, seq]));
    const r = await engine.ingest('a1', [ev({ type: 'agent.loggedIn', agentId: '1' }, T0), ev({ type: 'agent.heartbeat', agentId: '1' }, T0 + 1)]);
    expect(r).toMatchObject({ accepted: 2, duplicates: 0, lastSeq: 2 });
    expect(engine.account('a1')?.agents.get('1')?.loggedIn).toBe(true);
    // The heartbeat changed nothing, so only the log-in was reported.
    expect(seen).toEqual([['a1', ['1'], 1]]);
    expect(engine.isReady()).toBe(true);
    expect(engine.isPartial()).toBe(false);
  });

  it('keeps accounts apart', async () => {
    const { engine } = await startEngine();
    await engine.ingest('a1', [ev({ type: 'agent.loggedIn', agentId: '1' }, T0)]);
    await engine.ingest('a2', [ev({ type: 'agent.loggedIn', agentId: '2' }, T0)]);
    expect([...engine.account('a1')!.agents.keys()]).toEqual(['1']);
    expect([...engine.account('a2')!.agents.keys()]).toEqual(['2']);
    expect(engine.account('a3')).toBeUndefined();
  });

  it('isolates failing change listeners', async () => {
    const errors: string[] = [];
    const { engine } = await startEngine(undefined, undefined, undefined, { onError: (_e: unknown, what: string) => errors.push(what) });
    engine.onChange(() => {
      throw new Error('boom');
    });
    let later = 0;
    engine.onChange(() => later++);
    await engine.ingest('a1', [ev({ type: 'agent.loggedIn', agentId: '1' }, T0)]);
    expect(errors).toEqual(['change listener']);
    expect(later).toBe(1);
  });

  describe('connection time-outs', () => {
    it('records one agent.connectionTimedOut per due agent, stamped at the deadline, once', async () => {
      const { engine, log, clock } = await startEngine();
      await engine.ingest('a1', [ev({ type: 'agent.loggedIn', agentId: '1' }, T0), ev({ type: 'agent.loggedIn', agentId: '2' }, T0 + 10_000)]);
      clock.t = T0 + 59_999;
      expect(await engine.sweepTimeouts()).toBe(0);
      clock.t = T0 + 65_000;
      expect(await engine.sweepTimeouts()).toBe(1);
      expect(await engine.sweepTimeouts()).toBe(0);
      clock.t = T0 + 200_000;
      expect(await engine.sweepTimeouts()).toBe(1);
      const timeouts = (await allEntries(log)).filter((e) => e.event.type === 'agent.connectionTimedOut').map((e) => [(e.event as { agentId: string }).agentId, e.event.time]);
      expect(timeouts).toEqual([
        ['1', T0 + 60_000],
        ['2', T0 + 70_000],
      ]);
      expect(engine.account('a1')!.agents.get('1')!.timedOut).toBe(true);
    });

    it('records a second time-out after the agent reconnected, even when the late event carries an old time', async () => {
      const { engine, log, clock } = await startEngine();
      await engine.ingest('a1', [ev({ type: 'agent.loggedIn', agentId: '1' }, T0)]);
      clock.t = T0 + 61_000;
      await engine.sweepTimeouts();
      // A client re-sends its log-in (same time): the agent reconnects, its last activity stays T0.
      await engine.ingest('a1', [ev({ type: 'agent.loggedIn', agentId: '1' }, T0)]);
      expect(engine.account('a1')!.agents.get('1')!.timedOut).toBe(false);
      clock.t = T0 + 62_000;
      expect(await engine.sweepTimeouts()).toBe(1);
      expect(engine.account('a1')!.agents.get('1')!.timedOut).toBe(true);
      const n = (await allEntries(log)).filter((e) => e.event.type === 'agent.connectionTimedOut').length;
      expect(n).toBe(2);
    });

    it('does nothing before the engine is ready', async () => {
      const engine = new Engine(new MemoryEventLog(), new MemorySnapshotStore(), new TestClock(T0), { timeoutSweepMs: 0 });
      expect(await engine.sweepTimeouts()).toBe(0);
      expect(engine.isReady()).toBe(false);
      expect(engine.isPartial()).toBe(true);
    });

    it('splits more than 1000 due agents into several appends', async () => {
      const { engine, clock } = await startEngine();
      const logins = Array.from({ length: 1500 }, (_, i) => ev({ type: 'agent.loggedIn', agentId: String(i) }, T0));
      await engine.ingest('a1', logins.slice(0, 1000));
      await engine.ingest('a1', logins.slice(1000));
      clock.t = T0 + 120_000;
      expect(await engine.sweepTimeouts()).toBe(1500);
      expect(engine.account('a1')!.loggedIn.size).toBe(1500);
      expect([...engine.account('a1')!.loggedIn].every((a) => a.timedOut)).toBe(true);
    });
  });

  describe('snapshots', () => {
    it('a restart loads the snapshot and replays only the tail', async () => {
      const log = new MemoryEventLog();
      const snapshots = new MemorySnapshotStore();
      const first = await startEngine(log, snapshots);
      await first.engine.ingest('a1', [ev({ type: 'agent.loggedIn', agentId: '1' }, T0)]);
      await first.engine.snapshot();
      await first.engine.ingest('a1', [ev({ type: 'agent.statusChanged', agentId: '1', status: 'AWAY', reasonId: '2' }, T0 + 1000)]);
      const snap = await snapshots.load();
      expect(snap?.position).toBe(1);

      const delivered: number[] = [];
      const spy: EventLog = {
        append: (r) => log.append(r),
        subscribe: (after, l) => {
          delivered.push(after);
          return log.subscribe(after, l);
        },
        read: (after, n) => log.read(after, n),
        head: () => log.head(),
        close: () => log.close(),
      };
      const second = await startEngine(spy, snapshots);
      expect(delivered).toEqual([1]);
      expect(second.engine.position).toBe(2);
      expect(viewOf(second.engine.account('a1')!, T0 + 5000)).toEqual(viewOf(first.engine.account('a1')!, T0 + 5000));
    });

    it('takes a snapshot after snapshotEveryEvents applied events', async () => {
      const snapshots = new MemorySnapshotStore();
      const { engine } = await startEngine(undefined, snapshots, undefined, { snapshotEveryEvents: 3 });
      await engine.ingest('a1', [ev({ type: 'agent.loggedIn', agentId: '1' }, T0), ev({ type: 'agent.loggedIn', agentId: '2' }, T0)]);
      expect(await snapshots.load()).toBeUndefined();
      await engine.ingest('a1', [ev({ type: 'agent.loggedIn', agentId: '3' }, T0)]);
      await engine.stop();
      const snap = await snapshots.load();
      expect(snap?.position).toBe(3);
      expect(snap?.accounts.map((a) => a.agents.length)).toEqual([3]);
    });

    it('stop({ snapshot: true }) writes a final snapshot only when something changed', async () => {
      const snapshots = new MemorySnapshotStore();
      const { engine } = await startEngine(undefined, snapshots);
      await engine.stop({ snapshot: true });
      expect(await snapshots.load()).toBeUndefined();
      const second = await startEngine(undefined, snapshots);
      await second.engine.ingest('a1', [ev({ type: 'agent.loggedIn', agentId: '1' }, T0)]);
      await second.engine.stop({ snapshot: true });
      expect((await snapshots.load())?.position).toBe(1);
    });

    it('connection time-out events survive a restart from snapshot and from the log', async () => {
      const dir = tempDir();
      cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
      const open = () => {
        const db = openDatabase(join(dir, 'agentview.db'));
        cleanups.push(() => db.open && db.close());
        return { db, log: new SqliteEventLog(db), snapshots: new SqliteSnapshotStore(db) };
      };
      const clock = new TestClock(T0);
      let s = open();
      const e1 = await startEngine(s.log, s.snapshots, clock);
      await e1.engine.ingest('a1', [ev({ type: 'agent.loggedIn', agentId: '1' }, T0), ev({ type: 'agent.loggedIn', agentId: '2' }, T0)]);
      clock.t = T0 + 61_000;
      await e1.engine.sweepTimeouts();
      await e1.engine.snapshot();
      await e1.engine.ingest('a1', [ev({ type: 'agent.heartbeat', agentId: '2' }, T0 + 61_500)]);
      clock.t = T0 + 200_000;
      await e1.engine.sweepTimeouts();
      const before = viewOf(e1.engine.account('a1')!, T0 + 300_000);
      await e1.engine.stop();
      engines.splice(engines.indexOf(e1.engine), 1);
      await s.log.close();
      s.db.close();

      s = open();
      const e2 = await startEngine(s.log, s.snapshots, clock);
      const acc = e2.engine.account('a1')!;
      expect(acc.agents.get('1')!.timedOut).toBe(true);
      expect(acc.agents.get('2')!.timedOut).toBe(true);
      expect(viewOf(acc, T0 + 300_000)).toEqual(before);
      // Nothing is due again after the restart.
      expect(await e2.engine.sweepTimeouts()).toBe(0);
    });
  });

  it('random batches through the log equal a direct replay, also after a restart from a snapshot', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(stepArb, { minLength: 1, maxLength: 80 }).map((steps) => toStream(steps)),
        fc.array(fc.integer({ min: 1, max: 20 }), { minLength: 1, maxLength: 30 }),
        fc.nat(),
        async ({ events, end }, sizes, cut) => {
          const log = new MemoryEventLog();
          const snapshots = new MemorySnapshotStore();
          const engine = new Engine(log, snapshots, new TestClock(end), { timeoutSweepMs: 0, snapshotIntervalMs: 0 });
          await engine.start();
          const snapAt = events.length === 0 ? 0 : cut % events.length;
          let i = 0;
          let k = 0;
          while (i < events.length) {
            const n = sizes[k++ % sizes.length]!;
            const batch = events.slice(i, i + n).map(({ seq: _seq, ...e }: StoredEvent) => e);
            const r = await engine.ingest('acc', batch);
            i += batch.length;
            expect(r.lastSeq).toBe(i);
            if (i >= snapAt && (await snapshots.load()) === undefined) await engine.snapshot();
          }
          const direct = replay(events);
          const restarted = new Engine(log, snapshots, new TestClock(end), { timeoutSweepMs: 0, snapshotIntervalMs: 0 });
          await restarted.start();
          for (const now of [end, end + 60_000]) {
            if (events.length === 0) continue;
            expect(viewOf(engine.account('acc')!, now)).toEqual(viewOf(direct, now));
            expect(viewOf(restarted.account('acc')!, now)).toEqual(viewOf(direct, now));
          }
          await engine.stop();
          await restarted.stop();
        },
      ),
      { numRuns: 60 },
    );
  });
});
