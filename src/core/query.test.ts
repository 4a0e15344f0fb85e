/** Agent Status queries: listing window, each filter, each sort key, paging. */
import { beforeAll, describe, expect, it } from 'vitest';
import {
  compareIds,
  createAccountState,
  evolve,
  pageOf,
  parseSort,
  queryAgents,
  SORT_FIELDS,
  type AccountState,
  type AgentFilter,
  type EventPayload,
  type SortKey,
} from './index.js';
import { referenceQuery } from '../../test/helpers/reference.js';

const T = 1_700_000_000_000;
const NOW = T + 600_000;
let acc: AccountState;

function build(events: [number, EventPayload][]): AccountState {
  const a = createAccountState('q');
  let seq = 0;
  for (const [at, e] of events) evolve(a, { ...e, time: T + at, seq: ++seq });
  return a;
}

const all: AgentFilter = { from: NOW - 600_000 };
const ids = (f: Partial<AgentFilter>, sort: SortKey[] = [], offset = 0, limit = 1000) =>
  queryAgents(acc, { ...all, ...f }, sort, offset, limit, NOW).agents.map((a) => a.id);

beforeAll(() => {
  acc = build([
    [0, { type: 'skill.upserted', skillId: 's1', name: 'billing' }],
    [0, { type: 'agent.upserted', agentId: '1', name: 'Carol', groupId: '7', skillIds: ['s1'], maxSlots: 2 }],
    [0, { type: 'agent.upserted', agentId: '2', name: 'alice', groupId: '7', skillIds: ['s2'], maxSlots: 4 }],
    [0, { type: 'agent.upserted', agentId: '10', name: 'Bob', groupId: '8', skillIds: ['s1', 's2'], maxSlots: 4 }],
    [0, { type: 'agent.upserted', agentId: 'x', name: 'Bob', skillIds: [] }],
    [0, { type: 'agent.upserted', agentId: 'never', name: 'Never logged in', groupId: '7', skillIds: ['s1'] }],
    [100_000, { type: 'agent.loggedIn', agentId: '1' }],
    [200_000, { type: 'agent.loggedIn', agentId: '2', status: 'AWAY', reasonId: '5' }],
    [300_000, { type: 'agent.loggedIn', agentId: '10', status: 'BACK_SOON' }],
    [50_000, { type: 'agent.loggedIn', agentId: 'x' }],
    [400_000, { type: 'agent.loggedIn', agentId: 'old' }],
    [-100_000, { type: 'agent.loggedIn', agentId: 'gone' }],
    [-50_000, { type: 'agent.loggedOut', agentId: 'gone' }], // logged out before the window
    [450_000, { type: 'agent.loggedOut', agentId: 'old' }], // logged out inside the window
    [100_000, { type: 'conversation.assigned', agentId: '1', conversationId: 'c1' }],
    [590_000, { type: 'conversation.assigned', agentId: '10', conversationId: 'c2', intense: false }],
    [590_000, { type: 'agent.heartbeat', agentId: '2' }],
    [580_000, { type: 'agent.presenceChanged', agentId: 'x', present: false }],
  ]);
  // Now: '1' ONLINE, load 50, disconnected (no event since 100 s); '2' AWAY reason 5, connected;
  // '10' BACK_SOON, load 13, connected; 'x' ONLINE, absent, connected; 'old' OFFLINE (logged out in window).
});

describe('listing window', () => {
  it('lists logged-in agents and agents logged out at or after from; never-logged-in agents never', () => {
    expect(ids({ presence: undefined })).toEqual(['1', '2', '10', 'old', 'x']);
    expect(ids({ presence: undefined, from: T + 450_000 })).toContain('old');
    expect(ids({ presence: undefined, from: T + 450_001 })).not.toContain('old');
    expect(ids({ presence: undefined, from: 0 })).toEqual(['1', '2', '10', 'gone', 'old', 'x']);
  });
});

describe('filters', () => {
  it('status: any of the listed statuses', () => {
    expect(ids({ statuses: ['AWAY', 'BACK_SOON'] })).toEqual(['2', '10']);
    expect(ids({ statuses: ['OFFLINE'] })).toEqual(['old']);
  });
  it('agentIds: only those agents, unknown ids ignored, duplicates harmless', () => {
    expect(ids({ agentIds: ['10', 'nobody', '10', 'never'] })).toEqual(['10']);
  });
  it('skillIds: agents having any of them', () => {
    expect(ids({ skillIds: ['s2'] })).toEqual(['2', '10']);
    expect(ids({ skillIds: ['s1', 's2'] })).toEqual(['1', '2', '10']);
    expect(ids({ skillIds: ['nothing'] })).toEqual([]);
  });
  it('agentGroupIds', () => {
    expect(ids({ groupIds: ['7'] })).toEqual(['1', '2']);
    expect(ids({ groupIds: ['-1', '8'] })).toEqual(['10', 'old', 'x']);
  });
  it('presence', () => {
    expect(ids({ presence: false })).toEqual(['x']);
    expect(ids({ presence: true })).toEqual(['1', '2', '10', 'old']);
  });
  it('connection states, computed at now', () => {
    expect(ids({ connectionStates: ['DISCONNECTED'] })).toEqual(['1', 'old']);
    expect(ids({ connectionStates: ['CONNECTED'] })).toEqual(['2', '10', 'x']);
    expect(ids({ connectionStates: ['CONNECTED', 'DISCONNECTED'] })).toEqual(['1', '2', '10', 'old', 'x']);
  });
  it('combine with AND', () => {
    expect(ids({ statuses: ['ONLINE', 'BACK_SOON'], skillIds: ['s1'], connectionStates: ['CONNECTED'] })).toEqual(['10']);
  });
});

describe('sorting', () => {
  const sorted = (spec: string) => {
    const keys = spec === '' ? [] : parseSort(spec);
    if (typeof keys === 'string') throw new Error(keys);
    return ids({ presence: undefined }, keys);
  };
  it('default and ties: agentId ascending, numeric ids numerically and first', () => {
    expect(sorted('')).toEqual(['1', '2', '10', 'old', 'x']);
  });
  it('start and end', () => {
    expect(sorted('start:asc')).toEqual(['x', '1', '2', '10', 'old']);
    expect(sorted('start:desc')).toEqual(['old', '10', '2', '1', 'x']);
    // end = lastUpdatedTime: '1' disconnected at 160 s, 'old' 450 s, 'x' 580 s; '2' reconnected by
    // its heartbeat at 590 s (a gap past the time-out), '10' assigned at 590 s: a tie, by agentId.
    expect(sorted('end')).toEqual(['1', 'old', 'x', '2', '10']);
    expect(sorted('end:desc')).toEqual(['2', '10', 'x', 'old', '1']);
  });
  it('agentId explicitly, both orders', () => {
    expect(sorted('agentId:desc')).toEqual(['x', 'old', '10', '2', '1']);
    expect(sorted('agentId:asc')).toEqual(['1', '2', '10', 'old', 'x']);
  });
  it('agentName with ties broken by agentId', () => {
    // code-unit order: uppercase before lowercase
    // names: Carol, alice, Bob, Bob, old (an agent never upserted is named by its id)
    expect(sorted('agentName:asc')).toEqual(['10', 'x', '1', '2', 'old']);
    expect(sorted('agentName:desc')).toEqual(['old', '2', '1', '10', 'x']);
  });
  it('numeric fields, several keys', () => {
    expect(sorted('load:desc')).toEqual(['1', '10', '2', 'old', 'x']);
    expect(sorted('configuredMaxSlots:asc,load:desc')).toEqual(['1', '10', '2', 'old', 'x']);
    expect(sorted('busySlots:desc,agentId:desc')).toEqual(['10', '1', 'x', 'old', '2']);
  });
  it('agents without a value sort last in both orders', () => {
    expect(sorted('currentStatusReasonDuration:asc')[0]).toBe('2');
    expect(sorted('currentStatusReasonDuration:desc')[0]).toBe('2');
    expect(sorted('currentStatusReasonStartTimeL:desc')).toEqual(['2', '1', '10', 'old', 'x']);
  });
  it('every sort field agrees with the reference implementation in both orders', () => {
    for (const field of SORT_FIELDS) {
      for (const desc of [false, true]) {
        const f = { ...all, presence: undefined };
        const got = queryAgents(acc, f, [{ field, desc }], 0, 1000, NOW).agents.map((a) => a.id);
        expect(got, `${field} ${desc ? 'desc' : 'asc'}`).toEqual(referenceQuery(acc, f, [{ field, desc }], 0, 1000, NOW).ids);
      }
    }
  });
});

describe('paging', () => {
  it('count is before paging; pages are slices of the full order', () => {
    const f = { presence: undefined };
    const full = ids(f);
    expect(queryAgents(acc, { ...all, ...f }, [], 1, 2, NOW)).toMatchObject({ count: 5 });
    expect(ids(f, [], 1, 2)).toEqual(full.slice(1, 3));
    expect(ids(f, [], 4, 50)).toEqual(full.slice(4));
  });
  it('an offset beyond the count gives an empty page with the count', () => {
    const page = queryAgents(acc, { ...all, presence: undefined }, [], 5, 10, NOW);
    expect(page).toEqual({ count: 5, agents: [] });
    expect(queryAgents(acc, { ...all }, [], 1_000_000_000, 1000, NOW).agents).toEqual([]);
  });
  it('pageOf takes the same page with a partial sort as with a full sort', () => {
    const items = Array.from({ length: 200 }, (_, i) => (i * 7919) % 200);
    const cmp = (a: number, b: number) => a - b;
    for (const [off, lim] of [
      [0, 1],
      [3, 5],
      [10, 2],
      [0, 40],
      [199, 5],
    ] as const) {
      expect(pageOf([...items], cmp, off, lim)).toEqual([...items].sort(cmp).slice(off, off + lim));
    }
  });
});

describe('parseSort', () => {
  it('accepts field, field:asc, field:desc, comma lists with spaces', () => {
    expect(parseSort('start')).toEqual([{ field: 'start', desc: false }]);
    expect(parseSort('load:desc, agentName:asc')).toEqual([
      { field: 'load', desc: true },
      { field: 'agentName', desc: false },
    ]);
  });
  it('names the bad part', () => {
    expect(parseSort('bogus:asc')).toMatch(/unknown field "bogus"/);
    expect(parseSort('start:up')).toMatch(/unknown order "up"/);
    expect(parseSort('start:')).toMatch(/unknown order ""/);
    expect(parseSort('start:asc:x')).toMatch(/not field:order/);
    expect(parseSort('start,')).toMatch(/unknown field ""/);
    expect(parseSort('agentPresence')).toMatch(/unknown field/);
  });
});

describe('compareIds', () => {
  it('orders numeric ids exactly (any length), before other ids, and never calls different ids equal', () => {
    const list = ['b', '10', '-1', '9007199254740993', '2', '9007199254740992', 'a', '0', '-0', '007', '123456789012345678901', '-20'];
    expect([...list].sort(compareIds)).toEqual([
      '-20',
      '-1',
      '-0',
      '0',
      '2',
      '10',
      '9007199254740992',
      '9007199254740993',
      '123456789012345678901',
      '007',
      'a',
      'b',
    ]);
    for (const a of list) for (const b of list) if (a !== b) expect(compareIds(a, b)).not.toBe(0);
  });
});
