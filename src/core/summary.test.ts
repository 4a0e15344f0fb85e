import { describe, expect, it } from 'vitest';
import type { IngestEvent } from './events.js';
import { matchAgents, type AgentFilter } from './query.js';
import { createAccountState, evolve, type AccountState } from './state.js';
import { summarize, summarizeBy } from './summary.js';

function account(events: IngestEvent[]): AccountState {
  const acc = createAccountState('1234');
  events.forEach((e, i) => evolve(acc, { ...e, seq: i + 1 }));
  return acc;
}

const NOW = 1700000600000;
const all: AgentFilter = { from: NOW - 600_000, presence: true };

/** The account of shared/spec/examples.md. */
const EXAMPLE: IngestEvent[] = [
  { type: 'skill.upserted', skillId: '1', name: 'billing', time: 1700000000000 },
  { type: 'skill.upserted', skillId: '2', name: 'sales', time: 1700000000000 },
  { type: 'group.upserted', groupId: '7', name: 'Night shift', time: 1700000000000 },
  { type: 'agent.upserted', agentId: '42', name: 'Maya Levi', nickname: 'Maya', loginName: 'maya@example.com', groupId: '7', skillIds: ['1', '2'], maxSlots: 4, time: 1700000000000 },
  { type: 'agent.loggedIn', agentId: '42', time: 1700000500000 },
  { type: 'conversation.assigned', agentId: '42', conversationId: 'c-1', time: 1700000510000 },
  { type: 'conversation.assigned', agentId: '42', conversationId: 'c-2', intense: false, time: 1700000520000 },
  { type: 'agent.statusChanged', agentId: '42', status: 'AWAY', reasonId: '3', time: 1700000540000 },
  { type: 'agent.heartbeat', agentId: '42', time: 1700000590000 },
] as IngestEvent[];

describe('summarize', () => {
  it('gives the numbers of the worked example', () => {
    const acc = account(EXAMPLE);
    expect(summarize(acc, matchAgents(acc, all, NOW))).toEqual({
      openAssignedConversations: 2,
      weightedAvgLoad: 37.5,
      minLoad: 38,
      maxLoad: 38,
      minConfiguredMaxSlots: 4,
      maxConfiguredMaxSlots: 4,
      numOnlineAgents: 0,
      numAwayAgents: 1,
      numBackSoonAgents: 0,
    });
  });

  it('is all zeros over no agents', () => {
    expect(summarize(createAccountState('x'), [])).toEqual({
      openAssignedConversations: 0,
      weightedAvgLoad: 0,
      minLoad: 0,
      maxLoad: 0,
      minConfiguredMaxSlots: 0,
      maxConfiguredMaxSlots: 0,
      numOnlineAgents: 0,
      numAwayAgents: 0,
      numBackSoonAgents: 0,
    });
  });

  it('weights the average by slots, not by agents, and counts each status', () => {
    const t = 1700000000000;
    const acc = account([
      { type: 'agent.upserted', agentId: '1', maxSlots: 2, skillIds: ['s'], time: t },
      { type: 'agent.upserted', agentId: '2', maxSlots: 8, groupId: '5', time: t },
      { type: 'agent.upserted', agentId: '3', maxSlots: 0, groupId: '5', skillIds: ['s', 't'], time: t },
      { type: 'agent.loggedIn', agentId: '1', time: t },
      { type: 'agent.loggedIn', agentId: '2', status: 'BACK_SOON', time: t },
      { type: 'agent.loggedIn', agentId: '3', status: 'AWAY', time: t },
      { type: 'conversation.assigned', agentId: '1', conversationId: 'a', time: t },
      { type: 'conversation.assigned', agentId: '1', conversationId: 'b', time: t },
      { type: 'conversation.assigned', agentId: '2', conversationId: 'c', intense: false, time: t },
    ] as IngestEvent[]);
    const agents = matchAgents(acc, { from: t }, t);
    const r = summarize(acc, agents);
    // W = 2 (agent 1) + 0.5 (agent 2) + 0; slots = 2 + 8 + 0.
    expect(r.weightedAvgLoad).toBeCloseTo(25, 10);
    expect(r).toMatchObject({
      openAssignedConversations: 3,
      minLoad: 0,
      maxLoad: 100,
      minConfiguredMaxSlots: 0,
      maxConfiguredMaxSlots: 8,
      numOnlineAgents: 1,
      numAwayAgents: 1,
      numBackSoonAgents: 1,
    });

    const byGroup = summarizeBy(acc, agents, 'agentGroupId');
    expect(byGroup.map((g) => [g.id, g.name, g.results.openAssignedConversations])).toEqual([
      ['-1', 'Main Group', 2],
      ['5', '5', 1],
    ]);
    const bySkill = summarizeBy(acc, agents, 'skillId');
    expect(bySkill.map((g) => [g.id, g.results.numOnlineAgents, g.results.numAwayAgents])).toEqual([
      ['s', 1, 1],
      ['t', 0, 1],
    ]);
    expect(summarizeBy(acc, agents, 'skillId', ['t', 'zz']).map((g) => g.id)).toEqual(['t']);
  });

  it('says 100 when agents hold work but have no slots at all', () => {
    const t = 1700000000000;
    const acc = account([
      { type: 'agent.upserted', agentId: '1', maxSlots: 0, time: t },
      { type: 'agent.loggedIn', agentId: '1', time: t },
      { type: 'conversation.assigned', agentId: '1', conversationId: 'a', time: t },
    ] as IngestEvent[]);
    expect(summarize(acc, matchAgents(acc, { from: t }, t)).weightedAvgLoad).toBe(100);
  });
});
