/** The simulator produces valid, deterministic, plausible traffic. */
import { describe, expect, it } from 'vitest';
import { createAccountState, evolve } from '../core/index.js';
import { validateBatch } from '../schemas/events.js';
import { Simulator, type SimEvent } from './index.js';

const T = 1_700_000_000_000;

/** Runs a simulator for `minutes`, feeding an account state through the client validation path. */
function run(sim: Simulator, start: number, minutes: number, stepMs = 1000, resume = false) {
  const acc = createAccountState('sim');
  let seq = 0;
  const apply = (events: SimEvent[], now: number) => {
    for (let i = 0; i < events.length; i += 1000) {
      for (const e of validateBatch({ events: events.slice(i, i + 1000) }, now)) evolve(acc, { ...e, seq: ++seq });
    }
  };
  if (!resume) apply(sim.setup(start), start);
  let now = start;
  for (let t = 0; t < minutes * 60_000; t += stepMs) {
    now += stepMs;
    apply(sim.tick(now, stepMs), now);
  }
  return { acc, now };
}

describe('Simulator', () => {
  it('is deterministic for a seed', () => {
    const a = new Simulator({ agents: 30, seed: 5 });
    const b = new Simulator({ agents: 30, seed: 5 });
    expect(a.setup(T)).toEqual(b.setup(T));
    expect(a.tick(T + 1000, 1000)).toEqual(b.tick(T + 1000, 1000));
  });

  it('emits only events the ingest API accepts, and never overfills an agent', () => {
    const { acc } = run(new Simulator({ agents: 50, seed: 1 }), T, 30);
    expect(acc.agents.size).toBe(50);
    for (const a of acc.agents.values()) {
      expect(a.assigned).toBeLessThanOrEqual(a.maxSlots!);
      expect(a.assigned + a.ringing).toBeLessThanOrEqual(a.maxSlots!);
    }
    const statuses = new Set([...acc.agents.values()].map((a) => a.status));
    expect(statuses.has('ONLINE') && statuses.has('AWAY')).toBe(true);
  });

  it('takes over conversations of a previous run and closes them', () => {
    const first = new Simulator({ agents: 20, seed: 42 });
    const { acc } = run(first, T, 5);
    const open = [...acc.conversations].map(([id, c]) => ({
      id,
      agentId: (c.assignedAgent ?? c.ringAgent)!,
      state: c.assignedAgent ? ('assigned' as const) : ('ringing' as const),
      intense: c.intense,
    }));
    expect(open.length).toBeGreaterThan(0);
    const resumed = new Simulator({ agents: 20, seed: 42 });
    const agents = [...acc.agents.values()].map((a) => ({ id: a.id, loggedIn: a.loggedIn, status: a.status }));
    const setup = resumed.setup(T + 300_000, agents, undefined, open);
    expect(validateBatch({ events: setup }, T + 300_000).length).toBe(setup.length);
    // Every taken-over conversation is closed within its handling time; no new offer reuses an open id.
    const stillOpen = new Set(open.map((c) => c.id));
    for (let now = T + 301_000; now < T + 300_000 + 10 * 60_000; now += 1000) {
      for (const e of resumed.tick(now, 1000)) {
        if (e.type === 'conversation.offered') expect(stillOpen.has(e.conversationId as string)).toBe(false);
        if (e.type === 'conversation.unassigned' || e.type === 'conversation.offerEnded') stillOpen.delete(e.conversationId as string);
      }
    }
    expect([...stillOpen]).toEqual([]);
  });
});
