/** Live stream of agent changes over Server-Sent Events (spec 4.1). */
import type { FastifyInstance } from 'fastify';
import { ApiError } from '../../errors/index.js';
import { AccountParams } from '../../schemas/agent-view.js';
import { StreamQuery, toLiveFilter } from '../../schemas/live.js';
import type { StreamHub } from '../../live/hub.js';
import type { AppDeps } from '../deps.js';

/** `Last-Event-ID` as a sequence number; anything else means "no resumption". */
export function parseLastEventId(v: string | string[] | undefined): number | undefined {
  const s = Array.isArray(v) ? v[0] : v;
  if (s === undefined || !/^(0|[1-9][0-9]{0,15})$/.test(s.trim())) return undefined;
  return Number(s.trim());
}

export function streamRoutes(app: FastifyInstance, deps: AppDeps, hub: StreamHub): void {
  app.get(
    '/api/account/:accountID/agent-view/stream',
    {
      config: { scope: 'read' },
      schema: {
        tags: ['live'],
        summary: 'Server-Sent Events: a snapshot, then upsert/remove of agents as they change',
        description:
          'Events: `snapshot` {seq, records}, `upsert` {seq, record}, `remove` {seq, agentId}, `alerts` {seq, alerts} (after the snapshot or resumption), `alert` {seq, type: raised|cleared, alert}, `overflow` (then the server disconnects), `shutdown`. Every message carries `id: <seq>`; reconnect with `Last-Event-ID` to get only what changed. Comment lines are sent at least every 15 s.',
        params: AccountParams,
        querystring: StreamQuery,
        produces: ['text/event-stream'],
      },
      // EventSource cannot set headers: accept the bearer as `access_token` on this route only.
      onRequest: (req, _reply, done) => {
        const q = req.query as { access_token?: unknown };
        if (req.headers.authorization === undefined && typeof q.access_token === 'string' && q.access_token !== '') {
          req.headers.authorization = `Bearer ${q.access_token}`;
        }
        done();
      },
    },
    async (req, reply) => {
      const { accountID } = req.params as { accountID: string };
      const q = req.query as StreamQuery;
      const filter = toLiveFilter(q);
      if (!deps.engine.isReady() || deps.isShuttingDown()) {
        throw new ApiError('NOT_READY', 'the view is still loading or the server is stopping', undefined, { 'Retry-After': '1' });
      }
      if (!hub.canOpen(accountID)) {
        throw new ApiError('TOO_MANY_STREAMS', 'too many open streams for this account on this server', undefined, { 'Retry-After': '5' });
      }
      await deps.awaitConsistency?.(req);
      if (req.method === 'HEAD') {
        // A HEAD request gets the stream's headers and no stream (it would never end).
        return reply.code(200).header('content-type', 'text/event-stream; charset=utf-8').header('cache-control', 'no-cache, no-transform').send();
      }
      reply.hijack();
      req.socket.setNoDelay(true);
      req.socket.setKeepAlive(true, 30_000);
      hub.open({ account: accountID, filter, lastEventId: parseLastEventId(req.headers['last-event-id']), alerts: q.alerts ?? true }, reply.raw);
    },
  );
}
