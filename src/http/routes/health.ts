import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import type { AppDeps } from '../deps.js';

export function healthRoutes(app: FastifyInstance, deps: AppDeps): void {
  app.get(
    '/healthz',
    { schema: { tags: ['operations'], summary: 'Liveness: the process answers', response: { 200: Type.Object({ status: Type.Literal('ok') }) } } },
    () => ({ status: 'ok' as const }),
  );
  app.get(
    '/readyz',
    {
      schema: {
        tags: ['operations'],
        summary: 'Readiness: caught up with the event log and serving',
        response: {
          200: Type.Object({ ready: Type.Boolean(), position: Type.Integer() }),
          503: Type.Object({ ready: Type.Boolean(), position: Type.Integer() }),
        },
      },
    },
    (_req, reply) => {
      const ready = deps.engine.isReady() && !deps.engine.isPartial() && !deps.isShuttingDown();
      return reply.code(ready ? 200 : 503).send({ ready, position: deps.engine.position });
    },
  );
}
