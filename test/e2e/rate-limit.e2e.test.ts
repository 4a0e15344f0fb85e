/** Per-account rate limits over HTTP, with a hand-moved clock (no sleeping, no timing). */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.js';
import { ManualClock, startTestServer, type TestServer } from '../helpers/server.js';

describe('per-account rate limits', () => {
  let s: TestServer;
  const clock = new ManualClock(1700000000000);
  const bearer = new Map<string, string>();
  beforeAll(async () => {
    s = await startTestServer({ AGENTVIEW_RATE_LIMIT_RPS: '2', AGENTVIEW_RATE_LIMIT_BURST: '5' }, { clock });
    for (const account of ['A', 'B']) {
      await s.call('POST', `/api/account/${account}/admin/users`, { username: 'u', password: 'long enough password', roles: ['read'] });
      const l = await s.call('POST', `/api/account/${account}/login`, { username: 'u', password: 'long enough password' }, { authorization: '' });
      bearer.set(account, l.body.bearer);
    }
  });
  afterAll(async () => s.stop());

  const status = (account: string) =>
    s.call('POST', `/messaging_history/api/account/${account}/agent-view/status`, {}, { authorization: `Bearer ${bearer.get(account)!}` });

  it('allows the burst with RateLimit headers, then answers 429 with Retry-After; other accounts are not slowed', async () => {
    for (let i = 0; i < 5; i++) {
      const r = await status('A');
      expect(r.status).toBe(200);
      expect(r.headers.get('ratelimit-limit')).toBe('5');
      expect(r.headers.get('ratelimit-remaining')).toBe(String(4 - i));
      expect(Number(r.headers.get('ratelimit-reset'))).toBeGreaterThanOrEqual(1);
    }
    const limited = await status('A');
    expect(limited.status).toBe(429);
    expect(limited.body.code).toBe('RATE_LIMITED');
    expect(limited.headers.get('retry-after')).toBe('1');
    expect(limited.headers.get('ratelimit-remaining')).toBe('0');
    expect(limited.headers.get('ratelimit-reset')).toBe('3');

    const other = await status('B');
    expect(other.status).toBe(200);
    expect(other.headers.get('ratelimit-remaining')).toBe('4');

    // The operator's token is not limited, on the same account.
    for (let i = 0; i < 10; i++) {
      const r = await s.call('POST', '/messaging_history/api/account/A/agent-view/status', {});
      expect(r.status).toBe(200);
      expect(r.headers.get('ratelimit-limit')).toBeNull();
    }

    clock.advance(500);
    expect((await status('A')).status).toBe(200);
    expect((await status('A')).status).toBe(429);
    clock.advance(10_000);
    expect((await status('A')).headers.get('ratelimit-remaining')).toBe('4');
  });

  it('does not spend the budget on requests refused for bad credentials', async () => {
    clock.advance(10_000);
    for (let i = 0; i < 20; i++) {
      const r = await s.call('POST', '/messaging_history/api/account/B/agent-view/status', {}, { authorization: 'Bearer nope' });
      expect(r.status).toBe(401);
    }
    expect((await status('B')).headers.get('ratelimit-remaining')).toBe('4');
  });

  it('rejects an invalid burst at start and defaults the burst to two seconds of rate', () => {
    expect(() => loadConfig({ AGENTVIEW_RATE_LIMIT_BURST: '0', AGENTVIEW_DEMO: '0' }, () => 'x')).toThrow(/AGENTVIEW_RATE_LIMIT_BURST/);
    expect(loadConfig({ AGENTVIEW_RATE_LIMIT_RPS: '7', AGENTVIEW_DEMO: '0' }, () => 'x').rateLimitBurst).toBe(14);
  });
});
