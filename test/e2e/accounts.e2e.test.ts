/** Admin endpoints, Login API, Domain API and Summary over HTTP. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock, startTestServer, type TestServer } from '../helpers/server.js';

const T0 = 1700000600000;

describe('accounts and access over HTTP', () => {
  let s: TestServer;
  const clock = new ManualClock(T0);
  beforeAll(async () => {
    s = await startTestServer({ AGENTVIEW_BEARER_TTL_MS: '3600000' }, { clock });
  });
  afterAll(async () => s.stop());

  const asUser = (bearer: string) => ({ authorization: `Bearer ${bearer}` });
  const login = (account: string, username: string, password: string) =>
    s.call('POST', `/api/account/${account}/login?v=1.3`, { username, password }, { authorization: '' });

  describe('admin: users', () => {
    it('creates a user (201, no password in the answer), refuses a duplicate (409) and lists users', async () => {
      const r = await s.call('POST', '/api/account/A1/admin/users', { username: 'maya@example.com', password: 'correct horse', roles: ['read', 'write'] });
      expect(r.status).toBe(201);
      expect(r.body).toEqual({ username: 'maya@example.com', roles: ['read', 'write'], createdAt: T0 });
      const dup = await s.call('POST', '/api/account/A1/admin/users', { username: 'maya@example.com', password: 'another one' });
      expect(dup.status).toBe(409);
      expect(dup.body.code).toBe('USER_EXISTS');
      await s.call('POST', '/api/account/A1/admin/users', { username: 'bob', password: 'bob password' });
      const list = await s.call('GET', '/api/account/A1/admin/users');
      expect(list.status).toBe(200);
      expect(list.body.users).toEqual([
        { username: 'bob', roles: ['read'], createdAt: T0 },
        { username: 'maya@example.com', roles: ['read', 'write'], createdAt: T0 },
      ]);
      expect(JSON.stringify(list.body)).not.toMatch(/password|scrypt/);
      expect((await s.call('GET', '/api/account/A2/admin/users')).body.users).toEqual([]);
    });

    it('validates the body, naming the field', async () => {
      const cases: [unknown, string][] = [
        [{ username: 'x', password: 'short' }, 'password'],
        [{ username: '', password: 'long enough' }, 'username'],
        [{ username: 'has space', password: 'long enough' }, 'username'],
        [{ username: 'a/b', password: 'long enough' }, 'username'],
        [{ username: 'x', password: 'long enough', roles: ['root'] }, 'roles'],
        [{ username: 'x', password: 'long enough', roles: [] }, 'roles'],
        [{ password: 'long enough' }, 'username'],
      ];
      for (const [body, field] of cases) {
        const r = await s.call('POST', '/api/account/A1/admin/users', body);
        expect(r.status, JSON.stringify(body)).toBe(400);
        expect(r.body.code).toBe('VALIDATION_FAILED');
        expect(`${r.body.field} ${r.body.message}`).toContain(field);
      }
    });

    it('deletes a user (204), then 404, and the deleted user can no longer log in nor use its bearer', async () => {
      await s.call('POST', '/api/account/A1/admin/users', { username: 'temp', password: 'temp password' });
      const l = await login('A1', 'temp', 'temp password');
      expect(l.status).toBe(200);
      const del = await s.call('DELETE', '/api/account/A1/admin/users/temp');
      expect(del.status).toBe(204);
      expect((await s.call('DELETE', '/api/account/A1/admin/users/temp')).status).toBe(404);
      expect((await login('A1', 'temp', 'temp password')).status).toBe(401);
      const st = await s.call('POST', '/messaging_history/api/account/A1/agent-view/status', {}, asUser(l.body.bearer));
      expect(st.status).toBe(401);
    });
    it("changes a user's password and roles (PATCH), ending its sessions", async () => {
      await s.call('POST', '/api/account/A1/admin/users', { username: 'carol', password: 'first password', roles: ['read'] });
      const before = (await login('A1', 'carol', 'first password')).body;
      const r = await s.call('PATCH', '/api/account/A1/admin/users/carol', { password: 'second password', roles: ['write', 'read'] });
      expect(r.status).toBe(200);
      expect(r.body).toEqual({ username: 'carol', roles: ['read', 'write'], createdAt: T0 });
      expect((await s.call('POST', '/messaging_history/api/account/A1/agent-view/status', {}, asUser(before.bearer))).status).toBe(401);
      expect((await login('A1', 'carol', 'first password')).status).toBe(401);
      const after = await login('A1', 'carol', 'second password');
      expect(after.body.scopes).toEqual(['read', 'write']);
      const rolesOnly = await s.call('PATCH', '/api/account/A1/admin/users/carol', { roles: ['admin'] });
      expect(rolesOnly.body.roles).toEqual(['admin']);
      expect((await login('A1', 'carol', 'second password')).body.scopes).toEqual(['admin']);
      expect((await s.call('PATCH', '/api/account/A1/admin/users/carol', {})).status).toBe(400);
      expect((await s.call('PATCH', '/api/account/A1/admin/users/carol', { password: 'short' })).status).toBe(400);
      expect((await s.call('PATCH', '/api/account/A1/admin/users/nobody', { roles: ['read'] })).status).toBe(404);
      expect((await s.call('PATCH', '/api/account/A2/admin/users/carol', { roles: ['read'] })).status).toBe(404);
    });
  });

  describe('admin: keys', () => {
    it('creates a key with secrets shown once, lists keys without secrets, revokes', async () => {
      const r = await s.call('POST', '/api/account/A1/admin/keys', { scopes: ['read'], description: 'wallboard' });
      expect(r.status).toBe(201);
      expect(r.headers.get('cache-control')).toBe('no-store');
      expect(r.body).toEqual({
        appKey: expect.stringMatching(/^[0-9a-f]{32}$/),
        appSecret: expect.stringMatching(/^[0-9a-f]{32}$/),
        token: expect.stringMatching(/^[0-9a-f]{32}$/),
        tokenSecret: expect.stringMatching(/^[0-9a-f]{32}$/),
        scopes: ['read'],
        description: 'wallboard',
        createdAt: T0,
      });
      const noBody = await s.call('POST', '/api/account/A1/admin/keys');
      expect(noBody.status).toBe(201);
      expect(noBody.body.scopes).toEqual(['read']);
      const list = await s.call('GET', '/api/account/A1/admin/keys');
      expect(list.body.keys.map((k: { appKey: string }) => k.appKey)).toEqual([r.body.appKey, noBody.body.appKey]);
      expect(list.body.keys[0]).toEqual({ appKey: r.body.appKey, token: r.body.token, scopes: ['read'], description: 'wallboard', createdAt: T0 });
      expect(JSON.stringify(list.body)).not.toContain(r.body.appSecret);
      expect((await s.call('DELETE', `/api/account/A2/admin/keys/${r.body.appKey}`)).status).toBe(404);
      expect((await s.call('DELETE', `/api/account/A1/admin/keys/${r.body.appKey}`)).status).toBe(204);
      expect((await s.call('DELETE', `/api/account/A1/admin/keys/${r.body.appKey}`)).status).toBe(404);
      const bad = await s.call('POST', '/api/account/A1/admin/keys', { scopes: ['everything'] });
      expect(bad.status).toBe(400);
    });

    it('application login with the four OAuth credentials issues a bearer with the key scopes', async () => {
      const k = (await s.call('POST', '/api/account/A1/admin/keys', { scopes: ['read', 'write'] })).body;
      const body = { username: 'bot', appKey: k.appKey, secret: k.appSecret, accessToken: k.token, accessTokenSecret: k.tokenSecret };
      const r = await s.call('POST', '/api/account/A1/login?v=1.3', body, { authorization: '' });
      expect(r.status).toBe(200);
      expect(r.body.scopes).toEqual(['read', 'write']);
      expect(r.body.config).toMatchObject({ loginName: 'bot', userId: k.appKey, isAdmin: false });
      const wrong = await s.call('POST', '/api/account/A1/login?v=1.3', { ...body, accessTokenSecret: 'nope' }, { authorization: '' });
      expect(wrong.status).toBe(401);
      const other = await s.call('POST', '/api/account/A2/login?v=1.3', body, { authorization: '' });
      expect(other.status).toBe(401);
      // Revoking the key ends the sessions it logged in.
      await s.call('DELETE', `/api/account/A1/admin/keys/${k.appKey}`);
      const st = await s.call('POST', '/messaging_history/api/account/A1/agent-view/status', {}, asUser(r.body.bearer));
      expect(st.status).toBe(401);
    });
  });

  describe('Login API', () => {
    it('answers what LivePerson clients read: bearer, csrf, config, sessionTTl, and a Session_id cookie', async () => {
      const r = await login('A1', 'maya@example.com', 'correct horse');
      expect(r.status).toBe(200);
      expect(r.headers.get('cache-control')).toBe('no-store');
      expect(r.body).toMatchObject({
        bearer: expect.stringMatching(/^[0-9a-f]{64}$/),
        csrf: expect.stringMatching(/^[0-9a-f]{64}$/),
        config: { loginName: 'maya@example.com', userId: 'maya@example.com', serverCurrentTime: T0, isAdmin: false },
        csdsCollectionResponse: { baseURIs: expect.arrayContaining([{ service: 'agentVep', account: 'A1', baseURI: 'agentview.test' }]) },
        accountData: { agentGroupsData: { items: [{ id: -1, deleted: false, name: 'Main Group' }] } },
        sessionTTl: '3600000',
        expiresAt: T0 + 3600000,
        scopes: ['read', 'write'],
      });
      expect(Object.keys(r.body).at(-1)).toBe('bearer');
      expect(r.headers.get('set-cookie')).toMatch(/^Session_id=[0-9a-f]{64}; Path=\/api\/account\/A1; Max-Age=3600; HttpOnly; SameSite=Strict$/);
    });

    it('answers 401 with one message whatever was wrong', async () => {
      const messages = new Set<string>();
      for (const [account, user, pass] of [
        ['A1', 'maya@example.com', 'wrong password'],
        ['A1', 'nobody', 'correct horse'],
        ['A2', 'maya@example.com', 'correct horse'],
      ] as const) {
        const r = await login(account, user, pass);
        expect(r.status).toBe(401);
        expect(r.body.code).toBe('UNAUTHORIZED');
        expect(r.headers.get('www-authenticate')).toContain('Bearer');
        messages.add(r.body.message);
      }
      expect(messages.size).toBe(1);
    });

    it('rejects a body without credentials with 400', async () => {
      for (const body of [{}, { username: 'x' }, { appKey: 'x', secret: 'y' }, undefined]) {
        const r = await s.call('POST', '/api/account/A1/login?v=1.3', body, { authorization: '' });
        expect(r.status, JSON.stringify(body)).toBe(400);
      }
      const notJson = await s.call('POST', '/api/account/A1/login?v=1.3', '{"username":', { authorization: '' });
      expect(notJson.status).toBe(400);
      expect(notJson.body.code).toBe('INVALID_JSON');
    });

    it('issues bearers that read and expire after the configured lifetime; refresh extends them', async () => {
      const a = (await login('A1', 'maya@example.com', 'correct horse')).body;
      const b = (await login('A1', 'maya@example.com', 'correct horse')).body;
      const status = (bearer: string) => s.call('POST', '/messaging_history/api/account/A1/agent-view/status', {}, asUser(bearer));
      expect((await status(a.bearer)).status).toBe(200);
      clock.advance(1800_000);
      const refreshed = await s.call('POST', '/api/account/A1/refresh?v=1.3', { csrf: b.csrf }, asUser(b.bearer));
      expect(refreshed.status).toBe(200);
      expect(refreshed.body).toEqual({ sessionTTl: '3600000', expiresAt: clock.now() + 3600000 });
      clock.advance(1800_000);
      const expired = await status(a.bearer);
      expect(expired.status).toBe(401);
      expect(expired.headers.get('www-authenticate')).toContain('invalid_token');
      expect((await status(b.bearer)).status).toBe(200);
      expect((await s.call('POST', '/api/account/A1/refresh?v=1.3', {}, asUser(a.bearer))).status).toBe(401);
    });

    it('refreshes and logs out with the Session_id cookie and the csrf, as LivePerson SDKs do', async () => {
      const r = await login('A1', 'maya@example.com', 'correct horse');
      const cookie = r.headers.get('set-cookie')!.split(';')[0]!;
      const noAuth = { authorization: '' };
      expect((await s.call('POST', '/api/account/A1/refresh?v=1.3', {}, { ...noAuth, cookie })).status).toBe(401);
      expect((await s.call('POST', '/api/account/A1/refresh?v=1.3', { csrf: 'x' }, { ...noAuth, cookie })).status).toBe(401);
      const refreshed = await s.call('POST', '/api/account/A1/refresh?v=1.3', { csrf: r.body.csrf }, { ...noAuth, cookie });
      expect(refreshed.status).toBe(200);
      expect(refreshed.headers.get('set-cookie')).toBe(r.headers.get('set-cookie'));
      expect((await s.call('POST', '/api/account/A2/logout', { csrf: r.body.csrf }, { ...noAuth, cookie })).status).toBe(403);
      const out = await s.call('POST', '/api/account/A1/logout', { csrf: r.body.csrf }, { ...noAuth, cookie });
      expect(out.status).toBe(200);
      expect(out.body).toEqual({ loggedOut: true });
      expect(out.headers.get('set-cookie')).toContain('Max-Age=0');
      const st = await s.call('POST', '/messaging_history/api/account/A1/agent-view/status', {}, asUser(r.body.bearer));
      expect(st.status).toBe(401);
    });

    it('accepts the session cookie for reads (GET) only, e.g. for an EventSource', async () => {
      await s.call('POST', '/api/account/A1/admin/users', { username: 'boss', password: 'boss password', roles: ['admin'] });
      const r = await login('A1', 'boss', 'boss password');
      const cookie = r.headers.get('set-cookie')!.split(';')[0]!;
      const noAuth = { authorization: '' };
      const get = await s.call('GET', '/api/account/A1/admin/users', undefined, { ...noAuth, cookie });
      expect(get.status).toBe(200);
      expect(get.body.users.length).toBeGreaterThan(0);
      expect((await s.call('GET', '/api/account/A2/admin/users', undefined, { ...noAuth, cookie })).status).toBe(403);
      const post = await s.call('POST', '/api/account/A1/admin/keys', {}, { ...noAuth, cookie });
      expect(post.status).toBe(401);
      const stale = await s.call('GET', '/api/account/A1/admin/users', undefined, { ...noAuth, cookie: `Session_id=${'0'.repeat(64)}` });
      expect(stale.status).toBe(401);
    });

    it('logs out with the bearer alone; the bearer is revoked at once', async () => {
      const r = (await login('A1', 'maya@example.com', 'correct horse')).body;
      const out = await s.call('POST', '/api/account/A1/logout?v=1.3', undefined, asUser(r.bearer));
      expect(out.status).toBe(200);
      expect((await s.call('POST', '/api/account/A1/logout?v=1.3', undefined, asUser(r.bearer))).status).toBe(401);
      expect((await s.call('POST', '/messaging_history/api/account/A1/agent-view/status', {}, asUser(r.bearer))).status).toBe(401);
    });

    it('limits logins per account (429 with Retry-After) without touching other accounts', async () => {
      // Every attempt counts, even malformed ones (they are cheap to send and cost nothing to check).
      let limited: Awaited<ReturnType<typeof login>> | undefined;
      let attempts = 0;
      for (; attempts < 30 && !limited; attempts++) {
        const r = await s.call('POST', '/api/account/A9/login?v=1.3', {}, { authorization: '' });
        if (r.status === 429) limited = r;
        else expect(r.status).toBe(400);
      }
      expect(attempts).toBe(21);
      expect(limited?.body.code).toBe('RATE_LIMITED');
      expect(Number(limited?.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      expect((await login('A1', 'maya@example.com', 'correct horse')).status).toBe(200);
      clock.advance(60_000);
      expect((await login('A9', 'nobody', 'whatever')).status).toBe(401);
    });
  });

  describe('Domain API', () => {
    it('answers msgHist, agentManagerWorkspace, agentVep and leDataReporting with the public host, without credentials', async () => {
      for (const service of ['msgHist', 'agentManagerWorkspace', 'agentVep', 'leDataReporting']) {
        const r = await s.call('GET', `/api/account/1234/service/${service}/baseURI.json?version=1.0`, undefined, { authorization: '' });
        expect(r.status).toBe(200);
        expect(r.body).toEqual({ service, account: '1234', baseURI: 'agentview.test' });
      }
      const all = await s.call('GET', '/api/account/1234/service/baseURI.json?version=1.0', undefined, { authorization: '' });
      expect(all.body.baseURIs).toHaveLength(4);
    });

    it('answers 404 for an unknown service and 400 for a bad account id', async () => {
      const r = await s.call('GET', '/api/account/1234/service/bogus/baseURI.json?version=1.0', undefined, { authorization: '' });
      expect(r.status).toBe(404);
      expect(r.body.code).toBe('NOT_FOUND');
      const bad = await s.call('GET', '/api/account/bad$id/service/msgHist/baseURI.json', undefined, { authorization: '' });
      expect(bad.status).toBe(400);
    });
  });
});

describe('OpenAPI document', () => {
  it('describes the new routes, with login and domain public and OAuth as a scheme', async () => {
    const s = await startTestServer();
    try {
      const r = await s.call('GET', '/openapi.json', undefined, { authorization: '' });
      expect(r.status).toBe(200);
      const paths = r.body.paths;
      for (const p of [
        '/api/account/{accountID}/login',
        '/api/account/{accountID}/service/{service}/baseURI.json',
        '/api/account/{accountID}/admin/users',
        '/api/account/{accountID}/admin/keys/{appKey}',
        '/messaging_history/api/account/{accountID}/agent-view/summary',
      ]) {
        expect(paths[p], p).toBeDefined();
      }
      expect(paths['/api/account/{accountID}/login'].post.security).toEqual([]);
      expect(r.body.components.securitySchemes.oauth1).toBeDefined();
    } finally {
      await s.stop();
    }
  });
});

describe('Domain API with a port in the public URL', () => {
  it('returns host:port', async () => {
    const s = await startTestServer({ AGENTVIEW_PUBLIC_URL: 'https://Metrics.Example.com:8443' });
    try {
      const r = await s.call('GET', '/api/account/9/service/msgHist/baseURI.json?version=1.0');
      expect(r.body).toEqual({ service: 'msgHist', account: '9', baseURI: 'metrics.example.com:8443' });
    } finally {
      await s.stop();
    }
  });
});
