import { describe, expect, it } from 'vitest';
import { AllowListError, TargetPolicy, type Resolver } from './allow-list.js';

const dns = (table: Record<string, string[]>): Resolver => (host) => {
  const addrs = table[host];
  if (!addrs) return Promise.reject(Object.assign(new Error('not found'), { code: 'ENOTFOUND' }));
  return Promise.resolve(addrs.map((address) => ({ address, family: address.includes(':') ? 6 : 4 })));
};

describe('webhook target policy (SSRF guard)', () => {
  const resolver = dns({
    'hooks.example.com': ['93.184.216.34'],
    'rebind.example.com': ['169.254.169.254'],
    'a.partner.net': ['198.51.99.7'],
    'inside.partner.net': ['10.1.2.3'],
    localhost: ['127.0.0.1', '::1'],
    'mixed.example.com': ['93.184.216.34', '192.168.1.1'],
  });
  const policy = new TargetPolicy(['hooks.example.com', 'rebind.example.com', '*.partner.net', 'localhost', '127.0.0.1', '::1', '10.9.0.0/16', 'mixed.example.com'], resolver);

  it('checks URLs at registration: scheme, credentials, host by name or address', () => {
    expect(policy.check('https://hooks.example.com/x')).toBeInstanceOf(URL);
    expect(policy.check('http://a.partner.net:8080/x')).toBeInstanceOf(URL);
    expect(policy.check('http://partner.net/x')).toMatch(/not allowed/);
    expect(policy.check('http://evilhooks.example.com/x')).toMatch(/not allowed/);
    expect(policy.check('http://10.9.3.4/x')).toBeInstanceOf(URL);
    expect(policy.check('http://10.8.3.4/x')).toMatch(/not allowed/);
    expect(policy.check('http://[::1]:9/x')).toBeInstanceOf(URL);
    expect(policy.check('http://[::ffff:127.0.0.1]/x')).toBeInstanceOf(URL);
    expect(policy.check('file:///etc/passwd')).toMatch(/http or https/);
    expect(policy.check('http://u:p@hooks.example.com/')).toMatch(/credentials/);
    // 127.0.0.1 written in decimal: URL normalises it, then the address rule applies.
    expect(new TargetPolicy(['hooks.example.com']).check('http://2130706433/')).toMatch(/127\.0\.0\.1 is not allowed/);
  });

  it('refuses allowed names that resolve to non-public addresses not listed', async () => {
    expect(await policy.resolve(new URL('https://hooks.example.com/'))).toEqual({ address: '93.184.216.34', family: 4 });
    expect(await policy.resolve(new URL('https://rebind.example.com/'))).toMatch(/non-public/);
    expect(await policy.resolve(new URL('https://inside.partner.net/'))).toMatch(/non-public/);
    expect(await policy.resolve(new URL('https://mixed.example.com/'))).toMatch(/non-public/);
    expect(await policy.resolve(new URL('http://localhost:1/'))).toEqual({ address: '127.0.0.1', family: 4 });
    expect(await policy.resolve(new URL('http://a.partner.net/'))).toEqual({ address: '198.51.99.7', family: 4 });
    expect(await policy.resolve(new URL('http://nx.partner.net/'))).toMatch(/cannot resolve/);
  });

  it('rejects malformed allow-list entries at start', () => {
    expect(() => new TargetPolicy(['ok.example', 'http://x/', '10.0.0.0/99'])).toThrow(AllowListError);
    expect(() => new TargetPolicy(['*.ok.example', '::1', '192.168.0.0/24'])).not.toThrow();
  });
});
