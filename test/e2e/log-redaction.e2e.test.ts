/**
 * Logs never contain secrets: runs logins, key creation, bearer calls and
 * OAuth calls (signatures in header, query and form body) with the most
 * verbose log level, captures every log line, and looks for each secret.
 */
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/observability/logger.js';
import { signedFetch, type Credentials } from '../helpers/oauth.js';
import { ADMIN_TOKEN, startTestServer, type TestServer } from '../helpers/server.js';

const PUBLIC = 'http://agentview.test';

describe('log redaction', () => {
  let s: TestServer;
  const lines: string[] = [];
  const secrets = new Map<string, string>();
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(chunk.toString('utf8'));
      done();
    },
  });

  beforeAll(async () => {
    s = await startTestServer({ AGENTVIEW_PUBLIC_URL: PUBLIC }, { logger: createLogger('trace', sink) });
  });
  afterAll(async () => s.stop());

  it('logs requests (so the check below is not vacuous)', async () => {
    await s.call('GET', '/healthz');
    expect(lines.join('')).toMatch(/healthz/);
  });

  it('never writes a password, bearer, csrf, session id, key secret, token or signature', async () => {
    secrets.set('admin token', ADMIN_TOKEN);
    const password = 'Pa55word-that-is-long';
    secrets.set('password', password);
    expect((await s.call('POST', '/api/account/A/admin/users', { username: 'maya', password, roles: ['read', 'write'] })).status).toBe(201);

    const l = await s.call('POST', '/api/account/A/login?v=1.3', { username: 'maya', password }, { authorization: '' });
    expect(l.status).toBe(200);
    secrets.set('bearer', l.body.bearer);
    secrets.set('csrf', l.body.csrf);
    const cookie = l.headers.get('set-cookie')!.split(';')[0]!;
    secrets.set('session id', cookie.split('=')[1]!);
    await s.call('POST', '/api/account/A/login?v=1.3', { username: 'maya', password: `${password}-wrong` }, { authorization: '' });
    secrets.set('wrong password', `${password}-wrong`);

    const auth = { authorization: `Bearer ${l.body.bearer as string}` };
    expect((await s.call('POST', '/messaging_history/api/account/A/agent-view/status', {}, auth)).status).toBe(200);
    expect((await s.call('POST', '/api/account/A/refresh', { csrf: l.body.csrf }, { authorization: '', cookie })).status).toBe(200);

    const k = await s.call('POST', '/api/account/A/admin/keys', { scopes: ['read'] });
    const creds = k.body as Credentials;
    secrets.set('app secret', creds.appSecret);
    secrets.set('token secret', creds.tokenSecret);
    secrets.set('access token', creds.token);
    const appLogin = await s.call(
      'POST',
      '/api/account/A/login',
      { username: 'bot', appKey: creds.appKey, secret: creds.appSecret, accessToken: creds.token, accessTokenSecret: creds.tokenSecret },
      { authorization: '' },
    );
    secrets.set('app bearer', appLogin.body.bearer);

    const path = '/messaging_history/api/account/A/agent-view/status';
    for (const where of ['header', 'query', 'form'] as const) {
      const r = await signedFetch({ method: 'POST', signedUrl: PUBLIC + path + '?limit=5', sendTo: s.url + path + '?limit=5', creds, where });
      expect(r.status, where).toBe(200);
      secrets.set(`signature in ${where}`, r.oauth.oauth_signature);
    }
    // A bad signature is logged about too (as a 401).
    const bad = await signedFetch({ method: 'POST', signedUrl: PUBLIC + path, sendTo: s.url + path, creds: { ...creds, tokenSecret: 'x' }, where: 'query' });
    expect(bad.status).toBe(401);
    secrets.set('bad signature', bad.oauth.oauth_signature);

    expect((await s.call('POST', '/api/account/A/logout', undefined, auth)).status).toBe(200);

    const log = lines.join('');
    expect(log).toMatch(/login/);
    expect(log).toMatch(/\[REDACTED\]/);
    for (const [what, value] of secrets) {
      expect(value.length, what).toBeGreaterThanOrEqual(16);
      for (const form of new Set([value, encodeURIComponent(value), new URLSearchParams({ v: value }).toString().slice(2)])) {
        expect(log.includes(form), `${what} appears in the logs`).toBe(false);
      }
    }
  });
});
