/** LivePerson-compatible Agent Status (spec 1.1). */
import type { FastifyInstance } from 'fastify';
import { queryAgents, toRecord, type AgentStatusRecord } from '../../core/index.js';
import { ApiError } from '../../errors/index.js';
import {
  AccountParams,
  AgentStatusResponse,
  OptionalFilterBody,
  StatusQuery,
  toAgentFilter,
  toSortKeys,
  type AgentFilterBody,
} from '../../schemas/agent-view.js';
import type { AppDeps } from '../deps.js';

export function agentViewRoutes(app: FastifyInstance, deps: AppDeps): void {
  app.post(
    '/messaging_history/api/account/:accountID/agent-view/status',
    {
      config: { scope: 'read' },
      schema: {
        tags: ['agent metrics (LivePerson-compatible)'],
        summary: 'Agent Status: the current state of logged-in agents',
        params: AccountParams,
        querystring: StatusQuery,
        body: OptionalFilterBody,
        response: { 200: AgentStatusResponse },
      },
      // Records are built in LivePerson's field order (optional reason and
      // picture fields mid-record), which schema-driven serializers reorder;
      // the shape is pinned by tests that check every answer against the schema.
      serializerCompiler: () => (data) => JSON.stringify(data),
    },
    async (req) => {
      const { accountID } = req.params as { accountID: string };
      const q = req.query as StatusQuery;
      const offset = q.offset ?? 0;
      const limit = q.limit ?? 50;
      const sort = toSortKeys(q.sort);
      const engine = deps.engine;
      if (!engine.isReady() && engine.position === 0) {
        throw new ApiError('NOT_READY', 'the view is still loading', undefined, { 'Retry-After': '1' });
      }
      const consistent = (await deps.awaitConsistency?.(req)) ?? true;
      const now = deps.clock.now();
      const filter = toAgentFilter(req.body as AgentFilterBody | null, now);
      const acc = engine.account(accountID);
      let count = 0;
      let records: AgentStatusRecord[] = [];
      if (acc) {
        const page = queryAgents(acc, filter, sort, offset, limit, now);
        count = page.count;
        records = page.agents.map((a) => toRecord(acc, a, now));
      }
      const base = `${deps.publicUrl}/messaging_history/api/account/${accountID}/agent-view/status`;
      const sortPart = q.sort ? `&sort=${encodeURIComponent(q.sort)}` : '';
      const link = (rel: string, off: number) => ({ rel, href: `${base}?limit=${limit}&offset=${off}${sortPart}` });
      return {
        _metadata: {
          count,
          self: link('self', offset),
          ...(offset + limit < count ? { next: link('next', offset + limit) } : {}),
          ...(offset > 0 ? { prev: link('prev', Math.max(0, offset - limit)) } : {}),
          shardsStatusResult: { partialResult: engine.isPartial() || !consistent },
        },
        accountID,
        agentStatusRecords: records,
      };
    },
  );
}
