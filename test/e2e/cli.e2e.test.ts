/** `agentview users …` and `agentview keys …` against a real server. */
import { Command } from 'commander';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerKeys } from '../../src/cli/commands/keys.js';
import { registerUsers } from '../../src/cli/commands/users.js';
import { HttpError } from '../../src/cli/http-client.js';
import { signedFetch } from '../helpers/oauth.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

describe('CLI: users and keys', () => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startTestServer({ AGENTVIEW_PUBLIC_URL: 'http://agentview.test' });
  });
  afterAll(async () => s.stop());

  /** Runs `agentview <args>` with the server URL and admin token; returns what it printed. */
  async function run(args: string[], stdin = ''): Promise<string> {
    let out = '';
    const program = new Command().exitOverride().configureOutput({ writeErr: () => {}, writeOut: () => {} });
    const io = { out: (t: string) => void (out += t), readStdin: () => Promise.resolve(stdin) };
    registerUsers(program, io);
    registerKeys(program, io);
    await program.parseAsync(['node', 'agentview', ...args, '--url', s.url, '--token', s.token]);
    return out;
  }

  it('adds users (password from stdin or flag), lists and deletes them', async () => {
    expect(await run(['users', 'add', '-a', 'A', '-u', 'maya', '--password-stdin', '-r', 'read,write'], 'from stdin pw\n')).toBe(
      'created user maya in account A with roles read,write\n',
    );
    const login = await s.call('POST', '/api/account/A/login', { username: 'maya', password: 'from stdin pw' }, { authorization: '' });
    expect(login.status).toBe(200);
    expect(login.body.scopes).toEqual(['read', 'write']);
    expect(JSON.parse(await run(['users', 'add', '-a', 'A', '-u', 'zoe', '-p', 'flag password', '--json']))).toMatchObject({ username: 'zoe', roles: ['read'] });
    const list = await run(['users', 'list', '-a', 'A']);
    expect(list.split('\n')[0]).toMatch(/^USERNAME\s+ROLES\s+CREATED$/);
    expect(list).toMatch(/maya\s+read,write\s+\d{4}-/);
    expect(list).toMatch(/zoe\s+read\s+/);
    expect(await run(['users', 'update', '-a', 'A', '-u', 'zoe', '--password-stdin', '-r', 'read,admin'], 'new zoe password\n')).toBe(
      'updated user zoe: roles read,admin, new password\n',
    );
    const zoe = await s.call('POST', '/api/account/A/login', { username: 'zoe', password: 'new zoe password' }, { authorization: '' });
    expect(zoe.body.scopes).toEqual(['read', 'admin']);
    await expect(run(['users', 'update', '-a', 'A', '-u', 'zoe'])).rejects.toThrow(/nothing to change/);
    expect(await run(['users', 'delete', '-a', 'A', 'zoe'])).toBe('deleted user zoe\n');
    expect(JSON.parse(await run(['users', 'list', '-a', 'A', '--json'])).map((u: { username: string }) => u.username)).toEqual(['maya']);
  });

  it('reports server refusals and bad arguments as errors', async () => {
    await expect(run(['users', 'add', '-a', 'A', '-u', 'maya', '-p', 'another password'])).rejects.toThrow(/409 USER_EXISTS/);
    await expect(run(['users', 'add', '-a', 'A', '-u', 'x', '-p', 'short'])).rejects.toBeInstanceOf(HttpError);
    await expect(run(['users', 'add', '-a', 'A', '-u', 'x', '-p', 'long enough', '--password-stdin'])).rejects.toThrow(/exactly one/);
    await expect(run(['users', 'add', '-a', 'A', '-u', 'x'])).rejects.toThrow(/exactly one/);
    await expect(run(['keys', 'create', '-a', 'A', '-s', 'read,root'])).rejects.toThrow(/scopes/);
    await expect(run(['users', 'delete', '-a', 'A', 'nobody'])).rejects.toThrow(/404/);
    await expect(run(['keys', 'revoke', '-a', 'A', 'nokey'])).rejects.toThrow(/404/);
  });

  it('creates a key that signs requests, lists keys without secrets, revokes', async () => {
    const human = await run(['keys', 'create', '-a', 'A', '-s', 'read', '-d', 'wallboard']);
    expect(human).toMatch(/^appKey\s+[0-9a-f]{32}\nappSecret\s+[0-9a-f]{32}\ntoken\s+[0-9a-f]{32}\ntokenSecret\s+[0-9a-f]{32}\nscopes\s+read\n/);
    expect(human).toContain('shown only now');
    const k = JSON.parse(await run(['keys', 'create', '-a', 'A', '-s', 'read,write', '--json']));
    const path = '/messaging_history/api/account/A/agent-view/status';
    const signed = await signedFetch({ method: 'POST', signedUrl: `http://agentview.test${path}`, sendTo: s.url + path, creds: k });
    expect(signed.status).toBe(200);

    const list = await run(['keys', 'list', '-a', 'A']);
    expect(list).toMatch(/^APP KEY\s+SCOPES\s+CREATED\s+DESCRIPTION\n/);
    expect(list).toMatch(/read\s+\S+\s+wallboard/);
    expect(list).toContain(k.appKey);
    expect(list).not.toContain(k.appSecret);
    expect(await run(['keys', 'revoke', '-a', 'A', k.appKey])).toBe(`revoked key ${k.appKey}\n`);
    expect(await run(['keys', 'list', '-a', 'A'])).not.toContain(k.appKey);
    const after = await signedFetch({ method: 'POST', signedUrl: `http://agentview.test${path}`, sendTo: s.url + path, creds: k });
    expect(after.status).toBe(401);
  });
});
