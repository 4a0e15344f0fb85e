/**
 * Agent Status queries (spec 1.1): which agents are listed, filters, sorting
 * and paging over an account's state, with "now" passed in.
 */
import { compareIds, isNumericId } from './ids.js';
import type { AgentStatus, ConnectionState } from './events.js';
import {
  agentLoad,
  configuredMaxSlots,
  connectionState,
  isListed,
  lastUpdatedAt,
  type AccountState,
  type AgentState,
} from './state.js';

/** Filters of an Agent Status or Summary request, normalised. */
export interface AgentFilter {
  /** Statuses to keep; `undefined` keeps all. */
  statuses?: readonly AgentStatus[] | undefined;
  agentIds?: readonly string[] | undefined;
  /** An agent matches if it has any of these skills. */
  skillIds?: readonly string[] | undefined;
  groupIds?: readonly string[] | undefined;
  /** Presence to keep; `undefined` keeps both. */
  presence?: boolean | undefined;
  connectionStates?: readonly ConnectionState[] | undefined;
  /** Start of the listing window for logged-out agents (epoch ms). */
  from: number;
}

/** Numeric record fields usable as sort keys, besides `start` and `end`. */
export const NUMERIC_SORT_FIELDS = [
  'load',
  'busySlots',
  'ringingSlots',
  'configuredMaxSlots',
  'openAssignedConversations',
  'intenseConversations',
  'currentStatusDuration',
  'currentStatusReasonDuration',
  'currentStatusStartTimeL',
  'currentStatusReasonStartTimeL',
  'lastUpdatedTimeL',
  'agentGroupId',
] as const;

export const SORT_FIELDS = ['start', 'end', 'agentId', 'agentName', ...NUMERIC_SORT_FIELDS] as const;
export type SortField = (typeof SORT_FIELDS)[number];

export interface SortKey {
  field: SortField;
  desc: boolean;
}

type KeyValue = number | string | undefined;

/** Extracts a sort key's value; `undefined` (no value) always sorts last. */
function keyOf(acc: AccountState, a: AgentState, field: SortField, now: number): KeyValue {
  switch (field) {
    case 'start':
    case 'currentStatusStartTimeL':
      return a.statusStart;
    case 'end':
    case 'lastUpdatedTimeL':
      return lastUpdatedAt(acc, a, now);
    case 'agentId':
      return a.id;
    case 'agentName':
      return a.name;
    case 'load':
      return agentLoad(acc, a);
    case 'busySlots':
    case 'openAssignedConversations':
      return a.assigned;
    case 'ringingSlots':
      return a.ringing;
    case 'configuredMaxSlots':
      return configuredMaxSlots(acc, a);
    case 'intenseConversations':
      return a.intense;
    // Durations as the record shows them: never negative (events may be stamped ahead of now).
    case 'currentStatusDuration':
      return Math.max(0, now - a.statusStart);
    case 'currentStatusReasonDuration':
      return a.reasonStart === undefined ? undefined : Math.max(0, now - a.reasonStart);
    case 'currentStatusReasonStartTimeL':
      return a.reasonStart;
    case 'agentGroupId':
      return Number(a.groupId);
  }
}

function compareValues(x: KeyValue, y: KeyValue, desc: boolean): number {
  if (x === y) return 0;
  if (x === undefined) return 1;
  if (y === undefined) return -1;
  let c: number;
  if (typeof x === 'number' && typeof y === 'number') c = x - y;
  else c = String(x) < String(y) ? -1 : 1;
  return desc ? -c : c;
}

/**
 * Calls `visit` once for every candidate: the agents of the smallest index
 * union every match must be in. Plain loops over the index sets (no
 * generators, no de-duplication set): this runs for every uncached query.
 */
function forEachCandidate(acc: AccountState, f: AgentFilter, visit: (a: AgentState) => void): void {
  const sizeOf = (index: Map<string, Set<AgentState>>, keys: readonly string[]) => {
    let n = 0;
    for (const k of keys) n += index.get(k)?.size ?? 0;
    return n;
  };
  const statuses = f.statuses ?? (['ONLINE', 'AWAY', 'BACK_SOON', 'OFFLINE'] as const);
  let best: 'status' | 'ids' | 'skills' | 'groups' = 'status';
  let bestSize = 0;
  for (const st of new Set(statuses)) bestSize += acc.byStatus.get(st)?.size ?? 0;
  if (f.agentIds && f.agentIds.length < bestSize) {
    best = 'ids';
    bestSize = f.agentIds.length;
  }
  if (f.skillIds) {
    const n = sizeOf(acc.bySkill, f.skillIds);
    if (n < bestSize) {
      best = 'skills';
      bestSize = n;
    }
  }
  if (f.groupIds) {
    const n = sizeOf(acc.byGroup, f.groupIds);
    if (n < bestSize) best = 'groups';
  }
  switch (best) {
    case 'ids': {
      const seen = new Set<string>();
      for (const id of f.agentIds!) {
        if (seen.has(id)) continue;
        seen.add(id);
        const a = acc.agents.get(id);
        if (a) visit(a);
      }
      return;
    }
    case 'skills': {
      // An agent is in the set of each of its skills: visit it only from the
      // first filter skill it has, so the union needs no seen-set.
      const order = new Map<string, number>();
      for (const k of f.skillIds!) if (!order.has(k)) order.set(k, order.size);
      for (const [k, i] of order) {
        const set = acc.bySkill.get(k);
        if (!set) continue;
        for (const a of set) {
          let first = true;
          for (const s of a.skillIds) {
            const j = order.get(s);
            if (j !== undefined && j < i) {
              first = false;
              break;
            }
          }
          if (first) visit(a);
        }
      }
      return;
    }
    // Status and group sets are disjoint (one status, one group per agent).
    case 'groups':
      for (const k of new Set(f.groupIds)) {
        const set = acc.byGroup.get(k);
        if (set) for (const a of set) visit(a);
      }
      return;
    case 'status':
      for (const k of new Set(statuses)) {
        const set = acc.byStatus.get(k);
        if (set) for (const a of set) visit(a);
      }
      return;
  }
}

/** Every listed agent of the account that matches the filter, unordered. */
export function matchAgents(acc: AccountState, f: AgentFilter, now: number): AgentState[] {
  const statuses = f.statuses ? new Set(f.statuses) : undefined;
  const ids = f.agentIds ? new Set(f.agentIds) : undefined;
  const skills = f.skillIds ? new Set(f.skillIds) : undefined;
  const groups = f.groupIds ? new Set(f.groupIds) : undefined;
  const conns = f.connectionStates ? new Set(f.connectionStates) : undefined;
  const presence = f.presence;
  const from = f.from;
  const out: AgentState[] = [];
  forEachCandidate(acc, f, (a) => {
    if (!isListed(a, from)) return;
    if (statuses && !statuses.has(a.status)) return;
    if (ids && !ids.has(a.id)) return;
    if (groups && !groups.has(a.groupId)) return;
    if (presence !== undefined && a.present !== presence) return;
    if (skills) {
      let any = false;
      for (const s of a.skillIds) {
        if (skills.has(s)) {
          any = true;
          break;
        }
      }
      if (!any) return;
    }
    if (conns && !conns.has(connectionState(acc, a, now))) return;
    out.push(a);
  });
  return out;
}

/** Builds the comparator for a sort specification; ties go to agentId ascending. */
export function comparator(acc: AccountState, keys: readonly SortKey[], now: number): (a: AgentState, b: AgentState) => number {
  return (a, b) => {
    for (const k of keys) {
      // agentId keeps its numeric-aware order when sorted on explicitly.
      const c =
        k.field === 'agentId'
          ? (k.desc ? -1 : 1) * compareIds(a.id, b.id)
          : compareValues(keyOf(acc, a, k.field, now), keyOf(acc, b, k.field, now), k.desc);
      if (c !== 0) return c;
    }
    return compareIds(a.id, b.id);
  };
}

/**
 * The `[offset, offset + limit)` slice of `items` in `cmp` order, without
 * sorting everything when the page is small next to the match count.
 */
export function pageOf<T>(items: T[], cmp: (a: T, b: T) => number, offset: number, limit: number): T[] {
  const k = offset + limit;
  if (offset >= items.length) return [];
  if (k * 4 >= items.length) return items.sort(cmp).slice(offset, k);
  // Bounded insertion into a sorted buffer of the k best.
  const best: T[] = [];
  for (const it of items) {
    if (best.length === k && cmp(it, best[k - 1]!) >= 0) continue;
    let lo = 0;
    let hi = best.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (cmp(best[mid]!, it) <= 0) lo = mid + 1;
      else hi = mid;
    }
    best.splice(lo, 0, it);
    if (best.length > k) best.pop();
  }
  return best.slice(offset, k);
}

export interface StatusPage {
  count: number;
  agents: AgentState[];
}

/**
 * The `[offset, offset + limit)` slice of `matches` in sort order. Sort keys
 * and the agentId tie-breaker are computed once per agent (not once per
 * comparison), then positions are compared; same order as `comparator`.
 */
export function sortedPage(
  acc: AccountState,
  matches: readonly AgentState[],
  sort: readonly SortKey[],
  offset: number,
  limit: number,
  now: number,
): AgentState[] {
  const n = matches.length;
  if (offset >= n) return [];
  const keys = sort.map((k) => {
    const col = new Array<KeyValue>(n);
    for (let i = 0; i < n; i++) col[i] = keyOf(acc, matches[i]!, k.field, now);
    return col;
  });
  const desc = sort.map((k) => k.desc);
  const byId = sort.map((k) => k.field === 'agentId');
  // compareIds, decorated: whether each id is an integer is tested once.
  const numeric = new Uint8Array(n);
  for (let i = 0; i < n; i++) numeric[i] = isNumericId(matches[i]!.id) ? 1 : 0;
  const compareId = (i: number, j: number): number => {
    const a = matches[i]!.id;
    const b = matches[j]!.id;
    if (a === b) return 0;
    const an = numeric[i] === 1;
    const bn = numeric[j] === 1;
    if (an && bn) return compareIds(a, b);
    if (an) return -1;
    if (bn) return 1;
    return a < b ? -1 : 1;
  };
  const cmp = (i: number, j: number): number => {
    for (let k = 0; k < keys.length; k++) {
      const c = byId[k] ? (desc[k] ? -compareId(i, j) : compareId(i, j)) : compareValues(keys[k]![i], keys[k]![j], desc[k]!);
      if (c !== 0) return c;
    }
    return compareId(i, j);
  };
  const positions = new Array<number>(n);
  for (let i = 0; i < n; i++) positions[i] = i;
  return pageOf(positions, cmp, offset, limit).map((i) => matches[i]!);
}

/** Agent Status: filter, sort and page. */
export function queryAgents(
  acc: AccountState,
  f: AgentFilter,
  sort: readonly SortKey[],
  offset: number,
  limit: number,
  now: number,
): StatusPage {
  const matches = matchAgents(acc, f, now);
  return { count: matches.length, agents: sortedPage(acc, matches, sort, offset, limit, now) };
}

/** Parses `start:desc,load:asc`; returns an error message naming the bad part. */
export function parseSort(spec: string): SortKey[] | string {
  const keys: SortKey[] = [];
  for (const part of spec.split(',')) {
    const [field, order = 'asc', extra] = part.trim().split(':');
    if (extra !== undefined) return `sort: "${part}" is not field:order`;
    if (!(SORT_FIELDS as readonly string[]).includes(field ?? '')) {
      return `sort: unknown field "${field ?? ''}" (allowed: ${SORT_FIELDS.join(', ')})`;
    }
    if (order !== 'asc' && order !== 'desc') return `sort: unknown order "${order}" (allowed: asc, desc)`;
    keys.push({ field: field as SortField, desc: order === 'desc' });
  }
  return keys;
}
