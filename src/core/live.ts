/**
 * Live views (SSE streams, webhooks): whether one agent belongs to a filtered
 * view at a given moment. Same rules as Agent Status (spec 1.1), evaluated
 * per agent so a change can be turned into `upsert` or `remove`.
 */
import { compareIds } from './ids.js';
import type { AgentFilter } from './query.js';
import { connectionState, isListed, type AccountState, type AgentState } from './state.js';

/** Default listing window for logged-out agents, as in Agent Status. */
export const LIVE_WINDOW_MS = 10 * 60_000;

/** A live view's filter: Agent Status filters without the fixed `from`. */
export type LiveFilter = Omit<AgentFilter, 'from'>;

/** Tells whether an agent is in a live view at `now` (window start `now − windowMs`). */
export type AgentPredicate = (acc: AccountState, a: AgentState, now: number) => boolean;

/** Compiles a filter into a per-agent predicate (sets built once, not per call). */
export function compileLiveFilter(f: LiveFilter, windowMs: number = LIVE_WINDOW_MS): AgentPredicate {
  const statuses = f.statuses ? new Set(f.statuses) : undefined;
  const ids = f.agentIds ? new Set(f.agentIds) : undefined;
  const skills = f.skillIds ? new Set(f.skillIds) : undefined;
  const groups = f.groupIds ? new Set(f.groupIds) : undefined;
  const conns = f.connectionStates ? new Set(f.connectionStates) : undefined;
  const presence = f.presence;
  return (acc, a, now) => {
    if (!isListed(a, now - windowMs)) return false;
    if (statuses && !statuses.has(a.status)) return false;
    if (ids && !ids.has(a.id)) return false;
    if (groups && !groups.has(a.groupId)) return false;
    if (presence !== undefined && a.present !== presence) return false;
    if (skills && !a.skillIds.some((s) => skills.has(s))) return false;
    if (conns && !conns.has(connectionState(acc, a, now))) return false;
    return true;
  };
}

/** Every agent of the account in the view at `now`, by agent id (the default order). */
export function liveMatches(acc: AccountState, match: AgentPredicate, now: number): AgentState[] {
  const out: AgentState[] = [];
  for (const a of acc.agents.values()) if (match(acc, a, now)) out.push(a);
  return out.sort((x, y) => compareIds(x.id, y.id));
}

/**
 * Logged-out agents that left the listing window during `[fromCutoff, toCutoff)`:
 * their last log-out is older than the window start at the later moment but
 * not at the earlier one. Live views remove them without any event.
 */
export function leftWindow(acc: AccountState, fromCutoff: number, toCutoff: number): AgentState[] {
  const out: AgentState[] = [];
  if (toCutoff <= fromCutoff) return out;
  const offline = acc.byStatus.get('OFFLINE');
  if (!offline) return out;
  for (const a of offline) {
    if (!a.loggedIn && a.lastLogout !== undefined && a.lastLogout >= fromCutoff && a.lastLogout < toCutoff) out.push(a);
  }
  return out;
}
