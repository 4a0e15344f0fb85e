import type { FastifyInstance } from 'fastify';
import type { AppDeps } from '../deps.js';
import { AccountParams } from '../../schemas/agent-view.js';
import { IngestBodySchema, IngestResultSchema, validateBatch } from '../../schemas/events.js';
import { ApiError } from '../../errors/index.js';
import { validatorCompiler } from '../validation.js';
import { ingestBatchSize, ingestEvents } from '../../observability/metrics.js';

export function ingestRoutes(app: FastifyInstance, deps: AppDeps): void {
  app.post(
    '/api/account/:accountID/events',
    {
      config: { scope: 'write' },
      schema: {
        tags: ['ingest'],
        summary: 'Append agent and conversation events',
        description:
          'Validates the whole batch (nothing is applied if any event is invalid), de-duplicates by eventId, and answers only once the events are durable.',
        params: AccountParams,
        body: IngestBodySchema,
        response: { 200: IngestResultSchema },
      },
      // The batch validator dispatches on `type` to name the exact bad field.
      validatorCompiler: (route) => (route.httpPart === 'body' ? (data: unknown) => ({ value: data }) : validatorCompiler(route)),
    },
    async (req) => {
      const { accountID } = req.params as { accountID: string };
      const events = validateBatch(req.body, deps.clock.now());
      // Draining refuses new requests in onRequest (plugins/operations.ts); one already in flight completes.
      if (!deps.engine.isReady()) {
        throw new ApiError('NOT_READY', 'not accepting writes yet (starting or stopping)', undefined, { 'Retry-After': '1' });
      }
      try {
        const r = await deps.engine.ingest(accountID, events);
        ingestEvents.inc({ result: 'accepted' }, r.accepted);
        ingestEvents.inc({ result: 'duplicate' }, r.duplicates);
        ingestBatchSize.observe(events.length);
        return { accepted: r.accepted, duplicates: r.duplicates, lastSeq: r.lastSeq };
      } catch (err) {
        if (err instanceof ApiError) throw err;
        req.log.error({ err }, 'append failed');
        throw new ApiError('STORE_UNAVAILABLE', 'the event store did not accept the write; nothing was acknowledged', undefined, {
          'Retry-After': '1',
        });
      }
    },
  );
}
