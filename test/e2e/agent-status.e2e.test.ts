/**
 * Agent Status over real HTTP (spec 1.1): every record field, filter, sort
 * and paging rule, `_metadata`, and every client error of the endpoint.
 */
import fc from 'fast-check';
import Value from 'typebox/value';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAccountState, evolve, type AgentFilter, type IngestEvent } from '../../src/core/index.js';
import { AgentStatusResponse } from '../../src/schemas/agent-view.js';
import { filterArb, sortArb, stepArb, toStream } from '../helpers/arbitraries.js';
import { referenceQuery } from '../helpers/reference.js';
import { ManualClock, startTestServer, type TestServer } from '../helpers/server.js';

const T = 1_700_000_000_000;
const NOW = T + 600_000;
const URL_BASE = 'http://agentview.test/messaging_history/api/account/5000/agent-view/status';
const path = (q = '') => `/messaging_history/api/account/5000/agent-view/status${q}`;

const SETUP = [
  { type: 'skill.upserted', skillId: '1', name: 'billing', time: T },
  { type: 'skill.upserted', skillId: 2, name: 'sales', time: T },
  { type: 'group.upserted', groupId: '7', name: 'Night shift', time: T },
  { type: 'group.upserted', groupId: 8, name: 'Day shift', time: T },
  { type: 'agent.upserted', agentId: '42', name: 'Maya Levi', nickname: 'Maya', loginName: 'maya@example.com', groupId: '7', skillIds: ['1', '2'], maxSlots: 4, time: T },
  { type: 'agent.upserted', agentId: 7, name: 'Noa', nickname: 'N', loginName: 'noa@example.com', pictureUrl: 'https://example.com/noa.png', groupId: 8, skillIds: [2], maxSlots: 2, time: T },
  { type: 'agent.upserted', agentId: '8', name: 'Never', time: T },
  // 42: AWAY with reason 3, two conversations (the worked example)
  { type: 'agent.loggedIn', agentId: '42', time: T + 500_000 },
  { type: 'conversation.assigned', agentId: '42', conversationId: 'c-1', time: T + 510_000 },
  { type: 'conversation.assigned', agentId: '42', conversationId: 'c-2', intense: false, time: T + 520_000 },
  { type: 'agent.statusChanged', agentId: '42', status: 'AWAY', reasonId: '3', time: T + 540_000 },
  { type: 'agent.heartbeat', agentId: '42', time: T + 590_000 },
  // 7: ONLINE, one ringing offer
  { type: 'agent.loggedIn', agentId: '7', time: T + 560_000 },
  { type: 'conversation.offered', agentId: '7', conversationId: 'c-3', time: T + 580_000 },
  // 9: ONLINE, not present
  { type: 'agent.upserted', agentId: '9', name: 'Al', groupId: '8', time: T },
  { type: 'agent.loggedIn', agentId: '9', time: T + 565_000 },
  { type: 'agent.presenceChanged', agentId: '9', present: false, time: T + 570_000 },
  // 100: BACK_SOON, silent since T: DISCONNECTED since T + 60 s
  { type: 'agent.loggedIn', agentId: '100', status: 'BACK_SOON', time: T },
  // 5: logged out inside the default window; 6: logged out before it
  { type: 'agent.loggedIn', agentId: '5', time: T + 100_000 },
  { type: 'agent.loggedOut', agentId: '5', time: T + 550_000 },
  { type: 'agent.loggedIn', agentId: '6', time: T - 100_000 },
  { type: 'agent.loggedOut', agentId: '6', time: T - 1 },
];

const RECORD_42 = {
  agentId: '42',
  lastUpdatedTimeL: T + 540_000,
  lastUpdatedTime: '2023-11-14 22:22:20.000+0000',
  currentStatusStartTimeL: T + 540_000,
  currentStatusStartTime: '2023-11-14 22:22:20.000+0000',
  currentStatusReasonStartTimeL: T + 540_000,
  currentStatusReasonStartTime: '2023-11-14 22:22:20.000+0000',
  agentName: 'Maya Levi',
  agentNickname: 'Maya',
  agentLoginName: 'maya@example.com',
  agentSkills: [
    { skillId: '1', skillName: 'billing' },
    { skillId: '2', skillName: 'sales' },
  ],
  agentGroupId: 7,
  agentGroupName: 'Night shift',
  currentStatus: 'AWAY',
  currentStatusDuration: 60_000,
  currentStatusReason: '3',
  currentStatusReasonDuration: 60_000,
  load: 38,
  ringingSlots: 0,
  configuredMaxSlots: 4,
  busySlots: 2,
  openAssignedConversations: 2,
  intenseConversations: 1,
  agentPresence: 'true',
  currentConnectionState: 'CONNECTED',
};

const RECORD_7 = {
  agentId: '7',
  lastUpdatedTimeL: T + 580_000,
  lastUpdatedTime: '2023-11-14 22:23:00.000+0000',
  currentStatusStartTimeL: T + 560_000,
  currentStatusStartTime: '2023-11-14 22:22:40.000+0000',
  agentName: 'Noa',
  agentNickname: 'N',
  agentLoginName: 'noa@example.com',
  agentPictureURL: 'https://example.com/noa.png',
  agentSkills: [{ skillId: '2', skillName: 'sales' }],
  agentGroupId: 8,
  agentGroupName: 'Day shift',
  currentStatus: 'ONLINE',
  currentStatusDuration: 40_000,
  load: 0,
  ringingSlots: 1,
  configuredMaxSlots: 2,
  busySlots: 0,
  openAssignedConversations: 0,
  intenseConversations: 0,
  agentPresence: 'true',
  currentConnectionState: 'CONNECTED',
};

let s: TestServer;
const clock = new ManualClock(NOW);

beforeAll(async () => {
  s = await startTestServer({}, { clock });
  const r = await s.call('POST', '/api/account/5000/events', { events: SETUP });
  expect(r.status).toBe(200);
});
afterAll(async () => s.stop());

const status = (q: string, body?: unknown) => s.call('POST', path(q), body);
const listed = async (body: unknown, q = '') => {
  const r = await status(q, body);
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  return (r.body.agentStatusRecords as { agentId: string }[]).map((x) => x.agentId);
};

describe('records', () => {
  it('has every field of spec 1.1 with LivePerson types, in LivePerson order', async () => {
    const r = await status('', { agentIds: [42, 7] });
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toMatch(/^application\/json/);
    const [b, a] = r.body.agentStatusRecords;
    expect(a).toEqual(RECORD_42);
    expect(Object.keys(a)).toEqual(Object.keys(RECORD_42));
    expect(b).toEqual(RECORD_7);
    expect(Object.keys(b)).toEqual(Object.keys(RECORD_7));
    const absent = await status('', { agentIds: ['9'], agentPresence: false });
    expect(absent.body.agentStatusRecords[0]).toMatchObject({ agentId: '9', agentPresence: 'false', currentStatus: 'ONLINE' });
    expect(Value.Check(AgentStatusResponse, r.body)).toBe(true);
  });

  it('shows DISCONNECTED agents (time-out passed) and logged-out agents as OFFLINE and DISCONNECTED', async () => {
    const r = await status('', { agentIds: ['100', '5'] });
    const [a5, a100] = r.body.agentStatusRecords;
    expect(a100).toMatchObject({ agentId: '100', currentStatus: 'BACK_SOON', currentConnectionState: 'DISCONNECTED', lastUpdatedTimeL: T + 60_000 });
    expect(a100).toMatchObject({ agentName: '100', agentNickname: '100', agentLoginName: '100', agentGroupId: -1, agentGroupName: 'Main Group', agentSkills: [], configuredMaxSlots: 10 });
    expect(a5).toMatchObject({ agentId: '5', currentStatus: 'OFFLINE', currentConnectionState: 'DISCONNECTED', currentStatusStartTimeL: T + 550_000 });
  });
});

describe('which agents are listed', () => {
  it('no body, empty body, {} and null: logged-in and recently logged-out, present agents', async () => {
    const want = ['5', '7', '42', '100'];
    expect(await listed(undefined)).toEqual(want);
    expect(await listed('')).toEqual(want);
    expect(await listed({})).toEqual(want);
    expect(await listed(null)).toEqual(want);
    expect(await listed('  \n ')).toEqual(want);
  });
  it('timestamp.from widens or narrows the window for logged-out agents (number or numeric string)', async () => {
    expect(await listed({ timestamp: { from: T - 1 } })).toEqual(['5', '6', '7', '42', '100']);
    expect(await listed({ timestamp: { from: String(T + 550_000) } })).toEqual(['5', '7', '42', '100']);
    expect(await listed({ timestamp: { from: T + 550_001 } })).toEqual(['7', '42', '100']);
    expect(await listed({ timestamp: { from: null } })).toEqual(['5', '7', '42', '100']);
  });
  it('never lists agents that never logged in', async () => {
    expect(await listed({ agentIds: ['8'], timestamp: { from: 0 } })).toEqual([]);
  });
  it('an account that never received events answers 200 with no records', async () => {
    const r = await s.call('POST', '/messaging_history/api/account/never-seen/agent-view/status');
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ accountID: 'never-seen', agentStatusRecords: [], _metadata: { count: 0 } });
  });
});

describe('filters', () => {
  it('status and its alias Status; status wins', async () => {
    expect(await listed({ status: ['AWAY', 'OFFLINE'] })).toEqual(['5', '42']);
    expect(await listed({ Status: ['BACK_SOON'] })).toEqual(['100']);
    expect(await listed({ status: ['ONLINE'], Status: ['BACK_SOON'] })).toEqual(['7']);
  });
  it('agentIds as numbers or strings', async () => {
    expect(await listed({ agentIds: [42, '100', 'nobody'] })).toEqual(['42', '100']);
  });
  it('skillIds: any of them, numbers or strings', async () => {
    expect(await listed({ skillIds: [1] })).toEqual(['42']);
    expect(await listed({ skillIds: ['2'] })).toEqual(['7', '42']);
    expect(await listed({ skillIds: ['2', 1, 'nothing'] })).toEqual(['7', '42']);
  });
  it('agentGroupIds as numbers or strings, -1 for Main Group', async () => {
    expect(await listed({ agentGroupIds: ['8', 7] })).toEqual(['7', '42']);
    expect(await listed({ agentGroupIds: [-1] })).toEqual(['5', '100']);
    expect(await listed({ agentGroupIds: ['007'] })).toEqual(['42']);
  });
  it('agentPresence: true when absent or null; false and "false" list absent agents', async () => {
    expect(await listed({ agentPresence: false })).toEqual(['9']);
    expect(await listed({ agentPresence: 'false' })).toEqual(['9']);
    expect(await listed({ agentPresence: true })).toEqual(['5', '7', '42', '100']);
    expect(await listed({ agentPresence: 'true' })).toEqual(['5', '7', '42', '100']);
    expect(await listed({ agentPresence: null })).toEqual(['5', '7', '42', '100']);
  });
  it('connectionStates', async () => {
    expect(await listed({ connectionStates: ['DISCONNECTED'] })).toEqual(['5', '100']);
    expect(await listed({ connectionStates: ['CONNECTED'] })).toEqual(['7', '42']);
    expect(await listed({ connectionStates: ['CONNECTED'], agentPresence: false })).toEqual(['9']);
  });
  it('null and [] mean no filter; unknown keys are ignored; filters combine with AND', async () => {
    expect(await listed({ status: null, agentIds: [], skillIds: null, agentGroupIds: [], connectionStates: null, whatever: { x: 1 } })).toEqual(['5', '7', '42', '100']);
    expect(await listed({ status: ['AWAY', 'BACK_SOON'], connectionStates: ['CONNECTED'] })).toEqual(['42']);
  });
});

describe('sorting', () => {
  const everyone = {};
  it('start and end, asc by default, desc', async () => {
    expect(await listed(everyone, '?sort=start')).toEqual(['100', '42', '5', '7']);
    expect(await listed(everyone, '?sort=start:desc')).toEqual(['7', '5', '42', '100']);
    expect(await listed(everyone, '?sort=end:asc')).toEqual(['100', '42', '5', '7']);
  });
  it('extension keys and several keys', async () => {
    expect(await listed(everyone, '?sort=load:desc,agentName:asc')).toEqual(['42', '100', '5', '7']);
    expect(await listed(everyone, '?sort=ringingSlots:desc,agentId:desc')).toEqual(['7', '100', '42', '5']);
    expect(await listed(everyone, '?sort=agentGroupId:asc,start:desc')).toEqual(['5', '100', '42', '7']);
    expect(await listed(everyone, '?sort=currentStatusReasonDuration:desc')).toEqual(['42', '5', '7', '100']);
  });
  it('default order and ties: agentId ascending, numerically', async () => {
    expect(await listed(everyone)).toEqual(['5', '7', '42', '100']);
    expect(await listed(everyone, '?sort=intenseConversations')).toEqual(['5', '7', '100', '42']);
  });
});

describe('paging and _metadata', () => {
  const everyone = {};
  it('count is before paging; self, next and prev links carry limit, offset and sort', async () => {
    const r = await status('?limit=2&offset=1&sort=start:desc', everyone);
    expect(r.body._metadata).toEqual({
      count: 4,
      self: { rel: 'self', href: `${URL_BASE}?limit=2&offset=1&sort=start%3Adesc` },
      next: { rel: 'next', href: `${URL_BASE}?limit=2&offset=3&sort=start%3Adesc` },
      prev: { rel: 'prev', href: `${URL_BASE}?limit=2&offset=0&sort=start%3Adesc` },
      shardsStatusResult: { partialResult: false },
    });
    expect(r.body.agentStatusRecords.map((x: { agentId: string }) => x.agentId)).toEqual(['5', '42']);
  });
  it('first page has no prev, last page no next; defaults limit 50 offset 0', async () => {
    const first = await status('', everyone);
    expect(first.body._metadata).not.toHaveProperty('prev');
    expect(first.body._metadata).not.toHaveProperty('next');
    expect(first.body._metadata.self.href).toBe(`${URL_BASE}?limit=50&offset=0`);
    const last = await status('?limit=3&offset=3', everyone);
    expect(last.body._metadata).not.toHaveProperty('next');
    expect(last.body._metadata.prev.href).toBe(`${URL_BASE}?limit=3&offset=0`);
  });
  it('an offset past the end: empty page, same count, a prev link', async () => {
    const r = await status('?offset=1000000000&limit=1000', everyone);
    expect(r.status).toBe(200);
    expect(r.body.agentStatusRecords).toEqual([]);
    expect(r.body._metadata.count).toBe(4);
    expect(r.body._metadata.prev.href).toBe(`${URL_BASE}?limit=1000&offset=999999000`);
  });
});

describe('client errors', () => {
  const bad = async (q: string, body: unknown, code: string, field: string) => {
    const r = await status(q, body);
    expect(r.status, `${q} ${JSON.stringify(body)}`).toBe(400);
    expect(r.body).toMatchObject({ code, field, statusCode: 400 });
    expect(r.body.message).toContain(field);
  };
  it('limit and offset out of range or not decimal integers', async () => {
    for (const q of ['?limit=0', '?limit=1001', '?limit=1.5', '?limit=1e3', '?limit=abc', '?limit=', '?limit=-1', '?limit=1&limit=2']) {
      await bad(q, {}, 'INVALID_LIMIT', 'limit');
    }
    for (const q of ['?offset=-1', '?offset=1000000001', '?offset=x', '?offset=2.0', '?offset=99999999999999999999']) {
      await bad(q, {}, 'INVALID_OFFSET', 'offset');
    }
    const r = await status('?limit=1001', {});
    expect(r.body.message).toBe('limit must be an integer from 1 to 1000');
  });
  it('unknown sort keys and orders', async () => {
    for (const q of ['?sort=bogus:asc', '?sort=start:up', '?sort=start:asc:desc', '?sort=load,', '?sort=agentPresence', '?sort=start&sort=end']) {
      await bad(q, {}, 'INVALID_SORT', 'sort');
    }
  });
  it('wrong filter types and unknown enum values name the field', async () => {
    await bad('', { status: ['BUSY'] }, 'INVALID_FILTER', 'status[0]');
    await bad('', { Status: 'ONLINE' }, 'INVALID_FILTER', 'Status');
    await bad('', { agentIds: 'x' }, 'INVALID_FILTER', 'agentIds');
    await bad('', { agentIds: [1.5] }, 'INVALID_FILTER', 'agentIds[0]');
    await bad('', { skillIds: [{}] }, 'INVALID_FILTER', 'skillIds[0]');
    await bad('', { agentGroupIds: [true] }, 'INVALID_FILTER', 'agentGroupIds[0]');
    await bad('', { agentPresence: 'yes' }, 'INVALID_FILTER', 'agentPresence');
    await bad('', { connectionStates: ['ONLINE'] }, 'INVALID_FILTER', 'connectionStates[0]');
    await bad('', { timestamp: 5 }, 'INVALID_FILTER', 'timestamp');
    await bad('', { timestamp: { from: -1 } }, 'INVALID_FILTER', 'timestamp.from');
    await bad('', { timestamp: { from: 'yesterday' } }, 'INVALID_FILTER', 'timestamp.from');
    await bad('', [], 'INVALID_FILTER', 'body');
    await bad('', '"text"', 'INVALID_FILTER', 'body');
  });
  it('malformed JSON', async () => {
    for (const body of ['{', '{"status":', 'not json', '{"a":1}x']) {
      const r = await status('', body);
      expect(r.status, body).toBe(400);
      expect(r.body.code).toBe('INVALID_JSON');
    }
  });
  it('invalid account ids', async () => {
    for (const acc of ['a.b', 'a%20b', 'x'.repeat(65), '%C3%A9']) {
      const r = await s.call('POST', `/messaging_history/api/account/${acc}/agent-view/status`, {});
      expect(r.status, acc).toBe(400);
      expect(r.body).toMatchObject({ code: 'INVALID_ACCOUNT_ID', field: 'accountID' });
    }
  });
});

describe('against the reference implementation, over HTTP', () => {
  it('answers random filters, sorts and pages over a random account like the naive reference', async () => {
    const { events, end } = toStream(fc.sample(fc.array(stepArb, { minLength: 150, maxLength: 150 }), { numRuns: 1, seed: 7 })[0]!, 'ref');
    // Only client events travel over HTTP; time-outs are computed (or recorded by the server) alike.
    const client = events.filter((e) => e.type !== 'agent.connectionTimedOut');
    const local = createAccountState('ref');
    client.forEach((e, i) => evolve(local, { ...e, seq: i + 1 }));
    // A server of its own: its clock runs to the end of the random stream.
    const own = await startTestServer({}, { clock: new ManualClock(end) });
    try {
      const body = { events: client.map(({ seq: _seq, ...e }) => e as IngestEvent) };
      expect((await own.call('POST', '/api/account/ref/events', body)).status).toBe(200);
      const queries = fc.sample(
        fc.record({ filter: filterArb(end), sort: sortArb, offset: fc.integer({ min: 0, max: 6 }), limit: fc.integer({ min: 1, max: 5 }) }),
        { numRuns: 40, seed: 11 },
      );
      for (const q of queries) {
        const f: AgentFilter = { ...q.filter, presence: q.filter.presence ?? true };
        const reqBody = {
          status: q.filter.statuses ?? null,
          agentIds: q.filter.agentIds,
          skillIds: q.filter.skillIds,
          agentGroupIds: q.filter.groupIds,
          ...(q.filter.presence === undefined ? {} : { agentPresence: q.filter.presence }),
          connectionStates: q.filter.connectionStates ?? [],
          timestamp: { from: q.filter.from },
        };
        const sort = q.sort.map((k) => `${k.field}:${k.desc ? 'desc' : 'asc'}`).join(',');
        const r = await own.call('POST', `/messaging_history/api/account/ref/agent-view/status?offset=${q.offset}&limit=${q.limit}${sort ? `&sort=${sort}` : ''}`, reqBody);
        expect(r.status).toBe(200);
        const want = referenceQuery(local, f, q.sort, q.offset, q.limit, end);
        expect({ count: r.body._metadata.count, ids: r.body.agentStatusRecords.map((x: { agentId: string }) => x.agentId) }, JSON.stringify(q)).toEqual(want);
      }
    } finally {
      await own.stop();
    }
  });
});
