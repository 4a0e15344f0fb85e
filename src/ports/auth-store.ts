/**
 * Where accounts' users, API keys and login sessions are kept. The embedded
 * store keeps them in SQLite; a cluster keeps them in a shared key-value
 * store. Everything is scoped to an account except the lookups a request
 * makes before it knows its account (an OAuth app key, a session id).
 *
 * Secrets at rest: passwords are stored only as scrypt hashes; session
 * bearers and CSRF tokens only as SHA-256 hashes (the session id is the hash
 * of the bearer). OAuth app and token secrets are stored as given, because
 * verifying an HMAC signature needs them; adapters must never log them.
 */

/** What a principal may do: read views, write events, administer the account. */
export type Scope = 'read' | 'write' | 'admin';

/** Every scope, in a stable order. */
export const SCOPES: readonly Scope[] = ['read', 'write', 'admin'];

/** A user who logs in with a password (Login API). */
export interface UserRecord {
  account: string;
  username: string;
  /** Roles of the user: the scopes its sessions get. */
  roles: Scope[];
  /** `scrypt$N$r$p$<salt base64>$<hash base64>`; never the password. */
  passwordHash: string;
  /** Epoch ms. */
  createdAt: number;
}

/** An OAuth 1.0a key: consumer (app key/secret) and access token (token/secret). */
export interface KeyRecord {
  account: string;
  /** Consumer key; unique across all accounts. */
  appKey: string;
  appSecret: string;
  /** Access token that must accompany the app key. */
  token: string;
  tokenSecret: string;
  scopes: Scope[];
  /** Free text the administrator gave (what the key is for). */
  description?: string | undefined;
  createdAt: number;
}

/** Who a session was issued to. */
export type SessionSubject = { kind: 'user'; username: string } | { kind: 'key'; appKey: string };

/** A login session, found by the hash of its bearer. */
export interface SessionRecord {
  /** SHA-256 (hex) of the bearer token; the bearer itself is never stored. */
  id: string;
  account: string;
  subject: SessionSubject;
  scopes: Scope[];
  /** SHA-256 (hex) of the session's CSRF token. */
  csrfHash: string;
  createdAt: number;
  /** Epoch ms after which the session is no longer valid. */
  expiresAt: number;
}

/**
 * Users, keys and sessions. Methods are async so a networked store can
 * implement them; every method is atomic on its own.
 */
export interface AuthStore {
  /** Adds a user; false (and no change) when the account already has that username. */
  createUser(user: UserRecord): Promise<boolean>;
  getUser(account: string, username: string): Promise<UserRecord | undefined>;
  /** The account's users, by username. */
  listUsers(account: string): Promise<UserRecord[]>;
  /** Removes a user and every session issued to it; false when there was none. */
  deleteUser(account: string, username: string): Promise<boolean>;

  /** Adds a key; false (and no change) when the app key exists (in any account). */
  createKey(key: KeyRecord): Promise<boolean>;
  /** Finds a key by its app key, whatever its account. */
  getKey(appKey: string): Promise<KeyRecord | undefined>;
  /** The account's keys, oldest first. */
  listKeys(account: string): Promise<KeyRecord[]>;
  /** Removes the account's key and every session issued to it; false when the account has no such key. */
  deleteKey(account: string, appKey: string): Promise<boolean>;

  createSession(session: SessionRecord): Promise<void>;
  /** The session with this id, expired or not (callers check `expiresAt`). */
  getSession(id: string): Promise<SessionRecord | undefined>;
  /** Moves a session's expiry (refresh); false when there is no such session. */
  extendSession(id: string, expiresAt: number): Promise<boolean>;
  /** Revokes a session (logout); false when there was none. */
  deleteSession(id: string): Promise<boolean>;
  /** Removes sessions that expired at or before `now`; returns how many. */
  purgeExpiredSessions(now: number): Promise<number>;

  close(): Promise<void>;
}
