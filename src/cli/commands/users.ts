import type { Command } from 'commander';
import { apiRequest, targetFrom } from '../http-client.js';
import { parseScopes, processIo, table, type CliIo } from '../io.js';

interface UserView {
  username: string;
  roles: string[];
  createdAt: number;
}

const common = (c: Command) =>
  c
    .requiredOption('-a, --account <id>', 'account id')
    .option('--url <url>', 'server URL (default $AGENTVIEW_URL or http://127.0.0.1:$PORT)')
    .option('--token <token>', 'bearer with admin scope (default $AGENTVIEW_TOKEN or $AGENTVIEW_ADMIN_TOKEN)')
    .option('--json', 'print JSON');

type Common = { account: string; url?: string; token?: string; json?: boolean };
const base = (account: string) => `/api/account/${encodeURIComponent(account)}/admin/users`;

/** `agentview users add|list|delete`: the admin users endpoints over HTTP. */
export function registerUsers(program: Command, io: CliIo = processIo): void {
  const users = program.command('users').description("manage an account's users (who log in with the Login API)");

  common(users.command('add').description('create a user'))
    .requiredOption('-u, --username <name>', 'login name')
    .option('-p, --password <password>', 'password (visible to other local users; prefer --password-stdin)')
    .option('--password-stdin', 'read the password from standard input')
    .option('-r, --roles <roles>', 'comma-separated roles: read, write, admin', 'read')
    .action(async (o: Common & { username: string; password?: string; passwordStdin?: boolean; roles: string }) => {
      if ((o.password === undefined) === (o.passwordStdin !== true)) throw new Error('give exactly one of --password and --password-stdin');
      const password = o.password ?? (await io.readStdin()).replace(/\r?\n$/, '');
      const roles = parseScopes(o.roles);
      const user = await apiRequest<UserView>(targetFrom(o), 'POST', base(o.account), { username: o.username, password, roles });
      io.out(o.json ? `${JSON.stringify(user)}\n` : `created user ${user.username} in account ${o.account} with roles ${user.roles.join(',')}\n`);
    });

  common(users.command('update').description("change a user's password and/or roles (ends its sessions)"))
    .requiredOption('-u, --username <name>', 'login name')
    .option('-p, --password <password>', 'new password (visible to other local users; prefer --password-stdin)')
    .option('--password-stdin', 'read the new password from standard input')
    .option('-r, --roles <roles>', 'new comma-separated roles: read, write, admin')
    .action(async (o: Common & { username: string; password?: string; passwordStdin?: boolean; roles?: string }) => {
      if (o.password !== undefined && o.passwordStdin) throw new Error('give at most one of --password and --password-stdin');
      const password = o.passwordStdin ? (await io.readStdin()).replace(/\r?\n$/, '') : o.password;
      const roles = o.roles !== undefined ? parseScopes(o.roles) : undefined;
      if (password === undefined && roles === undefined) throw new Error('nothing to change: give a new password and/or --roles');
      const body = { ...(password !== undefined ? { password } : {}), ...(roles ? { roles } : {}) };
      const user = await apiRequest<UserView>(targetFrom(o), 'PATCH', `${base(o.account)}/${encodeURIComponent(o.username)}`, body);
      io.out(o.json ? `${JSON.stringify(user)}\n` : `updated user ${user.username}: roles ${user.roles.join(',')}${password !== undefined ? ', new password' : ''}\n`);
    });

  common(users.command('list').description("list the account's users")).action(async (o: Common) => {
    const r = await apiRequest<{ users: UserView[] }>(targetFrom(o), 'GET', base(o.account));
    if (o.json) return io.out(`${JSON.stringify(r.users)}\n`);
    io.out(table([['USERNAME', 'ROLES', 'CREATED'], ...r.users.map((u) => [u.username, u.roles.join(','), new Date(u.createdAt).toISOString()])]));
  });

  common(users.command('delete').description('delete a user and end its sessions'))
    .argument('<username>')
    .action(async (username: string, o: Common) => {
      await apiRequest(targetFrom(o), 'DELETE', `${base(o.account)}/${encodeURIComponent(username)}`);
      io.out(o.json ? `${JSON.stringify({ deleted: username })}\n` : `deleted user ${username}\n`);
    });
}
