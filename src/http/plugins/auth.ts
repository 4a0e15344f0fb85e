/**
 * Authentication and tenancy for protected routes. A route declares the
 * scope it needs in `config.scope`; the hook finds the principal through the
 * configured authenticators and checks account and scope. Public routes
 * (health, login, domain) declare no scope and are never touched.
 */
import { timingSafeEqual, createHash } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { ApiError } from '../../errors/index.js';
import type { Scope } from '../../ports/index.js';

export type { Scope } from '../../ports/index.js';

export type Principal =
  | { kind: 'operator' }
  | { kind: 'user' | 'key'; account: string; scopes: readonly Scope[]; id: string };

/**
 * Finds the principal of a request. Returns undefined when the request
 * carries no credentials of this kind; throws UNAUTHORIZED when it carries
 * bad ones.
 */
export interface Authenticator {
  authenticate(req: FastifyRequest): Promise<Principal | undefined> | Principal | undefined;
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Scope a principal needs for this route; absent = public route. */
    scope?: Scope;
  }
  interface FastifyRequest {
    principal?: Principal;
  }
}

/** Constant-time string equality (hashing first makes lengths equal). */
export function safeEqual(a: string, b: string): boolean {
  const ha = createHash('sha256').update(a).digest();
  const hb = createHash('sha256').update(b).digest();
  return timingSafeEqual(ha, hb);
}

/** Reads `Authorization: Bearer <token>`; undefined when absent. */
export function bearerToken(req: FastifyRequest): string | undefined {
  const h = req.headers.authorization;
  if (typeof h !== 'string') return undefined;
  const m = /^Bearer\s+(\S+)\s*$/i.exec(h);
  return m?.[1];
}

/** The operator's admin token: acts on every account with every scope. */
export function adminTokenAuthenticator(token: string | undefined): Authenticator {
  return {
    authenticate(req) {
      const given = bearerToken(req);
      if (given === undefined || token === undefined) return undefined;
      return safeEqual(given, token) ? { kind: 'operator' } : undefined;
    },
  };
}

export const WWW_AUTHENTICATE = 'Bearer realm="agentview", OAuth realm="agentview"';

/** Checks that a principal may act on `account` with `scope`. */
export function authorize(p: Principal, account: string | undefined, scope: Scope): void {
  if (p.kind === 'operator') return;
  if (account === undefined || p.account !== account) {
    throw new ApiError('FORBIDDEN', 'these credentials are not valid for this account');
  }
  if (!p.scopes.includes(scope)) throw new ApiError('FORBIDDEN', `these credentials lack the "${scope}" scope`);
}

export function registerAuth(app: FastifyInstance, authenticators: readonly Authenticator[]): void {
  app.decorateRequest('principal', undefined);
  app.addHook('preValidation', async (req) => {
    const scope = req.routeOptions.config.scope;
    if (scope === undefined) return;
    let principal: Principal | undefined;
    for (const a of authenticators) {
      principal = await a.authenticate(req);
      if (principal) break;
    }
    if (!principal) {
      const hasCredentials = req.headers.authorization !== undefined;
      throw new ApiError(
        'UNAUTHORIZED',
        hasCredentials ? 'credentials are not valid' : 'credentials required (Authorization: Bearer <token> or OAuth 1.0a)',
        undefined,
        { 'WWW-Authenticate': WWW_AUTHENTICATE },
      );
    }
    req.principal = principal;
    const account = (req.params as { accountID?: string } | undefined)?.accountID;
    authorize(principal, account, scope);
  });
}
