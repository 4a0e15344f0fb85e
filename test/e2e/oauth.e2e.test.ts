/**
 * OAuth 1.0a verification, with requests signed by the independent
 * `oauth-1.0a` npm library: valid (HMAC-SHA1, HMAC-SHA256), tampered,
 * replayed nonce, stale timestamp, query-string and form-body parameters,
 * wrong account, wrong scope.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signedFetch, signRequest, type Credentials, type SignOptions } from '../helpers/oauth.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

const PUBLIC = 'http://agentview.test';
const STATUS = '/messaging_history/api/account/A1/agent-view/status';

describe('OAuth 1.0a', () => {
  let s: TestServer;
  let read: Credentials;
  let writeOnly: Credentials;
  let otherAccount: Credentials;
  const newKey = async (account: string, scopes: string[]): Promise<Credentials> => {
    const r = await s.call('POST', `/api/account/${account}/admin/keys`, { scopes });
    expect(r.status).toBe(201);
    return r.body;
  };
  beforeAll(async () => {
    s = await startTestServer({ AGENTVIEW_PUBLIC_URL: PUBLIC });
    read = await newKey('A1', ['read']);
    writeOnly = await newKey('A1', ['write']);
    otherAccount = await newKey('A2', ['read', 'write', 'admin']);
    await s.call('POST', '/api/account/A1/events', { events: [{ type: 'agent.loggedIn', agentId: '1' }, { type: 'agent.loggedIn', agentId: '2' }] });
  });
  afterAll(async () => s.stop());

  const call = (o: Partial<SignOptions> & { path?: string; creds: Credentials }) => {
    const path = o.path ?? STATUS;
    return signedFetch({ method: 'POST', signedUrl: PUBLIC + path, sendTo: s.url + path, ...o });
  };

  it('accepts a valid HMAC-SHA1 request with parameters in the Authorization header', async () => {
    const r = await call({ creds: read, json: {} });
    expect(r.status).toBe(200);
    expect(r.body._metadata.count).toBe(2);
  });

  it('accepts HMAC-SHA256', async () => {
    const r = await call({ creds: read, signatureMethod: 'HMAC-SHA256', json: { agentIds: [1] } });
    expect(r.status).toBe(200);
    expect(r.body._metadata.count).toBe(1);
  });

  it('accepts parameters in the query string, signing the other query parameters too', async () => {
    const path = `${STATUS}?limit=1&sort=agentId:desc`;
    const r = await call({ creds: read, where: 'query', path });
    expect(r.status).toBe(200);
    expect(r.body.agentStatusRecords.map((x: { agentId: string }) => x.agentId)).toEqual(['2']);
  });

  it('accepts parameters in a form body (the route then sees no body: no filter)', async () => {
    const r = await call({ creds: read, where: 'form' });
    expect(r.status).toBe(200);
    expect(r.body._metadata.count).toBe(2);
    // A form body that carries no OAuth parameters is just an unsupported body type.
    const plain = await s.call('POST', STATUS, 'a=1', { 'content-type': 'application/x-www-form-urlencoded' });
    expect(plain.status).toBe(415);
  });

  it('accepts form fields besides the OAuth parameters (they are signed too, see the tampering test)', async () => {
    const ok = await call({ creds: read, where: 'form', form: { note: 'a b+c' } });
    // The field reaches the route as a string; Agent Status ignores unknown keys.
    expect(ok.status).toBe(200);
  });

  it('refuses tampered requests with 401 and WWW-Authenticate', async () => {
    // Signed for limit=1, sent with limit=2.
    const tamperedQuery = await signedFetch({
      method: 'POST',
      signedUrl: `${PUBLIC}${STATUS}?limit=1`,
      sendTo: `${s.url}${STATUS}?limit=2`,
      creds: read,
    });
    expect(tamperedQuery.status).toBe(401);
    expect(tamperedQuery.body.code).toBe('UNAUTHORIZED');
    expect(tamperedQuery.headers.get('www-authenticate')).toMatch(/OAuth realm="agentview"/);
    // Signed for another account's path.
    const otherPath = await signedFetch({
      method: 'POST',
      signedUrl: `${PUBLIC}/messaging_history/api/account/A3/agent-view/status`,
      sendTo: `${s.url}${STATUS}`,
      creds: read,
    });
    expect(otherPath.status).toBe(401);
    // Signed as GET, sent as POST.
    const asGet = signRequest({ method: 'GET', signedUrl: PUBLIC + STATUS, sendTo: s.url + STATUS, creds: read });
    expect((await fetch(asGet.url, { ...asGet.init, method: 'POST' })).status).toBe(401);
    const wrongSecret = await call({ creds: { ...read, tokenSecret: 'not-the-secret' } });
    expect(wrongSecret.status).toBe(401);
    const wrongToken = await call({ creds: { ...read, token: writeOnly.token, tokenSecret: writeOnly.tokenSecret } });
    expect(wrongToken.status).toBe(401);
    const unknownKey = await call({ creds: { ...read, appKey: 'f'.repeat(32) } });
    expect(unknownKey.status).toBe(401);
    // Signed over the address the server happens to listen on instead of AGENTVIEW_PUBLIC_URL.
    const wrongHost = await signedFetch({ method: 'POST', signedUrl: s.url + STATUS, sendTo: s.url + STATUS, creds: read });
    expect(wrongHost.status).toBe(401);
    // A form field changed after signing.
    const { url, init } = signRequest({
      method: 'POST',
      signedUrl: PUBLIC + STATUS,
      sendTo: s.url + STATUS,
      creds: read,
      where: 'form',
      form: { note: 'signed' },
    });
    const res = await fetch(url, { ...init, body: (init.body as string).replace('note=signed', 'note=changed') });
    expect(res.status).toBe(401);
  });

  it('refuses a replayed nonce', async () => {
    const nonce = 'replay-me-0123456789abcdef';
    const first = await call({ creds: read, nonce });
    expect(first.status).toBe(200);
    const again = await call({ creds: read, nonce });
    expect(again.status).toBe(401);
    expect(again.body.message).toMatch(/nonce/);
    // The same nonce with another key is another nonce.
    const otherKey = await signedFetch({
      method: 'POST',
      signedUrl: `${PUBLIC}/messaging_history/api/account/A2/agent-view/status`,
      sendTo: `${s.url}/messaging_history/api/account/A2/agent-view/status`,
      creds: otherAccount,
      nonce,
    });
    expect(otherKey.status).toBe(200);
  });

  it('refuses timestamps outside the 5-minute window either way', async () => {
    const now = Math.floor(Date.now() / 1000);
    for (const ts of [now - 3600, now + 3600]) {
      const r = await call({ creds: read, timestamp: ts });
      expect(r.status).toBe(401);
      expect(r.body.message).toMatch(/timestamp/);
    }
    expect((await call({ creds: read, timestamp: now - 60 })).status).toBe(200);
  });

  it('answers 403 for a valid key of another account', async () => {
    const r = await call({ creds: otherAccount });
    expect(r.status).toBe(403);
    expect(r.body.code).toBe('FORBIDDEN');
  });

  it('answers 403 for a key without the scope the route needs', async () => {
    expect((await call({ creds: writeOnly })).status).toBe(403);
    const ingest = await call({ creds: read, path: '/api/account/A1/events', json: { events: [{ type: 'agent.loggedIn', agentId: '9' }] } });
    expect(ingest.status).toBe(403);
    const ok = await call({ creds: writeOnly, path: '/api/account/A1/events', json: { events: [{ type: 'agent.loggedIn', agentId: '9' }] } });
    expect(ok.status).toBe(200);
    expect(ok.body.accepted).toBe(1);
    const admin = await call({ creds: read, path: '/api/account/A1/admin/keys', method: 'GET' });
    expect(admin.status).toBe(403);
  });

  it('refuses protocol parameters in two places, and missing ones', async () => {
    const { url, init, oauth } = signRequest({
      method: 'POST',
      signedUrl: PUBLIC + STATUS,
      sendTo: s.url + STATUS,
      creds: read,
    });
    const twice = await fetch(`${url}?oauth_nonce=${oauth.oauth_nonce}`, init);
    expect(twice.status).toBe(401);
    const header = (init.headers as Record<string, string>).authorization!.replace(/oauth_nonce="[^"]*",?\s*/, '');
    const missing = await fetch(url, { ...init, headers: { ...(init.headers as Record<string, string>), authorization: header } });
    expect(missing.status).toBe(401);
    expect(((await missing.json()) as { message: string }).message).toMatch(/oauth_nonce/);
  });

  it('stops accepting a key once it is revoked', async () => {
    const k = await newKey('A1', ['read']);
    expect((await call({ creds: k })).status).toBe(200);
    expect((await s.call('DELETE', `/api/account/A1/admin/keys/${k.appKey}`)).status).toBe(204);
    expect((await call({ creds: k })).status).toBe(401);
  });
});
