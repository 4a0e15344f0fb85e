/**
 * Account administration (spec section 2): users with passwords and roles,
 * OAuth keys with scopes. Scope `admin` on the account, or the operator token.
 */
import type { FastifyInstance } from 'fastify';
import type { AuthService } from '../../auth/index.js';
import { ApiError } from '../../errors/index.js';
import { AccountParams } from '../../schemas/agent-view.js';
import {
  CreateKeyBody,
  CreateUserBody,
  IssuedKeyView,
  KeyList,
  KeyParams,
  UpdateUserBody,
  UserList,
  UserParams,
  UserView,
} from '../../schemas/auth.js';
import type { AppDeps } from '../deps.js';

export function adminRoutes(app: FastifyInstance, deps: AppDeps & { auth: AuthService }): void {
  const auth = deps.auth;
  const tags = ['administration'];
  const admin = { scope: 'admin' as const };

  app.post(
    '/api/account/:accountID/admin/users',
    {
      config: admin,
      schema: {
        tags,
        summary: 'Create a user who can log in (Login API) with these roles (default: read)',
        params: AccountParams,
        body: CreateUserBody,
        response: { 201: UserView },
      },
    },
    async (req, reply) => {
      const { accountID } = req.params as { accountID: string };
      const b = req.body as CreateUserBody;
      const user = await auth.createUser(accountID, { username: b.username, password: b.password, roles: b.roles ?? ['read'] });
      return reply.code(201).send(user);
    },
  );

  app.get(
    '/api/account/:accountID/admin/users',
    { config: admin, schema: { tags, summary: "The account's users", params: AccountParams, response: { 200: UserList } } },
    async (req) => ({ users: await auth.listUsers((req.params as { accountID: string }).accountID) }),
  );

  app.patch(
    '/api/account/:accountID/admin/users/:username',
    {
      config: admin,
      schema: {
        tags,
        summary: "Change a user's password and/or roles; ends the user's sessions",
        params: UserParams,
        body: UpdateUserBody,
        response: { 200: UserView },
      },
    },
    async (req) => {
      const { accountID, username } = req.params as { accountID: string; username: string };
      const b = req.body as UpdateUserBody;
      const user = await auth.updateUser(accountID, username, { password: b.password, roles: b.roles });
      if (!user) throw new ApiError('NOT_FOUND', `account ${accountID} has no user ${JSON.stringify(username)}`, 'username');
      return user;
    },
  );

  app.delete(
    '/api/account/:accountID/admin/users/:username',
    { config: admin, schema: { tags, summary: 'Delete a user and revoke its sessions', params: UserParams } },
    async (req, reply) => {
      const { accountID, username } = req.params as { accountID: string; username: string };
      if (!(await auth.deleteUser(accountID, username))) {
        throw new ApiError('NOT_FOUND', `account ${accountID} has no user ${JSON.stringify(username)}`, 'username');
      }
      return reply.code(204).send();
    },
  );

  app.post(
    '/api/account/:accountID/admin/keys',
    {
      config: admin,
      schema: {
        tags,
        summary: 'Create an OAuth 1.0a key with these scopes (default: read); the secrets are shown only in this answer',
        params: AccountParams,
        body: CreateKeyBody,
        response: { 201: IssuedKeyView },
      },
    },
    async (req, reply) => {
      const { accountID } = req.params as { accountID: string };
      const b = (req.body ?? {}) as Exclude<CreateKeyBody, null>;
      const key = await auth.createKey(accountID, { scopes: b.scopes ?? ['read'], description: b.description });
      return reply.code(201).header('Cache-Control', 'no-store').send(key);
    },
  );

  app.get(
    '/api/account/:accountID/admin/keys',
    { config: admin, schema: { tags, summary: "The account's keys (without secrets)", params: AccountParams, response: { 200: KeyList } } },
    async (req) => ({ keys: await auth.listKeys((req.params as { accountID: string }).accountID) }),
  );

  app.delete(
    '/api/account/:accountID/admin/keys/:appKey',
    { config: admin, schema: { tags, summary: 'Revoke a key (and the sessions it logged in)', params: KeyParams } },
    async (req, reply) => {
      const { accountID, appKey } = req.params as { accountID: string; appKey: string };
      if (!(await auth.deleteKey(accountID, appKey))) {
        throw new ApiError('NOT_FOUND', `account ${accountID} has no key ${JSON.stringify(appKey)}`, 'appKey');
      }
      return reply.code(204).send();
    },
  );
}
