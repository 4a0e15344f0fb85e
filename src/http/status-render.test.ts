import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { createAccountState, evolve, toRecord, type AgentState } from '../core/index.js';
import { steps } from '../../test/helpers/cache-steps.js';
import { StatusRenderer } from './status-render.js';

describe('StatusRenderer', () => {
  it('renders exactly JSON.stringify of the records, whatever happened before (fragments never stale)', () => {
    fc.assert(
      fc.property(steps, fc.integer({ min: 1, max: 3 }), (ss, cap) => {
        const acc = createAccountState('a');
        // A tiny cap also exercises eviction.
        const r = new StatusRenderer(cap * 2);
        let t = 1_700_000_000_000;
        let seq = 0;
        const check = () => {
          const agents: AgentState[] = [...acc.agents.values()];
          const expected = `{"x":1,"agentStatusRecords":${JSON.stringify(agents.map((a) => toRecord(acc, a, t)))}}`;
          expect(r.render(acc, agents, t, '{"x":1,"agentStatusRecords":[', ']}').toString('utf8')).toBe(expected);
        };
        for (const s of ss) {
          t += s.dt;
          if (s.kind === 'event') evolve(acc, { ...s.event, time: t + s.ahead, seq: ++seq });
          check();
        }
      }),
      { numRuns: 300 },
    );
  });

  it('renders an empty page', () => {
    const acc = createAccountState('a');
    expect(new StatusRenderer().render(acc, [], 0, '[', ']').toString()).toBe('[]');
  });
});
