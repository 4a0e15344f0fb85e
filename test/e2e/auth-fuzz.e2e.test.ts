/** No input makes the accounts-and-access routes answer 5xx (property, through app.inject). */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/server.js';

describe('accounts and access never answer 5xx', () => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startTestServer({ AGENTVIEW_RATE_LIMIT_RPS: '1000000' });
  });
  afterAll(async () => s.stop());

  const routes = [
    ['POST', '/api/account/A/login?v=1.3'],
    ['POST', '/api/account/A/refresh'],
    ['POST', '/api/account/A/logout'],
    ['POST', '/api/account/A/admin/users'],
    ['POST', '/api/account/A/admin/keys'],
    ['DELETE', '/api/account/A/admin/keys/x'],
    ['PATCH', '/api/account/A/admin/users/x'],
    ['POST', '/messaging_history/api/account/A/agent-view/summary?groupBy=skillId'],
    ['GET', '/api/account/A/service/msgHist/baseURI.json'],
  ] as const;

  it('for any JSON or form body, content type and credentials', async () => {
    const value = fc.oneof(fc.string({ maxLength: 20 }), fc.integer(), fc.boolean(), fc.constant(null), fc.array(fc.string({ maxLength: 5 }), { maxLength: 3 }));
    const body = fc.oneof(
      fc.dictionary(fc.constantFrom('username', 'password', 'roles', 'scopes', 'csrf', 'appKey', 'secret', 'accessToken', 'accessTokenSecret', 'status', 'skillIds', 'x'), value),
      fc.string({ maxLength: 40 }),
      fc.constant(undefined),
    );
    const auth = fc.oneof(
      fc.constant(undefined),
      fc.constant(`Bearer ${s.token}`),
      fc.string({ maxLength: 40 }).map((t) => `Bearer ${t}`),
      fc.string({ maxLength: 60 }).map((t) => `OAuth ${t}`),
    );
    const type = fc.constantFrom('application/json', 'application/x-www-form-urlencoded', 'text/plain');
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...routes), body, auth, type, fc.string({ maxLength: 30 }), async ([method, url], b, authorization, contentType, cookie) => {
        const payload = b === undefined ? undefined : typeof b === 'string' ? b : contentType === 'application/x-www-form-urlencoded' ? new URLSearchParams(Object.entries(b).map(([k, v]): [string, string] => [k, String(v)])).toString() : JSON.stringify(b);
        const res = await s.app.inject({
          method,
          url,
          headers: {
            ...(authorization !== undefined ? { authorization } : {}),
            ...(payload !== undefined ? { 'content-type': contentType } : {}),
            cookie: `Session_id=${cookie}`,
          },
          ...(payload !== undefined ? { payload } : {}),
        });
        expect(res.statusCode, `${method} ${url} ${payload ?? ''} → ${res.body}`).toBeLessThan(500);
      }),
      { numRuns: 150 },
    );
  });
});
