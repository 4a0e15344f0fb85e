/**
 * Live state of one account and the function that moves it: `evolve`.
 *
 * The state is mutated in place for speed (an account holds up to ~10,000
 * agents and an ingest batch must not copy them), but `evolve` is otherwise a
 * pure function: no I/O, no clock, no randomness. Applying the same events to
 * a fresh state always produces the same state, which is what recovery,
 * snapshots and cluster views rely on.
 */
import {
  DEFAULT_SETTINGS,
  MAIN_GROUP_ID,
  MAIN_GROUP_NAME,
  type AccountSettings,
  type AgentStatus,
  type ConnectionState,
  type StoredEvent,
} from './events.js';

/** One agent's state, compact: epoch-ms numbers, no derived fields. */
export interface AgentState {
  readonly id: string;
  name: string;
  nickname: string;
  loginName: string;
  pictureUrl: string | undefined;
  groupId: string;
  skillIds: readonly string[];
  /** Configured capacity; `undefined` means the account's `defaultMaxSlots`. */
  maxSlots: number | undefined;
  loggedIn: boolean;
  status: AgentStatus;
  statusStart: number;
  reasonId: string | undefined;
  reasonStart: number | undefined;
  present: boolean;
  /** A connection time-out was recorded and no activity followed it yet. */
  timedOut: boolean;
  /** Time of the latest event from the agent (connection keep-alive). */
  lastActivity: number;
  /** Time of the latest event that changed a field of the agent's record. */
  lastUpdated: number;
  /** Time of the latest log-out; `undefined` while never logged out. */
  lastLogout: number | undefined;
  /** Assigned conversations, how many of them are intense, ringing offers. */
  assigned: number;
  intense: number;
  ringing: number;
  /** Bumped on every change of the agent's record (for caches). */
  version: number;
}

/** A conversation the account knows: where it rings and who holds it. */
export interface ConversationState {
  ringAgent: string | undefined;
  assignedAgent: string | undefined;
  intense: boolean;
}

/** Everything agentview knows about one account, with its query indexes. */
export interface AccountState {
  readonly accountId: string;
  /** Sequence number of the last applied event. */
  seq: number;
  settings: AccountSettings;
  skills: Map<string, string>;
  groups: Map<string, string>;
  agents: Map<string, AgentState>;
  conversations: Map<string, ConversationState>;
  /** Ringing conversation ids per agent, to clear them on log-out. */
  ringsByAgent: Map<string, Set<string>>;
  /** Agents that ever logged in (the only ones ever listed), by status. */
  byStatus: Map<AgentStatus, Set<AgentState>>;
  bySkill: Map<string, Set<AgentState>>;
  byGroup: Map<string, Set<AgentState>>;
  /** Logged-in agents (the connection time-out sweep walks these). */
  loggedIn: Set<AgentState>;
}

/** What an applied event changed, for live views and caches. */
export interface Change {
  /** Agents whose record changed (or that were deleted). */
  agentIds: string[];
  /** True when every record may have changed (settings, skill or group renames). */
  all: boolean;
}

const NO_CHANGE: Change = Object.freeze({ agentIds: [], all: false });

export function createAccountState(accountId: string): AccountState {
  const state: AccountState = {
    accountId,
    seq: 0,
    settings: { ...DEFAULT_SETTINGS },
    skills: new Map(),
    groups: new Map([[MAIN_GROUP_ID, MAIN_GROUP_NAME]]),
    agents: new Map(),
    conversations: new Map(),
    ringsByAgent: new Map(),
    byStatus: new Map(),
    bySkill: new Map(),
    byGroup: new Map(),
    loggedIn: new Set(),
  };
  return state;
}

/** The agent's capacity, with the account default applied. */
export function configuredMaxSlots(acc: AccountState, a: AgentState): number {
  return a.maxSlots ?? acc.settings.defaultMaxSlots;
}

/** Weighted work of an agent: 1 per intense conversation, `inactiveWeight` per other. */
export function agentWork(acc: AccountState, a: AgentState): number {
  return a.intense + acc.settings.inactiveWeight * (a.assigned - a.intense);
}

/** Load in integer percent (spec 1.1). */
export function agentLoad(acc: AccountState, a: AgentState): number {
  const w = agentWork(acc, a);
  const max = configuredMaxSlots(acc, a);
  if (max <= 0) return w > 0 ? 100 : 0;
  // The epsilon keeps exact halves (37.5) from rounding down through float error.
  return Math.round((100 * w) / max + 1e-9);
}

/** Whether the connection time-out has passed for a logged-in agent at `now`. */
function timeoutReached(acc: AccountState, a: AgentState, now: number): boolean {
  return now - a.lastActivity >= acc.settings.connectionTimeoutMs;
}

/** Connection state at `now` (a pure function of state and time). */
export function connectionState(acc: AccountState, a: AgentState, now: number): ConnectionState {
  if (!a.loggedIn || a.timedOut || timeoutReached(acc, a, now)) return 'DISCONNECTED';
  return 'CONNECTED';
}

/**
 * `lastUpdated` as seen at `now`: a time-out that has passed but is not yet
 * recorded as an event already changed the connection state at its moment.
 */
export function lastUpdatedAt(acc: AccountState, a: AgentState, now: number): number {
  if (a.loggedIn && !a.timedOut && timeoutReached(acc, a, now)) {
    return Math.max(a.lastUpdated, a.lastActivity + acc.settings.connectionTimeoutMs);
  }
  return a.lastUpdated;
}

/** Whether an agent is listed by Agent Status at all for a window starting at `from`. */
export function isListed(a: AgentState, from: number): boolean {
  return a.loggedIn || (a.lastLogout !== undefined && a.lastLogout >= from);
}

/** Agents that are logged in and whose connection time-out has passed at `now`. */
export function dueTimeouts(acc: AccountState, now: number): AgentState[] {
  const out: AgentState[] = [];
  for (const a of acc.loggedIn) {
    if (!a.timedOut && timeoutReached(acc, a, now)) out.push(a);
  }
  return out;
}

// ---------------------------------------------------------------- indexes

function addTo<K>(index: Map<K, Set<AgentState>>, key: K, a: AgentState): void {
  let set = index.get(key);
  if (!set) index.set(key, (set = new Set()));
  set.add(a);
}

function removeFrom<K>(index: Map<K, Set<AgentState>>, key: K, a: AgentState): void {
  const set = index.get(key);
  if (!set) return;
  set.delete(a);
  if (set.size === 0) index.delete(key);
}

function everListed(a: AgentState): boolean {
  return a.loggedIn || a.lastLogout !== undefined;
}

function newAgent(acc: AccountState, id: string, time: number): AgentState {
  const a: AgentState = {
    id,
    name: id,
    nickname: id,
    loginName: id,
    pictureUrl: undefined,
    groupId: MAIN_GROUP_ID,
    skillIds: [],
    maxSlots: undefined,
    loggedIn: false,
    status: 'OFFLINE',
    statusStart: time,
    reasonId: undefined,
    reasonStart: undefined,
    present: true,
    timedOut: false,
    lastActivity: time,
    lastUpdated: time,
    lastLogout: undefined,
    assigned: 0,
    intense: 0,
    ringing: 0,
    version: 0,
  };
  acc.agents.set(id, a);
  addTo(acc.byGroup, a.groupId, a);
  return a;
}

function agentFor(acc: AccountState, id: string, time: number): AgentState {
  return acc.agents.get(id) ?? newAgent(acc, id, time);
}

/** Moves an agent between login/status indexes after its flags changed. */
function reindexStatus(acc: AccountState, a: AgentState, prevStatus: AgentStatus, wasListed: boolean, wasIn: boolean): void {
  if (wasListed) removeFrom(acc.byStatus, prevStatus, a);
  if (everListed(a)) addTo(acc.byStatus, a.status, a);
  if (wasIn && !a.loggedIn) acc.loggedIn.delete(a);
  if (!wasIn && a.loggedIn) acc.loggedIn.add(a);
}

function setSkills(acc: AccountState, a: AgentState, skillIds: readonly string[]): boolean {
  const next = [...new Set(skillIds)];
  if (next.length === a.skillIds.length && next.every((s, i) => s === a.skillIds[i])) return false;
  for (const s of a.skillIds) removeFrom(acc.bySkill, s, a);
  a.skillIds = next;
  for (const s of next) addTo(acc.bySkill, s, a);
  return true;
}

function setGroup(acc: AccountState, a: AgentState, groupId: string): boolean {
  if (a.groupId === groupId) return false;
  removeFrom(acc.byGroup, a.groupId, a);
  a.groupId = groupId;
  addTo(acc.byGroup, groupId, a);
  return true;
}

function touch(a: AgentState, time: number): void {
  a.lastUpdated = time;
  a.version++;
}

function removeAgent(acc: AccountState, a: AgentState): void {
  acc.agents.delete(a.id);
  if (everListed(a)) removeFrom(acc.byStatus, a.status, a);
  acc.loggedIn.delete(a);
  for (const s of a.skillIds) removeFrom(acc.bySkill, s, a);
  removeFrom(acc.byGroup, a.groupId, a);
  for (const [cid, c] of acc.conversations) {
    if (c.ringAgent === a.id) c.ringAgent = undefined;
    if (c.assignedAgent === a.id) c.assignedAgent = undefined;
    if (c.ringAgent === undefined && c.assignedAgent === undefined) acc.conversations.delete(cid);
  }
  acc.ringsByAgent.delete(a.id);
}

// ---------------------------------------------------------------- status moves

/**
 * Sets status and reason at `time`. The status clock restarts only when the
 * status changes; the reason clock restarts when the reason changes.
 * Returns whether any field changed.
 */
function setStatus(a: AgentState, status: AgentStatus, reasonId: string | undefined, time: number): boolean {
  const reason = status === 'AWAY' ? reasonId : undefined;
  let changed = false;
  if (a.status !== status) {
    a.status = status;
    a.statusStart = time;
    changed = true;
  }
  if (a.reasonId !== reason) {
    a.reasonId = reason;
    a.reasonStart = reason === undefined ? undefined : time;
    changed = true;
  }
  return changed;
}

function logIn(acc: AccountState, a: AgentState, status: AgentStatus, reasonId: string | undefined, time: number): void {
  const prev = a.status;
  const wasListed = everListed(a);
  a.loggedIn = true;
  a.present = true;
  a.timedOut = false;
  a.status = status;
  a.statusStart = time;
  a.reasonId = status === 'AWAY' ? reasonId : undefined;
  a.reasonStart = a.reasonId === undefined ? undefined : time;
  a.lastActivity = time;
  reindexStatus(acc, a, prev, wasListed, false);
  touch(a, time);
}

function logOut(acc: AccountState, a: AgentState, time: number): void {
  const prev = a.status;
  a.loggedIn = false;
  a.timedOut = false;
  setStatus(a, 'OFFLINE', undefined, time);
  a.lastLogout = time;
  reindexStatus(acc, a, prev, true, true);
  const rings = acc.ringsByAgent.get(a.id);
  if (rings) {
    for (const cid of rings) {
      const c = acc.conversations.get(cid);
      if (!c) continue;
      c.ringAgent = undefined;
      if (c.assignedAgent === undefined) acc.conversations.delete(cid);
    }
    acc.ringsByAgent.delete(a.id);
  }
  a.ringing = 0;
  touch(a, time);
}

/**
 * Records activity from a logged-in agent at `time`; returns true when the
 * activity reconnected an agent whose connection had timed out.
 */
function activity(acc: AccountState, a: AgentState, time: number): boolean {
  if (!a.loggedIn) return false;
  const wasDisconnected = a.timedOut || timeoutReached(acc, a, time);
  a.timedOut = false;
  if (time > a.lastActivity) a.lastActivity = time;
  return wasDisconnected;
}

// ---------------------------------------------------------------- conversations

function setRing(acc: AccountState, c: ConversationState, cid: string, agentId: string | undefined): Set<string> {
  const touched = new Set<string>();
  if (c.ringAgent === agentId) return touched;
  if (c.ringAgent !== undefined) {
    const prev = acc.agents.get(c.ringAgent);
    if (prev) {
      prev.ringing--;
      touched.add(prev.id);
    }
    const rings = acc.ringsByAgent.get(c.ringAgent);
    rings?.delete(cid);
    if (rings?.size === 0) acc.ringsByAgent.delete(c.ringAgent);
  }
  c.ringAgent = agentId;
  if (agentId !== undefined) {
    const next = acc.agents.get(agentId);
    if (next) {
      next.ringing++;
      touched.add(agentId);
    }
    let rings = acc.ringsByAgent.get(agentId);
    if (!rings) acc.ringsByAgent.set(agentId, (rings = new Set()));
    rings.add(cid);
  }
  return touched;
}

function unassign(acc: AccountState, c: ConversationState): string | undefined {
  const holder = c.assignedAgent;
  if (holder === undefined) return undefined;
  const a = acc.agents.get(holder);
  if (a) {
    a.assigned--;
    if (c.intense) a.intense--;
  }
  c.assignedAgent = undefined;
  return holder;
}

function dropIfIdle(acc: AccountState, cid: string, c: ConversationState): void {
  if (c.ringAgent === undefined && c.assignedAgent === undefined) acc.conversations.delete(cid);
}

// ---------------------------------------------------------------- evolve

/**
 * Applies one stored event to the account, in place, and says what changed.
 * Events apply in arrival order; `event.time` stamps the fields it changes.
 */
export function evolve(acc: AccountState, event: StoredEvent): Change {
  acc.seq = Math.max(acc.seq, event.seq);
  const t = event.time;
  switch (event.type) {
    case 'skill.upserted': {
      if (acc.skills.get(event.skillId) === event.name) return NO_CHANGE;
      acc.skills.set(event.skillId, event.name);
      return touchAll(acc.bySkill.get(event.skillId), t);
    }
    case 'group.upserted': {
      if (acc.groups.get(event.groupId) === event.name) return NO_CHANGE;
      acc.groups.set(event.groupId, event.name);
      return touchAll(acc.byGroup.get(event.groupId), t);
    }
    case 'account.settingsChanged': {
      const s = acc.settings;
      const next: AccountSettings = {
        defaultMaxSlots: event.defaultMaxSlots ?? s.defaultMaxSlots,
        inactiveWeight: event.inactiveWeight ?? s.inactiveWeight,
        connectionTimeoutMs: event.connectionTimeoutMs ?? s.connectionTimeoutMs,
      };
      if (
        next.defaultMaxSlots === s.defaultMaxSlots &&
        next.inactiveWeight === s.inactiveWeight &&
        next.connectionTimeoutMs === s.connectionTimeoutMs
      ) {
        return NO_CHANGE;
      }
      const loads = new Map<AgentState, number>();
      for (const a of acc.agents.values()) loads.set(a, agentLoad(acc, a) * 1e6 + configuredMaxSlots(acc, a));
      acc.settings = next;
      const changed: string[] = [];
      for (const [a, before] of loads) {
        if (agentLoad(acc, a) * 1e6 + configuredMaxSlots(acc, a) !== before) {
          touch(a, t);
          changed.push(a.id);
        }
      }
      // The time-out length changes connection states as seen at query time.
      return { agentIds: changed, all: next.connectionTimeoutMs !== s.connectionTimeoutMs };
    }
    case 'agent.upserted': {
      const existed = acc.agents.has(event.agentId);
      const a = agentFor(acc, event.agentId, t);
      let changed = !existed;
      if (event.name !== undefined && a.name !== event.name) {
        a.name = event.name;
        changed = true;
      }
      if (event.nickname !== undefined && a.nickname !== event.nickname) {
        a.nickname = event.nickname;
        changed = true;
      }
      if (event.loginName !== undefined && a.loginName !== event.loginName) {
        a.loginName = event.loginName;
        changed = true;
      }
      if (event.pictureUrl !== undefined && a.pictureUrl !== event.pictureUrl) {
        a.pictureUrl = event.pictureUrl;
        changed = true;
      }
      if (event.groupId !== undefined && setGroup(acc, a, event.groupId)) changed = true;
      if (event.skillIds !== undefined && setSkills(acc, a, event.skillIds)) changed = true;
      if (event.maxSlots !== undefined && a.maxSlots !== event.maxSlots) {
        a.maxSlots = event.maxSlots;
        changed = true;
      }
      if (!changed) return NO_CHANGE;
      touch(a, t);
      return one(a.id);
    }
    case 'agent.deleted': {
      const a = acc.agents.get(event.agentId);
      if (!a) return NO_CHANGE;
      removeAgent(acc, a);
      return one(a.id);
    }
    case 'agent.loggedIn': {
      const a = agentFor(acc, event.agentId, t);
      const status = event.status ?? 'ONLINE';
      if (!a.loggedIn) {
        logIn(acc, a, status, event.reasonId, t);
        return one(a.id);
      }
      const reconnected = activity(acc, a, t);
      const changedStatus = moveStatus(acc, a, status, event.reasonId, t);
      const changedPresence = !a.present;
      a.present = true;
      if (!(reconnected || changedStatus || changedPresence)) return NO_CHANGE;
      touch(a, t);
      return one(a.id);
    }
    case 'agent.loggedOut': {
      const a = agentFor(acc, event.agentId, t);
      if (!a.loggedIn) return NO_CHANGE;
      logOut(acc, a, t);
      return one(a.id);
    }
    case 'agent.statusChanged': {
      const a = agentFor(acc, event.agentId, t);
      if (event.status === 'OFFLINE') {
        if (!a.loggedIn) return NO_CHANGE;
        logOut(acc, a, t);
        return one(a.id);
      }
      if (!a.loggedIn) {
        // A status from a logged-out agent means its platform logged it in.
        logIn(acc, a, event.status, event.reasonId, t);
        return one(a.id);
      }
      const reconnected = activity(acc, a, t);
      if (!(moveStatus(acc, a, event.status, event.reasonId, t) || reconnected)) return NO_CHANGE;
      touch(a, t);
      return one(a.id);
    }
    case 'agent.presenceChanged': {
      const a = agentFor(acc, event.agentId, t);
      const reconnected = activity(acc, a, t);
      const changed = a.present !== event.present;
      a.present = event.present;
      if (!(changed || reconnected)) return NO_CHANGE;
      touch(a, t);
      return one(a.id);
    }
    case 'agent.heartbeat': {
      const existed = acc.agents.has(event.agentId);
      const a = agentFor(acc, event.agentId, t);
      if (!activity(acc, a, t) && existed) return NO_CHANGE;
      touch(a, t);
      return one(a.id);
    }
    case 'agent.connectionTimedOut': {
      const a = acc.agents.get(event.agentId);
      // Only when no activity came after the deadline this event was computed for.
      if (!a || !a.loggedIn || a.timedOut || a.lastActivity + acc.settings.connectionTimeoutMs > t) return NO_CHANGE;
      a.timedOut = true;
      touch(a, Math.max(a.lastUpdated, t));
      return one(a.id);
    }
    case 'conversation.offered': {
      const a = agentFor(acc, event.agentId, t);
      const reconnected = activity(acc, a, t);
      let c = acc.conversations.get(event.conversationId);
      if (!c) acc.conversations.set(event.conversationId, (c = { ringAgent: undefined, assignedAgent: undefined, intense: true }));
      const touched = setRing(acc, c, event.conversationId, a.id);
      if (reconnected) touched.add(a.id);
      return touchIds(acc, touched, t);
    }
    case 'conversation.offerEnded': {
      const c = acc.conversations.get(event.conversationId);
      if (!c) return NO_CHANGE;
      const touched = setRing(acc, c, event.conversationId, undefined);
      dropIfIdle(acc, event.conversationId, c);
      return touchIds(acc, touched, t);
    }
    case 'conversation.assigned': {
      const a = agentFor(acc, event.agentId, t);
      const touched = new Set<string>();
      if (activity(acc, a, t)) touched.add(a.id);
      let c = acc.conversations.get(event.conversationId);
      if (!c) acc.conversations.set(event.conversationId, (c = { ringAgent: undefined, assignedAgent: undefined, intense: true }));
      for (const id of setRing(acc, c, event.conversationId, undefined)) touched.add(id);
      const intense = event.intense ?? (c.assignedAgent === a.id ? c.intense : true);
      if (c.assignedAgent === a.id) {
        if (c.intense !== intense) {
          a.intense += intense ? 1 : -1;
          c.intense = intense;
          touched.add(a.id);
        }
      } else {
        const prev = unassign(acc, c);
        if (prev !== undefined) touched.add(prev);
        c.assignedAgent = a.id;
        c.intense = intense;
        a.assigned++;
        if (intense) a.intense++;
        touched.add(a.id);
      }
      return touchIds(acc, touched, t);
    }
    case 'conversation.activity': {
      const c = acc.conversations.get(event.conversationId);
      if (!c || c.intense === event.intense) return NO_CHANGE;
      c.intense = event.intense;
      if (c.assignedAgent === undefined) return NO_CHANGE;
      const a = acc.agents.get(c.assignedAgent);
      if (!a) return NO_CHANGE;
      a.intense += event.intense ? 1 : -1;
      touch(a, t);
      return one(a.id);
    }
    case 'conversation.unassigned': {
      const c = acc.conversations.get(event.conversationId);
      if (!c) return NO_CHANGE;
      const prev = unassign(acc, c);
      dropIfIdle(acc, event.conversationId, c);
      return prev === undefined ? NO_CHANGE : touchIds(acc, new Set([prev]), t);
    }
    default:
      return assertNever(event);
  }
}

/** A status move for a logged-in agent; returns whether a field changed. */
function moveStatus(acc: AccountState, a: AgentState, status: AgentStatus, reasonId: string | undefined, t: number): boolean {
  const prev = a.status;
  const changed = setStatus(a, status, reasonId, t);
  if (prev !== a.status) reindexStatus(acc, a, prev, true, true);
  return changed;
}

function one(id: string): Change {
  return { agentIds: [id], all: false };
}

function touchAll(agents: Set<AgentState> | undefined, t: number): Change {
  if (!agents) return NO_CHANGE;
  const ids: string[] = [];
  for (const a of agents) {
    touch(a, t);
    ids.push(a.id);
  }
  return { agentIds: ids, all: false };
}

function touchIds(acc: AccountState, ids: Set<string>, t: number): Change {
  if (ids.size === 0) return NO_CHANGE;
  for (const id of ids) {
    const a = acc.agents.get(id);
    if (a) touch(a, t);
  }
  return { agentIds: [...ids], all: false };
}

function assertNever(x: never): never {
  throw new Error(`unhandled event ${JSON.stringify(x)}`);
}
