/**
 * Builds the Fastify application (never listens: see server.ts). Public
 * routes declare no scope; protected ones declare the scope they need.
 */
import Fastify, { type FastifyInstance } from 'fastify';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import { registerAuth } from './plugins/auth.js';
import type { AppDeps } from './deps.js';
import { frameworkErrors, registerErrorHandling } from './plugins/errors.js';
import { validatorCompiler } from './validation.js';
import { healthRoutes } from './routes/health.js';
import { ingestRoutes } from './routes/ingest.js';
import { agentViewRoutes } from './routes/agent-view.js';
import { historyRoutes } from './routes/history.js';
import { trackRoutes } from './route-table.js';
import { registerFormParser } from './plugins/form.js';
import { registerRateLimit } from './plugins/rate-limit.js';
import { summaryRoutes } from './routes/summary.js';
import { domainRoutes } from './routes/domain.js';
import { loginRoutes } from './routes/login.js';
import { adminRoutes } from './routes/admin.js';
import { liveRoutes } from './routes/live.js';
import { webRoutes } from './routes/web.js';

export type { AppDeps } from './deps.js';

export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const app = Fastify({
    ...(deps.logger ? { loggerInstance: deps.logger } : { logger: false }),
    bodyLimit: deps.bodyLimitBytes ?? 1024 * 1024,
    requestIdHeader: 'x-request-id',
    genReqId: () => crypto.randomUUID(),
    routerOptions: { maxParamLength: 200 },
    return503OnClosing: true,
    frameworkErrors,
  }) as unknown as FastifyInstance;
  trackRoutes(app);
  app.setValidatorCompiler(validatorCompiler);
  registerErrorHandling(app);
  registerFormParser(app);
  await app.register(swagger, {
    openapi: {
      info: {
        title: 'agentview',
        description:
          "Real-time agent state for messaging contact centers. The read API is wire-compatible with LivePerson's Agent Metrics API.",
        version: deps.version ?? '0.0.0',
      },
      servers: [{ url: deps.publicUrl }],
      components: {
        securitySchemes: {
          bearer: { type: 'http', scheme: 'bearer' },
          oauth1: { type: 'http', scheme: 'OAuth', description: 'OAuth 1.0a (RFC 5849), HMAC-SHA1 or HMAC-SHA256' },
        },
      },
      security: [{ bearer: [] }, { oauth1: [] }],
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });
  app.get('/openapi.json', { schema: { hide: true } }, () => app.swagger());
  registerAuth(app, deps.authenticators);
  if (deps.rateLimit) registerRateLimit(app, deps.rateLimit, deps.clock);
  healthRoutes(app, deps);
  ingestRoutes(app, deps);
  agentViewRoutes(app, deps);
  if (deps.history) historyRoutes(app, deps, deps.history);
  summaryRoutes(app, deps);
  domainRoutes(app, deps);
  if (deps.auth) {
    loginRoutes(app, { ...deps, auth: deps.auth });
    adminRoutes(app, { ...deps, auth: deps.auth });
  }
  // live push and the wallboard
  if (deps.live) liveRoutes(app, deps, deps.live);
  webRoutes(app, deps);
  return app;
}
