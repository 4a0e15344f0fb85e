import { describe, expect, it } from 'vitest';
import { DUMMY_PASSWORD_HASH, hashPassword, randomHex, safeEqual, verifyPassword } from './secrets.js';

describe('passwords', () => {
  it('hashes with scrypt and a per-user salt, and verifies only the right password', async () => {
    const a = await hashPassword('correct horse');
    const b = await hashPassword('correct horse');
    expect(a).toMatch(/^scrypt\$32768\$8\$1\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+$/);
    expect(a).not.toBe(b);
    expect(a).not.toContain('correct horse');
    expect(await verifyPassword('correct horse', a)).toBe(true);
    expect(await verifyPassword('correct horse', b)).toBe(true);
    expect(await verifyPassword('correct hors', a)).toBe(false);
    expect(await verifyPassword('', a)).toBe(false);
  });

  it('treats malformed stored hashes and the dummy hash as never matching', async () => {
    for (const h of ['', 'plain', 'scrypt$1$1', 'bcrypt$a$b$c$d$e', 'scrypt$99999999$8$1$AA==$AA==', 'scrypt$1024$8$1$AA==$']) {
      expect(await verifyPassword('x', h)).toBe(false);
    }
    expect(await verifyPassword('', DUMMY_PASSWORD_HASH)).toBe(false);
  });
});

describe('tokens', () => {
  it('are random hex of the asked length', () => {
    expect(randomHex(32)).toMatch(/^[0-9a-f]{64}$/);
    expect(randomHex(16)).not.toBe(randomHex(16));
  });
  it('compare equal only when equal', () => {
    expect(safeEqual('abc', 'abc')).toBe(true);
    expect(safeEqual('abc', 'abd')).toBe(false);
    expect(safeEqual('abc', 'abcd')).toBe(false);
  });
});
