/**
 * fast-check generators of event streams over a small universe of ids, so
 * random streams hit the same agents, skills, groups and conversations often
 * enough to exercise every interaction (moves, renames, deletions, time-outs).
 */
import fc from 'fast-check';
import {
  createAccountState,
  dueTimeouts,
  evolve,
  type AccountState,
  type AgentFilter,
  type EventPayload,
  type IngestEvent,
  type SortKey,
  type StoredEvent,
  SORT_FIELDS,
} from '../../src/core/index.js';

/** Agent ids, tricky ones included: numeric vs not, 16-digit neighbours, "-0" vs "0", leading zero. */
export const AGENT_IDS = ['1', '2', '10', '0', '-0', '007', 'b', 'a', '9007199254740993', '9007199254740992', '-5', 'Z'] as const;
export const SKILL_IDS = ['s1', 's2', '3', '12'] as const;
export const GROUP_IDS = ['-1', '7', '8', '12'] as const;
export const CONVERSATION_IDS = ['c1', 'c2', 'c3', 'c4', 'c5', 'c6'] as const;
export const REASON_IDS = ['1', '2', '3'] as const;

const agentId = fc.constantFrom(...AGENT_IDS);
const convId = fc.constantFrom(...CONVERSATION_IDS);
const status = fc.constantFrom('ONLINE', 'AWAY', 'BACK_SOON', 'OFFLINE' as const);
const loginStatus = fc.constantFrom('ONLINE', 'AWAY', 'BACK_SOON' as const);
const reason = fc.option(fc.constantFrom(...REASON_IDS), { nil: undefined });
const name = fc.constantFrom('Maya', 'Noa', 'Lior', 'Dana', 'maya', 'Ωmega', '');

/** Drops keys whose value is undefined (events never carry explicit undefined). */
function clean<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

/** One client event payload (no time). */
export const payloadArb: fc.Arbitrary<EventPayload> = fc.oneof(
  { weight: 1, arbitrary: fc.record({ type: fc.constant('skill.upserted' as const), skillId: fc.constantFrom(...SKILL_IDS), name }) },
  { weight: 1, arbitrary: fc.record({ type: fc.constant('group.upserted' as const), groupId: fc.constantFrom(...GROUP_IDS), name }) },
  {
    weight: 3,
    arbitrary: fc
      .record(
        {
          type: fc.constant('agent.upserted' as const),
          agentId,
          name,
          nickname: name,
          loginName: name,
          pictureUrl: fc.constantFrom('https://x.test/a.png', 'https://x.test/b.png'),
          groupId: fc.constantFrom(...GROUP_IDS),
          skillIds: fc.uniqueArray(fc.constantFrom(...SKILL_IDS), { maxLength: 3 }),
          maxSlots: fc.integer({ min: 0, max: 5 }),
        },
        { requiredKeys: ['type', 'agentId'] },
      )
      .map(clean),
  },
  { weight: 1, arbitrary: fc.record({ type: fc.constant('agent.deleted' as const), agentId }) },
  { weight: 4, arbitrary: fc.record({ type: fc.constant('agent.loggedIn' as const), agentId, status: fc.option(loginStatus, { nil: undefined }), reasonId: reason }).map(clean) },
  { weight: 2, arbitrary: fc.record({ type: fc.constant('agent.loggedOut' as const), agentId }) },
  { weight: 4, arbitrary: fc.record({ type: fc.constant('agent.statusChanged' as const), agentId, status, reasonId: reason }).map(clean) },
  { weight: 2, arbitrary: fc.record({ type: fc.constant('agent.presenceChanged' as const), agentId, present: fc.boolean() }) },
  { weight: 3, arbitrary: fc.record({ type: fc.constant('agent.heartbeat' as const), agentId }) },
  { weight: 3, arbitrary: fc.record({ type: fc.constant('conversation.offered' as const), agentId, conversationId: convId }) },
  {
    weight: 2,
    arbitrary: fc.record({
      type: fc.constant('conversation.offerEnded' as const),
      conversationId: convId,
      outcome: fc.constantFrom('accepted', 'declined', 'timeout' as const),
    }),
  },
  {
    weight: 4,
    arbitrary: fc
      .record({ type: fc.constant('conversation.assigned' as const), agentId, conversationId: convId, intense: fc.option(fc.boolean(), { nil: undefined }) })
      .map(clean),
  },
  { weight: 2, arbitrary: fc.record({ type: fc.constant('conversation.activity' as const), conversationId: convId, intense: fc.boolean() }) },
  { weight: 2, arbitrary: fc.record({ type: fc.constant('conversation.unassigned' as const), conversationId: convId }) },
  {
    weight: 1,
    arbitrary: fc
      .record(
        {
          type: fc.constant('account.settingsChanged' as const),
          defaultMaxSlots: fc.integer({ min: 0, max: 6 }),
          inactiveWeight: fc.constantFrom(0, 0.25, 0.5, 1),
          connectionTimeoutMs: fc.constantFrom(1000, 30_000, 60_000),
        },
        { requiredKeys: ['type'] },
      )
      .map(clean),
  },
  // A system event with an arbitrary (possibly stale) time: evolve must judge it.
  { weight: 1, arbitrary: fc.record({ type: fc.constant('agent.connectionTimedOut' as const), agentId }) },
);

/** A step of a stream: an event after a time delta, or a sweep that records due time-outs. */
export type Step = { kind: 'event'; dt: number; payload: EventPayload } | { kind: 'sweep'; dt: number };

/** Time deltas: mostly small, sometimes a gap past the time-out, sometimes backwards (late events). */
const dtArb = fc.oneof(
  { weight: 6, arbitrary: fc.integer({ min: 0, max: 20_000 }) },
  { weight: 2, arbitrary: fc.integer({ min: 55_000, max: 200_000 }) },
  { weight: 1, arbitrary: fc.integer({ min: -30_000, max: -1 }) },
  { weight: 1, arbitrary: fc.constant(0) },
);

export const stepArb: fc.Arbitrary<Step> = fc.oneof(
  { weight: 12, arbitrary: fc.record({ kind: fc.constant('event' as const), dt: dtArb, payload: payloadArb }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('sweep' as const), dt: dtArb }) },
);

export const T0 = 1_700_000_000_000;

/**
 * Turns steps into a fixed stream of stored events, the way the engine would
 * write them: sweeps become `agent.connectionTimedOut` events for every agent
 * due at that moment, stamped with its deadline.
 */
export function toStream(steps: readonly Step[], accountId = 'acc'): { events: StoredEvent[]; end: number } {
  const scratch = createAccountState(accountId);
  const events: StoredEvent[] = [];
  let t = T0;
  let seq = 0;
  const push = (e: IngestEvent) => {
    const stored = { ...e, seq: ++seq };
    evolve(scratch, stored);
    events.push(stored);
  };
  let end = t;
  for (const s of steps) {
    t += s.dt;
    end = Math.max(end, t);
    if (s.kind === 'sweep') {
      for (const a of dueTimeouts(scratch, t)) {
        push({ type: 'agent.connectionTimedOut', agentId: a.id, time: a.lastActivity + scratch.settings.connectionTimeoutMs });
      }
    } else {
      push({ ...s.payload, time: t });
    }
  }
  return { events, end };
}

/** Replays stored events into a fresh account. */
export function replay(events: readonly StoredEvent[], accountId = 'acc', into?: AccountState): AccountState {
  const acc = into ?? createAccountState(accountId);
  for (const e of events) evolve(acc, e);
  return acc;
}

/** A random Agent Status filter (before normalisation: `from` is absolute). */
export function filterArb(end: number): fc.Arbitrary<AgentFilter> {
  const list = <T>(arb: fc.Arbitrary<T>) => fc.option(fc.uniqueArray(arb, { minLength: 1, maxLength: 3 }), { nil: undefined, freq: 2 });
  return fc.record({
    statuses: list(fc.constantFrom('ONLINE', 'AWAY', 'BACK_SOON', 'OFFLINE' as const)),
    agentIds: list(fc.constantFrom(...AGENT_IDS, 'nobody')),
    skillIds: list(fc.constantFrom(...SKILL_IDS, 'nothing')),
    groupIds: list(fc.constantFrom(...GROUP_IDS, '99')),
    presence: fc.option(fc.boolean(), { nil: undefined }),
    connectionStates: list(fc.constantFrom('CONNECTED', 'DISCONNECTED' as const)),
    from: fc.oneof(fc.constant(end - 600_000), fc.integer({ min: T0 - 10_000, max: end + 10_000 }), fc.constant(0)),
  });
}

export const sortArb: fc.Arbitrary<SortKey[]> = fc.array(
  fc.record({ field: fc.constantFrom(...SORT_FIELDS), desc: fc.boolean() }),
  { maxLength: 3 },
);
