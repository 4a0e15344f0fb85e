/**
 * Naive reference implementations the indexed engine is compared against:
 * Agent Status straight from the spec's words (list, filter every record,
 * sort everything, slice), and index rebuilding from the agents alone.
 */
import {
  toRecord,
  type AccountState,
  type AgentFilter,
  type AgentState,
  type AgentStatusRecord,
  type SortKey,
} from '../../src/core/index.js';

const NUMERIC = /^-?(0|[1-9][0-9]*)$/;

/** agentId order of the docs: numeric ids numerically (exactly, any length) and first; others by code units. */
export function refCompareIds(a: string, b: string): number {
  if (a === b) return 0;
  const an = NUMERIC.test(a);
  const bn = NUMERIC.test(b);
  if (an && bn) {
    const d = BigInt(a) - BigInt(b);
    if (d !== 0n) return d < 0n ? -1 : 1;
    // Only "-0" and "0" are numerically equal: the signed one first.
    return a.startsWith('-') ? -1 : 1;
  }
  if (an) return -1;
  if (bn) return 1;
  return a < b ? -1 : 1;
}

function sortValue(r: AgentStatusRecord, field: SortKey['field']): number | string | undefined {
  switch (field) {
    case 'start':
      return r.currentStatusStartTimeL;
    case 'end':
      return r.lastUpdatedTimeL;
    case 'agentId':
      return r.agentId;
    case 'agentName':
      return r.agentName;
    default:
      return r[field];
  }
}

export interface RefPage {
  count: number;
  ids: string[];
}

/** Agent Status by the book: O(n log n) over every agent, no indexes. */
export function referenceQuery(acc: AccountState, f: AgentFilter, sort: readonly SortKey[], offset: number, limit: number, now: number): RefPage {
  const listed = [...acc.agents.values()].filter((a) => a.loggedIn || (a.lastLogout !== undefined && a.lastLogout >= f.from));
  const rows = listed
    .map((a) => toRecord(acc, a, now))
    .filter((r) => !f.statuses || f.statuses.includes(r.currentStatus))
    .filter((r) => !f.agentIds || f.agentIds.includes(r.agentId))
    .filter((r) => !f.skillIds || r.agentSkills.some((s) => f.skillIds!.includes(s.skillId)))
    .filter((r) => !f.groupIds || f.groupIds.some((g) => Number(g) === r.agentGroupId))
    .filter((r) => f.presence === undefined || r.agentPresence === String(f.presence))
    .filter((r) => !f.connectionStates || f.connectionStates.includes(r.currentConnectionState));
  rows.sort((x, y) => {
    for (const k of sort) {
      if (k.field === 'agentId') {
        const c = refCompareIds(x.agentId, y.agentId);
        if (c !== 0) return k.desc ? -c : c;
        continue;
      }
      const vx = sortValue(x, k.field);
      const vy = sortValue(y, k.field);
      if (vx === vy) continue;
      if (vx === undefined) return 1;
      if (vy === undefined) return -1;
      const c = vx < vy ? -1 : 1;
      return k.desc ? -c : c;
    }
    return refCompareIds(x.agentId, y.agentId);
  });
  return { count: rows.length, ids: rows.slice(offset, offset + limit).map((r) => r.agentId) };
}

type IdSets = Record<string, string[]>;

function setsOf(index: Map<string, Set<AgentState>>): IdSets {
  const out: IdSets = {};
  for (const [k, s] of [...index].sort(([a], [b]) => (a < b ? -1 : 1))) {
    if (s.size > 0) out[k] = [...s].map((a) => a.id).sort();
  }
  return out;
}

/** The account's indexes as plain data (for equality checks). */
export function indexesOf(acc: AccountState): Record<string, unknown> {
  const rings: IdSets = {};
  for (const [k, s] of [...acc.ringsByAgent].sort(([a], [b]) => (a < b ? -1 : 1))) if (s.size > 0) rings[k] = [...s].sort();
  return {
    byStatus: setsOf(acc.byStatus),
    bySkill: setsOf(acc.bySkill),
    byGroup: setsOf(acc.byGroup),
    loggedIn: [...acc.loggedIn].map((a) => a.id).sort(),
    ringsByAgent: rings,
  };
}

/** The indexes rebuilt from scratch from agents and conversations alone. */
export function rebuiltIndexesOf(acc: AccountState): Record<string, unknown> {
  const byStatus: IdSets = {};
  const bySkill: IdSets = {};
  const byGroup: IdSets = {};
  const add = (m: IdSets, k: string, id: string) => (m[k] ??= []).push(id);
  const agents = [...acc.agents.values()];
  for (const a of agents) {
    if (a.loggedIn || a.lastLogout !== undefined) add(byStatus, a.status, a.id);
    for (const s of a.skillIds) add(bySkill, s, a.id);
    add(byGroup, a.groupId, a.id);
  }
  const rings: IdSets = {};
  for (const [cid, c] of acc.conversations) if (c.ringAgent !== undefined) add(rings, c.ringAgent, cid);
  const sorted = (m: IdSets) => Object.fromEntries(Object.entries(m).sort(([a], [b]) => (a < b ? -1 : 1)).map(([k, v]) => [k, v.sort()]));
  return {
    byStatus: sorted(byStatus),
    bySkill: sorted(bySkill),
    byGroup: sorted(byGroup),
    loggedIn: agents.filter((a) => a.loggedIn).map((a) => a.id).sort(),
    ringsByAgent: sorted(rings),
  };
}

/** Per-agent counters recomputed from the conversations. */
export function countersOf(acc: AccountState): Record<string, { assigned: number; intense: number; ringing: number }> {
  const out: Record<string, { assigned: number; intense: number; ringing: number }> = {};
  for (const a of acc.agents.values()) out[a.id] = { assigned: 0, intense: 0, ringing: 0 };
  for (const c of acc.conversations.values()) {
    if (c.assignedAgent !== undefined) {
      const o = out[c.assignedAgent];
      if (o) {
        o.assigned++;
        if (c.intense) o.intense++;
      }
    }
    if (c.ringAgent !== undefined) {
      const o = out[c.ringAgent];
      if (o) o.ringing++;
    }
  }
  return out;
}

/** Every agent's record at `now` plus account-level data, as plain comparable data. */
export function viewOf(acc: AccountState, now: number): Record<string, unknown> {
  const records = [...acc.agents.values()].sort((a, b) => refCompareIds(a.id, b.id)).map((a) => ({ loggedIn: a.loggedIn, lastLogout: a.lastLogout, record: toRecord(acc, a, now) }));
  const conversations = [...acc.conversations].sort(([a], [b]) => (a < b ? -1 : 1));
  return {
    seq: acc.seq,
    settings: acc.settings,
    skills: [...acc.skills].sort(),
    groups: [...acc.groups].sort(),
    records,
    conversations,
  };
}
