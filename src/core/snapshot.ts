/**
 * Compact, versioned encoding of an account's state for snapshots. Indexes
 * are not stored: they are rebuilt on decode.
 */
import type { AccountSettings, AgentStatus } from './events.js';
import { createAccountState, type AccountState, type AgentState } from './state.js';

export const SNAPSHOT_FORMAT = 1;

/** Agent tuple: positions are the encoding; append only, never reorder. */
type AgentTuple = [
  id: string,
  name: string,
  nickname: string,
  loginName: string,
  pictureUrl: string | null,
  groupId: string,
  skillIds: string[],
  maxSlots: number | null,
  flags: number, // 1 loggedIn, 2 present, 4 timedOut
  status: AgentStatus,
  statusStart: number,
  reasonId: string | null,
  reasonStart: number | null,
  lastActivity: number,
  lastUpdated: number,
  lastLogout: number | null,
  assigned: number,
  intense: number,
  ringing: number,
];

type ConversationTuple = [id: string, ringAgent: string | null, assignedAgent: string | null, intense: 0 | 1];

/** The JSON-serialisable form of one account. */
export interface EncodedAccount {
  v: typeof SNAPSHOT_FORMAT;
  id: string;
  seq: number;
  settings: AccountSettings;
  skills: [string, string][];
  groups: [string, string][];
  agents: AgentTuple[];
  conversations: ConversationTuple[];
}

export function encodeAccount(acc: AccountState): EncodedAccount {
  const agents: AgentTuple[] = [];
  for (const a of acc.agents.values()) {
    agents.push([
      a.id,
      a.name,
      a.nickname,
      a.loginName,
      a.pictureUrl ?? null,
      a.groupId,
      [...a.skillIds],
      a.maxSlots ?? null,
      (a.loggedIn ? 1 : 0) | (a.present ? 2 : 0) | (a.timedOut ? 4 : 0),
      a.status,
      a.statusStart,
      a.reasonId ?? null,
      a.reasonStart ?? null,
      a.lastActivity,
      a.lastUpdated,
      a.lastLogout ?? null,
      a.assigned,
      a.intense,
      a.ringing,
    ]);
  }
  const conversations: ConversationTuple[] = [];
  for (const [id, c] of acc.conversations) {
    conversations.push([id, c.ringAgent ?? null, c.assignedAgent ?? null, c.intense ? 1 : 0]);
  }
  return {
    v: SNAPSHOT_FORMAT,
    id: acc.accountId,
    seq: acc.seq,
    settings: { ...acc.settings },
    skills: [...acc.skills],
    groups: [...acc.groups],
    agents,
    conversations,
  };
}

export function decodeAccount(e: EncodedAccount): AccountState {
  if (e.v !== SNAPSHOT_FORMAT) throw new Error(`unsupported snapshot format ${String(e.v)}`);
  const acc = createAccountState(e.id);
  acc.seq = e.seq;
  acc.settings = { ...e.settings };
  acc.skills = new Map(e.skills);
  acc.groups = new Map(e.groups);
  const add = (index: Map<string, Set<AgentState>>, key: string, a: AgentState) => {
    let s = index.get(key);
    if (!s) index.set(key, (s = new Set()));
    s.add(a);
  };
  for (const t of e.agents) {
    const a: AgentState = {
      id: t[0],
      name: t[1],
      nickname: t[2],
      loginName: t[3],
      pictureUrl: t[4] ?? undefined,
      groupId: t[5],
      skillIds: t[6],
      maxSlots: t[7] ?? undefined,
      loggedIn: (t[8] & 1) !== 0,
      present: (t[8] & 2) !== 0,
      timedOut: (t[8] & 4) !== 0,
      status: t[9],
      statusStart: t[10],
      reasonId: t[11] ?? undefined,
      reasonStart: t[12] ?? undefined,
      lastActivity: t[13],
      lastUpdated: t[14],
      lastLogout: t[15] ?? undefined,
      assigned: t[16],
      intense: t[17],
      ringing: t[18],
      version: 0,
    };
    acc.agents.set(a.id, a);
    add(acc.byGroup, a.groupId, a);
    for (const s of a.skillIds) add(acc.bySkill, s, a);
    if (a.loggedIn || a.lastLogout !== undefined) {
      let set = acc.byStatus.get(a.status);
      if (!set) acc.byStatus.set(a.status, (set = new Set()));
      set.add(a);
    }
    if (a.loggedIn) acc.loggedIn.add(a);
  }
  for (const [id, ring, assigned, intense] of e.conversations) {
    acc.conversations.set(id, { ringAgent: ring ?? undefined, assignedAgent: assigned ?? undefined, intense: intense === 1 });
    if (ring !== null) {
      let s = acc.ringsByAgent.get(ring);
      if (!s) acc.ringsByAgent.set(ring, (s = new Set()));
      s.add(id);
    }
  }
  return acc;
}
