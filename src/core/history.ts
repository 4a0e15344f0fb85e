/**
 * Status history (spec 4.3): how an account's events become per-agent
 * segments, the rows a history index stores.
 *
 * A **segment** is a maximal period during which an agent's status, away
 * reason, connection state, group and skills all stayed the same. Segments of
 * one agent are contiguous and never overlap, from the agent's first event
 * until it is deleted: logged-out time is an `OFFLINE`/`DISCONNECTED`
 * segment. Connection time-outs cut a segment (same status, now
 * `DISCONNECTED`), and so do group and skill changes, so that every segment
 * can be attributed to the group and skills the agent had at that time.
 *
 * **At-capacity periods** (load ≥ 100 % while logged in) are kept apart from
 * segments: conversation events move load far more often than status, and
 * cutting status segments on each would bury the status history.
 *
 * The tracker runs the very same `evolve` as the live view on its own copy of
 * the account state, so history and live state cannot disagree, and compares
 * each touched agent's state before and after every event. Everything here is
 * pure: the index adapters persist the operations it emits.
 */
import type { AgentStatus, ConnectionState, StoredEvent } from './events.js';
import { eventAgentId } from './events.js';
import { compareIds, isNumericId } from './ids.js';
import {
  agentLoad,
  connectionState,
  createAccountState,
  evolve,
  type AccountState,
  type AgentState,
} from './state.js';

/** One stored history row of an agent (see the module comment). */
export interface StatusSegment {
  agentId: string;
  /** Inclusive start, epoch ms. */
  start: number;
  /** Exclusive end, epoch ms; `undefined` while the segment is open (the agent's current state). */
  end: number | undefined;
  status: AgentStatus;
  /** Away reason; only with `AWAY`. */
  reasonId: string | undefined;
  connectionState: ConnectionState;
  groupId: string;
  /** Skills at the time, sorted with {@link compareIds}. */
  skillIds: readonly string[];
}

/** A period during which a logged-in agent's load was at least 100 %. */
export interface CapacityPeriod {
  agentId: string;
  start: number;
  /** Exclusive end; `undefined` while still at capacity. */
  end: number | undefined;
}

/**
 * What an index must persist after an event, in order. `…Ended` closes the
 * agent's open row at `end`; `…Dropped` deletes the open row (it would have
 * had zero length); `…Started` inserts a new open row.
 */
export type HistoryOp =
  | { kind: 'segmentEnded'; agentId: string; end: number }
  | { kind: 'segmentDropped'; agentId: string }
  | { kind: 'segmentStarted'; segment: StatusSegment }
  | { kind: 'capacityEnded'; agentId: string; end: number }
  | { kind: 'capacityDropped'; agentId: string }
  | { kind: 'capacityStarted'; period: CapacityPeriod };

/**
 * What the tracker knows about one account: its own copy of the live state
 * (moved by the same `evolve`) and each agent's open segment and open
 * at-capacity period, i.e. the last row per agent of the index.
 */
export interface AccountHistory {
  state: AccountState;
  /** Open segment per agent id (every agent of `state` has one). */
  open: Map<string, StatusSegment>;
  /** Start of the open at-capacity period per agent id. */
  capacity: Map<string, number>;
}

export function createAccountHistory(accountId: string, state: AccountState = createAccountState(accountId)): AccountHistory {
  return { state, open: new Map(), capacity: new Map() };
}

/** Sort key of an agent id whose plain string order is {@link compareIds}' order. */
export function agentSortKey(id: string): string {
  if (isNumericId(id)) {
    // Offset so negative ids sort first; 17 digits hold every 16-character id.
    return 'n' + (BigInt(id) + 10_000_000_000_000_000n).toString().padStart(17, '0');
  }
  return 's' + id;
}

/** Whether the agent's load is at least 100 % while logged in. */
export function atCapacity(acc: AccountState, a: AgentState): boolean {
  return a.loggedIn && agentLoad(acc, a) >= 100;
}

function sortedSkills(skills: readonly string[]): readonly string[] {
  return skills.length <= 1 ? [...skills] : [...skills].sort(compareIds);
}

function sameSkills(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((s, i) => s === b[i]);
}

function segmentOf(acc: AccountState, a: AgentState, start: number): StatusSegment {
  return {
    agentId: a.id,
    start,
    end: undefined,
    status: a.status,
    reasonId: a.reasonId,
    connectionState: connectionState(acc, a, start),
    groupId: a.groupId,
    skillIds: sortedSkills(a.skillIds),
  };
}

/**
 * When a logged-in, connected agent's time-out passed before `t` without a
 * recorded `agent.connectionTimedOut` (the sweep had not run yet, or the
 * server was down), the live view showed it DISCONNECTED from that moment.
 * Returns that moment, or undefined.
 */
function lapsedAt(acc: AccountState, a: AgentState, t: number): number | undefined {
  if (!a.loggedIn || a.timedOut) return undefined;
  const deadline = a.lastActivity + acc.settings.connectionTimeoutMs;
  return t >= deadline ? deadline : undefined;
}

/** Replaces the agent's open segment by `next` from `at` (clamped to the open segment's start). */
function cut(h: AccountHistory, open: StatusSegment, next: StatusSegment, at: number, ops: HistoryOp[]): void {
  const t = Math.max(at, open.start);
  if (t === open.start) ops.push({ kind: 'segmentDropped', agentId: open.agentId });
  else ops.push({ kind: 'segmentEnded', agentId: open.agentId, end: t });
  const seg = { ...next, start: t, end: undefined };
  h.open.set(open.agentId, seg);
  ops.push({ kind: 'segmentStarted', segment: seg });
}

function endCapacity(h: AccountHistory, agentId: string, at: number, ops: HistoryOp[]): void {
  const start = h.capacity.get(agentId);
  if (start === undefined) return;
  h.capacity.delete(agentId);
  const t = Math.max(at, start);
  ops.push(t === start ? { kind: 'capacityDropped', agentId } : { kind: 'capacityEnded', agentId, end: t });
}

/**
 * Applies one stored event to an account's history: moves its state with
 * `evolve` and appends to `ops` what the index must persist. Event times
 * stamp the cuts; an event older than an agent's open segment is taken as
 * happening at that segment's start, so an agent's rows stay ordered.
 */
export function trackEvent(h: AccountHistory, event: StoredEvent, ops: HistoryOp[]): void {
  const acc = h.state;
  const t = event.time;
  // Lapsed connections are judged on the state before the event: the event's
  // own agent may reconnect by it, and a settings change may move deadlines.
  // (This runs for every appended event: no allocation on the common path.)
  const own = eventAgentId(event);
  let ownLapsed: number | undefined;
  let lapsedBefore: Map<string, number | undefined> | undefined;
  if (event.type === 'account.settingsChanged') {
    lapsedBefore = new Map();
    for (const a of acc.loggedIn) lapsedBefore.set(a.id, lapsedAt(acc, a, t));
  } else if (own !== undefined) {
    const a = acc.agents.get(own);
    if (a) ownLapsed = lapsedAt(acc, a, t);
  }

  const change = evolve(acc, event);

  const visit = (id: string, before: number | undefined, judged: boolean) => {
    const a = acc.agents.get(id);
    let open = h.open.get(id);
    if (open && open.connectionState === 'CONNECTED') {
      // Other agents' connection fields are not moved by this event: judge them after it.
      const at = judged ? before : a ? lapsedAt(acc, a, t) : undefined;
      // A deadline at the event's own time leaves nothing to show: what the
      // event makes of the agent decides (an activity exactly on the
      // deadline reconnects it, a time-out disconnects it).
      if (at !== undefined && Math.max(at, open.start) < t) {
        cut(h, open, { ...open, connectionState: 'DISCONNECTED' }, at, ops);
        open = h.open.get(id)!;
      }
    }
    if (!a) {
      // Deleted: its history ends here.
      if (open) {
        const end = Math.max(t, open.start);
        ops.push(end === open.start ? { kind: 'segmentDropped', agentId: id } : { kind: 'segmentEnded', agentId: id, end });
        h.open.delete(id);
      }
      endCapacity(h, id, t, ops);
      return;
    }
    if (!open) {
      const seg = segmentOf(acc, a, t);
      h.open.set(id, seg);
      ops.push({ kind: 'segmentStarted', segment: seg });
    } else {
      const at = Math.max(t, open.start);
      if (differs(acc, a, open, at)) cut(h, open, segmentOf(acc, a, at), t, ops);
    }
    const full = atCapacity(acc, a);
    const since = h.capacity.get(id);
    if (full && since === undefined) {
      const start = Math.max(t, h.open.get(id)!.start);
      h.capacity.set(id, start);
      ops.push({ kind: 'capacityStarted', period: { agentId: id, start, end: undefined } });
    } else if (!full && since !== undefined) {
      endCapacity(h, id, t, ops);
    }
  };

  // Large or account-wide changes (settings, renames) go through a set; the
  // usual one- or two-agent change is walked without allocating one.
  if (change.all || lapsedBefore || change.agentIds.length > 8) {
    const ids = new Set<string>(change.agentIds);
    if (own !== undefined) ids.add(own);
    if (change.all) for (const id of acc.agents.keys()) ids.add(id);
    for (const id of ids) {
      if (lapsedBefore) visit(id, lapsedBefore.get(id), lapsedBefore.has(id));
      else visit(id, id === own ? ownLapsed : undefined, id === own);
    }
    return;
  }
  let ownVisited = false;
  for (let i = 0; i < change.agentIds.length; i++) {
    const id = change.agentIds[i]!;
    if (change.agentIds.indexOf(id) !== i) continue;
    if (id === own) ownVisited = true;
    visit(id, id === own ? ownLapsed : undefined, id === own);
  }
  if (own !== undefined && !ownVisited) visit(own, ownLapsed, true);
}

/** Whether the agent's segment values differ from its open segment's. */
function differs(acc: AccountState, a: AgentState, open: StatusSegment, at: number): boolean {
  return (
    open.status !== a.status ||
    open.reasonId !== a.reasonId ||
    open.groupId !== a.groupId ||
    open.connectionState !== connectionState(acc, a, at) ||
    !sameSkillSet(open.skillIds, a.skillIds)
  );
}

/** `sorted` (sorted) holds the same skills as `skills` (any order). */
function sameSkillSet(sorted: readonly string[], skills: readonly string[]): boolean {
  if (sorted.length !== skills.length) return false;
  return sameSkills(sorted, skills) || sameSkills(sorted, sortedSkills(skills));
}

// ---------------------------------------------------------------- queries

/** A history interval as the API returns it: a segment clipped to the requested range. */
export interface HistoryInterval {
  agentId: string;
  status: AgentStatus;
  reasonId?: string;
  connectionState: ConnectionState;
  agentGroupId: number;
  skillIds: string[];
  start: number;
  end: number;
  durationMs: number;
}

/**
 * Clips `[start, end)` to `[from, to)`; an open period (`end` undefined) ends
 * at `min(now, to)`. Returns undefined when nothing of it is in the range.
 */
export function clipPeriod(
  start: number,
  end: number | undefined,
  from: number,
  to: number,
  now: number,
): { start: number; end: number } | undefined {
  const s = Math.max(start, from);
  const e = end === undefined ? Math.min(now, to) : Math.min(end, to);
  return e > s ? { start: s, end: e } : undefined;
}

/** The API form of a segment clipped to a range, or undefined when outside it. */
export function toInterval(seg: StatusSegment, from: number, to: number, now: number): HistoryInterval | undefined {
  const c = clipPeriod(seg.start, seg.end, from, to, now);
  if (!c) return undefined;
  return {
    agentId: seg.agentId,
    status: seg.status,
    ...(seg.reasonId !== undefined ? { reasonId: seg.reasonId } : {}),
    connectionState: seg.connectionState,
    agentGroupId: Number(seg.groupId),
    skillIds: [...seg.skillIds],
    start: c.start,
    end: c.end,
    durationMs: c.end - c.start,
  };
}

/** Which segments a history or time-in-status query keeps. */
export interface HistoryFilter {
  agentIds?: readonly string[] | undefined;
  /** Group at the time of the segment. */
  groupIds?: readonly string[] | undefined;
  /** Any of these skills at the time of the segment. */
  skillIds?: readonly string[] | undefined;
}

/** Whether a segment passes a filter (lists are ORs, filters ANDs). */
export function segmentMatches(seg: StatusSegment, f: HistoryFilter): boolean {
  if (f.agentIds && !f.agentIds.includes(seg.agentId)) return false;
  if (f.groupIds && !f.groupIds.includes(seg.groupId)) return false;
  if (f.skillIds && !seg.skillIds.some((s) => f.skillIds!.includes(s))) return false;
  return true;
}

// ---------------------------------------------------------------- time in status

export const GROUP_BYS = ['agent', 'group', 'skill'] as const;
export type GroupBy = (typeof GROUP_BYS)[number];

/**
 * What a time-in-status row measures: a status, or the time logged in (any
 * status but OFFLINE), or the time at capacity (load ≥ 100 % while logged in).
 */
export type TimeMeasure = AgentStatus | 'LOGGED_IN' | 'AT_CAPACITY';

export interface TimeInStatusRow {
  /** Agent id, group id or skill id, per `groupBy`. */
  key: string;
  status: TimeMeasure;
  /** Set on per-reason rows (status AWAY). */
  reasonId?: string;
  totalMs: number;
  /** Number of periods: consecutive segments of one agent in the same measure count once. */
  count: number;
  minMs: number;
  maxMs: number;
  /** `totalMs / count`, rounded to the millisecond. */
  avgMs: number;
}

/** Slots of the per-key tables, in row order. */
const MEASURES: readonly TimeMeasure[] = ['ONLINE', 'AWAY', 'BACK_SOON', 'OFFLINE', 'LOGGED_IN', 'AT_CAPACITY'];
const SLOT: Record<TimeMeasure, number> = { ONLINE: 0, AWAY: 1, BACK_SOON: 2, OFFLINE: 3, LOGGED_IN: 4, AT_CAPACITY: 5 };

interface Stat {
  total: number;
  count: number;
  min: number;
  max: number;
}

interface Run {
  end: number;
  total: number;
}

/** Open runs or statistics of one key: one per measure, plus one per away reason. */
interface Slots<T> {
  measures: (T | undefined)[];
  reasons: Map<string, T>;
}

const newSlots = <T>(): Slots<T> => ({ measures: [undefined, undefined, undefined, undefined, undefined, undefined], reasons: new Map() });

/**
 * Aggregates time in status over `[from, to)`. Feed it each agent's
 * segments (already filtered) and at-capacity periods, sorted by start, one
 * agent at a time; then read `rows()`.
 *
 * A period is a run of contiguous pieces of one agent with the same key and
 * measure: ONLINE, AWAY, ONLINE is two ONLINE periods; ONLINE cut by a
 * connection time-out is one. Periods are clipped to the range (an open one
 * ends at `min(now, to)`), so one that crosses `from` or `to` counts with its
 * part inside. Time at capacity is attributed through the segments it
 * overlaps, so it follows the same filters and the same group and skills.
 */
export class TimeInStatusAggregator {
  private readonly stats = new Map<string, Slots<Stat>>();

  constructor(
    private readonly groupBy: GroupBy,
    private readonly from: number,
    private readonly to: number,
    private readonly now: number,
    /** With `groupBy` skill: only these skill keys (a skill filter). */
    private readonly keys?: readonly string[],
  ) {}

  private keysOf(seg: StatusSegment): readonly string[] {
    switch (this.groupBy) {
      case 'agent':
        return [seg.agentId];
      case 'group':
        return [seg.groupId];
      case 'skill':
        return this.keys ? seg.skillIds.filter((s) => this.keys!.includes(s)) : seg.skillIds;
    }
  }

  /** Adds one agent's segments and at-capacity periods (each sorted by start). */
  addAgent(segments: readonly StatusSegment[], periods: readonly CapacityPeriod[]): void {
    const capacity = periods.length > 0 ? mergePeriods(periods) : periods;
    const runs = new Map<string, Slots<Run>>();
    let ci = 0;
    for (const seg of segments) {
      const c = clipPeriod(seg.start, seg.end, this.from, this.to, this.now);
      if (!c) continue;
      const keys = this.keysOf(seg);
      const slot = SLOT[seg.status];
      for (const key of keys) {
        let r = runs.get(key);
        if (!r) runs.set(key, (r = newSlots<Run>()));
        this.extend(key, r, slot, undefined, c.start, c.end);
        if (seg.reasonId !== undefined) this.extend(key, r, slot, seg.reasonId, c.start, c.end);
        if (slot !== SLOT.OFFLINE) this.extend(key, r, SLOT.LOGGED_IN, undefined, c.start, c.end);
      }
      // At-capacity pieces inside this segment (both lists are sorted and
      // neither overlaps itself, so one forward pass finds them).
      while (ci < capacity.length) {
        const p = capacity[ci]!;
        if (p.end !== undefined && p.end <= c.start) {
          ci++;
          continue;
        }
        const pc = clipPeriod(p.start, p.end, c.start, c.end, this.now);
        if (pc) for (const key of keys) this.extend(key, runs.get(key)!, SLOT.AT_CAPACITY, undefined, pc.start, pc.end);
        if (p.end !== undefined && p.end <= c.end) ci++;
        else break;
      }
    }
    for (const [key, r] of runs) {
      r.measures.forEach((run, i) => {
        if (run) this.record(key, i, undefined, run.total);
      });
      for (const [reason, run] of r.reasons) this.record(key, SLOT.AWAY, reason, run.total);
    }
  }

  /** Extends the open run of (key, measure[, reason]) or closes it and opens another. */
  private extend(key: string, r: Slots<Run>, slot: number, reason: string | undefined, start: number, end: number): void {
    const run = reason === undefined ? r.measures[slot] : r.reasons.get(reason);
    if (run && run.end === start) {
      run.end = end;
      run.total += end - start;
      return;
    }
    if (run) this.record(key, slot, reason, run.total);
    const next = { end, total: end - start };
    if (reason === undefined) r.measures[slot] = next;
    else r.reasons.set(reason, next);
  }

  private record(key: string, slot: number, reason: string | undefined, ms: number): void {
    let k = this.stats.get(key);
    if (!k) this.stats.set(key, (k = newSlots<Stat>()));
    const s = reason === undefined ? k.measures[slot] : k.reasons.get(reason);
    if (!s) {
      const stat = { total: ms, count: 1, min: ms, max: ms };
      if (reason === undefined) k.measures[slot] = stat;
      else k.reasons.set(reason, stat);
      return;
    }
    s.total += ms;
    s.count++;
    if (ms < s.min) s.min = ms;
    if (ms > s.max) s.max = ms;
  }

  /** Rows ordered by key, then ONLINE, AWAY (then each reason), BACK_SOON, OFFLINE, LOGGED_IN, AT_CAPACITY. */
  rows(): TimeInStatusRow[] {
    const out: TimeInStatusRow[] = [];
    const row = (key: string, status: TimeMeasure, reasonId: string | undefined, s: Stat): TimeInStatusRow => ({
      key,
      status,
      ...(reasonId !== undefined ? { reasonId } : {}),
      totalMs: s.total,
      count: s.count,
      minMs: s.min,
      maxMs: s.max,
      avgMs: Math.round(s.total / s.count),
    });
    for (const key of [...this.stats.keys()].sort(compareIds)) {
      const k = this.stats.get(key)!;
      k.measures.forEach((s, i) => {
        if (s) out.push(row(key, MEASURES[i]!, undefined, s));
        if (i === SLOT.AWAY) {
          for (const reason of [...k.reasons.keys()].sort(compareIds)) out.push(row(key, 'AWAY', reason, k.reasons.get(reason)!));
        }
      });
    }
    return out;
  }
}

/**
 * Sorts periods by start and merges overlapping ones (out-of-order event
 * times can make stored periods overlap; time must not count twice).
 */
function mergePeriods(periods: readonly CapacityPeriod[]): CapacityPeriod[] {
  const sorted = [...periods].sort((a, b) => a.start - b.start);
  const out: CapacityPeriod[] = [];
  for (const p of sorted) {
    const last = out[out.length - 1];
    if (last && (last.end === undefined || p.start <= last.end)) {
      if (last.end !== undefined && (p.end === undefined || p.end > last.end)) last.end = p.end;
      continue;
    }
    out.push({ ...p });
  }
  return out;
}
