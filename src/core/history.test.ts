import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { IngestEvent } from './events.js';
import {
  agentSortKey,
  createAccountHistory,
  toInterval,
  trackEvent,
  TimeInStatusAggregator,
  type AccountHistory,
  type CapacityPeriod,
  type HistoryOp,
  type StatusSegment,
  type TimeInStatusRow,
} from './history.js';
import { compareIds } from './ids.js';

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
/** 2024-03-01 00:00:00 UTC */
const D0 = Date.UTC(2024, 2, 1);

/** Runs events through the tracker and materialises the ops as rows (a minimal index). */
class Rows {
  readonly h: AccountHistory = createAccountHistory('acc');
  readonly segments = new Map<string, StatusSegment[]>();
  readonly capacity = new Map<string, CapacityPeriod[]>();
  private seq = 0;

  feed(...events: IngestEvent[]): this {
    for (const e of events) {
      const ops: HistoryOp[] = [];
      trackEvent(this.h, { ...e, seq: ++this.seq }, ops);
      for (const op of ops) this.write(op);
    }
    return this;
  }

  private write(op: HistoryOp): void {
    const segs = (id: string) => this.segments.get(id) ?? this.segments.set(id, []).get(id)!;
    const caps = (id: string) => this.capacity.get(id) ?? this.capacity.set(id, []).get(id)!;
    switch (op.kind) {
      case 'segmentEnded':
        segs(op.agentId).at(-1)!.end = op.end;
        break;
      case 'segmentDropped':
        segs(op.agentId).pop();
        break;
      case 'segmentStarted':
        segs(op.segment.agentId).push({ ...op.segment });
        break;
      case 'capacityEnded':
        caps(op.agentId).at(-1)!.end = op.end;
        break;
      case 'capacityDropped':
        caps(op.agentId).pop();
        break;
      case 'capacityStarted':
        caps(op.period.agentId).push({ ...op.period });
        break;
    }
  }

  /** Compact view: [status, reason, connection, start, end]. */
  of(agentId: string): [string, string | undefined, string, number, number | undefined][] {
    return (this.segments.get(agentId) ?? []).map((s) => [s.status, s.reasonId, s.connectionState[0]!, s.start, s.end]);
  }

  aggregate(groupBy: 'agent' | 'group' | 'skill', from: number, to: number, now: number): TimeInStatusRow[] {
    const agg = new TimeInStatusAggregator(groupBy, from, to, now);
    for (const id of [...this.segments.keys()].sort(compareIds)) {
      agg.addAgent(this.segments.get(id)!, this.capacity.get(id) ?? []);
    }
    return agg.rows();
  }
}

const at = (ms: number) => D0 + ms;

describe('status segments', () => {
  it('cuts on log-in, status and reason changes and log-out; OFFLINE while logged out', () => {
    const r = new Rows().feed(
      { type: 'agent.upserted', agentId: '7', name: 'Ann', time: at(0) },
      { type: 'agent.loggedIn', agentId: '7', time: at(10 * MIN) },
      { type: 'agent.heartbeat', agentId: '7', time: at(10 * MIN + 30_000) },
      { type: 'agent.statusChanged', agentId: '7', status: 'AWAY', reasonId: 'lunch', time: at(10 * MIN + 50_000) },
      { type: 'agent.statusChanged', agentId: '7', status: 'AWAY', reasonId: 'meeting', time: at(11 * MIN) },
      { type: 'agent.statusChanged', agentId: '7', status: 'AWAY', reasonId: 'meeting', time: at(11 * MIN + 20_000) },
      { type: 'agent.statusChanged', agentId: '7', status: 'BACK_SOON', time: at(11 * MIN + 40_000) },
      { type: 'agent.loggedOut', agentId: '7', time: at(12 * MIN) },
      { type: 'agent.loggedIn', agentId: '7', status: 'AWAY', reasonId: 'training', time: at(20 * MIN) },
    );
    expect(r.of('7')).toEqual([
      ['OFFLINE', undefined, 'D', at(0), at(10 * MIN)],
      ['ONLINE', undefined, 'C', at(10 * MIN), at(10 * MIN + 50_000)],
      ['AWAY', 'lunch', 'C', at(10 * MIN + 50_000), at(11 * MIN)],
      // the repeated identical status change does not cut
      ['AWAY', 'meeting', 'C', at(11 * MIN), at(11 * MIN + 40_000)],
      ['BACK_SOON', undefined, 'C', at(11 * MIN + 40_000), at(12 * MIN)],
      ['OFFLINE', undefined, 'D', at(12 * MIN), at(20 * MIN)],
      ['AWAY', 'training', 'C', at(20 * MIN), undefined],
    ]);
  });

  it('shows a recorded connection time-out as DISCONNECTED until the agent is heard from again', () => {
    const r = new Rows().feed(
      { type: 'agent.loggedIn', agentId: '1', time: at(0) },
      { type: 'agent.heartbeat', agentId: '1', time: at(30_000) },
      // what the engine's sweep writes: stamped at last activity + 60 s
      { type: 'agent.connectionTimedOut', agentId: '1', time: at(90_000) },
      { type: 'agent.heartbeat', agentId: '1', time: at(5 * MIN) },
      { type: 'agent.statusChanged', agentId: '1', status: 'AWAY', time: at(6 * MIN) },
    );
    expect(r.of('1')).toEqual([
      ['ONLINE', undefined, 'C', at(0), at(90_000)],
      ['ONLINE', undefined, 'D', at(90_000), at(5 * MIN)],
      ['ONLINE', undefined, 'C', at(5 * MIN), at(6 * MIN)],
      ['AWAY', undefined, 'C', at(6 * MIN), undefined],
    ]);
  });

  it('back-dates a time-out that was never recorded (server down) to when it happened', () => {
    const r = new Rows().feed(
      { type: 'agent.loggedIn', agentId: '1', time: at(0) },
      { type: 'agent.heartbeat', agentId: '1', time: at(20_000) },
      // silence for 10 minutes, no timeout event in the log, then a status change
      { type: 'agent.statusChanged', agentId: '1', status: 'AWAY', time: at(10 * MIN) },
    );
    expect(r.of('1')).toEqual([
      ['ONLINE', undefined, 'C', at(0), at(80_000)],
      ['ONLINE', undefined, 'D', at(80_000), at(10 * MIN)],
      ['AWAY', undefined, 'C', at(10 * MIN), undefined],
    ]);
  });

  it('shows nothing for a time-out met exactly by the next activity', () => {
    const r = new Rows().feed(
      { type: 'agent.loggedIn', agentId: '1', time: at(0) },
      { type: 'agent.heartbeat', agentId: '1', time: at(60_000) },
      { type: 'agent.connectionTimedOut', agentId: '1', time: at(120_000) },
    );
    expect(r.of('1')).toEqual([
      ['ONLINE', undefined, 'C', at(0), at(120_000)],
      ['ONLINE', undefined, 'D', at(120_000), undefined],
    ]);
  });

  it('follows a shorter connection time-out from the moment the setting changes', () => {
    const r = new Rows().feed(
      { type: 'agent.loggedIn', agentId: '1', time: at(0) },
      { type: 'account.settingsChanged', connectionTimeoutMs: 10_000, time: at(30_000) },
    );
    expect(r.of('1')).toEqual([
      ['ONLINE', undefined, 'C', at(0), at(30_000)],
      ['ONLINE', undefined, 'D', at(30_000), undefined],
    ]);
  });

  it('cuts on group and skill changes so each segment carries the membership of its time', () => {
    const r = new Rows().feed(
      { type: 'account.settingsChanged', connectionTimeoutMs: DAY, time: at(0) },
      { type: 'agent.upserted', agentId: '1', groupId: '5', skillIds: ['b', 'a'], time: at(0) },
      { type: 'agent.loggedIn', agentId: '1', time: at(MIN) },
      { type: 'agent.upserted', agentId: '1', name: 'renamed', time: at(2 * MIN) },
      { type: 'agent.upserted', agentId: '1', groupId: '6', time: at(3 * MIN) },
      { type: 'agent.upserted', agentId: '1', skillIds: ['a', 'b'], time: at(4 * MIN) },
      { type: 'agent.upserted', agentId: '1', skillIds: ['c'], time: at(5 * MIN) },
    );
    const segs = r.segments.get('1')!.map((s) => [s.status, s.groupId, s.skillIds.join('+'), s.start]);
    expect(segs).toEqual([
      ['OFFLINE', '5', 'a+b', at(0)],
      ['ONLINE', '5', 'a+b', at(MIN)],
      // renaming and re-ordering skills change nothing that is kept
      ['ONLINE', '6', 'a+b', at(3 * MIN)],
      ['ONLINE', '6', 'c', at(5 * MIN)],
    ]);
  });

  it('ends an agent history when it is deleted and starts anew if it comes back', () => {
    const r = new Rows().feed(
      { type: 'agent.loggedIn', agentId: '1', time: at(0) },
      { type: 'agent.deleted', agentId: '1', time: at(MIN) },
      { type: 'agent.heartbeat', agentId: '1', time: at(3 * MIN) },
    );
    expect(r.of('1')).toEqual([
      ['ONLINE', undefined, 'C', at(0), at(MIN)],
      ['OFFLINE', undefined, 'D', at(3 * MIN), undefined],
    ]);
  });

  it('takes an event older than the open segment as happening at its start', () => {
    const r = new Rows().feed(
      { type: 'account.settingsChanged', connectionTimeoutMs: DAY, time: at(0) },
      { type: 'agent.loggedIn', agentId: '1', time: at(10 * MIN) },
      { type: 'agent.statusChanged', agentId: '1', status: 'AWAY', time: at(12 * MIN) },
      { type: 'agent.statusChanged', agentId: '1', status: 'BACK_SOON', time: at(11 * MIN) },
    );
    // BACK_SOON replaces the AWAY segment from its start: rows never overlap.
    expect(r.of('1')).toEqual([
      ['ONLINE', undefined, 'C', at(10 * MIN), at(12 * MIN)],
      ['BACK_SOON', undefined, 'C', at(12 * MIN), undefined],
    ]);
  });

  it('handles changes that touch many agents at once (renames, capacity settings)', () => {
    const ids = Array.from({ length: 12 }, (_, i) => String(i + 1));
    const r = new Rows().feed(
      { type: 'account.settingsChanged', connectionTimeoutMs: DAY, time: at(0) },
      ...ids.map((agentId) => ({ type: 'agent.upserted' as const, agentId, skillIds: ['s'], time: at(0) })),
      ...ids.map((agentId) => ({ type: 'agent.loggedIn' as const, agentId, time: at(MIN) })),
      ...ids.map((agentId) => ({ type: 'conversation.assigned' as const, agentId, conversationId: `c${agentId}`, time: at(2 * MIN) })),
      // renaming the skill changes no segment
      { type: 'skill.upserted', skillId: 's', name: 'renamed', time: at(3 * MIN) },
      // one slot each by default: every agent is at capacity from here
      { type: 'account.settingsChanged', defaultMaxSlots: 1, time: at(4 * MIN) },
    );
    for (const id of ids) {
      expect(r.of(id)).toEqual([
        ['OFFLINE', undefined, 'D', at(0), at(MIN)],
        ['ONLINE', undefined, 'C', at(MIN), undefined],
      ]);
      expect(r.capacity.get(id)).toEqual([{ agentId: id, start: at(4 * MIN), end: undefined }]);
    }
  });

  it('records time at capacity (load >= 100 %) while logged in', () => {
    const r = new Rows().feed(
      { type: 'agent.upserted', agentId: '1', maxSlots: 2, time: at(0) },
      { type: 'agent.loggedIn', agentId: '1', time: at(0) },
      { type: 'conversation.assigned', agentId: '1', conversationId: 'c1', time: at(MIN) },
      { type: 'conversation.assigned', agentId: '1', conversationId: 'c2', time: at(2 * MIN) },
      // non-intense: load 75 %
      { type: 'conversation.activity', conversationId: 'c2', intense: false, time: at(3 * MIN) },
      { type: 'conversation.activity', conversationId: 'c2', intense: true, time: at(4 * MIN) },
      { type: 'conversation.unassigned', conversationId: 'c1', time: at(5 * MIN) },
      { type: 'conversation.assigned', agentId: '1', conversationId: 'c3', time: at(6 * MIN) },
      // log-out keeps the conversations but ends the time at capacity
      { type: 'agent.loggedOut', agentId: '1', time: at(7 * MIN) },
    );
    expect(r.capacity.get('1')).toEqual([
      { agentId: '1', start: at(2 * MIN), end: at(3 * MIN) },
      { agentId: '1', start: at(4 * MIN), end: at(5 * MIN) },
      { agentId: '1', start: at(6 * MIN), end: at(7 * MIN) },
    ]);
  });
});

describe('clipping to a range', () => {
  const seg = (start: number, end: number | undefined): StatusSegment => ({
    agentId: '1', start, end, status: 'ONLINE', reasonId: undefined, connectionState: 'CONNECTED', groupId: '-1', skillIds: [],
  });

  it('clips to [from, to) and ends an open segment at min(now, to)', () => {
    const from = D0 + DAY; // a day boundary
    const to = D0 + 2 * DAY;
    // 22:00 the day before to 02:00
    expect(toInterval(seg(from - 2 * HOUR, from + 2 * HOUR), from, to, to)).toMatchObject({ start: from, end: from + 2 * HOUR, durationMs: 2 * HOUR });
    expect(toInterval(seg(to - HOUR, to + HOUR), from, to, to + DAY)).toMatchObject({ start: to - HOUR, end: to, durationMs: HOUR });
    expect(toInterval(seg(from + HOUR, undefined), from, to, from + 3 * HOUR)).toMatchObject({ end: from + 3 * HOUR, durationMs: 2 * HOUR });
    expect(toInterval(seg(from + HOUR, undefined), from, to, to + 5 * HOUR)).toMatchObject({ end: to, durationMs: DAY - HOUR });
    // ends exactly at from: [from, to) excludes it
    expect(toInterval(seg(from - HOUR, from), from, to, to)).toBeUndefined();
    expect(toInterval(seg(to, to + HOUR), from, to, to + DAY)).toBeUndefined();
    // open, but now is before from
    expect(toInterval(seg(from - HOUR, undefined), from, to, from - 1)).toBeUndefined();
  });
});

describe('time in status', () => {
  // Two agents over a day, with a shift across midnight.
  const events: IngestEvent[] = [
    { type: 'agent.upserted', agentId: '1', groupId: '10', skillIds: ['s1', 's2'], maxSlots: 1, time: D0 - HOUR },
    { type: 'agent.upserted', agentId: '2', groupId: '20', skillIds: ['s2'], time: D0 - HOUR },
    // agent 1: logged in 23:00 the day before, heartbeats keep it connected
    { type: 'agent.loggedIn', agentId: '1', time: D0 - HOUR },
    { type: 'conversation.assigned', agentId: '1', conversationId: 'x', time: D0 - 30 * MIN },
    { type: 'agent.heartbeat', agentId: '1', time: D0 },
    { type: 'agent.statusChanged', agentId: '1', status: 'AWAY', reasonId: 'r1', time: D0 + 30 * MIN },
    { type: 'agent.heartbeat', agentId: '1', time: D0 + 31 * MIN },
    { type: 'conversation.unassigned', conversationId: 'x', time: D0 + 40 * MIN },
    { type: 'agent.statusChanged', agentId: '1', status: 'AWAY', reasonId: 'r2', time: D0 + 45 * MIN },
    { type: 'agent.statusChanged', agentId: '1', status: 'ONLINE', time: D0 + 50 * MIN },
    { type: 'agent.statusChanged', agentId: '1', status: 'AWAY', reasonId: 'r1', time: D0 + 51 * MIN },
    { type: 'agent.loggedOut', agentId: '1', time: D0 + 52 * MIN },
    // agent 2: logs in at 00:10, moves from group 20 to 10 at 00:20, still online at "now"
    { type: 'agent.loggedIn', agentId: '2', time: D0 + 10 * MIN },
    { type: 'agent.upserted', agentId: '2', groupId: '10', time: D0 + 20 * MIN },
  ];
  for (let m = 20; m < 60; m += 0.5) events.push({ type: 'agent.heartbeat', agentId: '2', time: D0 + m * MIN + 1 });
  const r = new Rows().feed(...events);
  const from = D0;
  const to = D0 + DAY;
  const now = D0 + HOUR;

  const row = (rows: TimeInStatusRow[], key: string, status: string, reasonId?: string) =>
    rows.find((x) => x.key === key && x.status === status && x.reasonId === reasonId);

  it('sums per agent, clipped at the day boundary and at now', () => {
    const rows = r.aggregate('agent', from, to, now);
    // Agent 1 ONLINE: 00:00–00:30 (clipped from 23:00) and 00:50–00:51.
    expect(row(rows, '1', 'ONLINE')).toEqual({ key: '1', status: 'ONLINE', totalMs: 31 * MIN, count: 2, minMs: MIN, maxMs: 30 * MIN, avgMs: 15.5 * MIN });
    // AWAY 00:30–00:50 is one period across a reason change, then 00:51–00:52.
    expect(row(rows, '1', 'AWAY')).toEqual({ key: '1', status: 'AWAY', totalMs: 21 * MIN, count: 2, minMs: MIN, maxMs: 20 * MIN, avgMs: 10.5 * MIN });
    expect(row(rows, '1', 'AWAY', 'r1')).toEqual({ key: '1', status: 'AWAY', reasonId: 'r1', totalMs: 16 * MIN, count: 2, minMs: MIN, maxMs: 15 * MIN, avgMs: 8 * MIN });
    expect(row(rows, '1', 'AWAY', 'r2')).toMatchObject({ totalMs: 5 * MIN, count: 1 });
    // OFFLINE from 00:52 until now (01:00)
    expect(row(rows, '1', 'OFFLINE')).toMatchObject({ totalMs: 8 * MIN, count: 1 });
    expect(row(rows, '1', 'LOGGED_IN')).toEqual({ key: '1', status: 'LOGGED_IN', totalMs: 52 * MIN, count: 1, minMs: 52 * MIN, maxMs: 52 * MIN, avgMs: 52 * MIN });
    // one slot, one intense conversation from 23:30 to 00:40
    expect(row(rows, '1', 'AT_CAPACITY')).toMatchObject({ totalMs: 40 * MIN, count: 1 });
    // Agent 2: OFFLINE 00:00–00:10, ONLINE 00:10–01:00 (the group change does not split the period).
    expect(row(rows, '2', 'OFFLINE')).toMatchObject({ totalMs: 10 * MIN, count: 1 });
    expect(row(rows, '2', 'ONLINE')).toMatchObject({ totalMs: 50 * MIN, count: 1 });
    // every agent's statuses add up to the time it was known in the range
    for (const key of ['1', '2']) {
      const sum = rows.filter((x) => x.key === key && x.reasonId === undefined && ['ONLINE', 'AWAY', 'BACK_SOON', 'OFFLINE'].includes(x.status)).reduce((s, x) => s + x.totalMs, 0);
      expect(sum).toBe(now - from);
    }
    expect(rows.map((x) => `${x.key}/${x.status}${x.reasonId ? '/' + x.reasonId : ''}`)).toEqual([
      '1/ONLINE', '1/AWAY', '1/AWAY/r1', '1/AWAY/r2', '1/OFFLINE', '1/LOGGED_IN', '1/AT_CAPACITY',
      '2/ONLINE', '2/OFFLINE', '2/LOGGED_IN',
    ]);
  });

  it('attributes time to the group the agent was in at the time', () => {
    const rows = r.aggregate('group', from, to, now);
    // group 20: agent 2 OFFLINE 00:00–00:10 and ONLINE 00:10–00:20
    expect(row(rows, '20', 'ONLINE')).toMatchObject({ totalMs: 10 * MIN, count: 1 });
    expect(row(rows, '20', 'OFFLINE')).toMatchObject({ totalMs: 10 * MIN, count: 1 });
    // group 10: agent 1 ONLINE 31 min in 2 periods + agent 2 ONLINE 00:20–01:00
    expect(row(rows, '10', 'ONLINE')).toEqual({ key: '10', status: 'ONLINE', totalMs: 71 * MIN, count: 3, minMs: MIN, maxMs: 40 * MIN, avgMs: Math.round((71 * MIN) / 3) });
    expect(row(rows, '10', 'OFFLINE')).toMatchObject({ totalMs: 8 * MIN, count: 1 });
  });

  it('attributes time to every skill the agent had at the time', () => {
    const rows = r.aggregate('skill', from, to, now);
    expect(row(rows, 's1', 'ONLINE')).toMatchObject({ totalMs: 31 * MIN, count: 2 });
    expect(row(rows, 's2', 'ONLINE')).toMatchObject({ totalMs: 81 * MIN, count: 3 });
    expect(row(rows, 's2', 'AT_CAPACITY')).toMatchObject({ totalMs: 40 * MIN });
    expect(row(rows, 's1', 'LOGGED_IN')).toMatchObject({ totalMs: 52 * MIN });
  });

  it('counts a status period cut by a connection time-out once', () => {
    const rr = new Rows().feed(
      { type: 'agent.loggedIn', agentId: '1', time: at(0) },
      { type: 'agent.connectionTimedOut', agentId: '1', time: at(60_000) },
      { type: 'agent.heartbeat', agentId: '1', time: at(120_000) },
      { type: 'agent.loggedOut', agentId: '1', time: at(180_000) },
    );
    const rows = rr.aggregate('agent', at(0), at(HOUR), at(180_000));
    expect(row(rows, '1', 'ONLINE')).toMatchObject({ totalMs: 180_000, count: 1 });
  });
});

describe('agentSortKey', () => {
  it('orders like compareIds', () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.integer({ min: -1e6, max: 1e15 }).map(String), fc.stringMatching(/^[A-Za-z0-9._~:@+=-]{1,12}$/)),
        fc.oneof(fc.integer({ min: -1e6, max: 1e15 }).map(String), fc.stringMatching(/^[A-Za-z0-9._~:@+=-]{1,12}$/)),
        (a, b) => {
          const ka = agentSortKey(a);
          const kb = agentSortKey(b);
          expect(Math.sign(ka < kb ? -1 : ka > kb ? 1 : 0)).toBe(Math.sign(compareIds(a, b)));
        },
      ),
    );
  });
});

// ---------------------------------------------------------------- property

const AGENTS = ['1', '2', '3'];
const arbEvent = (agents: string[]): fc.Arbitrary<IngestEvent> => {
  const agentId = fc.constantFrom(...agents);
  const conv = fc.constantFrom('c1', 'c2', 'c3', 'c4');
  return fc.oneof(
    fc.record({ type: fc.constant('agent.loggedIn' as const), agentId }),
    fc.record({ type: fc.constant('agent.loggedOut' as const), agentId }),
    fc.record({
      type: fc.constant('agent.statusChanged' as const),
      agentId,
      status: fc.constantFrom('ONLINE', 'AWAY', 'BACK_SOON', 'OFFLINE' as const),
      reasonId: fc.constantFrom('r1', 'r2'),
    }),
    fc.record({ type: fc.constant('agent.heartbeat' as const), agentId }),
    fc.record({ type: fc.constant('agent.upserted' as const), agentId, groupId: fc.constantFrom('-1', '5'), skillIds: fc.subarray(['a', 'b']), maxSlots: fc.integer({ min: 0, max: 2 }) }),
    fc.record({ type: fc.constant('agent.deleted' as const), agentId }),
    fc.record({ type: fc.constant('agent.connectionTimedOut' as const), agentId }),
    fc.record({ type: fc.constant('conversation.assigned' as const), agentId, conversationId: conv, intense: fc.boolean() }),
    fc.record({ type: fc.constant('conversation.unassigned' as const), conversationId: conv }),
    fc.record({ type: fc.constant('account.settingsChanged' as const), connectionTimeoutMs: fc.constantFrom(10_000, 60_000) }),
  ) as fc.Arbitrary<IngestEvent>;
};

describe('property: intervals cover exactly the time an agent was known', () => {
  it('sums to the range length for the time it was known, without overlaps', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(arbEvent(AGENTS), fc.integer({ min: 0, max: 5 * MIN })), { minLength: 1, maxLength: 60 }),
        fc.integer({ min: 0, max: 2 * HOUR }),
        fc.integer({ min: 0, max: 2 * HOUR }),
        fc.integer({ min: 0, max: 10 * MIN }),
        (steps, a, b, after) => {
          let t = D0;
          const events = steps.map(([e, gap]) => ({ ...e, time: (t += gap) }));
          const r = new Rows().feed(...events);
          const now = t + after;
          const from = D0 + Math.min(a, b);
          const to = D0 + Math.max(a, b);
          // Known periods, computed from the events alone: an agent is known
          // from its first event (timeouts of unknown agents and deletions
          // create nothing) until it is deleted.
          const known = new Map<string, [number, number | undefined][]>();
          for (const e of events) {
            if (!('agentId' in e)) continue;
            const list = known.get(e.agentId) ?? known.set(e.agentId, []).get(e.agentId)!;
            const last = list.at(-1);
            const isKnown = last !== undefined && last[1] === undefined;
            if (e.type === 'agent.deleted') {
              if (isKnown) last[1] = e.time;
            } else if (!isKnown && e.type !== 'agent.connectionTimedOut') {
              list.push([e.time, undefined]);
            }
          }
          const overlap = (s: number, e: number) => Math.max(0, Math.min(e, to) - Math.max(s, from));
          for (const id of AGENTS) {
            const expected = (known.get(id) ?? []).reduce((sum, [s, e]) => sum + overlap(s, e ?? now), 0);
            const segs = r.segments.get(id) ?? [];
            const sum = segs.reduce((acc, s) => acc + (toInterval(s, from, to, now)?.durationMs ?? 0), 0);
            expect(sum).toBe(expected);
            // ordered, non-overlapping, only the last may be open, never empty
            for (let i = 0; i < segs.length; i++) {
              const s = segs[i]!;
              if (i < segs.length - 1) expect(s.end).toBeGreaterThan(s.start);
              if (i > 0) expect(s.start).toBeGreaterThanOrEqual(segs[i - 1]!.end!);
            }
            // the aggregate agrees: statuses add up to the same total
            const rows = r.aggregate('agent', from, to, now).filter((x) => x.key === id && x.reasonId === undefined);
            const statusSum = rows.filter((x) => ['ONLINE', 'AWAY', 'BACK_SOON', 'OFFLINE'].includes(x.status)).reduce((acc, x) => acc + x.totalMs, 0);
            expect(statusSum).toBe(expected);
            const loggedIn = rows.find((x) => x.status === 'LOGGED_IN')?.totalMs ?? 0;
            expect(loggedIn).toBe(statusSum - (rows.find((x) => x.status === 'OFFLINE')?.totalMs ?? 0));
            expect(rows.find((x) => x.status === 'AT_CAPACITY')?.totalMs ?? 0).toBeLessThanOrEqual(loggedIn);
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
