/**
 * Tenancy: walks every route the app serves (taken from the app's own route
 * table, so routes added later are covered without touching this test) with
 * every kind of principal: none, bad credentials, another account's, the
 * right account's without the route's scope, and the right one.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Scope } from '../../src/ports/index.js';
import type { RouteInfo } from '../../src/http/route-table.js';
import { signRequest, type Credentials } from '../helpers/oauth.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

/**
 * Routes anyone may call. Adding a public route means adding it here, on
 * purpose; any other route must declare a scope and is walked below.
 */
const PUBLIC_ROUTES: readonly string[] = [
  'GET /healthz',
  'GET /readyz',
  'GET /openapi.json',
  'GET /docs',
  'GET /docs/*',
  'GET /api/account/:accountID/service/:service/baseURI.json',
  'GET /api/account/:accountID/service/baseURI.json',
  // The Login API checks credentials itself (password, or session and csrf).
  'POST /api/account/:accountID/login',
  'POST /api/account/:accountID/refresh',
  'POST /api/account/:accountID/logout',
  // The wallboard page and its bundle (it signs in through the Login API).
  'GET /',
  'GET /assets/:file',
];

const PUBLIC = 'http://agentview.test';
const SCOPES: Scope[] = ['read', 'write', 'admin'];

const isPublic = (r: RouteInfo) => {
  const method = r.method === 'HEAD' ? 'GET' : r.method;
  return PUBLIC_ROUTES.some((p) => {
    const [m, path] = p.split(' ') as [string, string];
    if (m !== method) return false;
    return path.endsWith('/*') ? r.url === path.slice(0, -2) || r.url.startsWith(path.slice(0, -1)) : r.url === path;
  });
};

const fill = (url: string, account: string) =>
  url
    .replace(':accountID', account)
    .replace(/:username/g, 'nobody')
    .replace(/:appKey/g, 'no-such-key')
    .replace(/:[A-Za-z]+/g, 'x')
    .replace(/\*$/, 'x');

interface Principal {
  name: string;
  /** Builds the request for this principal. */
  request(method: string, path: string): { url: string; init: RequestInit };
}

describe('tenancy: every route × every kind of principal', () => {
  let s: TestServer;
  let routes: RouteInfo[];
  const bearerOf = new Map<string, string>();
  const keyOf = new Map<string, Credentials>();

  beforeAll(async () => {
    s = await startTestServer({ AGENTVIEW_PUBLIC_URL: PUBLIC, AGENTVIEW_RATE_LIMIT_RPS: '100000' });
    routes = s.app.routeTable;
    // In account A: for each scope, a user and a key with only it, and with all but it. In B: everything.
    const sets: [string, string, Scope[]][] = [
      ...SCOPES.map((sc): [string, string, Scope[]] => ['A', `only-${sc}`, [sc]]),
      ...SCOPES.map((sc): [string, string, Scope[]] => ['A', `but-${sc}`, SCOPES.filter((x) => x !== sc)]),
      ['B', 'all', SCOPES],
    ];
    for (const [account, name, scopes] of sets) {
      const u = await s.call('POST', `/api/account/${account}/admin/users`, { username: name, password: 'long enough password', roles: scopes });
      expect(u.status).toBe(201);
      const l = await s.call('POST', `/api/account/${account}/login`, { username: name, password: 'long enough password' }, { authorization: '' });
      expect(l.status).toBe(200);
      bearerOf.set(`${account}/${name}`, l.body.bearer);
      const k = await s.call('POST', `/api/account/${account}/admin/keys`, { scopes });
      expect(k.status).toBe(201);
      keyOf.set(`${account}/${name}`, k.body);
    }
  });
  afterAll(async () => s.stop());

  const jsonBody = (method: string): RequestInit =>
    method === 'POST' || method === 'PUT' || method === 'PATCH' ? { body: '{}', headers: { 'content-type': 'application/json' } } : {};
  const bearer = (name: string, token: () => string): Principal => ({
    name,
    request: (method, path) => {
      const b = jsonBody(method);
      return { url: s.url + path, init: { method, ...b, headers: { ...(b.headers as object), authorization: `Bearer ${token()}` } } };
    },
  });
  const oauth = (name: string, creds: () => Credentials): Principal => ({
    name,
    request: (method, path) => {
      const b = jsonBody(method);
      const r = signRequest({ method, signedUrl: PUBLIC + path, sendTo: s.url + path, creds: creds(), ...(b.body ? { json: {} } : {}) });
      return r;
    },
  });
  const none: Principal = { name: 'no credentials', request: (method, path) => ({ url: s.url + path, init: { method, ...jsonBody(method) } }) };

  /** Sends a request and reads only the status (streams are cancelled once headers arrive). */
  async function statusOf(p: Principal, method: string, path: string): Promise<{ status: number; wwwAuth: string | null }> {
    const { url, init } = p.request(method, path);
    const res = await fetch(url, init);
    await res.body?.cancel();
    return { status: res.status, wwwAuth: res.headers.get('www-authenticate') };
  }

  it('knows the routes, and every route is either listed as public or declares a scope', () => {
    expect(routes.length).toBeGreaterThan(10);
    const unlisted = routes.filter((r) => !isPublic(r) && r.scope === undefined).map((r) => `${r.method} ${r.url}`);
    expect(unlisted, 'routes without a scope that are not in PUBLIC_ROUTES').toEqual([]);
    const scopedPublic = routes.filter((r) => isPublic(r) && r.scope !== undefined).map((r) => `${r.method} ${r.url}`);
    expect(scopedPublic).toEqual([]);
    const protectedRoutes = routes.filter((r) => r.scope !== undefined);
    for (const r of protectedRoutes) expect(r.url, `${r.method} ${r.url} must be scoped to an account`).toContain(':accountID');
    for (const p of PUBLIC_ROUTES) {
      expect(routes.some((r) => isPublic(r) && `${r.method} ${r.url}`.startsWith(p.replace('/*', ''))), `${p} is served`).toBe(true);
    }
  });

  it('answers 401 with WWW-Authenticate without credentials or with bad ones', async () => {
    const bad = [
      none,
      bearer('unknown bearer', () => 'f'.repeat(64)),
      oauth('OAuth with a wrong secret', () => ({ ...keyOf.get('A/only-read')!, appSecret: 'wrong' })),
    ];
    for (const r of routes.filter((x) => x.scope !== undefined)) {
      for (const p of bad) {
        const { status, wwwAuth } = await statusOf(p, r.method, fill(r.url, 'A'));
        expect(status, `${p.name}: ${r.method} ${r.url}`).toBe(401);
        expect(wwwAuth, `${p.name}: ${r.method} ${r.url}`).toMatch(/Bearer/);
      }
    }
  });

  it("answers 403 to another account's principals, whatever their scopes", async () => {
    const other = [bearer('bearer of account B', () => bearerOf.get('B/all')!), oauth('key of account B', () => keyOf.get('B/all')!)];
    for (const r of routes.filter((x) => x.scope !== undefined)) {
      for (const p of other) {
        const { status } = await statusOf(p, r.method, fill(r.url, 'A'));
        expect(status, `${p.name}: ${r.method} ${r.url}`).toBe(403);
      }
    }
  });

  it("answers 403 to the account's principals without the route's scope", async () => {
    for (const r of routes.filter((x) => x.scope !== undefined)) {
      const lacking = [
        bearer(`user without ${r.scope}`, () => bearerOf.get(`A/but-${r.scope}`)!),
        oauth(`key without ${r.scope}`, () => keyOf.get(`A/but-${r.scope}`)!),
      ];
      for (const p of lacking) {
        const { status } = await statusOf(p, r.method, fill(r.url, 'A'));
        expect(status, `${p.name}: ${r.method} ${r.url}`).toBe(403);
      }
    }
  });

  it('lets the right principal through (the answer is then about the request, not about access)', async () => {
    for (const r of routes.filter((x) => x.scope !== undefined)) {
      const right = [
        bearer(`user with only ${r.scope}`, () => bearerOf.get(`A/only-${r.scope}`)!),
        oauth(`key with only ${r.scope}`, () => keyOf.get(`A/only-${r.scope}`)!),
        bearer('operator token', () => s.token),
      ];
      for (const p of right) {
        const { status } = await statusOf(p, r.method, fill(r.url, 'A'));
        expect([401, 403, 429], `${p.name}: ${r.method} ${r.url} answered ${status}`).not.toContain(status);
        expect(status, `${p.name}: ${r.method} ${r.url}`).toBeLessThan(500);
      }
    }
  });
});
