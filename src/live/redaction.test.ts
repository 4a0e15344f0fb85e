import { describe, expect, it } from 'vitest';
import { redactUrl } from '../observability/logger.js';

describe('stream access_token in logs', () => {
  it('is redacted from logged URLs', () => {
    const url = '/api/account/1000/agent-view/stream?status=ONLINE&access_token=s3cr3t-bearer-value&agentIds=1';
    const logged = redactUrl(url);
    expect(logged).not.toContain('s3cr3t-bearer-value');
    expect(logged).toContain('access_token=[REDACTED]');
    expect(logged).toContain('status=ONLINE');
  });
});
