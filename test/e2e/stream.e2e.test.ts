/** The live stream (spec 4.1) over real HTTP with a real SSE client. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import Value from 'typebox/value';
import { SnapshotMessage, UpsertMessage } from '../../src/schemas/live.js';
import { ADMIN_TOKEN, ManualClock, startTestServer, type TestServer } from '../helpers/server.js';
import { readBody, SseClient } from '../helpers/sse.js';

const T0 = 1_700_000_000_000;
const AUTH = { authorization: `Bearer ${ADMIN_TOKEN}` };

function login(agentId: string, extra: Record<string, unknown> = {}) {
  return { type: 'agent.loggedIn', agentId, time: T0, ...extra };
}

async function ingest(s: TestServer, account: string, events: unknown[]): Promise<number> {
  const r = await s.call('POST', `/api/account/${account}/events`, { events });
  expect(r.status).toBe(200);
  return r.body.lastSeq as number;
}

function streamUrl(s: TestServer, account: string, query = ''): string {
  return `${s.url}/api/account/${account}/agent-view/stream${query ? `?${query}` : ''}`;
}

describe('SSE stream', () => {
  let s: TestServer;
  const clock = new ManualClock(T0 + 1000);
  const open: SseClient[] = [];
  const connect = async (account: string, query = '', headers: Record<string, string> = AUTH) => {
    const c = await SseClient.connect(streamUrl(s, account, query), headers);
    open.push(c);
    return c;
  };

  beforeAll(async () => {
    s = await startTestServer({ AGENTVIEW_STREAM_BUFFER: '50', AGENTVIEW_STREAM_HEARTBEAT_MS: '200' }, { clock });
    await ingest(s, 'acme', [
      { type: 'agent.upserted', agentId: '1', name: 'Ann', time: T0 },
      { type: 'agent.upserted', agentId: '2', name: 'Bob', time: T0 },
      { type: 'agent.upserted', agentId: '3', name: 'Cy', time: T0 },
      login('1'),
      login('2'),
      login('3', { status: 'AWAY', reasonId: '7' }),
    ]);
  });
  afterAll(async () => {
    for (const c of open) c.close();
    await s.stop();
  });

  it('starts with a snapshot of the filtered view, then pushes upserts with id = seq', async () => {
    const c = await connect('acme');
    expect(c.status).toBe(200);
    expect(c.res.headers['content-type']).toMatch(/^text\/event-stream/);
    const snap = await c.next();
    expect(snap.event).toBe('snapshot');
    expect(Value.Check(SnapshotMessage, snap.json)).toBe(true);
    expect(snap.json.records.map((r: { agentId: string }) => r.agentId)).toEqual(['1', '2', '3']);
    expect(snap.id).toBe(String(snap.json.seq));
    expect((await c.next()).event).toBe('alerts');

    const seq = await ingest(s, 'acme', [{ type: 'agent.statusChanged', agentId: '1', status: 'BACK_SOON', time: T0 + 500 }]);
    const up = await c.next();
    expect(up.event).toBe('upsert');
    expect(Value.Check(UpsertMessage, up.json)).toBe(true);
    expect(up.json.record).toMatchObject({ agentId: '1', currentStatus: 'BACK_SOON', agentName: 'Ann' });
    expect(up.json.seq).toBe(seq);
    expect(up.id).toBe(String(seq));
  });

  it('removes an agent that leaves the filter, adds one that enters it', async () => {
    const c = await connect('acme', 'status=ONLINE,BACK_SOON');
    const snap = await c.next();
    expect(snap.json.records.map((r: { agentId: string }) => r.agentId)).toEqual(['1', '2']);
    await ingest(s, 'acme', [{ type: 'agent.statusChanged', agentId: '2', status: 'AWAY', reasonId: '1', time: T0 + 600 }]);
    const rm = await c.next((e) => e.event === 'remove' || e.event === 'upsert');
    expect(rm.event).toBe('remove');
    expect(rm.json.agentId).toBe('2');
    await ingest(s, 'acme', [{ type: 'agent.statusChanged', agentId: '3', status: 'ONLINE', time: T0 + 700 }]);
    const up = await c.next((e) => e.event === 'remove' || e.event === 'upsert');
    expect(up.event).toBe('upsert');
    expect(up.json.record.agentId).toBe('3');
    // A change to an agent outside the view sends nothing; the next message is about agent 1.
    await ingest(s, 'acme', [{ type: 'agent.statusChanged', agentId: '2', status: 'AWAY', reasonId: '2', time: T0 + 800 }]);
    await ingest(s, 'acme', [{ type: 'agent.statusChanged', agentId: '1', status: 'ONLINE', time: T0 + 900 }]);
    const next = await c.next((e) => e.event === 'remove' || e.event === 'upsert');
    expect(next.json.record?.agentId ?? next.json.agentId).toBe('1');
  });

  it('removes deleted agents and, after the listing window, logged-out ones', async () => {
    await ingest(s, 'acme', [login('4'), login('5')]);
    const c = await connect('acme');
    const snap = await c.next();
    expect(snap.json.records.map((r: { agentId: string }) => r.agentId)).toContain('5');
    await ingest(s, 'acme', [{ type: 'agent.deleted', agentId: '4', time: T0 + 1000 }]);
    const del = await c.next((e) => e.event === 'remove' || e.event === 'upsert');
    expect(del).toMatchObject({ event: 'remove', json: { agentId: '4' } });
    await ingest(s, 'acme', [{ type: 'agent.loggedOut', agentId: '5', time: clock.now() }]);
    const out = await c.next((e) => e.event === 'remove' || e.event === 'upsert');
    expect(out.event).toBe('upsert');
    expect(out.json.record).toMatchObject({ agentId: '5', currentStatus: 'OFFLINE', currentConnectionState: 'DISCONNECTED' });
    clock.advance(10 * 60_000 + 1);
    s.live.hub.sweep();
    const gone = await c.next((e) => e.event === 'remove' || e.event === 'upsert');
    expect(gone).toMatchObject({ event: 'remove', json: { agentId: '5' } });
  });

  it('follows connection time-outs: DISCONNECTED agents leave a CONNECTED-only view', async () => {
    await ingest(s, 'conn', [login('7', { time: clock.now() }), login('8', { time: clock.now() })]);
    const c = await connect('conn', 'connectionStates=CONNECTED');
    expect((await c.next()).json.records.map((r: { agentId: string }) => r.agentId)).toEqual(['7', '8']);
    clock.advance(30_000);
    await ingest(s, 'conn', [{ type: 'agent.heartbeat', agentId: '8', time: clock.now() }]);
    clock.advance(31_000);
    // The engine's own sweep (every second) may get there first; either way the time-out becomes an event.
    await s.engine.sweepTimeouts();
    const rm = await c.next((e) => e.event === 'remove' || e.event === 'upsert');
    expect(rm).toMatchObject({ event: 'remove', json: { agentId: '7' } });
    await ingest(s, 'conn', [{ type: 'agent.heartbeat', agentId: '7', time: clock.now() }]);
    const back = await c.next((e) => e.event === 'remove' || e.event === 'upsert');
    expect(back.json.record).toMatchObject({ agentId: '7', currentConnectionState: 'CONNECTED' });
  });

  it('resumes from Last-Event-ID without a snapshot, and sends a snapshot when out of range', async () => {
    const c = await connect('acme');
    await c.next((e) => e.event === 'snapshot');
    await c.next((e) => e.event === 'alerts');
    const last = c.lastEventId!;
    c.close();
    const t = clock.now();
    await ingest(s, 'acme', [{ type: 'agent.statusChanged', agentId: '2', status: 'ONLINE', time: t }]);
    const seq = await ingest(s, 'acme', [{ type: 'agent.statusChanged', agentId: '3', status: 'AWAY', reasonId: '9', time: t }]);
    const r = await connect('acme', '', { ...AUTH, 'last-event-id': last });
    const first = await r.next();
    expect(first.event).not.toBe('snapshot');
    const seen: Record<string, string> = {};
    let e = first;
    for (;;) {
      if (e.event === 'upsert') seen[e.json.record.agentId] = e.json.record.currentStatus;
      if (e.event === 'alerts') break;
      e = await r.next();
    }
    expect(seen).toMatchObject({ '2': 'ONLINE', '3': 'AWAY' });
    expect(r.lastEventId).toBe(String(seq));
    expect(r.events.some((x) => x.event === 'snapshot')).toBe(false);

    // Push the old id out of the 50-change buffer: the next resume gets a snapshot.
    const flips = Array.from({ length: 60 }, (_, i) => ({
      type: 'agent.statusChanged',
      agentId: '2',
      status: i % 2 === 0 ? 'AWAY' : 'ONLINE',
      time: t,
    }));
    await ingest(s, 'acme', flips);
    const old = await connect('acme', '', { ...AUTH, 'last-event-id': last });
    expect((await old.next()).event).toBe('snapshot');
    // An id from the future (say, another server's data) also gets a snapshot.
    const future = await connect('acme', '', { ...AUTH, 'last-event-id': '999999' });
    expect((await future.next()).event).toBe('snapshot');
  });

  it('keeps accounts apart', async () => {
    await ingest(s, 'other', [login('1', { status: 'AWAY' }), login('99')]);
    const a = await connect('acme');
    const b = await connect('other');
    const sa = await a.next();
    const sb = await b.next();
    expect(sb.json.records.map((r: { agentId: string }) => r.agentId)).toEqual(['1', '99']);
    expect(sa.json.records.some((r: { agentId: string }) => r.agentId === '99')).toBe(false);
    await ingest(s, 'other', [{ type: 'agent.statusChanged', agentId: '1', status: 'ONLINE', time: clock.now() }]);
    await ingest(s, 'acme', [{ type: 'agent.statusChanged', agentId: '1', status: 'AWAY', reasonId: '3', time: clock.now() }]);
    const ua = await a.next((e) => e.event === 'upsert');
    const ub = await b.next((e) => e.event === 'upsert');
    expect(ua.json.record.currentStatus).toBe('AWAY');
    expect(ub.json.record.currentStatus).toBe('ONLINE');
    // Account "other" saw only its own change.
    expect(b.events.filter((e) => e.event === 'upsert')).toHaveLength(1);
  });

  it('sends heartbeat comments', async () => {
    const c = await connect('acme');
    const hb = await c.next((e) => e.event === 'comment');
    expect(hb.data).toMatch(/^keep-alive/);
  });

  it('answers bad filters and missing credentials with errors, and accepts access_token', async () => {
    const bad = await connect('acme', 'status=ONLINE,NAPPING');
    expect(bad.status).toBe(400);
    expect(JSON.parse(await readBody(bad))).toMatchObject({ code: 'INVALID_FILTER', field: 'status' });
    const badId = await connect('acme', 'agentGroupIds=abc');
    expect(badId.status).toBe(400);
    const anon = await connect('acme', '', {});
    expect(anon.status).toBe(401);
    const wrong = await connect('acme', 'access_token=wrong-token-value-xx', {});
    expect(wrong.status).toBe(401);
    const viaQuery = await connect('acme', `access_token=${ADMIN_TOKEN}&agentIds=1`, {});
    expect(viaQuery.status).toBe(200);
    const snap = await viaQuery.next();
    expect(snap.json.records.map((r: { agentId: string }) => r.agentId)).toEqual(['1']);

    // A Login API bearer, in the header or as access_token: its own account only, read scope needed.
    expect((await s.call('POST', '/api/account/other/admin/users', { username: 'sup', password: 'a long password', roles: ['read'] })).status).toBe(201);
    expect((await s.call('POST', '/api/account/other/admin/users', { username: 'writer', password: 'a long password', roles: ['write'] })).status).toBe(201);
    const bearerOf = async (username: string) =>
      (await s.call('POST', '/api/account/other/login', { username, password: 'a long password' }, { authorization: '' })).body.bearer as string;
    const sup = await bearerOf('sup');
    expect((await connect('other', '', { authorization: `Bearer ${sup}` })).status).toBe(200);
    expect((await connect('other', `access_token=${sup}`, {})).status).toBe(200);
    expect((await connect('acme', `access_token=${sup}`, {})).status).toBe(403);
    expect((await connect('other', '', { authorization: `Bearer ${await bearerOf('writer')}` })).status).toBe(403);

    const head = await fetch(streamUrl(s, 'acme'), { method: 'HEAD', headers: AUTH });
    expect(head.status).toBe(200);
    expect(head.headers.get('content-type')).toMatch(/^text\/event-stream/);
  });
});

describe('SSE stream: slow consumers and shutdown', () => {
  it('disconnects a consumer that does not read with event: overflow', async () => {
    const s = await startTestServer({ AGENTVIEW_STREAM_QUEUE_BYTES: '4096', AGENTVIEW_STORE: 'memory' });
    try {
      const ids = Array.from({ length: 200 }, (_, i) => String(i + 1));
      await ingest(s, 'slow', ids.map((id) => ({ type: 'agent.loggedIn', agentId: id })));
      const c = await SseClient.connect(streamUrl(s, 'slow'), AUTH);
      await c.next((e) => e.event === 'snapshot');
      c.pause();
      // Keep changing every agent until the server gives up on this client
      // (the kernel's socket buffers absorb a few MB first).
      for (let i = 0; i < 400 && s.live.hub.stats().overflows === 0; i++) {
        const status = i % 2 === 0 ? 'AWAY' : 'ONLINE';
        await ingest(s, 'slow', ids.map((id) => ({ type: 'agent.statusChanged', agentId: id, status })));
      }
      expect(s.live.hub.stats().overflows).toBe(1);
      c.resume();
      const over = await c.next((e) => e.event === 'overflow');
      expect(over.json.limitBytes).toBe(4096);
      await c.waitEnd();
      expect(c.events.at(-1)!.event).toBe('overflow');
      expect(s.live.hub.stats().clients).toBe(0);
    } finally {
      await s.stop();
    }
  });

  it('ends streams with a final shutdown event when the server stops', async () => {
    const s = await startTestServer({ AGENTVIEW_STORE: 'memory' });
    let stopped = false;
    try {
      await ingest(s, 'acme', [{ type: 'agent.loggedIn', agentId: '1' }]);
      const c = await SseClient.connect(streamUrl(s, 'acme'), AUTH);
      await c.next((e) => e.event === 'snapshot');
      await s.stop();
      stopped = true;
      const last = await c.next((e) => e.event === 'shutdown');
      expect(last.json.seq).toBe(1);
      await c.waitEnd();
    } finally {
      if (!stopped) await s.stop();
    }
  });
});
