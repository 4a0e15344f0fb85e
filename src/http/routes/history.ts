/**
 * Status history (spec 4.3) and time in status (spec 4.4), answered from the
 * history index, in JSON or CSV.
 */
import { Readable } from 'node:stream';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import {
  formatLpTime,
  MAIN_GROUP_ID,
  MAIN_GROUP_NAME,
  TimeInStatusAggregator,
  toInterval,
  type GroupBy,
  type HistoryInterval,
} from '../../core/index.js';
import type { HistoryIndex, RangeQuery, SegmentCursor, StoredSegment } from '../../ports/index.js';
import { AccountParams } from '../../schemas/agent-view.js';
import {
  DEFAULT_HISTORY_LIMIT,
  decodeCursor,
  encodeCursor,
  HistoryQuery,
  HistoryResponse,
  resolveRange,
  TimeInStatusQuery,
  TimeInStatusResponse,
  toHistoryFilter,
} from '../../schemas/history.js';
import { CSV_CONTENT_TYPE, csvLine, wantsCsv } from '../csv.js';
import type { AppDeps } from '../deps.js';

const HISTORY_CSV_HEADER = csvLine([
  'agentId', 'agentName', 'status', 'reasonId', 'connectionState', 'agentGroupId', 'skillIds',
  'start', 'end', 'durationMs', 'startTime', 'endTime',
]);
const TIS_CSV_HEADER = csvLine(['key', 'name', 'status', 'reasonId', 'totalMs', 'count', 'minMs', 'maxMs', 'avgMs']);
/** Segments read per index query while streaming CSV. */
const CSV_PAGE = 5000;

export function historyRoutes(app: FastifyInstance, deps: AppDeps, history: HistoryIndex): void {
  /** Current names, for CSV readers (history keeps ids; names are today's). */
  const names = (account: string) => {
    const acc = deps.engine.account(account);
    return {
      agent: (id: string) => acc?.agents.get(id)?.name,
      group: (id: string) => (id === MAIN_GROUP_ID ? MAIN_GROUP_NAME : acc?.groups.get(id)),
      skill: (id: string) => acc?.skills.get(id),
    };
  };

  const prepare = async (req: FastifyRequest, q: HistoryQuery | TimeInStatusQuery): Promise<RangeQuery> => {
    const now = deps.clock.now();
    const range = resolveRange(q, now);
    const filter = toHistoryFilter(q);
    await deps.awaitConsistency?.(req);
    return { ...range, now, filter };
  };

  const linkTo = (req: FastifyRequest, set: Record<string, string>) => {
    const [path, search = ''] = req.url.split('?') as [string, string?];
    const params = new URLSearchParams(search);
    for (const [k, v] of Object.entries(set)) params.set(k, v);
    return `${deps.publicUrl}${path}?${params.toString()}`;
  };

  app.get(
    '/api/account/:accountID/agent-view/history',
    {
      config: { scope: 'read' },
      schema: {
        tags: ['history'],
        summary: 'Status history: status intervals per agent over a range',
        description:
          'Intervals cut by status and reason changes, log-in, log-out (OFFLINE while logged out), connection time-outs and group or skill changes; ordered by agentId then start; clipped to [from, to); an open interval ends at min(now, to). `Accept: text/csv` (or `format=csv`) returns CSV with a header line: every interval of the range unless `limit` is given.',
        params: AccountParams,
        querystring: HistoryQuery,
        response: { 200: HistoryResponse },
      },
    },
    async (req, reply) => {
      const { accountID } = req.params as { accountID: string };
      const q = req.query as HistoryQuery;
      const page0 = q.cursor === undefined ? undefined : decodeCursor(q.cursor);
      const cursor = page0?.after;
      const query = await prepare(req, q);
      const csv = wantsCsv(req.headers.accept, q.format);
      // Counted once, on the first page; the cursor carries it on.
      const count = page0?.count ?? (await history.count(accountID, query));
      if (csv) return sendHistoryCsv(req, reply, accountID, query, q.limit, cursor, count);
      const limit = q.limit ?? DEFAULT_HISTORY_LIMIT;
      const page = await history.segments(accountID, query, limit, cursor);
      const intervals = clipAll(page.segments, query);
      return {
        intervals,
        _metadata: {
          count,
          from: query.from,
          to: query.to,
          self: { rel: 'self', href: linkTo(req, { from: String(query.from), to: String(query.to), limit: String(limit) }) },
          ...(page.next
            ? {
                next: {
                  rel: 'next',
                  href: linkTo(req, { from: String(query.from), to: String(query.to), limit: String(limit), cursor: encodeCursor(page.next, count) }),
                },
              }
            : {}),
        },
      };
    },
  );

  const clipAll = (segments: StoredSegment[], query: RangeQuery): HistoryInterval[] => {
    const out: HistoryInterval[] = [];
    for (const s of segments) {
      const i = toInterval(s, query.from, query.to, query.now);
      if (i) out.push(i);
    }
    return out;
  };

  const historyCsvLines = (account: string, intervals: HistoryInterval[]): string => {
    const n = names(account);
    let out = '';
    for (const i of intervals) {
      out += csvLine([
        i.agentId, n.agent(i.agentId), i.status, i.reasonId, i.connectionState, i.agentGroupId, i.skillIds.join(' '),
        i.start, i.end, i.durationMs, formatLpTime(i.start), formatLpTime(i.end),
      ]);
    }
    return out;
  };

  const sendHistoryCsv = async (
    req: FastifyRequest,
    reply: FastifyReply,
    account: string,
    query: RangeQuery,
    limit: number | undefined,
    cursor: SegmentCursor | undefined,
    count: number,
  ) => {
    void reply
      .header('content-type', CSV_CONTENT_TYPE)
      .header('x-total-count', String(count))
      .header('content-disposition', `attachment; filename="history-${account}-${query.from}-${query.to}.csv"`);
    if (limit !== undefined) {
      const page = await history.segments(account, query, limit, cursor);
      if (page.next) {
        void reply.header(
          'link',
          `<${linkTo(req, { from: String(query.from), to: String(query.to), limit: String(limit), cursor: encodeCursor(page.next, count) })}>; rel="next"`,
        );
      }
      return reply.send(HISTORY_CSV_HEADER + historyCsvLines(account, clipAll(page.segments, query)));
    }
    // Everything in the range, streamed page by page (one query's `now` for all pages).
    async function* lines(): AsyncGenerator<string> {
      yield HISTORY_CSV_HEADER;
      let after = cursor;
      for (;;) {
        const page = await history.segments(account, query, CSV_PAGE, after);
        if (page.segments.length > 0) yield historyCsvLines(account, clipAll(page.segments, query));
        if (!page.next) return;
        after = page.next;
      }
    }
    return reply.send(Readable.from(lines(), { objectMode: false }));
  };

  app.get(
    '/api/account/:accountID/agent-view/time-in-status',
    {
      config: { scope: 'read' },
      schema: {
        tags: ['history'],
        summary: 'Time in status: total, count, min, max and average per status, grouped by agent, group or skill',
        description:
          'Computed over the same intervals as history. Rows per status, per away reason (status AWAY with reasonId), LOGGED_IN (any status but OFFLINE) and AT_CAPACITY (load ≥ 100 % while logged in). Time counts for the group and skills the agent had at the time. `Accept: text/csv` (or `format=csv`) returns CSV with a header line.',
        params: AccountParams,
        querystring: TimeInStatusQuery,
        response: { 200: TimeInStatusResponse },
      },
    },
    async (req, reply) => {
      const { accountID } = req.params as { accountID: string };
      const q = req.query as TimeInStatusQuery;
      const groupBy = (q.groupBy ?? 'agent') as GroupBy;
      const query = await prepare(req, q);
      const agg = new TimeInStatusAggregator(groupBy, query.from, query.to, query.now, groupBy === 'skill' ? query.filter.skillIds : undefined);
      for await (const batch of history.timelines(accountID, query)) {
        for (const t of batch) agg.addAgent(t.segments, t.capacity);
      }
      const rows = agg.rows();
      if (wantsCsv(req.headers.accept, q.format)) {
        const n = names(accountID);
        const name = groupBy === 'agent' ? n.agent : groupBy === 'group' ? n.group : n.skill;
        let body = TIS_CSV_HEADER;
        for (const r of rows) {
          body += csvLine([r.key, name(r.key), r.status, r.reasonId, r.totalMs, r.count, r.minMs, r.maxMs, r.avgMs]);
        }
        return reply
          .header('content-type', CSV_CONTENT_TYPE)
          .header('content-disposition', `attachment; filename="time-in-status-${accountID}-${query.from}-${query.to}.csv"`)
          .send(body);
      }
      return { rows, _metadata: { count: rows.length, from: query.from, to: query.to, groupBy } };
    },
  );
}
