/** LivePerson-compatible Summary (spec 1.2), with the `groupBy` extension. */
import type { FastifyInstance } from 'fastify';
import { createAccountState, matchAgents, PageCache, summarize, summarizeBy, type AgentFilter, type AgentState } from '../../core/index.js';
import { ApiError } from '../../errors/index.js';
import { AccountParams, OptionalFilterBody, toAgentFilter, type AgentFilterBody } from '../../schemas/agent-view.js';
import { SummaryQuery, SummaryResponse } from '../../schemas/summary.js';
import type { AppDeps } from '../deps.js';

/** Identifies a Summary's set of agents: the normalised filter; `from` only when given. */
function summaryKey(f: AgentFilter, relativeFrom: boolean): string {
  return JSON.stringify([f.statuses, f.agentIds, f.skillIds, f.groupIds, f.presence, f.connectionStates, relativeFrom ? null : f.from]);
}

export function summaryRoutes(app: FastifyInstance, deps: AppDeps): void {
  // The matching agents are cached like Agent Status answers (see PageCache).
  // An entry may hold every agent of the account: keep few per account.
  const pages = new PageCache(16);
  const unsubscribe = deps.engine.onChange((acc) => pages.invalidate(acc));
  app.addHook('onClose', (_app, done) => {
    unsubscribe();
    done();
  });
  app.post(
    '/messaging_history/api/account/:accountID/agent-view/summary',
    {
      config: { scope: 'read' },
      schema: {
        tags: ['agent metrics (LivePerson-compatible)'],
        summary: 'Summary: load and status counts over the agents Agent Status would list',
        params: AccountParams,
        querystring: SummaryQuery,
        body: OptionalFilterBody,
        response: { 200: SummaryResponse },
      },
    },
    async (req) => {
      const { accountID } = req.params as { accountID: string };
      const { groupBy } = req.query as SummaryQuery;
      const engine = deps.engine;
      if (!engine.isReady() && engine.position === 0) {
        throw new ApiError('NOT_READY', 'the view is still loading', undefined, { 'Retry-After': '1' });
      }
      await deps.awaitConsistency?.(req);
      const now = deps.clock.now();
      const filter = toAgentFilter(req.body as AgentFilterBody | null, now);
      const acc = engine.account(accountID);
      const body = req.body as AgentFilterBody | null;
      const relativeFrom = body?.timestamp?.from === undefined || body.timestamp.from === null;
      const listed = (filter.agentIds?.length ?? 0) + (filter.skillIds?.length ?? 0) + (filter.groupIds?.length ?? 0);
      const agents: readonly AgentState[] = !acc
        ? []
        : listed <= 200
          ? pages.matches(acc, filter, now, summaryKey(filter, relativeFrom), relativeFrom)
          : matchAgents(acc, filter, now);
      const summaryResults = acc ? summarize(acc, agents) : summarize(createAccountState(accountID), []);
      if (!groupBy) return { accountID, summaryResults };
      const only = groupBy === 'skillId' ? filter.skillIds : filter.groupIds;
      const groups = acc
        ? summarizeBy(acc, agents, groupBy, only).map((g) =>
            groupBy === 'agentGroupId'
              ? { agentGroupId: Number(g.id), agentGroupName: g.name, summaryResults: g.results }
              : { skillId: g.id, skillName: g.name, summaryResults: g.results },
          )
        : [];
      return { accountID, summaryResults, groupBy, groups };
    },
  );
}
