import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MemoryNonceStore } from '../../adapters/memory/index.js';
import type { KeyRecord } from '../../ports/index.js';
import { baseStringUri, hmacSignature, signatureBaseString, type Param } from './signature.js';
import { verifyOAuth, type OAuthVerifierOptions } from './verify.js';

const NOW = 1_700_000_000_000;
const KEY: KeyRecord = {
  account: 'A',
  appKey: 'ak',
  appSecret: 'as',
  token: 'tk',
  tokenSecret: 'ts',
  scopes: ['read'],
  createdAt: 0,
};
const options = (): OAuthVerifierOptions => ({
  publicUrl: 'https://api.example.com',
  findKey: (k) => Promise.resolve(k === KEY.appKey ? KEY : undefined),
  nonces: new MemoryNonceStore({ now: () => NOW }),
  now: () => NOW,
});

function header(params: Param[]): string {
  return 'OAuth ' + params.map(([n, v]) => `${n}="${encodeURIComponent(v)}"`).join(', ');
}

function signed(url: string, extra: Partial<Record<string, string>> = {}): string {
  const [path, query = ''] = url.split('?') as [string, string?];
  const params: Param[] = [
    ['oauth_consumer_key', 'ak'],
    ['oauth_token', 'tk'],
    ['oauth_signature_method', 'HMAC-SHA256'],
    ['oauth_timestamp', String(NOW / 1000)],
    ['oauth_nonce', extra.oauth_nonce ?? 'n1'],
    ['oauth_version', '1.0'],
  ];
  const qp = query === '' ? [] : query.split('&').map((kv) => kv.split('=').map(decodeURIComponent) as Param);
  const base = signatureBaseString('POST', baseStringUri('https://api.example.com', path), [...params, ...qp]);
  return header([...params, ['oauth_signature', hmacSignature('HMAC-SHA256', base, 'as', 'ts')]]);
}

describe('verifyOAuth', () => {
  it('accepts a correct signature once, then refuses the replay', async () => {
    const o = options();
    const req = { method: 'POST', url: '/x?limit=5', authorization: signed('/x?limit=5') };
    expect(await verifyOAuth(req, o)).toMatchObject({ outcome: 'valid', key: { appKey: 'ak' } });
    expect(await verifyOAuth(req, o)).toEqual({ outcome: 'invalid', reason: expect.stringMatching(/nonce/) });
  });

  it('leaves requests without OAuth to other authenticators, even with a malformed query', async () => {
    for (const url of ['/x', '/x?a=%zz', '/x?limit=5']) {
      expect(await verifyOAuth({ method: 'GET', url, authorization: 'Bearer abc' }, options())).toEqual({ outcome: 'absent' });
    }
  });

  it('never throws and never accepts, whatever the header, query and form (property)', async () => {
    const text = fc.string({ maxLength: 60 });
    const param = fc.tuple(fc.oneof(fc.constantFrom('oauth_consumer_key', 'oauth_token', 'oauth_signature', 'oauth_nonce', 'oauth_timestamp', 'oauth_signature_method', 'realm', 'oauth_version'), text), text);
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(text.map((t) => `OAuth ${t}`), fc.array(param, { maxLength: 8 }).map(header), fc.constant(undefined)),
        fc.string({ maxLength: 80 }),
        fc.array(fc.tuple(text, text), { maxLength: 5 }),
        async (authorization, query, form) => {
          const r = await verifyOAuth({ method: 'POST', url: `/p?${query}`, authorization, form }, options());
          expect(['absent', 'invalid']).toContain(r.outcome);
        },
      ),
      { numRuns: 300 },
    );
  });
});
