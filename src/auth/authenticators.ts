/**
 * Authenticators for the HTTP layer: login-session bearers and OAuth 1.0a
 * signed requests. Each returns undefined when the request carries no
 * credentials of its kind and throws UNAUTHORIZED when it carries bad ones.
 */
import type { FastifyRequest } from 'fastify';
import { ApiError } from '../errors/index.js';
import { bearerToken, type Authenticator, type Principal } from '../http/plugins/auth.js';
import { NonceStoreFullError, type Clock, type NonceStore, type SessionRecord } from '../ports/index.js';
import { verifyOAuth } from './oauth1/verify.js';
import type { AuthService } from './service.js';

function unauthorized(message: string, error: 'invalid_token' | 'invalid_request' = 'invalid_token'): ApiError {
  return new ApiError('UNAUTHORIZED', message, undefined, {
    'WWW-Authenticate': `Bearer realm="agentview", error="${error}", OAuth realm="agentview"`,
  });
}

export function sessionPrincipal(s: SessionRecord): Principal {
  return s.subject.kind === 'user'
    ? { kind: 'user', account: s.account, scopes: s.scopes, id: s.subject.username }
    : { kind: 'key', account: s.account, scopes: s.scopes, id: s.subject.appKey };
}

/** `Authorization: Bearer <token>` from the Login API. Put it after the operator's token authenticator. */
export function sessionAuthenticator(auth: AuthService): Authenticator {
  return {
    async authenticate(req) {
      const bearer = bearerToken(req);
      if (bearer === undefined) return undefined;
      const session = await auth.sessionForBearer(bearer);
      if (!session) throw unauthorized('the bearer is unknown, expired or revoked; log in again');
      return sessionPrincipal(session);
    },
  };
}

/** Reads one cookie from the Cookie header. */
export function cookieValue(req: FastifyRequest, name: string): string | undefined {
  const header = req.headers.cookie;
  if (typeof header !== 'string') return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

/** Name of the login session cookie (LivePerson's). */
export const SESSION_COOKIE = 'Session_id';

/**
 * The login session cookie, for safe methods only (GET, HEAD): lets a page
 * of the same site read with the session it logged in with, for example an
 * EventSource, which cannot send an Authorization header. The cookie is
 * SameSite=Strict and never accepted for a method that changes anything, so
 * it opens no cross-site request forgery.
 */
export function sessionCookieAuthenticator(auth: AuthService): Authenticator {
  return {
    async authenticate(req) {
      if (req.method !== 'GET' && req.method !== 'HEAD') return undefined;
      const id = cookieValue(req, SESSION_COOKIE);
      if (id === undefined) return undefined;
      const session = await auth.sessionById(id);
      if (!session) throw unauthorized('the session cookie is unknown, expired or revoked; log in again');
      return sessionPrincipal(session);
    },
  };
}

/** The decoded parameters of a form body, kept by the form parser for OAuth. */
declare module 'fastify' {
  interface FastifyRequest {
    formParams?: [string, string][] | undefined;
  }
}

export interface OAuthAuthenticatorOptions {
  auth: AuthService;
  nonces: NonceStore;
  clock: Clock;
  publicUrl: string;
  windowMs?: number;
}

/** OAuth 1.0a (RFC 5849) with HMAC-SHA1 or HMAC-SHA256, parameters from header, query or form body. */
export function oauthAuthenticator(o: OAuthAuthenticatorOptions): Authenticator {
  return {
    async authenticate(req: FastifyRequest) {
      const authorization = req.headers.authorization;
      let result;
      try {
        result = await verifyOAuth(
          { method: req.method, url: req.url, authorization, form: req.formParams },
          {
            publicUrl: o.publicUrl,
            findKey: (k) => o.auth.findKey(k),
            nonces: o.nonces,
            now: () => o.clock.now(),
            ...(o.windowMs !== undefined ? { windowMs: o.windowMs } : {}),
          },
        );
      } catch (err) {
        if (err instanceof NonceStoreFullError) {
          throw new ApiError('STORE_UNAVAILABLE', 'too many requests in flight to record their nonces; retry shortly', undefined, {
            'Retry-After': '1',
          });
        }
        throw err;
      }
      if (result.outcome === 'absent') return undefined;
      if (result.outcome === 'invalid') throw unauthorized(result.reason);
      const k = result.key;
      return { kind: 'key', account: k.account, scopes: k.scopes, id: k.appKey };
    },
  };
}
