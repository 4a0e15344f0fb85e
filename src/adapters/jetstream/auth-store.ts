/**
 * Users, OAuth keys and login sessions in a JetStream key-value bucket, so
 * every server of a cluster sees the same ones at once (a user created on one
 * server logs in on another; a revoked key stops working everywhere).
 *
 * Keys: `u.<account>.<username>`, `k.<appKey>` (app keys are unique across
 * accounts: the create is the uniqueness check), `s.<session id>`; dynamic
 * parts are base64url-encoded. Creates are compare-and-set (`kv.create`
 * fails when the key exists), session refreshes are updates at the revision
 * read. Secrets are stored as the port defines (hashes for passwords and
 * bearers) and never logged.
 */
import type { KV, KvEntry } from '@nats-io/kv';
import type { AuthStore, KeyRecord, SessionRecord, UserRecord } from '../../ports/index.js';
import type { NatsConnection } from './connection.js';
import { isRevisionConflict, keyPart, lazyBucket, storeCall } from './kv.js';

export interface JetStreamAuthStoreOptions {
  bucket: string;
  replicas: number;
  /** Deadline of one operation before it fails as STORE_UNAVAILABLE (default 5 s). */
  timeoutMs?: number;
}

const userKey = (account: string, username: string) => `u.${account}.${keyPart(username)}`;
const appKeyKey = (appKey: string) => `k.${keyPart(appKey)}`;
const sessionKey = (id: string) => `s.${keyPart(id)}`;

function live(e: KvEntry | null): e is KvEntry {
  return e !== null && e.operation === 'PUT';
}

export class JetStreamAuthStore implements AuthStore {
  private readonly kv: () => Promise<KV>;
  private readonly timeoutMs: number;

  constructor(nats: NatsConnection, options: JetStreamAuthStoreOptions) {
    this.kv = lazyBucket(nats, { bucket: options.bucket, replicas: options.replicas });
    this.timeoutMs = options.timeoutMs ?? 5000;
  }

  private call<T>(what: string, fn: () => Promise<T>): Promise<T> {
    return storeCall(what, this.timeoutMs, fn);
  }

  private async create(key: string, value: unknown): Promise<boolean> {
    const kv = await this.kv();
    try {
      await kv.create(key, JSON.stringify(value));
      return true;
    } catch (err) {
      if (isRevisionConflict(err)) return false;
      throw err;
    }
  }

  private async read<T>(key: string): Promise<T | undefined> {
    const e = await (await this.kv()).get(key);
    return live(e) ? e.json<T>() : undefined;
  }

  /** Every live value under a key filter (admin listings; one request per key). */
  private async scan<T>(filter: string): Promise<T[]> {
    const kv = await this.kv();
    const keys: string[] = [];
    for await (const k of await kv.keys(filter)) keys.push(k);
    const out: T[] = [];
    for (let i = 0; i < keys.length; i += 64) {
      const entries = await Promise.all(keys.slice(i, i + 64).map((k) => kv.get(k)));
      for (const e of entries) if (live(e)) out.push(e.json<T>());
    }
    return out;
  }

  createUser(user: UserRecord): Promise<boolean> {
    return this.call('creating a user', () => this.create(userKey(user.account, user.username), user));
  }

  getUser(account: string, username: string): Promise<UserRecord | undefined> {
    return this.call('reading a user', () => this.read<UserRecord>(userKey(account, username)));
  }

  async listUsers(account: string): Promise<UserRecord[]> {
    const users = await this.call('listing users', () => this.scan<UserRecord>(`u.${account}.*`));
    return users.filter((u) => u.account === account).sort((a, b) => (a.username < b.username ? -1 : a.username > b.username ? 1 : 0));
  }

  deleteUser(account: string, username: string): Promise<boolean> {
    return this.call('deleting a user', () => this.deleteUserNow(account, username));
  }

  private async deleteUserNow(account: string, username: string): Promise<boolean> {
    const key = userKey(account, username);
    if (!(await this.read<UserRecord>(key))) return false;
    await (await this.kv()).delete(key);
    await this.dropSessions((s) => s.account === account && s.subject.kind === 'user' && s.subject.username === username);
    return true;
  }

  createKey(key: KeyRecord): Promise<boolean> {
    return this.call('creating a key', () => this.create(appKeyKey(key.appKey), key));
  }

  getKey(appKey: string): Promise<KeyRecord | undefined> {
    return this.call('reading a key', () => this.read<KeyRecord>(appKeyKey(appKey)));
  }

  async listKeys(account: string): Promise<KeyRecord[]> {
    const keys = await this.call('listing keys', () => this.scan<KeyRecord>('k.*'));
    return keys.filter((k) => k.account === account).sort((a, b) => a.createdAt - b.createdAt || (a.appKey < b.appKey ? -1 : 1));
  }

  deleteKey(account: string, appKey: string): Promise<boolean> {
    return this.call('deleting a key', () => this.deleteKeyNow(account, appKey));
  }

  private async deleteKeyNow(account: string, appKey: string): Promise<boolean> {
    const key = appKeyKey(appKey);
    const k = await this.read<KeyRecord>(key);
    if (!k || k.account !== account) return false;
    await (await this.kv()).delete(key);
    await this.dropSessions((s) => s.account === account && s.subject.kind === 'key' && s.subject.appKey === appKey);
    return true;
  }

  createSession(session: SessionRecord): Promise<void> {
    return this.call('creating a session', async () => {
      await (await this.kv()).put(sessionKey(session.id), JSON.stringify(session));
    });
  }

  getSession(id: string): Promise<SessionRecord | undefined> {
    return this.call('reading a session', () => this.read<SessionRecord>(sessionKey(id)));
  }

  extendSession(id: string, expiresAt: number): Promise<boolean> {
    return this.call('refreshing a session', () => this.extendSessionNow(id, expiresAt));
  }

  private async extendSessionNow(id: string, expiresAt: number): Promise<boolean> {
    const kv = await this.kv();
    const key = sessionKey(id);
    for (let attempt = 0; attempt < 10; attempt++) {
      const e = await kv.get(key);
      if (!live(e)) return false;
      try {
        await kv.update(key, JSON.stringify({ ...e.json<SessionRecord>(), expiresAt }), e.revision);
        return true;
      } catch (err) {
        // Refreshed or revoked concurrently: read again.
        if (!isRevisionConflict(err)) throw err;
      }
    }
    return false;
  }

  deleteSession(id: string): Promise<boolean> {
    return this.call('ending a session', async () => {
      const key = sessionKey(id);
      if (!(await this.read<SessionRecord>(key))) return false;
      await (await this.kv()).purge(key);
      return true;
    });
  }

  purgeExpiredSessions(now: number): Promise<number> {
    // Background work over every session: a longer deadline.
    return storeCall('purging sessions', 60_000, () => this.dropSessions((s) => s.expiresAt <= now));
  }

  close(): Promise<void> {
    // The connection is shared and closed by whoever opened it.
    return Promise.resolve();
  }

  private async dropSessions(match: (s: SessionRecord) => boolean): Promise<number> {
    const kv = await this.kv();
    const doomed = (await this.scan<SessionRecord>('s.*')).filter(match);
    // purge, not delete: no marker is left behind for a key that never comes back.
    await Promise.all(doomed.map((s) => kv.purge(sessionKey(s.id))));
    return doomed.length;
  }
}
