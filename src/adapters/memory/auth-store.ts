import type { AuthStore, KeyRecord, SessionRecord, UserRecord } from '../../ports/index.js';

const copy = <T>(v: T): T => structuredClone(v);
const userKey = (account: string, username: string) => `${account}\n${username}`;
const subjectIs = (s: SessionRecord, account: string, kind: 'user' | 'key', id: string) =>
  s.account === account && s.subject.kind === kind && (s.subject.kind === 'user' ? s.subject.username : s.subject.appKey) === id;

/** In-memory AuthStore (dev, tests, AGENTVIEW_STORE=memory): nothing survives a restart. */
export class MemoryAuthStore implements AuthStore {
  private readonly users = new Map<string, UserRecord>();
  private readonly keys = new Map<string, KeyRecord>();
  private readonly sessions = new Map<string, SessionRecord>();

  createUser(user: UserRecord): Promise<boolean> {
    const k = userKey(user.account, user.username);
    if (this.users.has(k)) return Promise.resolve(false);
    this.users.set(k, copy(user));
    return Promise.resolve(true);
  }

  getUser(account: string, username: string): Promise<UserRecord | undefined> {
    const u = this.users.get(userKey(account, username));
    return Promise.resolve(u && copy(u));
  }

  listUsers(account: string): Promise<UserRecord[]> {
    const out = [...this.users.values()].filter((u) => u.account === account).map(copy);
    out.sort((a, b) => (a.username < b.username ? -1 : a.username > b.username ? 1 : 0));
    return Promise.resolve(out);
  }

  deleteUser(account: string, username: string): Promise<boolean> {
    const existed = this.users.delete(userKey(account, username));
    if (existed) this.dropSessions(account, 'user', username);
    return Promise.resolve(existed);
  }

  createKey(key: KeyRecord): Promise<boolean> {
    if (this.keys.has(key.appKey)) return Promise.resolve(false);
    this.keys.set(key.appKey, copy(key));
    return Promise.resolve(true);
  }

  getKey(appKey: string): Promise<KeyRecord | undefined> {
    const k = this.keys.get(appKey);
    return Promise.resolve(k && copy(k));
  }

  listKeys(account: string): Promise<KeyRecord[]> {
    // Map iteration order is insertion order: oldest first.
    return Promise.resolve([...this.keys.values()].filter((k) => k.account === account).map(copy));
  }

  deleteKey(account: string, appKey: string): Promise<boolean> {
    const k = this.keys.get(appKey);
    if (!k || k.account !== account) return Promise.resolve(false);
    this.keys.delete(appKey);
    this.dropSessions(account, 'key', appKey);
    return Promise.resolve(true);
  }

  createSession(session: SessionRecord): Promise<void> {
    this.sessions.set(session.id, copy(session));
    return Promise.resolve();
  }

  getSession(id: string): Promise<SessionRecord | undefined> {
    const s = this.sessions.get(id);
    return Promise.resolve(s && copy(s));
  }

  extendSession(id: string, expiresAt: number): Promise<boolean> {
    const s = this.sessions.get(id);
    if (!s) return Promise.resolve(false);
    s.expiresAt = expiresAt;
    return Promise.resolve(true);
  }

  deleteSession(id: string): Promise<boolean> {
    return Promise.resolve(this.sessions.delete(id));
  }

  purgeExpiredSessions(now: number): Promise<number> {
    let n = 0;
    for (const [id, s] of this.sessions) {
      if (s.expiresAt <= now) {
        this.sessions.delete(id);
        n++;
      }
    }
    return Promise.resolve(n);
  }

  close(): Promise<void> {
    return Promise.resolve();
  }

  private dropSessions(account: string, kind: 'user' | 'key', id: string): void {
    for (const [sid, s] of this.sessions) if (subjectIs(s, account, kind, id)) this.sessions.delete(sid);
  }
}
