/**
 * Effects of every event type on the Agent Status record (spec sections 1.1
 * and 3, docs/api.md "Event semantics"), one behaviour per test.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import {
  createAccountState,
  dueTimeouts,
  evolve,
  isListed,
  toRecord,
  type AccountState,
  type AgentStatusRecord,
  type Change,
  type EventPayload,
} from './index.js';

const T = 1_700_000_000_000;
const S = 1000; // one second

let acc: AccountState;
let seq: number;

/** Applies one event at `T + at`. */
function ev(at: number, e: EventPayload): Change {
  return evolve(acc, { ...e, time: T + at, seq: ++seq });
}
/** The record of agent `id` at `T + at`. */
function rec(id: string, at: number): AgentStatusRecord {
  const a = acc.agents.get(id);
  if (!a) throw new Error(`no agent ${id}`);
  return toRecord(acc, a, T + at);
}
const login = (at: number, agentId: string, extra: Partial<{ status: 'ONLINE' | 'AWAY' | 'BACK_SOON'; reasonId: string }> = {}) =>
  ev(at, { type: 'agent.loggedIn', agentId, ...extra });

beforeEach(() => {
  acc = createAccountState('1');
  seq = 0;
});

describe('status and reason clocks', () => {
  it('log-in starts ONLINE, CONNECTED, present, with no reason fields', () => {
    login(0, '42');
    const r = rec('42', 5 * S);
    expect(r).toMatchObject({
      agentId: '42',
      currentStatus: 'ONLINE',
      currentStatusStartTimeL: T,
      currentStatusDuration: 5 * S,
      lastUpdatedTimeL: T,
      agentPresence: 'true',
      currentConnectionState: 'CONNECTED',
    });
    expect(r).not.toHaveProperty('currentStatusReason');
    expect(r).not.toHaveProperty('currentStatusReasonStartTimeL');
    expect(r).not.toHaveProperty('currentStatusReasonDuration');
  });

  it('a new away reason restarts the reason clock but not the status clock', () => {
    login(0, '42');
    ev(10 * S, { type: 'agent.statusChanged', agentId: '42', status: 'AWAY', reasonId: '3' });
    expect(rec('42', 15 * S)).toMatchObject({
      currentStatus: 'AWAY',
      currentStatusStartTimeL: T + 10 * S,
      currentStatusReason: '3',
      currentStatusReasonStartTimeL: T + 10 * S,
      currentStatusReasonDuration: 5 * S,
      currentStatusDuration: 5 * S,
    });
    ev(20 * S, { type: 'agent.statusChanged', agentId: '42', status: 'AWAY', reasonId: '4' });
    const r = rec('42', 30 * S);
    expect(r).toMatchObject({
      currentStatusStartTimeL: T + 10 * S,
      currentStatusDuration: 20 * S,
      currentStatusReason: '4',
      currentStatusReasonStartTimeL: T + 20 * S,
      currentStatusReasonStartTime: '2023-11-14 22:13:40.000+0000',
      currentStatusReasonDuration: 10 * S,
      lastUpdatedTimeL: T + 20 * S,
    });
  });

  it('the same status and reason again changes nothing, not even lastUpdatedTime', () => {
    login(0, '42');
    ev(10 * S, { type: 'agent.statusChanged', agentId: '42', status: 'AWAY', reasonId: '3' });
    const change = ev(20 * S, { type: 'agent.statusChanged', agentId: '42', status: 'AWAY', reasonId: '3' });
    expect(change.agentIds).toEqual([]);
    expect(rec('42', 30 * S).lastUpdatedTimeL).toBe(T + 10 * S);
  });

  it('AWAY without a reason drops the reason fields and keeps the status clock', () => {
    login(0, '42');
    ev(10 * S, { type: 'agent.statusChanged', agentId: '42', status: 'AWAY', reasonId: '3' });
    ev(20 * S, { type: 'agent.statusChanged', agentId: '42', status: 'AWAY' });
    const r = rec('42', 30 * S);
    expect(r.currentStatusStartTimeL).toBe(T + 10 * S);
    expect(r).not.toHaveProperty('currentStatusReason');
    expect(r).not.toHaveProperty('currentStatusReasonStartTimeL');
    expect(r.lastUpdatedTimeL).toBe(T + 20 * S);
  });

  it('keeps a reason only with AWAY', () => {
    login(0, '42');
    ev(10 * S, { type: 'agent.statusChanged', agentId: '42', status: 'BACK_SOON', reasonId: '3' });
    const r = rec('42', 20 * S);
    expect(r.currentStatus).toBe('BACK_SOON');
    expect(r).not.toHaveProperty('currentStatusReason');
    ev(30 * S, { type: 'agent.statusChanged', agentId: '42', status: 'AWAY', reasonId: '3' });
    ev(40 * S, { type: 'agent.statusChanged', agentId: '42', status: 'ONLINE', reasonId: '3' });
    expect(rec('42', 50 * S)).not.toHaveProperty('currentStatusReason');
    expect(rec('42', 50 * S).currentStatusStartTimeL).toBe(T + 40 * S);
  });

  it('never shows a negative duration for events stamped after now', () => {
    login(60 * S, '42', { status: 'AWAY', reasonId: '1' });
    const r = rec('42', 0);
    expect(r.currentStatusDuration).toBe(0);
    expect(r.currentStatusReasonDuration).toBe(0);
  });
});

describe('log-in and log-out', () => {
  it('log-in with a status and reason', () => {
    login(0, '42', { status: 'AWAY', reasonId: '2' });
    expect(rec('42', S)).toMatchObject({ currentStatus: 'AWAY', currentStatusReason: '2', currentStatusReasonStartTimeL: T });
  });

  it('log-in with BACK_SOON drops a reason', () => {
    login(0, '42', { status: 'BACK_SOON', reasonId: '2' });
    expect(rec('42', S)).not.toHaveProperty('currentStatusReason');
  });

  it('log-out: OFFLINE, DISCONNECTED, ringing cleared, assigned kept, presence left as it was', () => {
    login(0, '42');
    ev(S, { type: 'agent.presenceChanged', agentId: '42', present: false });
    ev(2 * S, { type: 'conversation.offered', agentId: '42', conversationId: 'r1' });
    ev(3 * S, { type: 'conversation.assigned', agentId: '42', conversationId: 'a1' });
    ev(10 * S, { type: 'agent.loggedOut', agentId: '42' });
    const r = rec('42', 20 * S);
    expect(r).toMatchObject({
      currentStatus: 'OFFLINE',
      currentStatusStartTimeL: T + 10 * S,
      currentConnectionState: 'DISCONNECTED',
      ringingSlots: 0,
      openAssignedConversations: 1,
      busySlots: 1,
      agentPresence: 'false',
      lastUpdatedTimeL: T + 10 * S,
    });
    // The ring is gone for good: ending the offer later changes nothing.
    expect(ev(11 * S, { type: 'conversation.offerEnded', conversationId: 'r1', outcome: 'timeout' }).agentIds).toEqual([]);
  });

  it('log-out of an agent not logged in changes nothing', () => {
    ev(0, { type: 'agent.upserted', agentId: '42', name: 'Maya' });
    expect(ev(S, { type: 'agent.loggedOut', agentId: '42' }).agentIds).toEqual([]);
    expect(isListed(acc.agents.get('42')!, 0)).toBe(false);
  });

  it('statusChanged to OFFLINE is a log-out', () => {
    login(0, '42');
    ev(10 * S, { type: 'agent.statusChanged', agentId: '42', status: 'OFFLINE', reasonId: '3' });
    const a = acc.agents.get('42')!;
    expect(a.loggedIn).toBe(false);
    expect(a.lastLogout).toBe(T + 10 * S);
    expect(rec('42', 20 * S)).toMatchObject({ currentStatus: 'OFFLINE', currentConnectionState: 'DISCONNECTED' });
    expect(rec('42', 20 * S)).not.toHaveProperty('currentStatusReason');
  });

  it('a non-OFFLINE status for a logged-out agent logs it in', () => {
    login(0, '42');
    ev(10 * S, { type: 'agent.loggedOut', agentId: '42' });
    ev(20 * S, { type: 'agent.statusChanged', agentId: '42', status: 'AWAY', reasonId: '1' });
    const a = acc.agents.get('42')!;
    expect(a.loggedIn).toBe(true);
    expect(rec('42', 30 * S)).toMatchObject({
      currentStatus: 'AWAY',
      currentStatusReason: '1',
      currentStatusStartTimeL: T + 20 * S,
      currentConnectionState: 'CONNECTED',
    });
  });

  it('a status for an unknown agent creates and logs it in', () => {
    ev(0, { type: 'agent.statusChanged', agentId: '77', status: 'BACK_SOON' });
    expect(rec('77', S)).toMatchObject({ currentStatus: 'BACK_SOON', currentConnectionState: 'CONNECTED', agentName: '77' });
  });

  it('log-in of an agent already logged in acts as a status change, defaulting to ONLINE', () => {
    login(0, '42', { status: 'AWAY', reasonId: '1' });
    login(10 * S, '42');
    expect(rec('42', 20 * S)).toMatchObject({ currentStatus: 'ONLINE', currentStatusStartTimeL: T + 10 * S });
    expect(login(15 * S, '42').agentIds).toEqual([]);
    expect(rec('42', 20 * S).lastUpdatedTimeL).toBe(T + 10 * S);
  });

  it('log-in restores presence', () => {
    login(0, '42');
    ev(S, { type: 'agent.presenceChanged', agentId: '42', present: false });
    login(2 * S, '42');
    expect(rec('42', 3 * S).agentPresence).toBe('true');
    ev(3 * S, { type: 'agent.presenceChanged', agentId: '42', present: false });
    ev(4 * S, { type: 'agent.loggedOut', agentId: '42' });
    login(5 * S, '42');
    expect(rec('42', 6 * S).agentPresence).toBe('true');
  });

  it('lists logged-out agents only from their last log-out on', () => {
    login(0, '42');
    ev(10 * S, { type: 'agent.loggedOut', agentId: '42' });
    const a = acc.agents.get('42')!;
    expect(isListed(a, T + 10 * S)).toBe(true);
    expect(isListed(a, T + 10 * S + 1)).toBe(false);
    login(20 * S, '42');
    expect(isListed(a, T + 10 * S + 1)).toBe(true);
  });
});

describe('presence', () => {
  it('presenceChanged sets agentPresence and moves lastUpdatedTime only when it changes', () => {
    login(0, '42');
    ev(S, { type: 'agent.presenceChanged', agentId: '42', present: false });
    expect(rec('42', 2 * S)).toMatchObject({ agentPresence: 'false', lastUpdatedTimeL: T + S });
    expect(ev(2 * S, { type: 'agent.presenceChanged', agentId: '42', present: false }).agentIds).toEqual([]);
    expect(rec('42', 3 * S).lastUpdatedTimeL).toBe(T + S);
  });
});

describe('heartbeats and connection time-out', () => {
  it('a heartbeat changes nothing visible and does not move lastUpdatedTime', () => {
    login(0, '42');
    expect(ev(30 * S, { type: 'agent.heartbeat', agentId: '42' }).agentIds).toEqual([]);
    expect(rec('42', 40 * S).lastUpdatedTimeL).toBe(T);
  });

  it('a logged-in agent with no event for connectionTimeoutMs is DISCONNECTED from that moment, computed at query time', () => {
    login(0, '42');
    expect(rec('42', 60 * S - 1).currentConnectionState).toBe('CONNECTED');
    expect(rec('42', 60 * S - 1).lastUpdatedTimeL).toBe(T);
    const r = rec('42', 90 * S);
    expect(r.currentConnectionState).toBe('DISCONNECTED');
    expect(r.lastUpdatedTimeL).toBe(T + 60 * S);
    expect(r.currentStatus).toBe('ONLINE');
    expect(dueTimeouts(acc, T + 60 * S).map((a) => a.id)).toEqual(['42']);
    expect(dueTimeouts(acc, T + 60 * S - 1)).toEqual([]);
  });

  it('heartbeats keep the connection alive', () => {
    login(0, '42');
    ev(50 * S, { type: 'agent.heartbeat', agentId: '42' });
    expect(rec('42', 100 * S).currentConnectionState).toBe('CONNECTED');
    expect(rec('42', 110 * S).currentConnectionState).toBe('DISCONNECTED');
    expect(rec('42', 110 * S).lastUpdatedTimeL).toBe(T + 110 * S);
  });

  it('agent.connectionTimedOut records the time-out; the next event reconnects', () => {
    login(0, '42');
    expect(ev(60 * S, { type: 'agent.connectionTimedOut', agentId: '42' }).agentIds).toEqual(['42']);
    expect(rec('42', 61 * S)).toMatchObject({ currentConnectionState: 'DISCONNECTED', lastUpdatedTimeL: T + 60 * S });
    expect(dueTimeouts(acc, T + 200 * S)).toEqual([]);
    // Recording it twice changes nothing.
    expect(ev(61 * S, { type: 'agent.connectionTimedOut', agentId: '42' }).agentIds).toEqual([]);
    expect(ev(70 * S, { type: 'agent.heartbeat', agentId: '42' }).agentIds).toEqual(['42']);
    expect(rec('42', 71 * S)).toMatchObject({ currentConnectionState: 'CONNECTED', lastUpdatedTimeL: T + 70 * S });
  });

  it('a stale time-out (activity came after its deadline was computed) changes nothing', () => {
    login(0, '42');
    ev(30 * S, { type: 'agent.heartbeat', agentId: '42' });
    expect(ev(60 * S, { type: 'agent.connectionTimedOut', agentId: '42' }).agentIds).toEqual([]);
    expect(rec('42', 61 * S).currentConnectionState).toBe('CONNECTED');
  });

  it('a time-out for an agent logged out or unknown changes nothing', () => {
    login(0, '42');
    ev(S, { type: 'agent.loggedOut', agentId: '42' });
    expect(ev(61 * S, { type: 'agent.connectionTimedOut', agentId: '42' }).agentIds).toEqual([]);
    expect(ev(61 * S, { type: 'agent.connectionTimedOut', agentId: 'ghost' }).agentIds).toEqual([]);
    expect(acc.agents.has('ghost')).toBe(false);
  });

  it('a time-out keeps a later lastUpdatedTime', () => {
    login(0, '42');
    ev(70 * S, { type: 'agent.upserted', agentId: '42', name: 'Maya' }); // catalog: not activity
    ev(60 * S, { type: 'agent.connectionTimedOut', agentId: '42' });
    expect(rec('42', 80 * S)).toMatchObject({ currentConnectionState: 'DISCONNECTED', lastUpdatedTimeL: T + 70 * S });
  });

  it('a gap between events of at least the time-out means the agent was disconnected in between: the later event reconnects it', () => {
    login(0, '42');
    expect(ev(60 * S, { type: 'agent.heartbeat', agentId: '42' }).agentIds).toEqual(['42']);
    expect(rec('42', 60 * S)).toMatchObject({ currentConnectionState: 'CONNECTED', lastUpdatedTimeL: T + 60 * S });
    expect(ev(119 * S, { type: 'agent.heartbeat', agentId: '42' }).agentIds).toEqual([]);
  });

  it('any event carrying the agent id keeps it alive; catalog events do not', () => {
    login(0, '42');
    ev(50 * S, { type: 'conversation.offered', agentId: '42', conversationId: 'c' });
    ev(100 * S, { type: 'agent.presenceChanged', agentId: '42', present: false });
    ev(150 * S, { type: 'conversation.assigned', agentId: '42', conversationId: 'c' });
    ev(200 * S, { type: 'agent.statusChanged', agentId: '42', status: 'AWAY' });
    expect(rec('42', 259 * S).currentConnectionState).toBe('CONNECTED');
    ev(250 * S, { type: 'agent.upserted', agentId: '42', name: 'X' });
    ev(255 * S, { type: 'conversation.activity', conversationId: 'c', intense: false });
    expect(rec('42', 260 * S).currentConnectionState).toBe('DISCONNECTED');
  });

  it('connectionTimeoutMs from the account settings applies at once', () => {
    login(0, '42');
    ev(S, { type: 'account.settingsChanged', connectionTimeoutMs: 5 * S });
    expect(rec('42', 5 * S).currentConnectionState).toBe('DISCONNECTED');
    expect(rec('42', 5 * S).lastUpdatedTimeL).toBe(T + 5 * S);
    ev(6 * S, { type: 'account.settingsChanged', connectionTimeoutMs: 60 * S });
    expect(rec('42', 7 * S).currentConnectionState).toBe('CONNECTED');
  });

  it('log-out of a timed-out agent, then log-in, is CONNECTED again', () => {
    login(0, '42');
    ev(60 * S, { type: 'agent.connectionTimedOut', agentId: '42' });
    ev(100 * S, { type: 'agent.loggedOut', agentId: '42' });
    expect(rec('42', 101 * S).currentConnectionState).toBe('DISCONNECTED');
    login(110 * S, '42');
    expect(rec('42', 111 * S).currentConnectionState).toBe('CONNECTED');
  });

  it('heartbeats from a logged-out agent change nothing and do not log it in', () => {
    login(0, '42');
    ev(S, { type: 'agent.loggedOut', agentId: '42' });
    expect(ev(2 * S, { type: 'agent.heartbeat', agentId: '42' }).agentIds).toEqual([]);
    expect(acc.agents.get('42')!.loggedIn).toBe(false);
  });
});

describe('conversations', () => {
  beforeEach(() => {
    ev(0, { type: 'agent.upserted', agentId: '1', maxSlots: 4 });
    ev(0, { type: 'agent.upserted', agentId: '2', maxSlots: 4 });
    login(0, '1');
    login(0, '2');
  });
  const counts = (id: string, at = 100 * S) => {
    const r = rec(id, at);
    return [r.ringingSlots, r.openAssignedConversations, r.busySlots, r.intenseConversations, r.load];
  };

  it('offered rings; offerEnded frees the ring', () => {
    ev(S, { type: 'conversation.offered', agentId: '1', conversationId: 'c' });
    expect(counts('1')).toEqual([1, 0, 0, 0, 0]);
    expect(rec('1', 2 * S).lastUpdatedTimeL).toBe(T + S);
    ev(2 * S, { type: 'conversation.offerEnded', conversationId: 'c', outcome: 'declined' });
    expect(counts('1')).toEqual([0, 0, 0, 0, 0]);
    expect(rec('1', 3 * S).lastUpdatedTimeL).toBe(T + 2 * S);
  });

  it('an offer moved to another agent rings there only', () => {
    ev(S, { type: 'conversation.offered', agentId: '1', conversationId: 'c' });
    expect(ev(2 * S, { type: 'conversation.offered', agentId: '2', conversationId: 'c' }).agentIds.sort()).toEqual(['1', '2']);
    expect(counts('1')[0]).toBe(0);
    expect(counts('2')[0]).toBe(1);
  });

  it('assigned frees the ring, counts busy and intense slots, intense by default', () => {
    ev(S, { type: 'conversation.offered', agentId: '1', conversationId: 'c' });
    ev(2 * S, { type: 'conversation.assigned', agentId: '1', conversationId: 'c' });
    expect(counts('1')).toEqual([0, 1, 1, 1, 25]);
    ev(3 * S, { type: 'conversation.assigned', agentId: '1', conversationId: 'd', intense: false });
    // W = 1 + 0.5 = 1.5 over 4 slots: 37.5 → 38
    expect(counts('1')).toEqual([0, 2, 2, 1, 38]);
  });

  it('moving an assigned conversation to another agent unassigns it from the first', () => {
    ev(S, { type: 'conversation.assigned', agentId: '1', conversationId: 'c', intense: false });
    const change = ev(2 * S, { type: 'conversation.assigned', agentId: '2', conversationId: 'c' });
    expect(change.agentIds.sort()).toEqual(['1', '2']);
    expect(counts('1')).toEqual([0, 0, 0, 0, 0]);
    expect(counts('2')).toEqual([0, 1, 1, 1, 25]);
    expect(rec('1', 3 * S).lastUpdatedTimeL).toBe(T + 2 * S);
  });

  it('assigning again to the same agent: intense given sets it, absent keeps it', () => {
    ev(S, { type: 'conversation.assigned', agentId: '1', conversationId: 'c', intense: false });
    expect(ev(2 * S, { type: 'conversation.assigned', agentId: '1', conversationId: 'c' }).agentIds).toEqual([]);
    expect(counts('1')).toEqual([0, 1, 1, 0, 13]);
    ev(3 * S, { type: 'conversation.assigned', agentId: '1', conversationId: 'c', intense: true });
    expect(counts('1')).toEqual([0, 1, 1, 1, 25]);
  });

  it('activity toggles intensity of the holder; the same value or an unknown conversation changes nothing', () => {
    ev(S, { type: 'conversation.assigned', agentId: '1', conversationId: 'c' });
    expect(ev(2 * S, { type: 'conversation.activity', conversationId: 'c', intense: false }).agentIds).toEqual(['1']);
    expect(counts('1')).toEqual([0, 1, 1, 0, 13]);
    expect(rec('1', 3 * S).lastUpdatedTimeL).toBe(T + 2 * S);
    expect(ev(3 * S, { type: 'conversation.activity', conversationId: 'c', intense: false }).agentIds).toEqual([]);
    expect(ev(3 * S, { type: 'conversation.activity', conversationId: 'nope', intense: true }).agentIds).toEqual([]);
    expect(acc.conversations.has('nope')).toBe(false);
  });

  it('unassigned frees the slot; unknown or already closed conversations change nothing', () => {
    ev(S, { type: 'conversation.assigned', agentId: '1', conversationId: 'c' });
    expect(ev(2 * S, { type: 'conversation.unassigned', conversationId: 'c' }).agentIds).toEqual(['1']);
    expect(counts('1')).toEqual([0, 0, 0, 0, 0]);
    expect(ev(3 * S, { type: 'conversation.unassigned', conversationId: 'c' }).agentIds).toEqual([]);
    expect(ev(3 * S, { type: 'conversation.unassigned', conversationId: 'never' }).agentIds).toEqual([]);
    expect(ev(3 * S, { type: 'conversation.offerEnded', conversationId: 'never', outcome: 'accepted' }).agentIds).toEqual([]);
    expect(acc.conversations.size).toBe(0);
    expect(rec('1', 4 * S).lastUpdatedTimeL).toBe(T + 2 * S);
  });

  it('an offer for a conversation assigned to someone else rings without unassigning it', () => {
    ev(S, { type: 'conversation.assigned', agentId: '1', conversationId: 'c' });
    ev(2 * S, { type: 'conversation.offered', agentId: '2', conversationId: 'c' });
    expect(counts('1')).toEqual([0, 1, 1, 1, 25]);
    expect(counts('2')).toEqual([1, 0, 0, 0, 0]);
    ev(3 * S, { type: 'conversation.assigned', agentId: '2', conversationId: 'c' });
    expect(counts('1')).toEqual([0, 0, 0, 0, 0]);
    expect(counts('2')).toEqual([0, 1, 1, 1, 25]);
  });
});

describe('load', () => {
  it('rounds halves up and uses inactiveWeight', () => {
    ev(0, { type: 'agent.upserted', agentId: '1', maxSlots: 3 });
    login(0, '1');
    ev(S, { type: 'conversation.assigned', agentId: '1', conversationId: 'a' });
    expect(rec('1', 2 * S).load).toBe(33); // 100/3
    ev(S, { type: 'conversation.assigned', agentId: '1', conversationId: 'b' });
    expect(rec('1', 2 * S).load).toBe(67); // 200/3
    ev(S, { type: 'conversation.activity', conversationId: 'b', intense: false });
    expect(rec('1', 2 * S).load).toBe(50); // 150/3
    ev(2 * S, { type: 'account.settingsChanged', inactiveWeight: 0 });
    expect(rec('1', 3 * S).load).toBe(33);
    expect(rec('1', 3 * S).lastUpdatedTimeL).toBe(T + 2 * S);
    ev(3 * S, { type: 'account.settingsChanged', inactiveWeight: 1 });
    expect(rec('1', 4 * S).load).toBe(67);
  });

  it('with 0 slots: 100 when anything is assigned, else 0', () => {
    ev(0, { type: 'agent.upserted', agentId: '1', maxSlots: 0 });
    login(0, '1');
    expect(rec('1', S)).toMatchObject({ load: 0, configuredMaxSlots: 0 });
    ev(S, { type: 'conversation.assigned', agentId: '1', conversationId: 'a', intense: false });
    expect(rec('1', 2 * S).load).toBe(100);
    ev(2 * S, { type: 'account.settingsChanged', inactiveWeight: 0 });
    expect(rec('1', 3 * S).load).toBe(0); // W = 0
  });

  it('can exceed 100 when more is assigned than configured', () => {
    ev(0, { type: 'agent.upserted', agentId: '1', maxSlots: 1 });
    login(0, '1');
    ev(S, { type: 'conversation.assigned', agentId: '1', conversationId: 'a' });
    ev(S, { type: 'conversation.assigned', agentId: '1', conversationId: 'b' });
    expect(rec('1', 2 * S).load).toBe(200);
  });
});

describe('account settings', () => {
  it('defaultMaxSlots applies to agents without their own maxSlots and moves only their lastUpdatedTime', () => {
    ev(0, { type: 'agent.upserted', agentId: '1' });
    ev(0, { type: 'agent.upserted', agentId: '2', maxSlots: 4 });
    login(0, '1');
    login(0, '2');
    expect(rec('1', S).configuredMaxSlots).toBe(10);
    const change = ev(S, { type: 'account.settingsChanged', defaultMaxSlots: 5 });
    expect(change.agentIds).toEqual(['1']);
    expect(rec('1', 2 * S)).toMatchObject({ configuredMaxSlots: 5, lastUpdatedTimeL: T + S });
    expect(rec('2', 2 * S)).toMatchObject({ configuredMaxSlots: 4, lastUpdatedTimeL: T });
    expect(ev(2 * S, { type: 'account.settingsChanged', defaultMaxSlots: 5 }).agentIds).toEqual([]);
  });

  it('a settings event only changes the settings it names', () => {
    ev(0, { type: 'account.settingsChanged', inactiveWeight: 0.25 });
    ev(0, { type: 'account.settingsChanged', connectionTimeoutMs: 30 * S });
    expect(acc.settings).toEqual({ defaultMaxSlots: 10, inactiveWeight: 0.25, connectionTimeoutMs: 30 * S });
  });
});

describe('catalog: skills, groups, agents', () => {
  it('unknown agents are created with defaults that a later agent.upserted fills in', () => {
    login(0, '42');
    expect(rec('42', S)).toMatchObject({
      agentName: '42',
      agentNickname: '42',
      agentLoginName: '42',
      agentSkills: [],
      agentGroupId: -1,
      agentGroupName: 'Main Group',
      configuredMaxSlots: 10,
    });
    expect(rec('42', S)).not.toHaveProperty('agentPictureURL');
    ev(S, {
      type: 'agent.upserted',
      agentId: '42',
      name: 'Maya Levi',
      nickname: 'Maya',
      loginName: 'maya@example.com',
      pictureUrl: 'https://example.com/m.png',
      groupId: '7',
      skillIds: ['2', '1', '2'],
      maxSlots: 4,
    });
    expect(rec('42', 2 * S)).toMatchObject({
      agentName: 'Maya Levi',
      agentNickname: 'Maya',
      agentLoginName: 'maya@example.com',
      agentPictureURL: 'https://example.com/m.png',
      agentSkills: [
        { skillId: '2', skillName: '2' },
        { skillId: '1', skillName: '1' },
      ],
      agentGroupId: 7,
      agentGroupName: '7',
      configuredMaxSlots: 4,
      lastUpdatedTimeL: T + S,
      currentStatusStartTimeL: T,
    });
  });

  it('agent.upserted is a partial update; an identical one changes nothing', () => {
    ev(0, { type: 'agent.upserted', agentId: '42', name: 'Maya', groupId: '7', skillIds: ['1'] });
    ev(S, { type: 'agent.upserted', agentId: '42', nickname: 'M' });
    login(2 * S, '42');
    expect(rec('42', 3 * S)).toMatchObject({ agentName: 'Maya', agentNickname: 'M', agentGroupId: 7, agentSkills: [{ skillId: '1', skillName: '1' }] });
    expect(ev(3 * S, { type: 'agent.upserted', agentId: '42', name: 'Maya', skillIds: ['1'] }).agentIds).toEqual([]);
    expect(rec('42', 4 * S).lastUpdatedTimeL).toBe(T + 2 * S);
  });

  it('skill and group renames show at once and move lastUpdatedTime of their members only', () => {
    ev(0, { type: 'agent.upserted', agentId: '1', groupId: '7', skillIds: ['s'] });
    ev(0, { type: 'agent.upserted', agentId: '2' });
    login(0, '1');
    login(0, '2');
    expect(ev(S, { type: 'skill.upserted', skillId: 's', name: 'billing' }).agentIds).toEqual(['1']);
    expect(ev(2 * S, { type: 'group.upserted', groupId: '7', name: 'Night shift' }).agentIds).toEqual(['1']);
    expect(rec('1', 3 * S)).toMatchObject({
      agentSkills: [{ skillId: 's', skillName: 'billing' }],
      agentGroupName: 'Night shift',
      lastUpdatedTimeL: T + 2 * S,
    });
    expect(rec('2', 3 * S).lastUpdatedTimeL).toBe(T);
    expect(ev(3 * S, { type: 'skill.upserted', skillId: 's', name: 'billing' }).agentIds).toEqual([]);
  });

  it('group -1 is "Main Group" and can be renamed', () => {
    login(0, '1');
    expect(rec('1', S).agentGroupName).toBe('Main Group');
    ev(S, { type: 'group.upserted', groupId: '-1', name: 'Everyone' });
    expect(rec('1', 2 * S).agentGroupName).toBe('Everyone');
  });

  it('a deleted agent is gone from every index; events for it later re-create it fresh', () => {
    ev(0, { type: 'agent.upserted', agentId: '42', name: 'Maya', groupId: '7', skillIds: ['1'], maxSlots: 2 });
    login(0, '42');
    ev(S, { type: 'conversation.assigned', agentId: '42', conversationId: 'c' });
    ev(S, { type: 'conversation.offered', agentId: '42', conversationId: 'd' });
    expect(ev(2 * S, { type: 'agent.deleted', agentId: '42' }).agentIds).toEqual(['42']);
    expect(acc.agents.has('42')).toBe(false);
    for (const index of [acc.byStatus, acc.bySkill, acc.byGroup]) {
      for (const set of index.values()) expect([...set].map((a) => a.id)).not.toContain('42');
    }
    expect(acc.loggedIn.size).toBe(0);
    expect(acc.conversations.size).toBe(0);
    expect(ev(3 * S, { type: 'agent.deleted', agentId: '42' }).agentIds).toEqual([]);
    // Its conversations are gone: later events about them change nothing.
    expect(ev(3 * S, { type: 'conversation.unassigned', conversationId: 'c' }).agentIds).toEqual([]);
    // Re-created: defaults, not listed until it logs in.
    ev(4 * S, { type: 'agent.upserted', agentId: '42', nickname: 'M' });
    const a = acc.agents.get('42')!;
    expect(isListed(a, 0)).toBe(false);
    login(5 * S, '42');
    expect(rec('42', 6 * S)).toMatchObject({
      agentName: '42',
      agentNickname: 'M',
      agentGroupId: -1,
      agentSkills: [],
      configuredMaxSlots: 10,
      openAssignedConversations: 0,
      ringingSlots: 0,
    });
  });

  it('assigning a conversation held by a deleted agent is a fresh assignment', () => {
    login(0, '1');
    login(0, '2');
    ev(S, { type: 'conversation.assigned', agentId: '1', conversationId: 'c' });
    ev(2 * S, { type: 'agent.deleted', agentId: '1' });
    ev(3 * S, { type: 'conversation.assigned', agentId: '2', conversationId: 'c' });
    expect(rec('2', 4 * S).openAssignedConversations).toBe(1);
  });

  it('account seq follows the stored events', () => {
    login(0, '1');
    ev(0, { type: 'agent.heartbeat', agentId: '1' });
    expect(acc.seq).toBe(2);
  });
});
