/**
 * fast-check arbitraries for event streams over a small account (few agents,
 * skills, groups and conversations, so events collide often), used by the
 * cache tests that compare cached answers with computed ones.
 */
import fc from 'fast-check';
import type { EventPayload } from '../../src/core/index.js';

const agentId = fc.constantFrom('1', '2', '3', '10', 'x7', '-0', '0', '9007199254740993', '9007199254740992');
const skillId = fc.constantFrom('1', '2', '3');
const groupId = fc.constantFrom('-1', '5', '6');
const convId = fc.constantFrom('c1', 'c2', 'c3', 'c4');
const status = fc.constantFrom('ONLINE' as const, 'AWAY' as const, 'BACK_SOON' as const);
const name = fc.constantFrom('Ann', 'Bo "B" \\ é', 'Chen 陳', '');

export const payload: fc.Arbitrary<EventPayload> = fc.oneof(
  fc.record({ type: fc.constant('skill.upserted' as const), skillId, name }),
  fc.record({ type: fc.constant('group.upserted' as const), groupId, name }),
  fc.record(
    {
      type: fc.constant('agent.upserted' as const),
      agentId,
      name,
      nickname: name,
      pictureUrl: fc.constantFrom('https://x/p.png', 'https://y/q.png'),
      groupId,
      skillIds: fc.subarray(['1', '2', '3']),
      maxSlots: fc.integer({ min: 0, max: 5 }),
    },
    { requiredKeys: ['type', 'agentId'] },
  ),
  fc.record({ type: fc.constant('agent.deleted' as const), agentId }),
  fc.record({ type: fc.constant('agent.loggedIn' as const), agentId, status, reasonId: fc.constantFrom('1', '2') }, { requiredKeys: ['type', 'agentId'] }),
  fc.record({ type: fc.constant('agent.loggedOut' as const), agentId }),
  fc.record(
    { type: fc.constant('agent.statusChanged' as const), agentId, status: fc.constantFrom('ONLINE' as const, 'AWAY' as const, 'BACK_SOON' as const, 'OFFLINE' as const), reasonId: fc.constantFrom('1', '2') },
    { requiredKeys: ['type', 'agentId', 'status'] },
  ),
  fc.record({ type: fc.constant('agent.presenceChanged' as const), agentId, present: fc.boolean() }),
  fc.record({ type: fc.constant('agent.heartbeat' as const), agentId }),
  fc.record({ type: fc.constant('agent.connectionTimedOut' as const), agentId }),
  fc.record({ type: fc.constant('conversation.offered' as const), agentId, conversationId: convId }),
  fc.record({ type: fc.constant('conversation.offerEnded' as const), conversationId: convId, outcome: fc.constantFrom('accepted' as const, 'declined' as const, 'timeout' as const) }),
  fc.record({ type: fc.constant('conversation.assigned' as const), agentId, conversationId: convId, intense: fc.boolean() }, { requiredKeys: ['type', 'agentId', 'conversationId'] }),
  fc.record({ type: fc.constant('conversation.activity' as const), conversationId: convId, intense: fc.boolean() }),
  fc.record({ type: fc.constant('conversation.unassigned' as const), conversationId: convId }),
  fc.record(
    {
      type: fc.constant('account.settingsChanged' as const),
      defaultMaxSlots: fc.integer({ min: 0, max: 6 }),
      inactiveWeight: fc.constantFrom(0, 0.5, 1),
      connectionTimeoutMs: fc.constantFrom(1000, 60_000),
    },
    { requiredKeys: ['type'] },
  ),
);

/** A step: an event after `dt` ms (stamped `ahead` ms in the future), or only time passing (a query point). */
export type Step = { kind: 'event'; dt: number; ahead: number; event: EventPayload } | { kind: 'query'; dt: number };

export const steps: fc.Arbitrary<Step[]> = fc.array(
  fc.oneof(
    { weight: 3, arbitrary: fc.record({
        kind: fc.constant('event' as const),
        dt: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 90_000 })),
        // Events may be stamped up to 5 minutes ahead of now.
        ahead: fc.oneof({ weight: 4, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.integer({ min: 1, max: 300_000 }) }),
        event: payload,
      }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('query' as const), dt: fc.integer({ min: 0, max: 700_000 }) }) },
  ),
  { maxLength: 60 },
);
