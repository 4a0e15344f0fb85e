/**
 * AuthStore in the embedded SQLite file, in the `auth` component's tables.
 * Statements are synchronous (better-sqlite3) and each method is one
 * statement or one transaction, so every method is atomic.
 */
import type { AuthStore, KeyRecord, Scope, SessionRecord, UserRecord } from '../../ports/index.js';
import { migrate, type Migration, type SqliteDatabase } from './db.js';

export const AUTH_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    up: (db) =>
      db.exec(`
        CREATE TABLE auth_users (
          account TEXT NOT NULL,
          username TEXT NOT NULL,
          roles TEXT NOT NULL,
          password_hash TEXT NOT NULL,
          created_at INTEGER NOT NULL,
          PRIMARY KEY (account, username)
        ) WITHOUT ROWID;
        CREATE TABLE auth_keys (
          app_key TEXT PRIMARY KEY,
          account TEXT NOT NULL,
          app_secret TEXT NOT NULL,
          token TEXT NOT NULL,
          token_secret TEXT NOT NULL,
          scopes TEXT NOT NULL,
          description TEXT,
          created_at INTEGER NOT NULL
        );
        CREATE INDEX auth_keys_by_account ON auth_keys (account, created_at);
        CREATE TABLE auth_sessions (
          id TEXT PRIMARY KEY,
          account TEXT NOT NULL,
          subject_kind TEXT NOT NULL,
          subject_id TEXT NOT NULL,
          scopes TEXT NOT NULL,
          csrf_hash TEXT NOT NULL,
          created_at INTEGER NOT NULL,
          expires_at INTEGER NOT NULL
        ) WITHOUT ROWID;
        CREATE INDEX auth_sessions_by_subject ON auth_sessions (account, subject_kind, subject_id);
        CREATE INDEX auth_sessions_by_expiry ON auth_sessions (expires_at);
      `),
  },
];

interface UserRow {
  account: string;
  username: string;
  roles: string;
  password_hash: string;
  created_at: number;
}
interface KeyRow {
  app_key: string;
  account: string;
  app_secret: string;
  token: string;
  token_secret: string;
  scopes: string;
  description: string | null;
  created_at: number;
}
interface SessionRow {
  id: string;
  account: string;
  subject_kind: string;
  subject_id: string;
  scopes: string;
  csrf_hash: string;
  created_at: number;
  expires_at: number;
}

const scopes = (s: string): Scope[] => JSON.parse(s) as Scope[];
const toUser = (r: UserRow): UserRecord => ({
  account: r.account,
  username: r.username,
  roles: scopes(r.roles),
  passwordHash: r.password_hash,
  createdAt: r.created_at,
});
const toKey = (r: KeyRow): KeyRecord => ({
  account: r.account,
  appKey: r.app_key,
  appSecret: r.app_secret,
  token: r.token,
  tokenSecret: r.token_secret,
  scopes: scopes(r.scopes),
  ...(r.description !== null ? { description: r.description } : {}),
  createdAt: r.created_at,
});
const toSession = (r: SessionRow): SessionRecord => ({
  id: r.id,
  account: r.account,
  subject: (r.subject_kind === 'key' ? { kind: 'key', appKey: r.subject_id } : { kind: 'user', username: r.subject_id }),
  scopes: scopes(r.scopes),
  csrfHash: r.csrf_hash,
  createdAt: r.created_at,
  expiresAt: r.expires_at,
});

export class SqliteAuthStore implements AuthStore {
  private readonly q;
  private readonly deleteUserTx;
  private readonly deleteKeyTx;

  constructor(db: SqliteDatabase) {
    migrate(db, 'auth', AUTH_MIGRATIONS);
    this.q = {
      insertUser: db.prepare(
        `INSERT INTO auth_users (account, username, roles, password_hash, created_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
      ),
      getUser: db.prepare(`SELECT * FROM auth_users WHERE account = ? AND username = ?`),
      listUsers: db.prepare(`SELECT * FROM auth_users WHERE account = ? ORDER BY username`),
      deleteUser: db.prepare(`DELETE FROM auth_users WHERE account = ? AND username = ?`),
      insertKey: db.prepare(
        `INSERT INTO auth_keys (app_key, account, app_secret, token, token_secret, scopes, description, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
      ),
      getKey: db.prepare(`SELECT * FROM auth_keys WHERE app_key = ?`),
      listKeys: db.prepare(`SELECT * FROM auth_keys WHERE account = ? ORDER BY created_at, rowid`),
      deleteKey: db.prepare(`DELETE FROM auth_keys WHERE account = ? AND app_key = ?`),
      insertSession: db.prepare(
        `INSERT OR REPLACE INTO auth_sessions (id, account, subject_kind, subject_id, scopes, csrf_hash, created_at, expires_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
      ),
      getSession: db.prepare(`SELECT * FROM auth_sessions WHERE id = ?`),
      extendSession: db.prepare(`UPDATE auth_sessions SET expires_at = ? WHERE id = ?`),
      deleteSession: db.prepare(`DELETE FROM auth_sessions WHERE id = ?`),
      deleteSubjectSessions: db.prepare(`DELETE FROM auth_sessions WHERE account = ? AND subject_kind = ? AND subject_id = ?`),
      purge: db.prepare(`DELETE FROM auth_sessions WHERE expires_at <= ?`),
    };
    this.deleteUserTx = db.transaction((account: string, username: string) => {
      const n = this.q.deleteUser.run(account, username).changes;
      if (n > 0) this.q.deleteSubjectSessions.run(account, 'user', username);
      return n > 0;
    });
    this.deleteKeyTx = db.transaction((account: string, appKey: string) => {
      const n = this.q.deleteKey.run(account, appKey).changes;
      if (n > 0) this.q.deleteSubjectSessions.run(account, 'key', appKey);
      return n > 0;
    });
  }

  createUser(u: UserRecord): Promise<boolean> {
    return run(() => this.q.insertUser.run(u.account, u.username, JSON.stringify(u.roles), u.passwordHash, u.createdAt).changes > 0);
  }

  getUser(account: string, username: string): Promise<UserRecord | undefined> {
    return run(() => {
      const r = this.q.getUser.get(account, username) as UserRow | undefined;
      return r && toUser(r);
    });
  }

  listUsers(account: string): Promise<UserRecord[]> {
    return run(() => (this.q.listUsers.all(account) as UserRow[]).map(toUser));
  }

  deleteUser(account: string, username: string): Promise<boolean> {
    return run(() => this.deleteUserTx(account, username));
  }

  createKey(k: KeyRecord): Promise<boolean> {
    return run(
      () =>
        this.q.insertKey.run(k.appKey, k.account, k.appSecret, k.token, k.tokenSecret, JSON.stringify(k.scopes), k.description ?? null, k.createdAt)
          .changes > 0,
    );
  }

  getKey(appKey: string): Promise<KeyRecord | undefined> {
    return run(() => {
      const r = this.q.getKey.get(appKey) as KeyRow | undefined;
      return r && toKey(r);
    });
  }

  listKeys(account: string): Promise<KeyRecord[]> {
    return run(() => (this.q.listKeys.all(account) as KeyRow[]).map(toKey));
  }

  deleteKey(account: string, appKey: string): Promise<boolean> {
    return run(() => this.deleteKeyTx(account, appKey));
  }

  createSession(s: SessionRecord): Promise<void> {
    return run(() => {
      const subjectId = s.subject.kind === 'user' ? s.subject.username : s.subject.appKey;
      this.q.insertSession.run(s.id, s.account, s.subject.kind, subjectId, JSON.stringify(s.scopes), s.csrfHash, s.createdAt, s.expiresAt);
    });
  }

  getSession(id: string): Promise<SessionRecord | undefined> {
    return run(() => {
      const r = this.q.getSession.get(id) as SessionRow | undefined;
      return r && toSession(r);
    });
  }

  extendSession(id: string, expiresAt: number): Promise<boolean> {
    return run(() => this.q.extendSession.run(expiresAt, id).changes > 0);
  }

  deleteSession(id: string): Promise<boolean> {
    return run(() => this.q.deleteSession.run(id).changes > 0);
  }

  purgeExpiredSessions(now: number): Promise<number> {
    return run(() => this.q.purge.run(now).changes);
  }

  /** The database belongs to the stores that opened it; nothing to close here. */
  close(): Promise<void> {
    return Promise.resolve();
  }
}

/** Runs a synchronous statement, turning a throw into a rejection. */
function run<T>(fn: () => T): Promise<T> {
  try {
    return Promise.resolve(fn());
  } catch (err) {
    return Promise.reject(err instanceof Error ? err : new Error(String(err)));
  }
}
