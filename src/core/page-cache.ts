/**
 * Cached Agent Status answers (which agents, in which order, how many) that
 * stay correct under writes and as time passes.
 *
 * An answer is a function of the account's state and of `now`. The state part
 * is handled by invalidation: whoever applies changes calls `invalidate(acc)`
 * for every change (the HTTP layer wires it to `Engine.onChange`). The time
 * part is handled by a horizon computed with the answer: the first instant at
 * which time alone could change it. Time enters an answer only through
 * - the listing window of logged-out agents when `from` is relative to now
 *   (an agent drops out once `now − window > lastLogout`), and
 * - connection time-outs, for filters on connection state and sorts on
 *   `lastUpdatedTimeL`/`end` (a time-out flips the state and moves
 *   `lastUpdated` at `lastActivity + connectionTimeoutMs`).
 * - durations, which are `max(0, now − start)`: they order agents as their
 *   start times do, except that starts at or after `now` all read 0 (a tie)
 *   until time passes them.
 */
import { matchAgents, sortedPage, type AgentFilter, type SortKey, type StatusPage } from './query.js';
import type { AccountState, AgentState } from './state.js';

interface Entry {
  page: StatusPage;
  /** Every match, unordered (kept only by `matches`). */
  all?: readonly AgentState[];
  /** Exclusive: the answer holds while `now < until`. */
  until: number;
}

/** Time-sensitive sort fields (through connection time-outs). */
const TIMEOUT_SORTS = new Set(['end', 'lastUpdatedTimeL']);

/** The first instant at which time alone could change the answer `matches` was computed for. */
export function answerHorizon(
  acc: AccountState,
  f: AgentFilter,
  sort: readonly SortKey[],
  matches: readonly AgentState[],
  now: number,
  relativeFrom: boolean,
): number {
  let until = Infinity;
  if (relativeFrom) {
    const window = now - f.from;
    for (const a of matches) {
      if (!a.loggedIn && a.lastLogout !== undefined && a.lastLogout + window + 1 < until) until = a.lastLogout + window + 1;
    }
  }
  for (const k of sort) {
    if (k.field !== 'currentStatusDuration' && k.field !== 'currentStatusReasonDuration') continue;
    for (const a of matches) {
      const start = k.field === 'currentStatusDuration' ? a.statusStart : a.reasonStart;
      if (start !== undefined && start >= now && start + 1 < until) until = start + 1;
    }
  }
  if (f.connectionStates !== undefined || sort.some((k) => TIMEOUT_SORTS.has(k.field))) {
    const timeout = acc.settings.connectionTimeoutMs;
    for (const a of acc.loggedIn) {
      if (!a.timedOut && a.lastActivity + timeout < until) until = a.lastActivity + timeout;
    }
  }
  return until;
}

/**
 * A bounded cache of Agent Status answers per account. `key` must identify
 * the request's filter, sort, offset and limit (and whether `from` was given).
 */
export class PageCache {
  private readonly byAccount = new WeakMap<AccountState, Map<string, Entry>>();

  constructor(private readonly maxPerAccount = 256) {}

  /** Forgets every answer of `acc`; call after every change applied to it. */
  invalidate(acc: AccountState): void {
    this.byAccount.delete(acc);
  }

  /**
   * Every agent matching `f`, unordered, answered from the cache while still
   * valid (Summary). `key` must identify the filter (and whether `from` was given).
   */
  matches(acc: AccountState, f: AgentFilter, now: number, key: string, relativeFrom: boolean): readonly AgentState[] {
    let entries = this.byAccount.get(acc);
    const hit = entries?.get(key);
    if (hit?.all && now < hit.until) return hit.all;
    const all = matchAgents(acc, f, now);
    const until = answerHorizon(acc, f, [], all, now, relativeFrom);
    if (!entries) this.byAccount.set(acc, (entries = new Map<string, Entry>()));
    if (hit) entries.delete(key);
    else if (entries.size >= this.maxPerAccount) entries.delete(entries.keys().next().value!);
    entries.set(key, { page: { count: all.length, agents: [] }, all, until });
    return all;
  }

  /** `queryAgents` without caching (for requests too big to key). */
  compute(acc: AccountState, f: AgentFilter, sort: readonly SortKey[], offset: number, limit: number, now: number): StatusPage {
    const matches = matchAgents(acc, f, now);
    return { count: matches.length, agents: sortedPage(acc, matches, sort, offset, limit, now) };
  }

  /** Like `queryAgents`, answered from the cache while still valid. */
  query(
    acc: AccountState,
    f: AgentFilter,
    sort: readonly SortKey[],
    offset: number,
    limit: number,
    now: number,
    key: string,
    relativeFrom: boolean,
  ): StatusPage {
    let entries = this.byAccount.get(acc);
    const hit = entries?.get(key);
    if (hit && now < hit.until) return hit.page;
    const matches = matchAgents(acc, f, now);
    const until = answerHorizon(acc, f, sort, matches, now, relativeFrom);
    const page: StatusPage = { count: matches.length, agents: sortedPage(acc, matches, sort, offset, limit, now) };
    if (!entries) this.byAccount.set(acc, (entries = new Map<string, Entry>()));
    if (hit) entries.delete(key);
    else if (entries.size >= this.maxPerAccount) entries.delete(entries.keys().next().value!);
    entries.set(key, { page, until });
    return page;
  }
}
