/** Webhooks (spec 4.2) delivered to a real local receiver. */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { startTestServer, tempDir, type TestServer } from '../helpers/server.js';
import { Receiver } from '../helpers/receiver.js';

const FAST_RETRY = { AGENTVIEW_WEBHOOK_RETRY_BASE_MS: '20', AGENTVIEW_WEBHOOK_RETRY_MAX_MS: '200' };
const SECRET = 'a-long-enough-webhook-secret';

function verify(raw: string, header: string | string[] | undefined, secret: string): boolean {
  if (typeof header !== 'string' || !header.startsWith('sha256=')) return false;
  const want = createHmac('sha256', secret).update(raw).digest();
  const got = Buffer.from(header.slice(7), 'hex');
  return got.length === want.length && timingSafeEqual(got, want);
}

async function ingest(s: TestServer, account: string, events: unknown[]): Promise<number> {
  const r = await s.call('POST', `/api/account/${account}/events`, { events });
  expect(r.status).toBe(200);
  return r.body.lastSeq as number;
}

describe('webhooks', () => {
  const cleanup: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const f of cleanup.splice(0).reverse()) await f();
  });
  const server = async (env: Record<string, string> = {}, dataDir?: string) => {
    const s = await startTestServer({ ...FAST_RETRY, ...env }, dataDir ? { dataDir } : {});
    cleanup.push(() => s.stop());
    return s;
  };
  const receiver = async () => {
    const r = await Receiver.start();
    cleanup.push(() => r.stop());
    return r;
  };

  it('registers, lists without the secret, deletes; refuses targets outside the allow list', async () => {
    const s = await server();
    const r = await receiver();
    const created = await s.call('POST', '/api/account/acme/admin/webhooks', { url: `${r.url}/hook`, secret: SECRET, filter: { status: ['ONLINE'] } });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ url: `${r.url}/hook`, secret: SECRET, alerts: true, pending: 0, failures: 0 });
    const generated = await s.call('POST', '/api/account/acme/admin/webhooks', { url: `${r.url}/other` });
    expect(generated.status).toBe(201);
    expect(generated.body.secret).toMatch(/^[A-Za-z0-9_-]{32}$/);

    const list = await s.call('GET', '/api/account/acme/admin/webhooks');
    expect(list.status).toBe(200);
    expect(list.body.webhooks.map((w: { id: string }) => w.id)).toEqual([created.body.id, generated.body.id]);
    expect(JSON.stringify(list.body)).not.toContain(SECRET);
    expect((await s.call('GET', '/api/account/other/admin/webhooks')).body.webhooks).toEqual([]);
    // Another account cannot delete it.
    expect((await s.call('DELETE', `/api/account/other/admin/webhooks/${created.body.id}`)).status).toBe(404);
    expect((await s.call('DELETE', `/api/account/acme/admin/webhooks/${generated.body.id}`)).status).toBe(204);
    expect((await s.call('DELETE', `/api/account/acme/admin/webhooks/${generated.body.id}`)).status).toBe(404);

    for (const url of ['http://example.com/hook', 'http://169.254.169.254/latest', 'ftp://127.0.0.1/x', `http://user:pw@127.0.0.1:${new URL(r.url).port}/`, 'not a url', 'http://10.0.0.1/']) {
      const bad = await s.call('POST', '/api/account/acme/admin/webhooks', { url, secret: SECRET });
      expect(bad.status, url).toBe(400);
      expect(bad.body.code, url).toBe('WEBHOOK_TARGET_NOT_ALLOWED');
    }
    const shortSecret = await s.call('POST', '/api/account/acme/admin/webhooks', { url: `${r.url}/x`, secret: 'short' });
    expect(shortSecret.status).toBe(400);
    const unknownField = await s.call('POST', '/api/account/acme/admin/webhooks', { url: `${r.url}/x`, secrett: SECRET });
    expect(unknownField.status).toBe(400);
    const anon = await fetch(`${s.url}/api/account/acme/admin/webhooks`);
    expect(anon.status).toBe(401);
  });

  it('delivers signed changes matching the filter, in order per agent', async () => {
    const s = await server();
    const r = await receiver();
    const hook = await s.call('POST', '/api/account/acme/admin/webhooks', { url: `${r.url}/hook`, secret: SECRET, filter: { agentGroupIds: [7] } });
    await ingest(s, 'acme', [
      { type: 'agent.upserted', agentId: '1', groupId: 7 },
      { type: 'agent.upserted', agentId: '2', groupId: 7 },
      { type: 'agent.upserted', agentId: '3', groupId: 8 },
    ]);
    const statuses = ['ONLINE', 'AWAY', 'BACK_SOON', 'ONLINE'] as const;
    let lastSeq = 0;
    for (let round = 0; round < 5; round++) {
      const events = [];
      for (const st of statuses) for (const id of ['1', '2', '3']) events.push({ type: 'agent.statusChanged', agentId: id, status: st });
      lastSeq = await ingest(s, 'acme', events);
    }
    await ingest(s, 'acme', [{ type: 'agent.upserted', agentId: '2', groupId: 8 }]);
    await r.until(() => r.events.some((e) => e.type === 'remove' && e.agentId === '2'));

    for (const d of r.accepted) {
      expect(verify(d.raw, d.headers['x-agentview-signature'], SECRET)).toBe(true);
      expect(d.headers['x-agentview-delivery']).toBe(d.body.deliveryId);
      expect(d.headers['content-type']).toBe('application/json');
      expect(d.body).toMatchObject({ webhookId: hook.body.id, account: 'acme' });
    }
    expect(new Set(r.accepted.map((d) => d.body.deliveryId)).size).toBe(r.accepted.length);
    const events = r.events;
    // Agent 3 is in group 8: never delivered.
    expect(events.some((e) => (e.record?.agentId ?? e.agentId) === '3')).toBe(false);
    for (const id of ['1', '2']) {
      const mine = events.filter((e) => (e.record?.agentId ?? e.agentId) === id);
      const seqs = mine.map((e) => e.seq as number);
      expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
      expect(new Set(seqs).size).toBe(seqs.length);
    }
    const last1 = events.filter((e) => e.record?.agentId === '1').at(-1);
    expect(last1.record.currentStatus).toBe('ONLINE');
    expect(last1.seq).toBeLessThanOrEqual(lastSeq);
    // A tampered body does not verify.
    expect(verify(r.accepted[0]!.raw + ' ', r.accepted[0]!.headers['x-agentview-signature'], SECRET)).toBe(false);
  });

  it('retries with back-off while the receiver answers 500, keeping the delivery id', async () => {
    const s = await server();
    const r = await receiver();
    r.respond = (_req, n) => ({ status: n < 4 ? 500 : 200 });
    await s.call('POST', '/api/account/acme/admin/webhooks', { url: `${r.url}/hook`, secret: SECRET });
    await ingest(s, 'acme', [{ type: 'agent.loggedIn', agentId: '1' }]);
    await ingest(s, 'acme', [{ type: 'agent.statusChanged', agentId: '1', status: 'AWAY', reasonId: '2' }]);
    await r.until(() => r.events.some((e) => e.record?.currentStatus === 'AWAY'));
    expect(r.received.slice(0, 4).every((x) => x.status === 500)).toBe(true);
    const firstId = r.received[0]!.headers['x-agentview-delivery'];
    expect(r.received.slice(0, 5).every((x) => x.headers['x-agentview-delivery'] === firstId)).toBe(true);
    expect(r.events.map((e) => e.record.currentStatus)).toEqual(['ONLINE', 'AWAY']);
    const list = await s.call('GET', '/api/account/acme/admin/webhooks');
    expect(list.body.webhooks[0]).toMatchObject({ failures: 0, pending: 0 });
    expect(list.body.webhooks[0].lastSuccessAt).toBeTypeOf('number');
  });

  it('reports undelivered messages in the agentview_webhook_backlog gauge until the receiver recovers', async () => {
    const s = await server();
    const r = await receiver();
    let down = true;
    r.respond = () => ({ status: down ? 500 : 200 });
    await s.call('POST', '/api/account/acme/admin/webhooks', { url: `${r.url}/hook`, secret: SECRET });
    await ingest(s, 'acme', [
      { type: 'agent.loggedIn', agentId: '1' },
      { type: 'agent.loggedIn', agentId: '2' },
    ]);
    const backlog = async () => {
      const text = await (await fetch(`${s.url}/metrics`, { headers: { authorization: `Bearer ${s.token}` } })).text();
      const m = /^agentview_webhook_backlog (\d+)$/m.exec(text);
      return m ? Number(m[1]) : NaN;
    };
    await r.until(() => r.received.length >= 2);
    expect(await backlog()).toBeGreaterThan(0);
    down = false;
    await r.until(() => r.events.length >= 2);
    let n = await backlog();
    for (let i = 0; i < 100 && n !== 0; i++) {
      await new Promise((res) => setTimeout(res, 50));
      n = await backlog();
    }
    expect(n).toBe(0);
  });

  it('gives up on a receiver that does not answer in time, and retries', async () => {
    const s = await server({ AGENTVIEW_WEBHOOK_TIMEOUT_MS: '300' });
    const r = await receiver();
    r.respond = (_req, n) => ({ status: n < 2 ? 0 : 200 });
    await s.call('POST', '/api/account/acme/admin/webhooks', { url: `${r.url}/hook`, secret: SECRET });
    await ingest(s, 'acme', [{ type: 'agent.loggedIn', agentId: '1' }]);
    await r.until(() => r.accepted.length === 1);
    expect(r.received.map((x) => x.status)).toEqual([0, 0, 200]);
    expect(new Set(r.received.map((x) => x.headers['x-agentview-delivery'])).size).toBe(1);
  });

  it('does not follow redirects', async () => {
    const s = await server();
    const r = await receiver();
    const elsewhere = await receiver();
    r.respond = () => ({ status: 307, headers: { location: `${elsewhere.url}/stolen` } });
    await s.call('POST', '/api/account/acme/admin/webhooks', { url: `${r.url}/hook`, secret: SECRET });
    await ingest(s, 'acme', [{ type: 'agent.loggedIn', agentId: '1' }]);
    await r.until(() => r.received.length >= 2);
    expect(elsewhere.received).toHaveLength(0);
    const list = await s.call('GET', '/api/account/acme/admin/webhooks');
    expect(list.body.webhooks[0].lastError).toMatch(/redirect 307/);
    expect(list.body.webhooks[0].pending).toBe(1);
  });

  it('keeps undelivered messages across a restart', async () => {
    const dir = tempDir();
    const r = await receiver();
    r.respond = () => ({ status: 500 });
    const s1 = await startTestServer(FAST_RETRY, { dataDir: dir });
    await s1.call('POST', '/api/account/acme/admin/webhooks', { url: `${r.url}/hook`, secret: SECRET });
    await ingest(s1, 'acme', [{ type: 'agent.loggedIn', agentId: '1' }]);
    await ingest(s1, 'acme', [{ type: 'agent.statusChanged', agentId: '1', status: 'BACK_SOON' }]);
    await r.until(() => r.received.length >= 2);
    await s1.stop();
    const failedBefore = r.received.length;

    r.respond = () => ({ status: 200 });
    const s2 = await server({}, dir);
    await ingest(s2, 'acme', [{ type: 'agent.loggedOut', agentId: '1' }]);
    await r.until(() => r.events.some((e) => e.record?.currentStatus === 'OFFLINE'));
    expect(r.received.length).toBeGreaterThan(failedBefore);
    expect(r.events.map((e) => e.record.currentStatus)).toEqual(['ONLINE', 'BACK_SOON', 'OFFLINE']);
    for (const d of r.accepted) expect(verify(d.raw, d.headers['x-agentview-signature'], SECRET)).toBe(true);
  });
});
