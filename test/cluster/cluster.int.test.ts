/**
 * Cluster mode end to end: a private 3-node NATS cluster (R3 stream), two
 * in-process agentview servers and one child-process server, over HTTP.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect } from '@nats-io/transport-node';
import { Objm } from '@nats-io/obj';
import { natsAvailable, startNatsCluster, type NatsCluster } from '../helpers/nats.js';
import { eventually, spawnClusterServer, startClusterServer, streamLeader, type ChildServer } from '../helpers/cluster.js';
import type { TestServer } from '../helpers/server.js';
import { accountShard } from '../../src/core/index.js';
import { signedFetch } from '../helpers/oauth.js';
import { createServer, type Server } from 'node:http';
import type { JetStreamWebhookStore } from '../../src/adapters/jetstream/index.js';

const STATUS = (account: string) => `/messaging_history/api/account/${account}/agent-view/status?limit=1000`;
const EVENTS = (account: string) => `/api/account/${account}/events`;

function loginBatch(prefix: string, n: number) {
  const t = Date.now();
  return {
    events: Array.from({ length: n }, (_, k) => ({
      type: 'agent.loggedIn',
      agentId: `${prefix}-${k}`,
      eventId: `${prefix}-${k}`,
      time: t,
    })),
  };
}

describe.skipIf(!natsAvailable())('cluster mode on a 3-node JetStream cluster', () => {
  let nats: NatsCluster;
  let a: TestServer;
  let b: TestServer;
  const children: ChildServer[] = [];

  beforeAll(async () => {
    nats = await startNatsCluster(3);
    [a, b] = await Promise.all([startClusterServer(nats), startClusterServer(nats)]);
  });

  afterAll(async () => {
    for (const c of children) await c.kill();
    await Promise.all([a?.stop(), b?.stop()]);
    await nats?.stop();
  });

  /** Agent ids a server lists for the account, once its view is not partial. */
  async function agentsOn(server: { call: TestServer['call'] }, account: string, minSeq?: number): Promise<string[] | undefined> {
    const res = await server.call('POST', STATUS(account), {}, minSeq === undefined ? {} : { 'x-agentview-min-seq': String(minSeq) });
    if (res.status !== 200 || res.body._metadata.shardsStatusResult.partialResult) return undefined;
    return (res.body.agentStatusRecords as { agentId: string }[]).map((r) => r.agentId).sort();
  }

  it('a write acknowledged by one server is readable on the other (read-your-writes by lastSeq)', async () => {
    const w = await a.call('POST', EVENTS('acc1'), loginBatch('x', 3));
    expect(w.status).toBe(200);
    expect(w.body).toEqual({ accepted: 3, duplicates: 0, lastSeq: 3 });
    const seen = await eventually(() => agentsOn(b, 'acc1', w.body.lastSeq));
    expect(seen).toEqual(['x-0', 'x-1', 'x-2']);
    // A seq that does not exist yet is waited for briefly, then answered as partial.
    const ahead = await b.call('POST', STATUS('acc1'), {}, { 'x-agentview-min-seq': '999' });
    expect(ahead.status).toBe(200);
    expect(ahead.body._metadata.shardsStatusResult.partialResult).toBe(true);
    const bad = await b.call('POST', STATUS('acc1'), {}, { 'x-agentview-min-seq': 'soon' });
    expect(bad.status).toBe(400);
    expect(bad.body.code).toBe('VALIDATION_FAILED');
  });

  it('the same event ids sent to two servers at once are applied once, and both answers agree', async () => {
    for (let round = 0; round < 5; round++) {
      const ids = (from: number, to: number) => ({
        events: Array.from({ length: to - from }, (_, k) => ({
          type: 'agent.loggedIn',
          agentId: `d${round}-${from + k}`,
          eventId: `d${round}-${from + k}`,
        })),
      });
      // Overlap 3..7: each of those ids must be accepted by exactly one server.
      const [ra, rb] = await Promise.all([a.call('POST', EVENTS('acc-dup'), ids(0, 8)), b.call('POST', EVENTS('acc-dup'), ids(3, 12))]);
      expect(ra.status).toBe(200);
      expect(rb.status).toBe(200);
      expect(ra.body.accepted + ra.body.duplicates).toBe(8);
      expect(rb.body.accepted + rb.body.duplicates).toBe(9);
      expect(ra.body.accepted + rb.body.accepted).toBe(12);
      // Whichever was applied second saw the first: its lastSeq is the total.
      expect(Math.max(ra.body.lastSeq, rb.body.lastSeq)).toBe(12 * (round + 1));
    }
    const want = await eventually(() => agentsOn(a, 'acc-dup', 60));
    expect(want).toHaveLength(60);
    expect(await eventually(() => agentsOn(b, 'acc-dup', 60))).toEqual(want);
    expect(a.engine.account('acc-dup')!.seq).toBe(60);
    expect(b.engine.account('acc-dup')!.seq).toBe(60);
  });

  it('loses no acknowledged event when the stream leader is killed during a writer loop, and every server converges', async () => {
    const account = 'acc-failover';
    const batches = 60;
    const killAfter = 15;
    const servers = [a, b];
    const failures: { status: number; code: string | undefined; retryAfter: string | null }[] = [];
    let killed: string | undefined;
    for (let i = 0; i < batches; i++) {
      if (i === killAfter) {
        killed = await streamLeader(nats, 'agentview_events');
        await nats.node(killed)!.kill('SIGKILL');
      }
      const body = loginBatch(`f${i}`, 5);
      // Retry the same batch (same event ids) until some server acknowledges it.
      for (let attempt = 0; ; attempt++) {
        const server = servers[(i + attempt) % 2]!;
        const res = await server.call('POST', EVENTS(account), body);
        if (res.status === 200) {
          expect(res.body.accepted + res.body.duplicates).toBe(5);
          break;
        }
        failures.push({ status: res.status, code: res.body?.code, retryAfter: res.headers.get('retry-after') });
        if (attempt > 300) throw new Error(`batch ${i} never acknowledged: ${JSON.stringify(failures.slice(-3))}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    expect(killed).toBeDefined();
    // Failed writes are honest 503s that say when to retry, never 500s.
    for (const f of failures) {
      expect(f.status).toBe(503);
      expect(['STORE_UNAVAILABLE', 'NOT_READY']).toContain(f.code);
      expect(f.retryAfter).not.toBeNull();
    }
    await nats.node(killed!)!.restart();
    const expected = Array.from({ length: batches }, (_, i) => Array.from({ length: 5 }, (_, k) => `f${i}-${k}`)).flat().sort();
    for (const server of servers) {
      const seen = await eventually(async () => {
        const got = await agentsOn(server, account);
        return got && got.length === expected.length ? got : undefined;
      }, 60_000);
      expect(seen).toEqual(expected);
      // Retried batches were de-duplicated: every event counted exactly once.
      expect(server.engine.account(account)!.seq).toBe(batches * 5);
    }
  });

  it('a killed server restarts and catches up from the snapshot plus the tail of the stream', async () => {
    const account = 'acc-restart';
    const env = { AGENTVIEW_SNAPSHOT_EVERY_EVENTS: '20' };
    const child = await spawnClusterServer(nats, env);
    children.push(child);
    for (let i = 0; i < 5; i++) expect((await a.call('POST', EVENTS(account), loginBatch(`r${i}`, 10))).status).toBe(200);
    // The child snapshots every 20 events; wait until it wrote one.
    const nc = await connect({ servers: nats.urls });
    try {
      const os = await new Objm(nc).open('agentview_snapshots');
      await eventually(async () => {
        const info = await os.info('view.all');
        const d = info ? (JSON.parse(info.description ?? '{}') as { position?: number }) : {};
        return (d.position ?? 0) > 0 ? true : undefined;
      }, 30_000);
    } finally {
      await nc.close();
    }
    await child.kill('SIGKILL');
    // The tail: written while the child is down, after the last snapshot.
    let last = 0;
    for (let i = 5; i < 8; i++) {
      const res = await b.call('POST', EVENTS(account), loginBatch(`r${i}`, 10));
      expect(res.status).toBe(200);
      last = res.body.lastSeq;
    }
    expect(last).toBe(80);
    const again = await spawnClusterServer(nats, env);
    children.push(again);
    const seen = await eventually(() => agentsOn(again, account, last));
    expect(seen).toHaveLength(80);
    const lines = again
      .output()
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as { msg?: string; position?: number });
    const loaded = lines.find((l) => l.msg === 'loaded the snapshot');
    const caughtUp = lines.find((l) => l.msg === 'caught up with the event log');
    expect(loaded?.position).toBeGreaterThan(0);
    expect(caughtUp?.position).toBeGreaterThan(loaded!.position!);
  });

  it('servers configured with account shards keep only their accounts and redirect the others with 421', async () => {
    const shards = await Promise.all([0, 1].map((i) => startClusterServer(nats, { AGENTVIEW_VIEW_SHARD: `${i}/2` })));
    try {
      const accounts = Array.from({ length: 8 }, (_, i) => `shard-acc-${i}`);
      for (const account of accounts) {
        const owner = shards[accountShard(account, 2)]!;
        const other = shards[1 - accountShard(account, 2)]!;
        const w = await owner.call('POST', EVENTS(account), loginBatch(account, 2));
        expect(w.status).toBe(200);
        const misdirected = await other.call('POST', EVENTS(account), loginBatch(account, 2));
        expect(misdirected.status).toBe(421);
        expect(misdirected.body.code).toBe('ACCOUNT_NOT_SERVED');
        expect(misdirected.headers.get('x-agentview-shard')).toBe(`${1 - accountShard(account, 2)}/2`);
        expect((await other.call('POST', STATUS(account), {})).status).toBe(421);
        // An unsharded server sees every account.
        expect(await eventually(() => agentsOn(a, account, w.body.lastSeq))).toEqual([`${account}-0`, `${account}-1`]);
      }
      for (const [i, server] of shards.entries()) {
        const held = [...server.engine.accounts.keys()];
        expect(held.length).toBeGreaterThan(0);
        for (const account of held) expect(accountShard(account, 2)).toBe(i);
      }
    } finally {
      await Promise.all(shards.map((s) => s.stop()));
    }
  });

  it('shares users, sessions, keys and OAuth nonces between servers', async () => {
    const account = 'acc-auth';
    const created = await a.call('POST', `/api/account/${account}/admin/users`, { username: 'maya', password: 'correct horse battery', roles: ['read'] });
    expect(created.status).toBeLessThan(300);
    // Logged in on the other server, used on the first, ended on the first, refused on the other.
    const login = await fetch(`${b.url}/api/account/${account}/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'maya', password: 'correct horse battery' }),
    });
    expect(login.status).toBe(200);
    const { bearer } = (await login.json()) as { bearer: string };
    const asMaya = { authorization: `Bearer ${bearer}` };
    const read = await fetch(`${a.url}${STATUS(account)}`, { method: 'POST', headers: asMaya });
    expect(read.status).toBe(200);
    expect((await fetch(`${a.url}/api/account/${account}/logout`, { method: 'POST', headers: asMaya })).status).toBe(200);
    expect((await fetch(`${b.url}${STATUS(account)}`, { method: 'POST', headers: asMaya })).status).toBe(401);

    // An OAuth key made on one server signs requests to the other; a replayed nonce is refused anywhere.
    const key = await b.call('POST', `/api/account/${account}/admin/keys`, { scopes: ['read'] });
    expect(key.status).toBeLessThan(300);
    const creds = { appKey: key.body.appKey, appSecret: key.body.appSecret, token: key.body.token, tokenSecret: key.body.tokenSecret };
    const path = STATUS(account);
    const signed = { method: 'POST', signedUrl: `http://agentview.test${path}`, creds, nonce: 'cluster-nonce-1', timestamp: Math.floor(Date.now() / 1000) };
    expect((await signedFetch({ ...signed, sendTo: `${a.url}${path}` })).status).toBe(200);
    expect((await signedFetch({ ...signed, sendTo: `${b.url}${path}` })).status).toBe(401);
    expect((await a.call('DELETE', `/api/account/${account}/admin/keys/${encodeURIComponent(creds.appKey)}`)).status).toBeLessThan(300);
    expect((await signedFetch({ ...signed, nonce: 'cluster-nonce-2', sendTo: `${b.url}${path}` })).status).toBe(401);
  });

  it('serves the status history of writes made on another server, including batches written before it started', async () => {
    const account = 'acc-history';
    // Recent enough that no connection time-out (60 s) splits the intervals during the test.
    const t = Date.now() - 5000;
    const early = await a.call('POST', EVENTS(account), {
      events: [
        { type: 'agent.loggedIn', agentId: 'h1', time: t },
        { type: 'agent.loggedIn', agentId: 'h2', time: t },
      ],
    });
    expect(early.status).toBe(200);
    // A server started after those writes re-derives the history from the stream.
    const late = await startClusterServer(nats);
    try {
      const w = await a.call('POST', EVENTS(account), { events: [{ type: 'agent.statusChanged', agentId: 'h1', status: 'AWAY', time: t + 2000 }] });
      expect(w.status).toBe(200);
      const url = `/api/account/${account}/agent-view/history?agentIds=h1,h2&from=${t - 1000}&to=${Date.now() + 1000}`;
      for (const server of [b, late]) {
        const got = await eventually(async () => {
          const res = await server.call('GET', url);
          const intervals = res.status === 200 ? (res.body.intervals as { agentId: string; status: string }[]) : [];
          return intervals.length >= 3 ? intervals : undefined;
        });
        expect(got.map((i) => `${i.agentId}:${i.status}`)).toEqual(['h1:ONLINE', 'h1:AWAY', 'h2:ONLINE']);
      }
    } finally {
      await late.stop();
    }
  });

  it('delivers webhooks from one server at a time, and another takes over when it stops', { timeout: 180_000 }, async () => {
    const account = 'acc-webhooks';
    const received: { delivery: string; events: { type: string; record?: { agentId: string } }[] }[] = [];
    const receiver: Server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        received.push({ delivery: String(req.headers['x-agentview-delivery']), events: (JSON.parse(body) as { events: never[] }).events });
        res.end('ok');
      });
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
    const port = (receiver.address() as { port: number }).port;
    // Their own namespace: the other servers of this file must not compete for the delivery lease.
    const env = { AGENTVIEW_NATS_NAMESPACE: 'webhooks-test' };
    const servers = await Promise.all([startClusterServer(nats, env), startClusterServer(nats, env)]);
    try {
      const created = await servers[0].call('POST', `/api/account/${account}/admin/webhooks`, { url: `http://127.0.0.1:${port}/hook`, filter: {} });
      expect(created.status).toBeLessThan(300);
      const id = created.body.id as string;
      // Both servers know the webhook (the second through the shared store).
      for (const server of servers) {
        await eventually(async () => {
          const list = await server.call('GET', `/api/account/${account}/admin/webhooks`);
          return (list.body as { id: string }[] | { webhooks?: { id: string }[] }) && JSON.stringify(list.body).includes(id) ? true : undefined;
        });
      }
      const upserts = (agentId: string) => received.flatMap((d) => d.events).filter((e) => e.type === 'upsert' && e.record?.agentId === agentId).length;
      expect((await servers[1].call('POST', EVENTS(account), loginBatch('wh', 3))).status).toBe(200);
      await eventually(() => (['wh-0', 'wh-1', 'wh-2'].every((a) => upserts(a) >= 1) ? true : undefined));
      // A marker written after them arrives after them; by then a second deliverer would have sent its copies too.
      expect((await servers[0].call('POST', EVENTS(account), loginBatch('marker', 1))).status).toBe(200);
      await eventually(() => (upserts('marker-0') >= 1 ? true : undefined));
      expect(['wh-0', 'wh-1', 'wh-2', 'marker-0'].map(upserts)).toEqual([1, 1, 1, 1]);
      expect(new Set(received.map((d) => d.delivery)).size).toBe(received.length);

      // The deliverer stops (gracefully: it hands the lease over); the other one delivers what follows.
      const leader = await eventually(() => servers.find((s) => (s.stores.webhooks as JetStreamWebhookStore).isLeader()));
      const other = servers.find((s) => s !== leader)!;
      await leader.stop();
      servers.splice(servers.indexOf(leader), 1);
      expect((await other.call('POST', EVENTS(account), loginBatch('after', 2))).status).toBe(200);
      await eventually(() => (upserts('after-0') >= 1 && upserts('after-1') >= 1 ? true : undefined), 60_000);
      // Nothing was lost in the hand-over; what the previous deliverer sent is not sent again.
      expect(['wh-0', 'wh-1', 'wh-2', 'marker-0'].map(upserts)).toEqual([1, 1, 1, 1]);
      expect((other.stores.webhooks as JetStreamWebhookStore).isLeader()).toBe(true);
    } finally {
      await Promise.all(servers.map((s) => s.stop()));
      await new Promise((r) => receiver.close(r));
    }
  });
});
