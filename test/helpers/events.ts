/** Client-shaped example events, one valid example of every client event type. */
import type { CLIENT_EVENT_TYPES } from '../../src/core/index.js';

/** One valid example of every client event type. */
export const EXAMPLES: Record<(typeof CLIENT_EVENT_TYPES)[number], Record<string, unknown>> = {
  'skill.upserted': { type: 'skill.upserted', skillId: 1, name: 'billing' },
  'group.upserted': { type: 'group.upserted', groupId: '007', name: 'Night' },
  'agent.upserted': {
    type: 'agent.upserted',
    agentId: 42,
    name: 'Maya',
    nickname: 'M',
    loginName: 'm@x',
    pictureUrl: 'https://x/m.png',
    groupId: -1,
    skillIds: [1, 's2'],
    maxSlots: 0,
  },
  'agent.deleted': { type: 'agent.deleted', agentId: 'a-1' },
  'agent.loggedIn': { type: 'agent.loggedIn', agentId: '42', status: 'AWAY', reasonId: 3 },
  'agent.loggedOut': { type: 'agent.loggedOut', agentId: '42' },
  'agent.statusChanged': { type: 'agent.statusChanged', agentId: '42', status: 'OFFLINE' },
  'agent.presenceChanged': { type: 'agent.presenceChanged', agentId: '42', present: false },
  'agent.heartbeat': { type: 'agent.heartbeat', agentId: '42' },
  'conversation.offered': { type: 'conversation.offered', agentId: '42', conversationId: 'c:1@x' },
  'conversation.offerEnded': { type: 'conversation.offerEnded', conversationId: 'c', outcome: 'timeout' },
  'conversation.assigned': { type: 'conversation.assigned', agentId: '42', conversationId: 'c', intense: false },
  'conversation.activity': { type: 'conversation.activity', conversationId: 'c', intense: true },
  'conversation.unassigned': { type: 'conversation.unassigned', conversationId: 9 },
  'account.settingsChanged': { type: 'account.settingsChanged', defaultMaxSlots: 4, inactiveWeight: 0.25, connectionTimeoutMs: 30_000 },
};

