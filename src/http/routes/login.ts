/**
 * Login API (spec 1.4): LivePerson's user login (username and password) and
 * application login (the four OAuth credentials) issue an expiring bearer and
 * a CSRF token; refresh extends a session; logout revokes it. These routes
 * are public in the sense of the auth hook: they check credentials themselves.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { cookieValue, SESSION_COOKIE, sessionPrincipal, TokenBuckets, type AuthService, type IssuedSession } from '../../auth/index.js';
import { compareIds, MAIN_GROUP_ID, MAIN_GROUP_NAME } from '../../core/index.js';
import { ApiError } from '../../errors/index.js';
import type { SessionRecord } from '../../ports/index.js';
import { AccountParams } from '../../schemas/agent-view.js';
import {
  LoginBody,
  LoginQuery,
  LoginResponse,
  LogoutResponse,
  RefreshResponse,
  SessionBody,
} from '../../schemas/auth.js';
import type { AppDeps } from '../deps.js';
import { bearerToken } from '../plugins/auth.js';
import { baseUris } from './domain.js';

const COOKIE = SESSION_COOKIE;
const LOGIN_FAILED = 'login failed: the account, username or password is not valid';

function unauthorized(message: string): ApiError {
  return new ApiError('UNAUTHORIZED', message, undefined, { 'WWW-Authenticate': 'Bearer realm="agentview"' });
}

export function loginRoutes(app: FastifyInstance, deps: AppDeps & { auth: AuthService }): void {
  const auth = deps.auth;
  const tags = ['login (LivePerson-compatible)'];
  const limits = deps.loginRateLimit ?? { ratePerSecond: 2, burst: 20 };
  const loginBuckets = new TokenBuckets(limits.ratePerSecond, limits.burst);
  const secure = deps.publicUrl.startsWith('https:');
  const cookie = (account: string, value: string, maxAgeS: number) =>
    `${COOKIE}=${value}; Path=/api/account/${account}; Max-Age=${maxAgeS}; HttpOnly; SameSite=Strict${secure ? '; Secure' : ''}`;

  /** The session a logout or refresh is about: the bearer, or the cookie with its CSRF token. */
  async function currentSession(req: FastifyRequest): Promise<SessionRecord> {
    const { accountID } = req.params as { accountID: string };
    const body = (req.body ?? {}) as SessionBody & object;
    const bearer = bearerToken(req);
    let session: SessionRecord | undefined;
    if (bearer !== undefined) {
      session = await auth.sessionForBearer(bearer);
      if (session && body.csrf !== undefined && !auth.csrfMatches(session, body.csrf)) session = undefined;
    } else {
      const id = cookieValue(req, COOKIE);
      if (id !== undefined) session = await auth.sessionById(id);
      if (session && (body.csrf === undefined || !auth.csrfMatches(session, body.csrf))) session = undefined;
    }
    if (!session) throw unauthorized('no valid session: send the bearer, or the Session_id cookie with the csrf from login');
    if (session.account !== accountID) throw new ApiError('FORBIDDEN', 'this session belongs to another account');
    return session;
  }

  function groups(account: string) {
    const acc = deps.engine.account(account);
    const entries = acc ? [...acc.groups] : [[MAIN_GROUP_ID, MAIN_GROUP_NAME] as const];
    return {
      items: entries
        .map(([id, name]) => ({ id: Number(id), deleted: false, name }))
        .sort((a, b) => compareIds(String(a.id), String(b.id))),
      revision: acc?.seq ?? 0,
    };
  }

  app.post(
    '/api/account/:accountID/login',
    {
      schema: {
        tags,
        summary: 'Log in: a bearer and a CSRF token for a user (username, password) or an application (OAuth credentials)',
        security: [],
        params: AccountParams,
        querystring: LoginQuery,
        body: LoginBody,
        response: { 200: LoginResponse },
      },
    },
    async (req, reply) => {
      const { accountID } = req.params as { accountID: string };
      const b = (req.body ?? {}) as LoginBody;
      const d = loginBuckets.take(accountID, deps.clock.now());
      if (!d.allowed) {
        throw new ApiError('RATE_LIMITED', 'too many logins for this account; retry later', undefined, {
          'Retry-After': String(d.retryAfterSeconds),
        });
      }
      let issued: IssuedSession | undefined;
      let loginName: string;
      if (b.password !== undefined && b.username !== undefined) {
        loginName = b.username;
        issued = await auth.loginWithPassword(accountID, b.username, b.password);
      } else if (b.appKey !== undefined && b.secret !== undefined && b.accessToken !== undefined && b.accessTokenSecret !== undefined) {
        loginName = b.username ?? b.appKey;
        issued = await auth.loginWithKey(accountID, {
          appKey: b.appKey,
          secret: b.secret,
          accessToken: b.accessToken,
          accessTokenSecret: b.accessTokenSecret,
        });
      } else {
        throw new ApiError(
          'VALIDATION_FAILED',
          'body must have username and password, or appKey, secret, accessToken and accessTokenSecret',
          'body',
        );
      }
      if (!issued) throw unauthorized(LOGIN_FAILED);
      const s = issued.session;
      const p = sessionPrincipal(s);
      void reply
        .header('Cache-Control', 'no-store')
        .header('Set-Cookie', cookie(accountID, s.id, Math.floor(auth.bearerTtlMs / 1000)));
      return {
        csrf: issued.csrf,
        config: {
          loginName,
          userId: p.kind === 'operator' ? '' : p.id,
          serverCurrentTime: deps.clock.now(),
          isAdmin: s.scopes.includes('admin'),
        },
        csdsCollectionResponse: { baseURIs: baseUris(deps.publicUrl, accountID) },
        accountData: { agentGroupsData: groups(accountID) },
        sessionTTl: String(auth.bearerTtlMs),
        expiresAt: s.expiresAt,
        scopes: s.scopes,
        bearer: issued.bearer,
      };
    },
  );

  app.post(
    '/api/account/:accountID/refresh',
    {
      schema: {
        tags,
        summary: "Refresh: extend the session's life by the bearer lifetime (bearer, or Session_id cookie with csrf)",
        security: [],
        params: AccountParams,
        querystring: LoginQuery,
        body: SessionBody,
        response: { 200: RefreshResponse },
      },
    },
    async (req, reply: FastifyReply) => {
      const session = await currentSession(req);
      const expiresAt = await auth.refresh(session);
      void reply.header('Cache-Control', 'no-store').header('Set-Cookie', cookie(session.account, session.id, Math.floor(auth.bearerTtlMs / 1000)));
      return { sessionTTl: String(auth.bearerTtlMs), expiresAt };
    },
  );

  app.post(
    '/api/account/:accountID/logout',
    {
      schema: {
        tags,
        summary: 'Log out: revoke the bearer (bearer, or Session_id cookie with csrf)',
        security: [],
        params: AccountParams,
        querystring: LoginQuery,
        body: SessionBody,
        response: { 200: LogoutResponse },
      },
    },
    async (req, reply: FastifyReply) => {
      const session = await currentSession(req);
      await auth.logout(session);
      void reply.header('Set-Cookie', cookie(session.account, '', 0));
      return { loggedOut: true };
    },
  );
}
