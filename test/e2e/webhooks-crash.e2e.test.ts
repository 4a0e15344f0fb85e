/** Webhook messages are durable once the ingest is acknowledged: kill -9 loses none. */
import { rmSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { startChildServer, type ChildServer } from '../helpers/child-server.js';
import { Receiver } from '../helpers/receiver.js';
import { ADMIN_TOKEN, tempDir } from '../helpers/server.js';

const ENV = { AGENTVIEW_WEBHOOK_RETRY_BASE_MS: '20', AGENTVIEW_WEBHOOK_RETRY_MAX_MS: '200' };

async function call(s: ChildServer, method: string, path: string, body?: unknown) {
  const res = await fetch(s.url + path, {
    method,
    headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  return { status: res.status, body: (await res.json()) as any }; // eslint-disable-line @typescript-eslint/no-explicit-any -- test JSON
}

describe('webhooks across kill -9', () => {
  const dir = tempDir();
  const servers: ChildServer[] = [];
  let r: Receiver | undefined;
  afterAll(async () => {
    for (const s of servers) await s.stop();
    await r?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('delivers every acknowledged change after the server is killed and restarted', async () => {
    r = await Receiver.start();
    r.respond = () => ({ status: 503 });
    const s1 = await startChildServer(dir, ENV);
    servers.push(s1);
    expect((await call(s1, 'POST', '/api/account/acme/admin/webhooks', { url: `${r.url}/hook`, secret: 'k'.repeat(24) })).status).toBe(201);
    const statuses = ['ONLINE', 'AWAY', 'BACK_SOON', 'ONLINE', 'AWAY'];
    expect((await call(s1, 'POST', '/api/account/acme/events', { events: [{ type: 'agent.loggedIn', agentId: '1' }] })).status).toBe(200);
    for (const st of statuses.slice(1)) {
      const res = await call(s1, 'POST', '/api/account/acme/events', { events: [{ type: 'agent.statusChanged', agentId: '1', status: st }] });
      expect(res.status).toBe(200);
    }
    await s1.kill9();

    r.respond = () => ({ status: 200 });
    const s2 = await startChildServer(dir, ENV);
    servers.push(s2);
    await r.until(() => r!.uniqueEvents.filter((e) => e.type === 'upsert').length >= statuses.length);
    const seen = r.uniqueEvents.filter((e) => e.type === 'upsert').map((e) => e.record.currentStatus as string);
    expect(seen).toEqual(statuses);
  }, 60_000);
});
