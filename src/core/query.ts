/**
 * Agent Status queries (spec 1.1): which agents are listed, filters, sorting
 * and paging over an account's state, with "now" passed in.
 */
import { compareIds } from './ids.js';
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

/** Candidate agents: the smallest index union that every match must be in. */
function candidates(acc: AccountState, f: AgentFilter): Iterable<AgentState> {
  const options: Array<{ size: number; items: () => Iterable<AgentState> }> = [];
  if (f.agentIds) {
    const ids = f.agentIds;
    options.push({
      size: ids.length,
      items: function* () {
        const seen = new Set<string>();
        for (const id of ids) {
          if (seen.has(id)) continue;
          seen.add(id);
          const a = acc.agents.get(id);
          if (a) yield a;
        }
      },
    });
  }
  const union = (index: Map<string, Set<AgentState>>, keys: readonly string[]) => {
    const sets = [...new Set(keys)].map((k) => index.get(k)).filter((s): s is Set<AgentState> => s !== undefined);
    return {
      size: sets.reduce((n, s) => n + s.size, 0),
      items: function* () {
        if (sets.length === 1) {
          yield* sets[0]!;
          return;
        }
        const seen = new Set<AgentState>();
        for (const s of sets) {
          for (const a of s) {
            if (!seen.has(a)) {
              seen.add(a);
              yield a;
            }
          }
        }
      },
    };
  };
  // Status sets are disjoint, so their union needs no de-duplication.
  const statusSets = (f.statuses ?? (['ONLINE', 'AWAY', 'BACK_SOON', 'OFFLINE'] as const))
    .filter((s, i, all) => all.indexOf(s) === i)
    .map((s) => acc.byStatus.get(s))
    .filter((s): s is Set<AgentState> => s !== undefined);
  options.push({
    size: statusSets.reduce((n, s) => n + s.size, 0),
    items: function* () {
      for (const s of statusSets) yield* s;
    },
  });
  if (f.skillIds) options.push(union(acc.bySkill, f.skillIds));
  if (f.groupIds) options.push(union(acc.byGroup, f.groupIds));
  let best = options[0]!;
  for (const o of options) if (o.size < best.size) best = o;
  return best.items();
}

/** Every listed agent of the account that matches the filter, unordered. */
export function matchAgents(acc: AccountState, f: AgentFilter, now: number): AgentState[] {
  const statuses = f.statuses ? new Set(f.statuses) : undefined;
  const ids = f.agentIds ? new Set(f.agentIds) : undefined;
  const skills = f.skillIds ? new Set(f.skillIds) : undefined;
  const groups = f.groupIds ? new Set(f.groupIds) : undefined;
  const conns = f.connectionStates ? new Set(f.connectionStates) : undefined;
  const out: AgentState[] = [];
  for (const a of candidates(acc, f)) {
    if (!isListed(a, f.from)) continue;
    if (statuses && !statuses.has(a.status)) continue;
    if (ids && !ids.has(a.id)) continue;
    if (groups && !groups.has(a.groupId)) continue;
    if (f.presence !== undefined && a.present !== f.presence) continue;
    if (skills && !a.skillIds.some((s) => skills.has(s))) continue;
    if (conns && !conns.has(connectionState(acc, a, now))) continue;
    out.push(a);
  }
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
  return { count: matches.length, agents: pageOf(matches, comparator(acc, sort, now), offset, limit) };
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
