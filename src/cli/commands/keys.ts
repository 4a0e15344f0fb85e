import type { Command } from 'commander';
import { apiRequest, targetFrom } from '../http-client.js';
import { parseScopes, processIo, table, type CliIo } from '../io.js';

interface KeyView {
  appKey: string;
  token: string;
  scopes: string[];
  description?: string;
  createdAt: number;
}
interface IssuedKey extends KeyView {
  appSecret: string;
  tokenSecret: string;
}

const common = (c: Command) =>
  c
    .requiredOption('-a, --account <id>', 'account id')
    .option('--url <url>', 'server URL (default $AGENTVIEW_URL or http://127.0.0.1:$PORT)')
    .option('--token <token>', 'bearer with admin scope (default $AGENTVIEW_TOKEN or $AGENTVIEW_ADMIN_TOKEN)')
    .option('--json', 'print JSON');

type Common = { account: string; url?: string; token?: string; json?: boolean };
const base = (account: string) => `/api/account/${encodeURIComponent(account)}/admin/keys`;

/** `agentview keys create|list|revoke`: OAuth 1.0a keys over the admin endpoints. */
export function registerKeys(program: Command, io: CliIo = processIo): void {
  const keys = program.command('keys').description("manage an account's OAuth 1.0a keys");

  common(keys.command('create').description('create a key; its secrets are shown only once'))
    .option('-s, --scopes <scopes>', 'comma-separated scopes: read, write, admin', 'read')
    .option('-d, --description <text>', 'what the key is for')
    .action(async (o: Common & { scopes: string; description?: string }) => {
      const body = { scopes: parseScopes(o.scopes), ...(o.description !== undefined ? { description: o.description } : {}) };
      const k = await apiRequest<IssuedKey>(targetFrom(o), 'POST', base(o.account), body);
      if (o.json) return io.out(`${JSON.stringify(k)}\n`);
      io.out(
        table([
          ['appKey', k.appKey],
          ['appSecret', k.appSecret],
          ['token', k.token],
          ['tokenSecret', k.tokenSecret],
          ['scopes', k.scopes.join(',')],
        ]) + 'The secrets are shown only now: store them somewhere safe.\n',
      );
    });

  common(keys.command('list').description("list the account's keys (without secrets)")).action(async (o: Common) => {
    const r = await apiRequest<{ keys: KeyView[] }>(targetFrom(o), 'GET', base(o.account));
    if (o.json) return io.out(`${JSON.stringify(r.keys)}\n`);
    io.out(
      table([
        ['APP KEY', 'SCOPES', 'CREATED', 'DESCRIPTION'],
        ...r.keys.map((k) => [k.appKey, k.scopes.join(','), new Date(k.createdAt).toISOString(), k.description ?? '']),
      ]),
    );
  });

  common(keys.command('revoke').description('revoke a key (and end the sessions it logged in)'))
    .argument('<appKey>')
    .action(async (appKey: string, o: Common) => {
      await apiRequest(targetFrom(o), 'DELETE', `${base(o.account)}/${encodeURIComponent(appKey)}`);
      io.out(o.json ? `${JSON.stringify({ revoked: appKey })}\n` : `revoked key ${appKey}\n`);
    });
}
