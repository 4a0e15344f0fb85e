/**
 * The events that move agent state (spec section 3), after validation and
 * normalisation at the edge: ids are strings, `time` is always set.
 */

/** Agent statuses as LivePerson names them. */
export const AGENT_STATUSES = ['ONLINE', 'AWAY', 'BACK_SOON', 'OFFLINE'] as const;
export type AgentStatus = (typeof AGENT_STATUSES)[number];

/** Connection states as LivePerson names them. */
export const CONNECTION_STATES = ['CONNECTED', 'DISCONNECTED'] as const;
export type ConnectionState = (typeof CONNECTION_STATES)[number];

export const OFFER_OUTCOMES = ['accepted', 'declined', 'timeout'] as const;
export type OfferOutcome = (typeof OFFER_OUTCOMES)[number];

/** Payloads by event type, as sent by clients (ids normalised to strings). */
export type EventPayload =
  | { type: 'skill.upserted'; skillId: string; name: string }
  | { type: 'group.upserted'; groupId: string; name: string }
  | {
      type: 'agent.upserted';
      agentId: string;
      name?: string;
      nickname?: string;
      loginName?: string;
      pictureUrl?: string;
      groupId?: string;
      skillIds?: string[];
      maxSlots?: number;
    }
  | { type: 'agent.deleted'; agentId: string }
  | { type: 'agent.loggedIn'; agentId: string; status?: Exclude<AgentStatus, 'OFFLINE'>; reasonId?: string }
  | { type: 'agent.loggedOut'; agentId: string }
  | { type: 'agent.statusChanged'; agentId: string; status: AgentStatus; reasonId?: string }
  | { type: 'agent.presenceChanged'; agentId: string; present: boolean }
  | { type: 'agent.heartbeat'; agentId: string }
  | { type: 'conversation.offered'; agentId: string; conversationId: string }
  | { type: 'conversation.offerEnded'; conversationId: string; outcome: OfferOutcome }
  | { type: 'conversation.assigned'; agentId: string; conversationId: string; intense?: boolean }
  | { type: 'conversation.activity'; conversationId: string; intense: boolean }
  | { type: 'conversation.unassigned'; conversationId: string }
  | {
      type: 'account.settingsChanged';
      defaultMaxSlots?: number;
      inactiveWeight?: number;
      connectionTimeoutMs?: number;
    }
  /**
   * Written by agentview itself (never accepted from clients): a logged-in
   * agent had no event for `connectionTimeoutMs`; `time` is the moment it
   * became DISCONNECTED.
   */
  | { type: 'agent.connectionTimedOut'; agentId: string };

export type EventType = EventPayload['type'];

/** Event types clients may send to the ingest API. */
export const CLIENT_EVENT_TYPES = [
  'skill.upserted',
  'group.upserted',
  'agent.upserted',
  'agent.deleted',
  'agent.loggedIn',
  'agent.loggedOut',
  'agent.statusChanged',
  'agent.presenceChanged',
  'agent.heartbeat',
  'conversation.offered',
  'conversation.offerEnded',
  'conversation.assigned',
  'conversation.activity',
  'conversation.unassigned',
  'account.settingsChanged',
] as const satisfies readonly EventType[];

/** An event ready to be appended: payload plus its time and optional client id. */
export type IngestEvent = EventPayload & { time: number; eventId?: string };

/** An event as stored in the log: with its account sequence number. */
export type StoredEvent = IngestEvent & { seq: number };

/** Account settings (spec section 3, `account.settingsChanged`). */
export interface AccountSettings {
  defaultMaxSlots: number;
  inactiveWeight: number;
  connectionTimeoutMs: number;
}

export const DEFAULT_SETTINGS: Readonly<AccountSettings> = Object.freeze({
  defaultMaxSlots: 10,
  inactiveWeight: 0.5,
  connectionTimeoutMs: 60_000,
});

/** The built-in group every agent starts in. */
export const MAIN_GROUP_ID = '-1';
export const MAIN_GROUP_NAME = 'Main Group';

/** The agent an event is about, when it is about one agent directly. */
export function eventAgentId(e: EventPayload): string | undefined {
  return 'agentId' in e ? e.agentId : undefined;
}
