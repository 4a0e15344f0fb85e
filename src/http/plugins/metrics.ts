/**
 * Request metrics for every route, and `GET /metrics` in Prometheus text
 * format. The scrape shows process internals (memory, event-log positions,
 * route traffic), so it is not public: it takes `Authorization: Bearer` with
 * either the dedicated scrape token (`AGENTVIEW_METRICS_TOKEN`, safe to hand
 * to Prometheus) or an operator credential.
 */
import type { FastifyInstance } from 'fastify';
import { httpRequestDuration, httpRequests, registry } from '../../observability/metrics.js';
import type { AppDeps } from '../deps.js';
import { operatorOnly } from './operations.js';

/** Route label for requests that matched no route (keeps label values bounded). */
const UNMATCHED = 'unmatched';

export function registerRequestMetrics(app: FastifyInstance): void {
  app.addHook('onResponse', (req, reply, done) => {
    // Unknown paths all share one label; known routes keep their template.
    const route = req.is404 ? UNMATCHED : (req.routeOptions.url ?? UNMATCHED);
    const labels = { method: req.method, route, status: String(reply.statusCode) };
    httpRequests.inc(labels);
    httpRequestDuration.observe(labels, reply.elapsedTime / 1000);
    done();
  });
}

export function metricsRoutes(app: FastifyInstance, deps: AppDeps): void {
  app.get(
    '/metrics',
    {
      schema: {
        tags: ['operations'],
        summary: 'Prometheus metrics (bearer: AGENTVIEW_METRICS_TOKEN or the admin token)',
        produces: ['text/plain'],
      },
      preValidation: operatorOnly(deps, () => deps.metricsToken),
    },
    async (_req, reply) => {
      const text = await registry.metrics();
      return reply.type(registry.contentType).send(text);
    },
  );
}
