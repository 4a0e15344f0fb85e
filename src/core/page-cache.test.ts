import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { createAccountState, evolve, matchAgents, PageCache, queryAgents, type AgentFilter, type SortKey } from './index.js';
import { steps } from '../../test/helpers/cache-steps.js';

const WINDOW = 600_000;
const filters: fc.Arbitrary<Omit<AgentFilter, 'from'> & { fromOffset?: number }> = fc.record(
  {
    statuses: fc.subarray(['ONLINE', 'AWAY', 'BACK_SOON', 'OFFLINE'] as const, { minLength: 1 }),
    skillIds: fc.subarray(['1', '2', '3'], { minLength: 1 }),
    groupIds: fc.subarray(['-1', '5', '6'], { minLength: 1 }),
    presence: fc.boolean(),
    connectionStates: fc.subarray(['CONNECTED', 'DISCONNECTED'] as const, { minLength: 1 }),
    fromOffset: fc.integer({ min: 0, max: 2_000_000 }),
  },
  { requiredKeys: [] },
);
const sorts: fc.Arbitrary<SortKey[]> = fc.array(
  fc.record({
    field: fc.constantFrom('start', 'end', 'load', 'agentName', 'currentStatusDuration', 'currentStatusReasonDuration', 'lastUpdatedTimeL', 'agentGroupId'),
    desc: fc.boolean(),
  }),
  { maxLength: 2 },
);

describe('PageCache', () => {
  it('answers exactly as queryAgents at every moment, with invalidation on changes only', () => {
    fc.assert(
      fc.property(steps, filters, sorts, fc.integer({ min: 0, max: 3 }), fc.integer({ min: 1, max: 4 }), (ss, fb, sort, offset, limit) => {
        const acc = createAccountState('a');
        const cache = new PageCache(4);
        let t = 1_700_000_000_000;
        let seq = 0;
        // An explicit `from` is fixed; a relative one follows now.
        const start = t;
        const relative = fb.fromOffset === undefined;
        const check = () => {
          const f: AgentFilter = { ...fb, from: relative ? t - WINDOW : start - fb.fromOffset! };
          const expected = queryAgents(acc, f, sort, offset, limit, t);
          const got = cache.query(acc, f, sort, offset, limit, t, 'k', relative);
          expect(got.count).toBe(expected.count);
          expect(got.agents.map((a) => a.id)).toEqual(expected.agents.map((a) => a.id));
          const all = cache.matches(acc, f, t, 'm', relative).map((a) => a.id).sort();
          expect(all).toEqual(matchAgents(acc, f, t).map((a) => a.id).sort());
        };
        for (const s of ss) {
          t += s.dt;
          if (s.kind === 'event') {
            const change = evolve(acc, { ...s.event, time: t + s.ahead, seq: ++seq });
            if (change.all || change.agentIds.length > 0) cache.invalidate(acc);
          }
          check();
        }
      }),
      { numRuns: 500 },
    );
  });

  it('expires an answer when time alone reorders it (durations of future-stamped statuses leave 0)', () => {
    const acc = createAccountState('a');
    const t = 1_700_000_000_000;
    evolve(acc, { type: 'agent.loggedIn', agentId: '1', time: t + 2000, seq: 1 });
    evolve(acc, { type: 'agent.loggedIn', agentId: '2', time: t + 1000, seq: 2 });
    const cache = new PageCache();
    const sort: SortKey[] = [{ field: 'currentStatusDuration', desc: true }];
    const ask = (now: number) => cache.query(acc, { from: 0 }, sort, 0, 2, now, 'k', false).agents.map((a) => a.id);
    expect(ask(t)).toEqual(['1', '2']); // both 0: agentId order
    expect(ask(t + 1500)).toEqual(['2', '1']); // agent 2 has 500 ms, agent 1 still 0
  });

  it('expires an answer when a logged-out agent leaves a relative window', () => {
    const acc = createAccountState('a');
    const t = 1_700_000_000_000;
    evolve(acc, { type: 'agent.loggedIn', agentId: '1', time: t, seq: 1 });
    evolve(acc, { type: 'agent.loggedOut', agentId: '1', time: t + 1000, seq: 2 });
    const cache = new PageCache();
    const ask = (now: number) => cache.query(acc, { from: now - WINDOW }, [], 0, 5, now, 'k', true).count;
    expect(ask(t + 2000)).toBe(1);
    expect(ask(t + 1000 + WINDOW)).toBe(1);
    expect(ask(t + 1001 + WINDOW)).toBe(0);
  });
});
