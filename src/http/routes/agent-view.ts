/** LivePerson-compatible Agent Status (spec 1.1). */
import type { FastifyInstance } from 'fastify';
import { PageCache, type AgentFilter, type AgentState, type StatusPage } from '../../core/index.js';
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
import { StatusRenderer } from '../status-render.js';

/** Rendered answers kept for repeats within the same millisecond. */
const MAX_RENDERED = 4;

/** Filters listing more ids than this are computed each time instead of cached. */
const MAX_CACHED_FILTER_IDS = 200;

/** Identifies an Agent Status answer: the normalised filter, sort and page; `from` only when given. */
function cacheKey(f: AgentFilter, sort: string | undefined, offset: number, limit: number, relativeFrom: boolean): string {
  return JSON.stringify([offset, limit, sort ?? '', f.statuses, f.agentIds, f.skillIds, f.groupIds, f.presence, f.connectionStates, relativeFrom ? null : f.from]);
}

export function agentViewRoutes(app: FastifyInstance, deps: AppDeps): void {
  // Answers are cached per account until the next change (or until time alone
  // would change them); records are served from per-agent byte fragments.
  const pages = new PageCache();
  const renderer = new StatusRenderer();
  // Bytes of the last few answers (a page of 1000 records is ~1 MB: keep few).
  const rendered = new Map<StatusPage, { now: number; prefix: string; bytes: Buffer }>();
  const unsubscribe = deps.engine.onChange((acc) => pages.invalidate(acc));
  app.addHook('onClose', (_app, done) => {
    unsubscribe();
    done();
  });
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
      // the handler sends the bytes itself (see StatusRenderer), and the shape
      // is pinned by tests that check every answer against the schema.
      serializerCompiler: () => (data) => JSON.stringify(data),
    },
    async (req, reply) => {
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
      let agents: AgentState[] = [];
      let page: StatusPage | undefined;
      if (acc) {
        const body = req.body as AgentFilterBody | null;
        const relativeFrom = body?.timestamp?.from === undefined || body.timestamp.from === null;
        // Keyed on the normalised filter (never the raw body: unknown keys may be anything).
        const listed = (filter.agentIds?.length ?? 0) + (filter.skillIds?.length ?? 0) + (filter.groupIds?.length ?? 0);
        page =
          listed <= MAX_CACHED_FILTER_IDS
            ? pages.query(acc, filter, sort, offset, limit, now, cacheKey(filter, q.sort, offset, limit, relativeFrom), relativeFrom)
            : pages.compute(acc, filter, sort, offset, limit, now);
        count = page.count;
        agents = page.agents;
      }
      const base = `${deps.publicUrl}/messaging_history/api/account/${accountID}/agent-view/status`;
      const sortPart = q.sort ? `&sort=${encodeURIComponent(q.sort)}` : '';
      const link = (rel: string, off: number) => ({ rel, href: `${base}?limit=${limit}&offset=${off}${sortPart}` });
      const head = JSON.stringify({
        _metadata: {
          count,
          self: link('self', offset),
          ...(offset + limit < count ? { next: link('next', offset + limit) } : {}),
          ...(offset > 0 ? { prev: link('prev', Math.max(0, offset - limit)) } : {}),
          shardsStatusResult: { partialResult: engine.isPartial() || !consistent },
        },
        accountID,
      });
      const prefix = `${head.slice(0, -1)},"agentStatusRecords":[`;
      // The same cached answer asked again within the same millisecond has the same bytes.
      const last = page && rendered.get(page);
      let bytes: Buffer;
      if (last && last.now === now && last.prefix === prefix) bytes = last.bytes;
      else {
        bytes = acc ? renderer.render(acc, agents, now, prefix, ']}') : Buffer.from(`${prefix}]}`);
        if (page) {
          rendered.delete(page);
          if (rendered.size >= MAX_RENDERED) rendered.delete(rendered.keys().next().value!);
          rendered.set(page, { now, prefix, bytes });
        }
      }
      return reply.header('content-type', 'application/json; charset=utf-8').send(bytes);
    },
  );
}
