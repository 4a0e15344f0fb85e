/**
 * The AuthStore contract, written once and run against every adapter
 * (`authStoreContract('sqlite', () => …)`). A cluster adapter runs the same.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AuthStore, KeyRecord, SessionRecord, UserRecord } from '../../src/ports/index.js';

export interface AuthStoreFixture {
  store: AuthStore;
  /** Closes the store and anything under it. */
  dispose(): Promise<void>;
  /** Opens the same data again (durable adapters); undefined for volatile ones. */
  reopen?: () => Promise<AuthStoreFixture>;
}

const user = (account: string, username: string, extra: Partial<UserRecord> = {}): UserRecord => ({
  account,
  username,
  roles: ['read'],
  passwordHash: `scrypt$hash-of-${username}`,
  createdAt: 1_700_000_000_000,
  ...extra,
});

const key = (account: string, appKey: string, extra: Partial<KeyRecord> = {}): KeyRecord => ({
  account,
  appKey,
  appSecret: `secret-${appKey}`,
  token: `token-${appKey}`,
  tokenSecret: `token-secret-${appKey}`,
  scopes: ['read', 'write'],
  createdAt: 1_700_000_000_000,
  ...extra,
});

const session = (id: string, extra: Partial<SessionRecord> = {}): SessionRecord => ({
  id,
  account: 'A',
  subject: { kind: 'user', username: 'maya' },
  scopes: ['read'],
  csrfHash: `csrf-${id}`,
  createdAt: 1_700_000_000_000,
  expiresAt: 1_700_000_600_000,
  ...extra,
});

export function authStoreContract(name: string, open: () => Promise<AuthStoreFixture>): void {
  describe(`AuthStore contract: ${name}`, () => {
    let f: AuthStoreFixture;
    let s: AuthStore;
    beforeEach(async () => {
      f = await open();
      s = f.store;
    });
    afterEach(async () => f.dispose());

    it('creates, reads and lists users per account, refusing duplicates', async () => {
      expect(await s.createUser(user('A', 'zoe', { roles: ['read', 'admin'] }))).toBe(true);
      expect(await s.createUser(user('A', 'maya'))).toBe(true);
      expect(await s.createUser(user('B', 'maya', { roles: ['write'] }))).toBe(true);
      expect(await s.createUser(user('A', 'maya', { roles: ['admin'] }))).toBe(false);
      expect(await s.getUser('A', 'maya')).toEqual(user('A', 'maya'));
      expect(await s.getUser('B', 'maya')).toEqual(user('B', 'maya', { roles: ['write'] }));
      expect(await s.getUser('C', 'maya')).toBeUndefined();
      expect(await s.getUser('A', 'MAYA')).toBeUndefined();
      expect((await s.listUsers('A')).map((u) => u.username)).toEqual(['maya', 'zoe']);
      expect((await s.listUsers('A'))[1]!.roles).toEqual(['read', 'admin']);
      expect(await s.listUsers('C')).toEqual([]);
    });

    it('returns copies: changing a returned record changes nothing stored', async () => {
      await s.createUser(user('A', 'maya'));
      const u = (await s.getUser('A', 'maya'))!;
      u.roles.push('admin');
      expect((await s.getUser('A', 'maya'))!.roles).toEqual(['read']);
    });

    it('deletes a user with its sessions only', async () => {
      await s.createUser(user('A', 'maya'));
      await s.createUser(user('A', 'zoe'));
      await s.createSession(session('s1'));
      await s.createSession(session('s2', { subject: { kind: 'user', username: 'zoe' } }));
      await s.createSession(session('s3', { account: 'B' }));
      expect(await s.deleteUser('A', 'maya')).toBe(true);
      expect(await s.deleteUser('A', 'maya')).toBe(false);
      expect(await s.getUser('A', 'maya')).toBeUndefined();
      expect(await s.getSession('s1')).toBeUndefined();
      expect(await s.getSession('s2')).toBeDefined();
      expect(await s.getSession('s3')).toBeDefined();
    });

    it('creates keys with globally unique app keys, finds them by app key and lists them oldest first', async () => {
      expect(await s.createKey(key('A', 'k2', { createdAt: 2, description: 'wallboard' }))).toBe(true);
      expect(await s.createKey(key('A', 'k1', { createdAt: 3 }))).toBe(true);
      expect(await s.createKey(key('B', 'k3', { createdAt: 1 }))).toBe(true);
      expect(await s.createKey(key('B', 'k1'))).toBe(false);
      expect(await s.getKey('k1')).toEqual(key('A', 'k1', { createdAt: 3 }));
      expect(await s.getKey('k2')).toEqual(key('A', 'k2', { createdAt: 2, description: 'wallboard' }));
      expect(await s.getKey('nope')).toBeUndefined();
      expect((await s.listKeys('A')).map((k) => k.appKey)).toEqual(['k2', 'k1']);
      expect((await s.listKeys('B')).map((k) => k.appKey)).toEqual(['k3']);
    });

    it("deletes a key only from its own account, with the key's sessions", async () => {
      await s.createKey(key('A', 'k1'));
      await s.createSession(session('s1', { subject: { kind: 'key', appKey: 'k1' } }));
      await s.createSession(session('s2'));
      expect(await s.deleteKey('B', 'k1')).toBe(false);
      expect(await s.getKey('k1')).toBeDefined();
      expect(await s.deleteKey('A', 'k1')).toBe(true);
      expect(await s.deleteKey('A', 'k1')).toBe(false);
      expect(await s.getKey('k1')).toBeUndefined();
      expect(await s.getSession('s1')).toBeUndefined();
      expect(await s.getSession('s2')).toBeDefined();
    });

    it('stores, extends, revokes and purges sessions', async () => {
      await s.createSession(session('s1', { scopes: ['read', 'write'] }));
      await s.createSession(session('s2', { expiresAt: 1_700_000_100_000, subject: { kind: 'key', appKey: 'k9' } }));
      expect(await s.getSession('s1')).toEqual(session('s1', { scopes: ['read', 'write'] }));
      expect(await s.getSession('s2')).toEqual(session('s2', { expiresAt: 1_700_000_100_000, subject: { kind: 'key', appKey: 'k9' } }));
      expect(await s.extendSession('s1', 1_700_009_000_000)).toBe(true);
      expect(await s.extendSession('nope', 1)).toBe(false);
      expect((await s.getSession('s1'))!.expiresAt).toBe(1_700_009_000_000);
      expect(await s.purgeExpiredSessions(1_700_000_100_000)).toBe(1);
      expect(await s.getSession('s2')).toBeUndefined();
      expect(await s.deleteSession('s1')).toBe(true);
      expect(await s.deleteSession('s1')).toBe(false);
      expect(await s.getSession('s1')).toBeUndefined();
    });

    it('keeps secrets usable exactly as given (OAuth needs them) and text of any kind', async () => {
      const odd = key('A', 'k-ü', { appSecret: 'a&b=c%20"\'\n', tokenSecret: '🔑', description: "l'été" });
      await s.createKey(odd);
      expect(await s.getKey('k-ü')).toEqual(odd);
      await s.createUser(user('A', 'élodie@example.com'));
      expect((await s.getUser('A', 'élodie@example.com'))!.username).toBe('élodie@example.com');
    });

    it('keeps everything across a reopen when durable', async () => {
      if (!f.reopen) return;
      await s.createUser(user('A', 'maya'));
      await s.createKey(key('A', 'k1'));
      await s.createSession(session('s1'));
      const again = await f.reopen();
      f = again;
      s = again.store;
      expect(await s.getUser('A', 'maya')).toEqual(user('A', 'maya'));
      expect(await s.getKey('k1')).toEqual(key('A', 'k1'));
      expect(await s.getSession('s1')).toEqual(session('s1'));
    });
  });
}
