/**
 * Per-account rate limits on authenticated routes: a token bucket per
 * account (`AGENTVIEW_RATE_LIMIT_RPS`, burst `AGENTVIEW_RATE_LIMIT_BURST`).
 * Runs after authentication, so requests that fail it never spend an
 * account's budget, and only the account's own principals can exhaust it.
 * The operator's token is not limited: it is the operator's own tool, and
 * the demo and the CLI must not be throttled by a tenant's burst.
 * Every limited answer carries RateLimit-Limit/Remaining/Reset; a 429 also
 * Retry-After.
 */
import type { FastifyInstance } from 'fastify';
import { TokenBuckets } from '../../auth/rate-limit.js';
import { ApiError } from '../../errors/index.js';
import type { Clock } from '../../ports/index.js';

export interface RateLimitOptions {
  ratePerSecond: number;
  burst: number;
}

export function registerRateLimit(app: FastifyInstance, options: RateLimitOptions, clock: Clock): void {
  const buckets = new TokenBuckets(options.ratePerSecond, options.burst);
  app.addHook('preValidation', async (req, reply) => {
    const p = req.principal;
    if (req.routeOptions.config.scope === undefined || !p || p.kind === 'operator') return;
    const d = buckets.take(p.account, clock.now());
    void reply.headers({
      'RateLimit-Limit': String(d.limit),
      'RateLimit-Remaining': String(d.remaining),
      'RateLimit-Reset': String(d.resetSeconds),
    });
    if (!d.allowed) {
      throw new ApiError('RATE_LIMITED', `account ${p.account} is over its rate limit of ${options.ratePerSecond} requests per second`, undefined, {
        'Retry-After': String(d.retryAfterSeconds),
      });
    }
  });
}
