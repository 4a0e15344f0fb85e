import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger, redactUrl } from './logger.js';

describe('logger redaction', () => {
  it('censors credential fields wherever code might log them', () => {
    const out: string[] = [];
    const sink = new Writable({
      write(c: Buffer, _e, done) {
        out.push(c.toString());
        done();
      },
    });
    const log = createLogger('info', sink);
    const values = {
      password: 'pw-0123456789',
      appSecret: 'as-0123456789',
      tokenSecret: 'ts-0123456789',
      accessTokenSecret: 'ats-0123456789',
      secret: 'sec-0123456789',
      bearer: 'bearer-0123456789',
      csrf: 'csrf-0123456789',
      oauth_signature: 'sig-0123456789',
      token: 'tok-0123456789',
    };
    log.info(values, 'top level');
    log.info({ body: values, headers: { authorization: 'Bearer hdr-0123456789', cookie: 'Session_id=ck-0123456789' } }, 'nested');
    const text = out.join('');
    expect(text).toContain('nested');
    for (const v of [...Object.values(values), 'hdr-0123456789', 'ck-0123456789']) expect(text).not.toContain(v);
  });

  it('censors credential query parameters in URLs and keeps the others', () => {
    expect(redactUrl('/x?limit=5&oauth_signature=abc%3D&oauth_nonce=n&sort=a:asc')).toBe(
      '/x?limit=5&oauth_signature=[REDACTED]&oauth_nonce=[REDACTED]&sort=a:asc',
    );
    expect(redactUrl('/x')).toBe('/x');
  });
});
