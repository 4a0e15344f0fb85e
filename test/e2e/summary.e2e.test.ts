/** Summary (spec 1.2) over HTTP on the worked example of shared/spec/examples.md, plus groupBy. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import Value from 'typebox/value';
import { SummaryResponse } from '../../src/schemas/summary.js';
import { ManualClock, startTestServer, type TestServer } from '../helpers/server.js';

const T = 1700000000000;
const EXAMPLE = [
  { type: 'skill.upserted', skillId: '1', name: 'billing', time: T },
  { type: 'skill.upserted', skillId: '2', name: 'sales', time: T },
  { type: 'group.upserted', groupId: '7', name: 'Night shift', time: T },
  { type: 'agent.upserted', agentId: '42', name: 'Maya Levi', nickname: 'Maya', loginName: 'maya@example.com', groupId: '7', skillIds: ['1', '2'], maxSlots: 4, time: T },
  { type: 'agent.loggedIn', agentId: '42', time: 1700000500000 },
  { type: 'conversation.assigned', agentId: '42', conversationId: 'c-1', time: 1700000510000 },
  { type: 'conversation.assigned', agentId: '42', conversationId: 'c-2', intense: false, time: 1700000520000 },
  { type: 'agent.statusChanged', agentId: '42', status: 'AWAY', reasonId: '3', time: 1700000540000 },
  { type: 'agent.heartbeat', agentId: '42', time: 1700000590000 },
];
const EXPECTED = {
  openAssignedConversations: 2,
  weightedAvgLoad: 37.5,
  minLoad: 38,
  maxLoad: 38,
  minConfiguredMaxSlots: 4,
  maxConfiguredMaxSlots: 4,
  numOnlineAgents: 0,
  numAwayAgents: 1,
  numBackSoonAgents: 0,
};
const ZERO = {
  openAssignedConversations: 0,
  weightedAvgLoad: 0,
  minLoad: 0,
  maxLoad: 0,
  minConfiguredMaxSlots: 0,
  maxConfiguredMaxSlots: 0,
  numOnlineAgents: 0,
  numAwayAgents: 0,
  numBackSoonAgents: 0,
};
interface Group {
  agentGroupId?: number;
  agentGroupName?: string;
  skillId?: string;
  skillName?: string;
  summaryResults: typeof EXPECTED;
}
const URL_ = '/messaging_history/api/account/1234/agent-view/summary';

describe('Summary', () => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startTestServer({}, { clock: new ManualClock(1700000600000) });
    const more = [
      // A second agent, ONLINE in the Main Group with skill 2 and nothing assigned.
      { type: 'agent.upserted', agentId: '7', maxSlots: 2, skillIds: ['2'], time: T },
      { type: 'agent.loggedIn', agentId: '7', time: 1700000550000 },
    ];
    expect((await s.call('POST', '/api/account/1234/events', { events: EXAMPLE })).status).toBe(200);
    expect((await s.call('POST', '/api/account/5678/events', { events: [...EXAMPLE, ...more] })).status).toBe(200);
  });
  afterAll(async () => s.stop());

  it('answers the worked example exactly, with no body, an empty body and {}', async () => {
    for (const body of [undefined, '', {}]) {
      const r = await s.call('POST', URL_, body);
      expect(r.status).toBe(200);
      expect(r.body).toEqual({ accountID: '1234', summaryResults: EXPECTED });
      expect(Value.Check(SummaryResponse, r.body)).toBe(true);
    }
  });

  it('applies the Agent Status filters', async () => {
    expect((await s.call('POST', URL_, { status: ['ONLINE'] })).body.summaryResults).toEqual(ZERO);
    expect((await s.call('POST', URL_, { agentPresence: false })).body.summaryResults).toEqual(ZERO);
    expect((await s.call('POST', URL_, { skillIds: [2], agentGroupIds: ['7'], status: null })).body.summaryResults).toEqual(EXPECTED);
    const two = '/messaging_history/api/account/5678/agent-view/summary';
    const both = (await s.call('POST', two, {})).body.summaryResults;
    expect(both).toEqual({ ...EXPECTED, weightedAvgLoad: 25, minLoad: 0, minConfiguredMaxSlots: 2, numOnlineAgents: 1 });
  });

  it('groups by agent group and by skill (extension)', async () => {
    const two = '/messaging_history/api/account/5678/agent-view/summary';
    const g = await s.call('POST', `${two}?groupBy=agentGroupId`, {});
    expect(g.status).toBe(200);
    expect(g.body.groupBy).toBe('agentGroupId');
    expect(g.body.groups.map((x: Group) => [x.agentGroupId, x.agentGroupName, x.summaryResults.numOnlineAgents, x.summaryResults.numAwayAgents])).toEqual([
      [-1, 'Main Group', 1, 0],
      [7, 'Night shift', 0, 1],
    ]);
    expect(g.body.groups[1].summaryResults).toEqual(EXPECTED);
    const k = await s.call('POST', `${two}?groupBy=skillId`, { skillIds: ['2'] });
    expect(k.body.groups.map((x: Group) => [x.skillId, x.skillName, x.summaryResults.numOnlineAgents + x.summaryResults.numAwayAgents])).toEqual([
      ['2', 'sales', 2],
    ]);
    expect(Value.Check(SummaryResponse, k.body)).toBe(true);
    const unknown = await s.call('POST', '/messaging_history/api/account/none/agent-view/summary?groupBy=skillId', {});
    expect(unknown.body).toEqual({ accountID: 'none', summaryResults: ZERO, groupBy: 'skillId', groups: [] });
  });

  it('answers 400 for bad filters and an unknown groupBy', async () => {
    for (const [q, body] of [
      ['?groupBy=agentId', {}],
      ['', { status: ['BUSY'] }],
      ['', 'not json'],
    ] as const) {
      const r = await s.call('POST', URL_ + q, body);
      expect(r.status, `${q} ${JSON.stringify(body)}`).toBe(400);
    }
  });
});
