/**
 * Accounts and access: users, OAuth keys and login sessions over an
 * AuthStore. Knows nothing of HTTP; routes and authenticators call it.
 */
import { ApiError } from '../errors/index.js';
import type { AuthStore, Clock, KeyRecord, Scope, SessionRecord, UserRecord } from '../ports/index.js';
import { DUMMY_PASSWORD_HASH, hashPassword, randomHex, safeEqual, sha256Hex, verifyPassword } from './secrets.js';

export interface AuthServiceOptions {
  /** Lifetime of a login session (and of a refresh). */
  bearerTtlMs: number;
  maxUsersPerAccount?: number;
  maxKeysPerAccount?: number;
}

/** A user as the API shows it: never the password hash. */
export interface UserView {
  username: string;
  roles: Scope[];
  createdAt: number;
}

/** A key as listed: no secrets (they are shown once, at creation). */
export interface KeyView {
  appKey: string;
  token: string;
  scopes: Scope[];
  description?: string;
  createdAt: number;
}

/** A newly created key, with its secrets. */
export interface IssuedKey extends KeyView {
  appSecret: string;
  tokenSecret: string;
}

/** A new login session: the only time bearer and csrf exist in clear. */
export interface IssuedSession {
  bearer: string;
  csrf: string;
  session: SessionRecord;
}

const userView = (u: UserRecord): UserView => ({ username: u.username, roles: u.roles, createdAt: u.createdAt });
const keyView = (k: KeyRecord): KeyView => ({
  appKey: k.appKey,
  token: k.token,
  scopes: k.scopes,
  ...(k.description !== undefined ? { description: k.description } : {}),
  createdAt: k.createdAt,
});
/** Scopes in the canonical order, without repeats. */
export const normalizeScopes = (s: readonly Scope[]): Scope[] => (['read', 'write', 'admin'] as const).filter((x) => s.includes(x));

export class AuthService {
  private readonly maxUsers: number;
  private readonly maxKeys: number;

  constructor(
    readonly store: AuthStore,
    private readonly clock: Clock,
    private readonly options: AuthServiceOptions,
  ) {
    this.maxUsers = options.maxUsersPerAccount ?? 10_000;
    this.maxKeys = options.maxKeysPerAccount ?? 1_000;
  }

  get bearerTtlMs(): number {
    return this.options.bearerTtlMs;
  }

  async createUser(account: string, input: { username: string; password: string; roles: readonly Scope[] }): Promise<UserView> {
    if ((await this.store.listUsers(account)).length >= this.maxUsers) {
      throw new ApiError('LIMIT_REACHED', `account ${account} already has ${this.maxUsers} users`);
    }
    const user: UserRecord = {
      account,
      username: input.username,
      roles: normalizeScopes(input.roles),
      passwordHash: await hashPassword(input.password),
      createdAt: this.clock.now(),
    };
    if (!(await this.store.createUser(user))) {
      throw new ApiError('USER_EXISTS', `account ${account} already has a user named ${JSON.stringify(input.username)}`, 'username');
    }
    return userView(user);
  }

  /**
   * Changes a user's password and/or roles, ending its sessions (they carry
   * the old roles, and a password change must lock out whoever had it).
   * Undefined when there is no such user.
   */
  async updateUser(
    account: string,
    username: string,
    change: { password?: string | undefined; roles?: readonly Scope[] | undefined },
  ): Promise<UserView | undefined> {
    const old = await this.store.getUser(account, username);
    if (!old) return undefined;
    const user: UserRecord = {
      ...old,
      roles: change.roles ? normalizeScopes(change.roles) : old.roles,
      passwordHash: change.password !== undefined ? await hashPassword(change.password) : old.passwordHash,
    };
    // The port has no update: delete (which ends the sessions) and create again, keeping createdAt.
    if (!(await this.store.deleteUser(account, username))) return undefined;
    await this.store.createUser(user);
    return userView(user);
  }

  async listUsers(account: string): Promise<UserView[]> {
    return (await this.store.listUsers(account)).map(userView);
  }

  deleteUser(account: string, username: string): Promise<boolean> {
    return this.store.deleteUser(account, username);
  }

  async createKey(account: string, input: { scopes: readonly Scope[]; description?: string | undefined }): Promise<IssuedKey> {
    if ((await this.store.listKeys(account)).length >= this.maxKeys) {
      throw new ApiError('LIMIT_REACHED', `account ${account} already has ${this.maxKeys} keys`);
    }
    for (;;) {
      const key: KeyRecord = {
        account,
        appKey: randomHex(16),
        appSecret: randomHex(16),
        token: randomHex(16),
        tokenSecret: randomHex(16),
        scopes: normalizeScopes(input.scopes),
        ...(input.description !== undefined ? { description: input.description } : {}),
        createdAt: this.clock.now(),
      };
      // 128 random bits never collide in practice; the loop only makes it certain.
      if (await this.store.createKey(key)) return { ...keyView(key), appSecret: key.appSecret, tokenSecret: key.tokenSecret };
    }
  }

  async listKeys(account: string): Promise<KeyView[]> {
    return (await this.store.listKeys(account)).map(keyView);
  }

  deleteKey(account: string, appKey: string): Promise<boolean> {
    return this.store.deleteKey(account, appKey);
  }

  findKey(appKey: string): Promise<KeyRecord | undefined> {
    return this.store.getKey(appKey);
  }

  /** Password login; undefined for any wrong part (no hint which). Costs one scrypt either way. */
  async loginWithPassword(account: string, username: string, password: string): Promise<IssuedSession | undefined> {
    const user = await this.store.getUser(account, username);
    const ok = await verifyPassword(password, user?.passwordHash ?? DUMMY_PASSWORD_HASH);
    if (!user || !ok) return undefined;
    return this.issue(account, { kind: 'user', username: user.username }, user.roles);
  }

  /** LivePerson's "application login": the four OAuth credentials in the body. */
  async loginWithKey(
    account: string,
    c: { appKey: string; secret: string; accessToken: string; accessTokenSecret: string },
  ): Promise<IssuedSession | undefined> {
    const key = await this.store.getKey(c.appKey);
    const ok = [
      safeEqual(c.secret, key?.appSecret ?? ''),
      safeEqual(c.accessToken, key?.token ?? ''),
      safeEqual(c.accessTokenSecret, key?.tokenSecret ?? ''),
    ].every(Boolean);
    if (!key || !ok || key.account !== account) return undefined;
    return this.issue(account, { kind: 'key', appKey: key.appKey }, key.scopes);
  }

  /** The live (unexpired) session a bearer belongs to. */
  async sessionForBearer(bearer: string): Promise<SessionRecord | undefined> {
    if (bearer.length > 512) return undefined;
    return this.sessionById(sha256Hex(bearer));
  }

  /** The live session with this id (the value of the `Session_id` cookie). */
  async sessionById(id: string): Promise<SessionRecord | undefined> {
    if (!/^[0-9a-f]{64}$/.test(id)) return undefined;
    const s = await this.store.getSession(id);
    return s && s.expiresAt > this.clock.now() ? s : undefined;
  }

  csrfMatches(session: SessionRecord, csrf: string): boolean {
    return safeEqual(sha256Hex(csrf), session.csrfHash);
  }

  /** Extends a session by the bearer lifetime from now; returns the new expiry. */
  async refresh(session: SessionRecord): Promise<number> {
    const expiresAt = this.clock.now() + this.options.bearerTtlMs;
    await this.store.extendSession(session.id, expiresAt);
    return expiresAt;
  }

  logout(session: SessionRecord): Promise<boolean> {
    return this.store.deleteSession(session.id);
  }

  purgeExpiredSessions(): Promise<number> {
    return this.store.purgeExpiredSessions(this.clock.now());
  }

  private async issue(account: string, subject: SessionRecord['subject'], scopes: Scope[]): Promise<IssuedSession> {
    const bearer = randomHex(32);
    const csrf = randomHex(32);
    const now = this.clock.now();
    const session: SessionRecord = {
      id: sha256Hex(bearer),
      account,
      subject,
      scopes,
      csrfHash: sha256Hex(csrf),
      createdAt: now,
      expiresAt: now + this.options.bearerTtlMs,
    };
    await this.store.createSession(session);
    return { bearer, csrf, session };
  }
}
