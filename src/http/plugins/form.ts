/**
 * `application/x-www-form-urlencoded` bodies. OAuth 1.0a clients may send
 * their protocol parameters in a form body (RFC 5849 3.5.2); the decoded
 * pairs are kept on the request for signature checks; a form body without
 * OAuth parameters is a 415 like any other non-JSON body. What the route sees
 * is the body without `oauth_*` parameters: nothing left means no body.
 */
import type { FastifyInstance } from 'fastify';
import { OAuthFormatError, parseFormEncoded } from '../../auth/oauth1/signature.js';
import { ApiError } from '../../errors/index.js';

export function registerFormParser(app: FastifyInstance): void {
  app.decorateRequest('formParams', undefined);
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (req, body, done) => {
    let pairs: [string, string][];
    try {
      pairs = parseFormEncoded((body as string).trim());
    } catch (e) {
      if (e instanceof OAuthFormatError) return done(new ApiError('VALIDATION_FAILED', `form body: ${e.message}`, 'body'), undefined);
      return done(e as Error, undefined);
    }
    // Form bodies exist here only for OAuth clients: without OAuth parameters it is just an unsupported type.
    if (!pairs.some(([name]) => name.startsWith('oauth_'))) {
      return done(
        new ApiError('UNSUPPORTED_MEDIA_TYPE', 'form bodies are accepted only to carry OAuth 1.0a parameters; send application/json'),
        undefined,
      );
    }
    req.formParams = pairs;
    // A Map, then fromEntries: names like __proto__ become plain own properties.
    const fields = new Map<string, string | string[]>();
    for (const [name, value] of pairs) {
      if (name.startsWith('oauth_')) continue;
      const prev = fields.get(name);
      fields.set(name, prev === undefined ? value : Array.isArray(prev) ? [...prev, value] : [prev, value]);
    }
    done(null, fields.size === 0 ? undefined : Object.fromEntries(fields));
  });
}
