/** The wallboard's data: agents by id, filters, sorting, summaries (plain functions). */
import type { AgentRecord, Status } from './api.js';

export const STATUSES: Status[] = ['ONLINE', 'AWAY', 'BACK_SOON', 'OFFLINE'];
export const STATUS_LABEL: Record<Status, string> = { ONLINE: 'Online', AWAY: 'Away', BACK_SOON: 'Back soon', OFFLINE: 'Offline' };

export interface Filters {
  statuses: Set<Status>;
  group: string;
  skill: string;
  text: string;
}

export type SortKey = 'name' | 'group' | 'status' | 'time' | 'load' | 'slots' | 'open' | 'intense';
export interface Sort {
  key: SortKey;
  desc: boolean;
}

const STATUS_ORDER: Record<Status, number> = { ONLINE: 0, BACK_SOON: 1, AWAY: 2, OFFLINE: 3 };

export function matches(a: AgentRecord, f: Filters): boolean {
  if (f.statuses.size > 0 && !f.statuses.has(a.currentStatus)) return false;
  if (f.group !== '' && String(a.agentGroupId) !== f.group) return false;
  if (f.skill !== '' && !a.agentSkills.some((s) => s.skillId === f.skill)) return false;
  if (f.text !== '') {
    const t = f.text.toLowerCase();
    if (
      !a.agentName.toLowerCase().includes(t) &&
      !a.agentNickname.toLowerCase().includes(t) &&
      !a.agentLoginName.toLowerCase().includes(t) &&
      !a.agentId.toLowerCase().includes(t)
    ) {
      return false;
    }
  }
  return true;
}

function cmpId(a: string, b: string): number {
  const na = /^\d+$/.test(a);
  const nb = /^\d+$/.test(b);
  if (na && nb) return Number(a) - Number(b);
  return a < b ? -1 : a > b ? 1 : 0;
}

export function comparator(sort: Sort): (a: AgentRecord, b: AgentRecord) => number {
  const dir = sort.desc ? -1 : 1;
  const key = (a: AgentRecord): number | string => {
    switch (sort.key) {
      case 'name':
        return a.agentName.toLowerCase();
      case 'group':
        return a.agentGroupName.toLowerCase();
      case 'status':
        return STATUS_ORDER[a.currentStatus];
      case 'time':
        return -a.currentStatusStartTimeL; // longer in status = larger
      case 'load':
        return a.load;
      case 'slots':
        return a.busySlots + a.ringingSlots;
      case 'open':
        return a.openAssignedConversations;
      case 'intense':
        return a.intenseConversations;
    }
  };
  return (a, b) => {
    const x = key(a);
    const y = key(b);
    if (x < y) return -dir;
    if (x > y) return dir;
    return cmpId(a.agentId, b.agentId);
  };
}

export interface Summary {
  counts: Record<Status, number>;
  total: number;
  loggedIn: number;
  avgLoad: number;
  open: number;
  ringing: number;
  capacity: number;
  disconnected: number;
}

export function summarize(agents: Iterable<AgentRecord>): Summary {
  const counts: Record<Status, number> = { ONLINE: 0, AWAY: 0, BACK_SOON: 0, OFFLINE: 0 };
  let total = 0;
  let loadSum = 0;
  let loggedIn = 0;
  let open = 0;
  let ringing = 0;
  let capacity = 0;
  let disconnected = 0;
  for (const a of agents) {
    total++;
    counts[a.currentStatus]++;
    if (a.currentStatus !== 'OFFLINE') {
      loggedIn++;
      loadSum += a.load;
      capacity += a.configuredMaxSlots;
      if (a.currentConnectionState === 'DISCONNECTED') disconnected++;
    }
    open += a.openAssignedConversations;
    ringing += a.ringingSlots;
  }
  return { counts, total, loggedIn, avgLoad: loggedIn > 0 ? Math.round(loadSum / loggedIn) : 0, open, ringing, capacity, disconnected };
}

export interface GroupRow {
  id: string;
  name: string;
  summary: Summary;
}

export function byGroup(agents: Iterable<AgentRecord>): GroupRow[] {
  const groups = new Map<string, { name: string; agents: AgentRecord[] }>();
  for (const a of agents) {
    const id = String(a.agentGroupId);
    let g = groups.get(id);
    if (!g) groups.set(id, (g = { name: a.agentGroupName, agents: [] }));
    g.agents.push(a);
  }
  return [...groups].map(([id, g]) => ({ id, name: g.name, summary: summarize(g.agents) })).sort((a, b) => a.name.localeCompare(b.name));
}

/** `h:mm:ss` or `m:ss`. */
export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}
