/**
 * Request ids and draining. Every response carries `x-request-id` (the
 * client's own when it sent a sane one, otherwise a UUID), and every log line
 * of the request has it. While the server shuts down, requests that arrive on
 * still-open keep-alive connections are refused with NOT_READY (load
 * balancers retry elsewhere) while requests already in flight finish.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { ApiError } from '../../errors/index.js';
import type { AppDeps } from '../deps.js';
import { bearerToken, safeEqual, WWW_AUTHENTICATE } from './auth.js';

const CLIENT_REQUEST_ID = /^[A-Za-z0-9._:@=+/-]{1,128}$/;

/** Fastify `genReqId`: the client's `x-request-id` if short and printable, else a fresh UUID. */
export function requestId(req: IncomingMessage): string {
  const given = req.headers['x-request-id'];
  return typeof given === 'string' && CLIENT_REQUEST_ID.test(given) ? given : randomUUID();
}

export function registerDrain(app: FastifyInstance, deps: AppDeps): void {
  app.addHook('onRequest', async (req, reply) => {
    void reply.header('x-request-id', req.id);
    // Public routes keep answering while draining: /readyz must say "not ready", /healthz "alive".
    if (deps.isShuttingDown() && req.routeOptions.config.scope !== undefined) {
      void reply.header('connection', 'close');
      throw new ApiError('NOT_READY', 'the server is shutting down; retry on another instance or shortly', undefined, {
        'Retry-After': '1',
      });
    }
  });
  // A request that was in flight when the drain began gets its answer, then its connection ends.
  app.addHook('onSend', async (_req, reply) => {
    if (deps.isShuttingDown()) void reply.header('connection', 'close');
  });
}

/**
 * Guard of operator-only routes (`/metrics`, `/api/admin/backup`): they act on
 * the whole process, not on one account, so they declare no account scope and
 * admit only operator credentials (the admin token), or `extraToken` (the
 * metrics scrape token). Account principals, whatever their scopes, get 403.
 */
export function operatorOnly(deps: AppDeps, extraToken?: () => string | undefined) {
  return async (req: FastifyRequest): Promise<void> => {
    const given = bearerToken(req);
    const extra = extraToken?.();
    if (given !== undefined && extra !== undefined && safeEqual(given, extra)) return;
    let kind: string | undefined;
    for (const a of deps.authenticators) {
      const p = await a.authenticate(req);
      if (p) {
        kind = p.kind;
        break;
      }
    }
    if (kind === 'operator') return;
    if (kind !== undefined) throw new ApiError('FORBIDDEN', 'this route needs operator credentials');
    throw new ApiError(
      'UNAUTHORIZED',
      req.headers.authorization === undefined ? 'operator credentials required (Authorization: Bearer <admin token>)' : 'credentials are not valid',
      undefined,
      { 'WWW-Authenticate': WWW_AUTHENTICATE },
    );
  };
}
