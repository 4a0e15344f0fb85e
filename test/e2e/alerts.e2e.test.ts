/** Threshold alerts: rules over HTTP, raised and cleared on the stream, webhooks and the alerts endpoint. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, ManualClock, startTestServer, tempDir, type TestServer } from '../helpers/server.js';
import { Receiver } from '../helpers/receiver.js';
import { SseClient } from '../helpers/sse.js';

const T0 = 1_700_000_000_000;
const MIN = 60_000;
// Rules are evaluated only when a test says so (the periodic evaluation would race the assertions).
const ENV = { AGENTVIEW_WEBHOOK_RETRY_BASE_MS: '20', AGENTVIEW_LIVE_SWEEP_MS: '60000' };

describe('threshold alerts', () => {
  let s: TestServer;
  let r: Receiver;
  const dir = tempDir();
  const clock = new ManualClock(T0);
  beforeAll(async () => {
    r = await Receiver.start();
    s = await startTestServer(ENV, { clock, dataDir: dir });
  });
  afterAll(async () => {
    await s.stop();
    await r.stop();
  });

  it('validates and manages rules per account', async () => {
    const bad = [
      { kind: 'status-duration', status: 'OFFLINE', minutes: 5 },
      { kind: 'load', minLoad: 0, minutes: 5 },
      { kind: 'nap', minutes: 1 },
      { kind: 'group-no-online', groupId: 'abc' },
      { kind: 'load', minLoad: 90, minutes: 5, extra: 1 },
    ];
    for (const body of bad) {
      const res = await s.call('POST', '/api/account/acme/admin/alert-rules', body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.code, JSON.stringify(body)).toBe('INVALID_ALERT_RULE');
    }
    const ok = await s.call('POST', '/api/account/acme/admin/alert-rules', { kind: 'load', minLoad: 90, minutes: 5 });
    expect(ok.status).toBe(201);
    expect(ok.body).toMatchObject({ kind: 'load', minLoad: 90, minutes: 5, createdAt: T0 });
    expect((await s.call('GET', '/api/account/acme/admin/alert-rules')).body.rules).toHaveLength(1);
    expect((await s.call('GET', '/api/account/other/admin/alert-rules')).body.rules).toHaveLength(0);
    expect((await s.call('DELETE', `/api/account/other/admin/alert-rules/${ok.body.id}`)).status).toBe(404);
    expect((await s.call('DELETE', `/api/account/acme/admin/alert-rules/${ok.body.id}`)).status).toBe(204);
    expect((await s.call('GET', '/api/account/acme/admin/alert-rules')).body.rules).toHaveLength(0);
  });

  it('raises and clears alerts on the stream, the webhook and the alerts endpoint', async () => {
    await s.call('POST', '/api/account/acme/admin/webhooks', { url: `${r.url}/hook`, secret: 'x'.repeat(20), filter: { agentIds: ['none'] } });
    const rule = await s.call('POST', '/api/account/acme/admin/alert-rules', { kind: 'status-duration', status: 'AWAY', reasonId: 'lunch', minutes: 30 });
    const group = await s.call('POST', '/api/account/acme/admin/alert-rules', { kind: 'group-no-online', groupId: 7 });
    await s.call('POST', '/api/account/acme/events', {
      events: [
        { type: 'group.upserted', groupId: 7, name: 'Night shift' },
        { type: 'agent.upserted', agentId: '1', name: 'Ann', groupId: 7 },
        { type: 'agent.loggedIn', agentId: '1', status: 'AWAY', reasonId: 'lunch' },
      ],
    });
    const c = await SseClient.connect(`${s.url}/api/account/acme/agent-view/stream`, { authorization: `Bearer ${ADMIN_TOKEN}` });
    await c.next((e) => e.event === 'alerts');

    await s.live.alerts.evaluate();
    const g = await c.next((e) => e.event === 'alert');
    expect(g.json).toMatchObject({ type: 'raised', alert: { ruleId: group.body.id, groupId: '7', message: 'No agent of group Night shift is ONLINE' } });

    clock.advance(31 * MIN);
    await s.live.alerts.evaluate();
    const raised = await c.next((e) => e.event === 'alert');
    expect(raised.json).toMatchObject({ type: 'raised', alert: { id: `${rule.body.id}:1`, agentId: '1', since: T0, raisedAt: T0 + 31 * MIN } });
    expect(raised.json.alert.message).toBe('Ann is AWAY (reason lunch) for 30 min or more');
    const listed = await s.call('GET', '/api/account/acme/agent-view/alerts');
    expect(listed.body.alerts.map((a: { ruleId: string }) => a.ruleId)).toEqual([group.body.id, rule.body.id]);
    expect((await s.call('GET', '/api/account/other/agent-view/alerts')).body.alerts).toEqual([]);

    await s.call('POST', '/api/account/acme/events', { events: [{ type: 'agent.statusChanged', agentId: '1', status: 'ONLINE' }] });
    await s.live.alerts.evaluate();
    const cleared = [await c.next((e) => e.event === 'alert'), await c.next((e) => e.event === 'alert')];
    expect(cleared.map((e) => e.json.type)).toEqual(['cleared', 'cleared']);
    expect((await s.call('GET', '/api/account/acme/agent-view/alerts')).body.alerts).toEqual([]);

    await r.until(() => r.events.filter((e) => e.type === 'alert.cleared').length === 2);
    expect(r.events.map((e) => e.type)).toEqual(['alert.raised', 'alert.raised', 'alert.cleared', 'alert.cleared']);
    c.close();
  });

  it('keeps rules and raised alerts across a restart without raising them again', async () => {
    await s.call('POST', '/api/account/acme/events', { events: [{ type: 'agent.statusChanged', agentId: '1', status: 'BACK_SOON' }] });
    await s.live.alerts.evaluate();
    expect((await s.call('GET', '/api/account/acme/agent-view/alerts')).body.alerts).toHaveLength(1);
    await r.until(() => r.uniqueEvents.filter((e) => e.type === 'alert.raised').length === 3);
    const before = r.uniqueEvents.length;
    await s.stop();
    s = await startTestServer(ENV, { clock, dataDir: dir });
    expect((await s.call('GET', '/api/account/acme/admin/alert-rules')).body.rules).toHaveLength(2);
    await s.live.alerts.evaluate();
    expect((await s.call('GET', '/api/account/acme/agent-view/alerts')).body.alerts).toHaveLength(1);
    await s.call('POST', '/api/account/acme/events', { events: [{ type: 'agent.statusChanged', agentId: '1', status: 'ONLINE' }] });
    await s.live.alerts.evaluate();
    await r.until(() => r.uniqueEvents.length >= before + 1);
    // Not raised again after the restart: the next alert event is the clearing.
    expect(r.uniqueEvents.slice(before).map((e) => e.type)).toEqual(['alert.cleared']);
  });
});
