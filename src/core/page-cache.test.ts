import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { createAccountState, evolve, PageCache, queryAgents, type AgentFilter, type SortKey } from './index.js';
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
        };
        for (const s of ss) {
          t += s.dt;
          if (s.kind === 'event') {
            const change = evolve(acc, { ...s.event, time: t, seq: ++seq });
            if (change.all || change.agentIds.length > 0) cache.invalidate(acc);
          }
          check();
        }
      }),
      { numRuns: 500 },
    );
  });
});
