/**
 * The EventLog and SnapshotStore contracts, written once and run against
 * every adapter (memory, sqlite, and any later one). A test file per adapter
 * calls these with a harness that opens that adapter over fresh storage.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { IngestEvent } from '../../src/core/index.js';
import type { EventLog, LogEntry, Snapshot, SnapshotStore } from '../../src/ports/index.js';

export interface EventLogHarness {
  /** Opens the adapter over this harness's storage (fresh on the first call). */
  open(): Promise<EventLog> | EventLog;
  /**
   * Closes `log` and opens it again over the same storage; absent for
   * adapters that keep nothing across a close.
   */
  reopen?: (log: EventLog) => Promise<EventLog>;
  /** Removes the storage. */
  cleanup(): Promise<void> | void;
}

const T = 1_700_000_000_000;
const hb = (agentId: string, eventId?: string, time = T): IngestEvent =>
  eventId === undefined ? { type: 'agent.heartbeat', agentId, time } : { type: 'agent.heartbeat', agentId, time, eventId };

async function readAll(log: EventLog, after = 0, chunk?: number): Promise<LogEntry[]> {
  const out: LogEntry[] = [];
  for await (const c of log.read(after, chunk)) out.push(...c);
  return out;
}

/** A subscriber that records every delivery. */
function recorder() {
  const deliveries: LogEntry[][] = [];
  return {
    deliveries,
    listener: (entries: readonly LogEntry[]) => deliveries.push([...entries]),
    get entries() {
      return deliveries.flat();
    },
  };
}

export function eventLogContract(adapter: string, makeHarness: () => EventLogHarness): void {
  describe(`EventLog contract: ${adapter}`, () => {
    let harness: EventLogHarness;
    let log: EventLog;
    const open = async () => {
      harness = makeHarness();
      log = await harness.open();
      return log;
    };
    afterEach(async () => {
      await log.close();
      await harness.cleanup();
    });

    it('starts empty', async () => {
      await open();
      expect(await log.head()).toBe(0);
      expect(await readAll(log)).toEqual([]);
      const r = recorder();
      const sub = log.subscribe(0, r.listener);
      await sub.caughtUp;
      expect(r.deliveries).toEqual([]);
      sub.close();
    });

    it('assigns per-account sequence numbers and increasing positions, and keeps events as given', async () => {
      await open();
      const a1 = await log.append({ account: 'A', events: [hb('1'), { type: 'agent.loggedIn', agentId: '2', status: 'AWAY', reasonId: '3', time: T + 1, eventId: 'e1' }] });
      expect(a1).toMatchObject({ accepted: 2, duplicates: 0, lastSeq: 2 });
      const b1 = await log.append({ account: 'B', events: [hb('9')] });
      expect(b1).toMatchObject({ accepted: 1, duplicates: 0, lastSeq: 1 });
      const a2 = await log.append({ account: 'A', events: [hb('1', undefined, T + 5)] });
      expect(a2).toMatchObject({ accepted: 1, lastSeq: 3 });
      expect(b1.position).toBeGreaterThan(a1.position);
      expect(a2.position).toBeGreaterThan(b1.position);
      expect(await log.head()).toBe(a2.position);

      const all = await readAll(log);
      expect(all.map((e) => [e.account, e.event.seq])).toEqual([
        ['A', 1],
        ['A', 2],
        ['B', 1],
        ['A', 3],
      ]);
      expect(all[1]!.event).toEqual({ type: 'agent.loggedIn', agentId: '2', status: 'AWAY', reasonId: '3', time: T + 1, eventId: 'e1', seq: 2 });
      for (let i = 1; i < all.length; i++) expect(all[i]!.position).toBeGreaterThanOrEqual(all[i - 1]!.position);
      expect(all.at(-1)!.position).toBe(a2.position);
    });

    it('de-duplicates eventIds within a batch, across batches, per account; duplicates take no sequence number', async () => {
      await open();
      const r1 = await log.append({ account: 'A', events: [hb('1', 'x'), hb('1', 'x'), hb('1'), hb('1')] });
      expect(r1).toMatchObject({ accepted: 3, duplicates: 1, lastSeq: 3 });
      const r2 = await log.append({ account: 'A', events: [hb('1', 'x'), hb('1', 'y')] });
      expect(r2).toMatchObject({ accepted: 1, duplicates: 1, lastSeq: 4 });
      const r3 = await log.append({ account: 'A', events: [hb('1', 'x'), hb('1', 'y')] });
      expect(r3).toMatchObject({ accepted: 0, duplicates: 2, lastSeq: 4 });
      // Another account has its own ids.
      const r4 = await log.append({ account: 'B', events: [hb('1', 'x')] });
      expect(r4).toMatchObject({ accepted: 1, duplicates: 0, lastSeq: 1 });
      const all = await readAll(log);
      expect(all.map((e) => [e.account, e.event.seq, e.event.eventId])).toEqual([
        ['A', 1, 'x'],
        ['A', 2, undefined],
        ['A', 3, undefined],
        ['A', 4, 'y'],
        ['B', 1, 'x'],
      ]);
      // An all-duplicate batch reports a position already reached.
      expect(r3.position).toBeLessThanOrEqual(await log.head());
    });

    it('delivers the backlog after the given position, then live entries, without gaps or duplicates', async () => {
      await open();
      await log.append({ account: 'A', events: [hb('1'), hb('2'), hb('3')] });
      const r = recorder();
      const sub = log.subscribe(1, r.listener);
      await sub.caughtUp;
      expect(r.entries.map((e) => e.event.seq)).toEqual([2, 3]);
      const res = await log.append({ account: 'A', events: [hb('4'), hb('5')] });
      // Caught-up subscribers have an append's entries by the time it resolves.
      expect(r.entries.map((e) => e.event.seq)).toEqual([2, 3, 4, 5]);
      expect(r.entries.at(-1)!.position).toBe(res.position);
      sub.close();
      await log.append({ account: 'A', events: [hb('6')] });
      expect(r.entries).toHaveLength(4);
    });

    it('loses and repeats nothing when entries commit while a large backlog is read', async () => {
      await open();
      for (let i = 0; i < 12; i++) {
        await log.append({ account: 'A', events: Array.from({ length: 1000 }, (_, j) => hb(String(j))) });
      }
      const r = recorder();
      const sub = log.subscribe(0, r.listener);
      const live: Promise<unknown>[] = [];
      for (let i = 0; i < 20; i++) {
        live.push(log.append({ account: i % 2 ? 'A' : 'B', events: [hb('x'), hb('y')] }));
        await new Promise((res) => setImmediate(res));
      }
      await sub.caughtUp;
      await Promise.all(live);
      const head = await log.head();
      const positions = r.entries.map((e) => e.position);
      expect(positions).toEqual((await readAll(log)).map((e) => e.position));
      expect(positions.at(-1)).toBe(head);
      expect(r.entries).toHaveLength(12_000 + 40);
      for (let i = 1; i < positions.length; i++) expect(positions[i]).toBeGreaterThanOrEqual(positions[i - 1]!);
      sub.close();
    });

    it('reads in chunks of at most chunkSize, from after the given position', async () => {
      await open();
      await log.append({ account: 'A', events: Array.from({ length: 25 }, (_, i) => hb(String(i))) });
      const chunks: number[] = [];
      for await (const c of log.read(5, 10)) chunks.push(c.length);
      expect(chunks.reduce((a, b) => a + b, 0)).toBe(20);
      expect(Math.max(...chunks)).toBeLessThanOrEqual(10);
      const tail = await readAll(log, 20);
      expect(tail.map((e) => e.event.seq)).toEqual([21, 22, 23, 24, 25]);
      expect(await readAll(log, await log.head())).toEqual([]);
    });

    it('commits concurrent appends with distinct sequence numbers, one winner per repeated eventId', async () => {
      await open();
      const results = await Promise.all(
        Array.from({ length: 30 }, (_, i) => log.append({ account: i % 3 === 0 ? 'B' : 'A', events: [hb('1'), hb('2', `id-${i % 10}`)] })),
      );
      const byAccount = (acc: string) => results.filter((_, i) => (i % 3 === 0 ? 'B' : 'A') === acc);
      for (const acc of ['A', 'B']) {
        const seqs = byAccount(acc).map((r) => r.lastSeq);
        expect(new Set(seqs).size).toBe(seqs.length);
        expect([...seqs].sort((a, b) => a - b)).toEqual(seqs);
      }
      const accepted = results.reduce((n, r) => n + r.accepted, 0);
      const duplicates = results.reduce((n, r) => n + r.duplicates, 0);
      expect(accepted + duplicates).toBe(60);
      const all = await readAll(log);
      expect(all).toHaveLength(accepted);
      // id-0..id-9 are spread over both accounts: each (account, id) pair is stored once.
      const pairs = all.filter((e) => e.event.eventId !== undefined).map((e) => `${e.account}/${e.event.eventId!}`);
      expect(new Set(pairs).size).toBe(pairs.length);
      for (const acc of ['A', 'B']) {
        const seqs = all.filter((e) => e.account === acc).map((e) => e.event.seq);
        expect(seqs).toEqual(seqs.map((_, i) => i + 1));
      }
    });

    it('refuses appends after close', async () => {
      await open();
      await log.close();
      await expect(log.append({ account: 'A', events: [hb('1')] })).rejects.toThrow();
    });

    it('keeps everything across a close and reopen, when the adapter is durable', async (ctx) => {
      await open();
      if (!harness.reopen) {
        ctx.skip();
        return;
      }
      await log.append({ account: 'A', events: [hb('1', 'a'), hb('2')] });
      await log.append({ account: 'B', events: [hb('3', 'a')] });
      const head = await log.head();
      const before = await readAll(log);
      log = await harness.reopen(log);
      expect(await log.head()).toBe(head);
      expect(await readAll(log)).toEqual(before);
      const r = await log.append({ account: 'A', events: [hb('1', 'a'), hb('4', 'b')] });
      expect(r).toMatchObject({ accepted: 1, duplicates: 1, lastSeq: 3 });
      expect(r.position).toBeGreaterThan(head);
      const rec = recorder();
      const sub = log.subscribe(0, rec.listener);
      await sub.caughtUp;
      expect(rec.entries.map((e) => e.position)).toEqual((await readAll(log)).map((e) => e.position));
      sub.close();
    });
  });
}

export interface SnapshotStoreHarness {
  open(): Promise<SnapshotStore> | SnapshotStore;
  reopen?: () => Promise<SnapshotStore>;
  cleanup(): Promise<void> | void;
}

const snapshot = (position: number): Snapshot => ({
  position,
  takenAt: T + position,
  accounts: [
    {
      v: 1,
      id: 'A',
      seq: position,
      settings: { defaultMaxSlots: 10, inactiveWeight: 0.5, connectionTimeoutMs: 60_000 },
      skills: [['1', 'billing']],
      groups: [['-1', 'Main Group']],
      agents: [['42', 'Maya', 'M', 'm@x', null, '-1', ['1'], 4, 3, 'AWAY', T, '2', T, T, T, null, 1, 1, 0]],
      conversations: [['c', null, '42', 1]],
    },
  ],
});

export function snapshotStoreContract(adapter: string, makeHarness: () => SnapshotStoreHarness): void {
  describe(`SnapshotStore contract: ${adapter}`, () => {
    let harness: SnapshotStoreHarness;
    afterEach(async () => harness.cleanup());

    it('has none at first, then returns the latest saved, as saved', async () => {
      harness = makeHarness();
      const store = await harness.open();
      expect(await store.load()).toBeUndefined();
      const s1 = snapshot(10);
      await store.save(s1);
      // Changing the object after saving does not change what was saved.
      s1.accounts[0]!.seq = 999;
      expect(await store.load()).toEqual(snapshot(10));
      await store.save(snapshot(20));
      await store.save(snapshot(30));
      expect(await store.load()).toEqual(snapshot(30));
    });

    it('keeps the latest across a reopen, when the adapter is durable', async (ctx) => {
      harness = makeHarness();
      const store = await harness.open();
      if (!harness.reopen) {
        ctx.skip();
        return;
      }
      await store.save(snapshot(5));
      await store.save(snapshot(7));
      expect(await (await harness.reopen()).load()).toEqual(snapshot(7));
    });
  });
}
