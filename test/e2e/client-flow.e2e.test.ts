/**
 * A LivePerson client's flow, end to end over HTTP, knowing only the host:
 * Domain API → Login API → Agent Status and Summary with the bearer; then
 * the same with OAuth 1.0a keys (signed by the oauth-1.0a library).
 */
import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signedFetch, type Credentials } from '../helpers/oauth.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests read arbitrary JSON
type Json = any;

async function json(res: Response): Promise<{ status: number; body: Json }> {
  const body: Json = await res.json();
  return { status: res.status, body };
}

describe('a real client flow', () => {
  let s: TestServer;
  let host: string;
  const account = '90210';

  beforeAll(async () => {
    const port = await freePort();
    host = `127.0.0.1:${port}`;
    s = await startTestServer({ PORT: String(port), AGENTVIEW_PUBLIC_URL: `http://${host}` });
    // The operator sets up the account: agents, a user and a key.
    const events = [
      { type: 'agent.upserted', agentId: '1', name: 'Ana', maxSlots: 4 },
      { type: 'agent.upserted', agentId: '2', name: 'Ben', maxSlots: 2 },
      { type: 'agent.loggedIn', agentId: '1' },
      { type: 'agent.loggedIn', agentId: '2', status: 'AWAY' },
      { type: 'conversation.assigned', agentId: '1', conversationId: 'c1' },
    ];
    expect((await s.call('POST', `/api/account/${account}/events`, { events })).status).toBe(200);
    expect((await s.call('POST', `/api/account/${account}/admin/users`, { username: 'supervisor@example.com', password: 's3cret-password', roles: ['read'] })).status).toBe(201);
  });
  afterAll(async () => s.stop());

  const domain = async (service: string) => {
    const r = await json(await fetch(`http://${host}/api/account/${account}/service/${service}/baseURI.json?version=1.0`));
    expect(r.status).toBe(200);
    return r.body.baseURI as string;
  };

  it('Domain API → Login API → Agent Status and Summary with the bearer → logout', async () => {
    const loginHost = await domain('agentVep');
    const login = await json(
      await fetch(`http://${loginHost}/api/account/${account}/login?v=1.3`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json' },
        body: JSON.stringify({ username: 'supervisor@example.com', password: 's3cret-password' }),
      }),
    );
    expect(login.status).toBe(200);
    const { bearer, csrf } = login.body as { bearer: string; csrf: string };
    expect(bearer).toBeTruthy();
    expect(csrf).toBeTruthy();

    const msgHist = await domain('msgHist');
    const headers = { authorization: `Bearer ${bearer}`, 'content-type': 'application/json' };
    const status = await json(
      await fetch(`http://${msgHist}/messaging_history/api/account/${account}/agent-view/status?limit=50&offset=0&sort=start:asc`, {
        method: 'POST',
        headers,
        body: JSON.stringify({ status: ['ONLINE', 'AWAY'], agentIds: null, skillIds: null, agentGroupIds: null }),
      }),
    );
    expect(status.status).toBe(200);
    expect(status.body._metadata.count).toBe(2);
    expect(status.body._metadata.self.href).toBe(`http://${host}/messaging_history/api/account/${account}/agent-view/status?limit=50&offset=0&sort=start%3Aasc`);
    const summary = await json(
      await fetch(`http://${msgHist}/messaging_history/api/account/${account}/agent-view/summary`, { method: 'POST', headers: { authorization: headers.authorization } }),
    );
    expect(summary.status).toBe(200);
    expect(summary.body.summaryResults).toMatchObject({ openAssignedConversations: 1, numOnlineAgents: 1, numAwayAgents: 1, minConfiguredMaxSlots: 2, maxConfiguredMaxSlots: 4 });

    // The read-only user cannot write; another account is out of reach.
    const ingest = await fetch(`http://${host}/api/account/${account}/events`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ events: [{ type: 'agent.loggedIn', agentId: '3' }] }),
    });
    expect(ingest.status).toBe(403);
    const other = await fetch(`http://${msgHist}/messaging_history/api/account/1/agent-view/status`, { method: 'POST', headers, body: '{}' });
    expect(other.status).toBe(403);

    const out = await fetch(`http://${loginHost}/api/account/${account}/logout`, { method: 'POST', headers, body: JSON.stringify({ csrf }) });
    expect(out.status).toBe(200);
    const after = await fetch(`http://${msgHist}/messaging_history/api/account/${account}/agent-view/summary`, { method: 'POST', headers, body: '{}' });
    expect(after.status).toBe(401);
  });

  it('the same with OAuth 1.0a keys, signed over the host the Domain API gave', async () => {
    const key = (await s.call('POST', `/api/account/${account}/admin/keys`, { scopes: ['read'] })).body as Credentials;
    const msgHist = await domain('msgHist');
    const statusUrl = `http://${msgHist}/messaging_history/api/account/${account}/agent-view/status?limit=1&sort=agentId:desc`;
    const status = await signedFetch({ method: 'POST', signedUrl: statusUrl, sendTo: statusUrl, creds: key, json: {} });
    expect(status.status).toBe(200);
    expect(status.body._metadata.count).toBe(2);
    expect(status.body.agentStatusRecords.map((r: { agentId: string }) => r.agentId)).toEqual(['2']);
    const summaryUrl = `http://${msgHist}/messaging_history/api/account/${account}/agent-view/summary?groupBy=agentGroupId`;
    const summary = await signedFetch({ method: 'POST', signedUrl: summaryUrl, sendTo: summaryUrl, creds: key, signatureMethod: 'HMAC-SHA256' });
    expect(summary.status).toBe(200);
    expect(summary.body.groups).toHaveLength(1);
    expect(summary.body.groups[0].summaryResults.numOnlineAgents).toBe(1);
  });
});
