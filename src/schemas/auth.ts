/** Schemas of accounts and access: admin users and keys, Login API, Domain API. */
import { Type, type Static } from 'typebox';
import { AccountParams } from './agent-view.js';

export const ScopeSchema = Type.Union([Type.Literal('read'), Type.Literal('write'), Type.Literal('admin')], {
  description: 'read: status, summary, history, stream; write: ingest; admin: users, keys, settings, webhooks',
});
const Scopes = Type.Array(ScopeSchema, { minItems: 1, maxItems: 3 });

/** Login names: 1–128 characters, no whitespace, control characters, `/` or `\`. */
export const USERNAME_PATTERN = '^[^\\s/\\\\\\u0000-\\u001f\\u007f]+$';
const Username = Type.String({ minLength: 1, maxLength: 128, pattern: USERNAME_PATTERN });

export const CreateUserBody = Type.Object({
  username: Username,
  password: Type.String({ minLength: 8, maxLength: 1024, description: 'at least 8 characters' }),
  roles: Type.Optional(Scopes),
});
export type CreateUserBody = Static<typeof CreateUserBody>;

export const UpdateUserBody = Type.Object(
  {
    password: Type.Optional(Type.String({ minLength: 8, maxLength: 1024 })),
    roles: Type.Optional(Scopes),
  },
  { minProperties: 1 },
);
export type UpdateUserBody = Static<typeof UpdateUserBody>;

export const UserView = Type.Object({
  username: Type.String(),
  roles: Type.Array(ScopeSchema),
  createdAt: Type.Integer({ description: 'epoch ms' }),
});
export const UserList = Type.Object({ users: Type.Array(UserView) });

export const UserParams = Type.Object({
  accountID: AccountParams.properties.accountID,
  username: Type.String({ minLength: 1, maxLength: 128 }),
});

export const CreateKeyBody = Type.Union([
  Type.Object({
    scopes: Type.Optional(Scopes),
    description: Type.Optional(Type.String({ maxLength: 256 })),
  }),
  Type.Null(),
]);
export type CreateKeyBody = Static<typeof CreateKeyBody>;

const KeyFields = {
  appKey: Type.String(),
  token: Type.String(),
  scopes: Type.Array(ScopeSchema),
  description: Type.Optional(Type.String()),
  createdAt: Type.Integer({ description: 'epoch ms' }),
};
export const KeyView = Type.Object(KeyFields);
export const IssuedKeyView = Type.Object({
  appKey: Type.String(),
  appSecret: Type.String(),
  token: Type.String(),
  tokenSecret: Type.String(),
  scopes: Type.Array(ScopeSchema),
  description: Type.Optional(Type.String()),
  createdAt: Type.Integer(),
});
export const KeyList = Type.Object({ keys: Type.Array(KeyView) });

export const KeyParams = Type.Object({
  accountID: AccountParams.properties.accountID,
  appKey: Type.String({ minLength: 1, maxLength: 256 }),
});

/** Login body: a user's password, or LivePerson's application login with the four OAuth credentials. */
export const LoginBody = Type.Object({
  username: Type.Optional(Type.String({ maxLength: 1024 })),
  password: Type.Optional(Type.String({ maxLength: 1024 })),
  appKey: Type.Optional(Type.String({ maxLength: 1024 })),
  secret: Type.Optional(Type.String({ maxLength: 1024 })),
  accessToken: Type.Optional(Type.String({ maxLength: 1024 })),
  accessTokenSecret: Type.Optional(Type.String({ maxLength: 1024 })),
});
export type LoginBody = Static<typeof LoginBody>;

export const LoginQuery = Type.Object({ v: Type.Optional(Type.String({ maxLength: 16 })) });

export const BaseUri = Type.Object({ service: Type.String(), account: Type.String(), baseURI: Type.String() });

export const LoginResponse = Type.Object({
  csrf: Type.String(),
  config: Type.Object({
    loginName: Type.String(),
    userId: Type.String(),
    serverCurrentTime: Type.Integer(),
    isAdmin: Type.Boolean(),
  }),
  csdsCollectionResponse: Type.Object({ baseURIs: Type.Array(BaseUri) }),
  accountData: Type.Object({
    agentGroupsData: Type.Object({
      items: Type.Array(Type.Object({ id: Type.Integer(), deleted: Type.Boolean(), name: Type.String() })),
      revision: Type.Integer(),
    }),
  }),
  sessionTTl: Type.String({ description: 'session lifetime in ms, as a string (LivePerson)' }),
  expiresAt: Type.Integer({ description: 'extension: when the bearer expires, epoch ms' }),
  scopes: Type.Array(ScopeSchema, { description: 'extension: what the bearer may do' }),
  bearer: Type.String(),
});

export const SessionBody = Type.Union([Type.Object({ csrf: Type.Optional(Type.String({ maxLength: 256 })) }), Type.Null()]);
export type SessionBody = Static<typeof SessionBody>;

export const RefreshResponse = Type.Object({ sessionTTl: Type.String(), expiresAt: Type.Integer() });
export const LogoutResponse = Type.Object({ loggedOut: Type.Boolean() });

export const DomainParams = Type.Object({
  accountID: AccountParams.properties.accountID,
  service: Type.String({ maxLength: 64 }),
});
export const DomainQuery = Type.Object({ version: Type.Optional(Type.String({ maxLength: 16 })) });
export const BaseUriList = Type.Object({ baseURIs: Type.Array(BaseUri) });
