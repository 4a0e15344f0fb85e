import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { comparator, connectionState, createAccountState, evolve, isListed, matchAgents, pageOf, sortedPage, type AgentFilter, type SortKey } from './index.js';
import { steps } from '../../test/helpers/cache-steps.js';

const sorts: fc.Arbitrary<SortKey[]> = fc.array(
  fc.record({
    field: fc.constantFrom('start', 'end', 'load', 'agentName', 'agentId', 'busySlots', 'currentStatusDuration', 'currentStatusReasonDuration', 'currentStatusReasonStartTimeL', 'agentGroupId', 'configuredMaxSlots'),
    desc: fc.boolean(),
  }),
  { maxLength: 3 },
);

const filters: fc.Arbitrary<AgentFilter> = fc.record(
  {
    statuses: fc.subarray(['ONLINE', 'AWAY', 'BACK_SOON', 'OFFLINE'] as const, { minLength: 1 }),
    agentIds: fc.array(fc.constantFrom('1', '2', '3', '10', 'x7', 'nope'), { minLength: 1, maxLength: 4 }),
    skillIds: fc.array(fc.constantFrom('1', '2', '3', '9'), { minLength: 1, maxLength: 4 }),
    groupIds: fc.array(fc.constantFrom('-1', '5', '6', '8'), { minLength: 1, maxLength: 3 }),
    presence: fc.boolean(),
    connectionStates: fc.subarray(['CONNECTED', 'DISCONNECTED'] as const, { minLength: 1 }),
    from: fc.constantFrom(0, 1_700_000_000_000, 1_700_000_500_000),
  },
  { requiredKeys: ['from'] },
);

describe('matchAgents', () => {
  it('finds exactly the agents a plain scan finds, each once', () => {
    fc.assert(
      fc.property(steps, filters, (ss, f) => {
        const acc = createAccountState('a');
        let t = 1_700_000_000_000;
        let seq = 0;
        for (const s of ss) {
          t += s.dt;
          if (s.kind === 'event') evolve(acc, { ...s.event, time: t + s.ahead, seq: ++seq });
        }
        const expected = [...acc.agents.values()]
          .filter(
            (a) =>
              isListed(a, f.from) &&
              (!f.statuses || f.statuses.includes(a.status)) &&
              (!f.agentIds || f.agentIds.includes(a.id)) &&
              (!f.skillIds || a.skillIds.some((s) => f.skillIds!.includes(s))) &&
              (!f.groupIds || f.groupIds.includes(a.groupId)) &&
              (f.presence === undefined || a.present === f.presence) &&
              (!f.connectionStates || f.connectionStates.includes(connectionState(acc, a, t))),
          )
          .map((a) => a.id)
          .sort();
        expect(matchAgents(acc, f, t).map((a) => a.id).sort()).toEqual(expected);
      }),
      { numRuns: 500 },
    );
  });
});

describe('sortedPage', () => {
  it('orders and pages exactly as the comparator does', () => {
    fc.assert(
      fc.property(steps, sorts, fc.integer({ min: 0, max: 4 }), fc.integer({ min: 1, max: 6 }), (ss, sort, offset, limit) => {
        const acc = createAccountState('a');
        let t = 1_700_000_000_000;
        let seq = 0;
        for (const s of ss) {
          t += s.dt;
          if (s.kind === 'event') evolve(acc, { ...s.event, time: t + s.ahead, seq: ++seq });
        }
        const matches = matchAgents(acc, { from: 0 }, t);
        const expected = pageOf([...matches], comparator(acc, sort, t), offset, limit).map((a) => a.id);
        expect(sortedPage(acc, matches, sort, offset, limit, t).map((a) => a.id)).toEqual(expected);
      }),
      { numRuns: 500 },
    );
  });

  it('breaks ties by agentId, numeric ids first and by value', () => {
    const acc = createAccountState('a');
    let seq = 0;
    for (const id of ['b', '10', '9', 'a', '100']) evolve(acc, { type: 'agent.loggedIn', agentId: id, time: 1, seq: ++seq });
    expect(sortedPage(acc, matchAgents(acc, { from: 0 }, 2), [], 0, 10, 2).map((a) => a.id)).toEqual(['9', '10', '100', 'a', 'b']);
  });
});
