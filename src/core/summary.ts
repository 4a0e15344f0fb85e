/**
 * Summary (spec 1.2): aggregates over the agents an Agent Status request
 * would list, optionally one block per agent group or skill. Pure; the
 * agents are those `matchAgents` returned.
 */
import { compareIds } from './ids.js';
import { agentLoad, agentWork, configuredMaxSlots, type AccountState, type AgentState } from './state.js';

/** The `summaryResults` block of LivePerson's Summary method. */
export interface SummaryResults {
  openAssignedConversations: number;
  /** `100 × ΣW / ΣconfiguredMaxSlots` (unrounded); 0 when nobody holds work, 100 when work but no slots. */
  weightedAvgLoad: number;
  minLoad: number;
  maxLoad: number;
  minConfiguredMaxSlots: number;
  maxConfiguredMaxSlots: number;
  numOnlineAgents: number;
  numAwayAgents: number;
  numBackSoonAgents: number;
}

export type SummaryGroupBy = 'agentGroupId' | 'skillId';

/** One block of a grouped summary. */
export interface SummaryGroup {
  /** Group id or skill id. */
  id: string;
  /** Its name (the id while the group or skill was never named). */
  name: string;
  results: SummaryResults;
}

/** Aggregates over `agents`; every field is 0 when there are none. */
export function summarize(acc: AccountState, agents: Iterable<AgentState>): SummaryResults {
  let n = 0;
  let open = 0;
  let work = 0;
  let slots = 0;
  let minLoad = Infinity;
  let maxLoad = -Infinity;
  let minSlots = Infinity;
  let maxSlots = -Infinity;
  let online = 0;
  let away = 0;
  let backSoon = 0;
  for (const a of agents) {
    n++;
    const max = configuredMaxSlots(acc, a);
    const load = agentLoad(acc, a);
    open += a.assigned;
    work += agentWork(acc, a);
    slots += max;
    if (load < minLoad) minLoad = load;
    if (load > maxLoad) maxLoad = load;
    if (max < minSlots) minSlots = max;
    if (max > maxSlots) maxSlots = max;
    if (a.status === 'ONLINE') online++;
    else if (a.status === 'AWAY') away++;
    else if (a.status === 'BACK_SOON') backSoon++;
  }
  return {
    openAssignedConversations: open,
    weightedAvgLoad: slots > 0 ? (100 * work) / slots : work > 0 ? 100 : 0,
    minLoad: n > 0 ? minLoad : 0,
    maxLoad: n > 0 ? maxLoad : 0,
    minConfiguredMaxSlots: n > 0 ? minSlots : 0,
    maxConfiguredMaxSlots: n > 0 ? maxSlots : 0,
    numOnlineAgents: online,
    numAwayAgents: away,
    numBackSoonAgents: backSoon,
  };
}

/**
 * One summary per agent group or per skill of the given agents, ordered by
 * id. An agent counts in each of its skills; agents without skills are in no
 * skill block. `only` restricts the blocks to these ids (the request's own
 * skill or group filter), so a filter never brings in blocks it excluded.
 */
export function summarizeBy(
  acc: AccountState,
  agents: Iterable<AgentState>,
  by: SummaryGroupBy,
  only?: readonly string[],
): SummaryGroup[] {
  const keep = only ? new Set(only) : undefined;
  const buckets = new Map<string, AgentState[]>();
  const add = (id: string, a: AgentState) => {
    if (keep && !keep.has(id)) return;
    let list = buckets.get(id);
    if (!list) buckets.set(id, (list = []));
    list.push(a);
  };
  for (const a of agents) {
    if (by === 'agentGroupId') add(a.groupId, a);
    else for (const s of a.skillIds) add(s, a);
  }
  return [...buckets.keys()].sort(compareIds).map((id) => ({
    id,
    name: (by === 'agentGroupId' ? acc.groups.get(id) : acc.skills.get(id)) ?? id,
    results: summarize(acc, buckets.get(id)!),
  }));
}
