/**
 * Graceful shutdown of a real server process: SIGTERM and SIGINT stop
 * accepting, let a request in flight finish, snapshot, and exit 0; a restart
 * then replays nothing. A request that never finishes is cut at the end of
 * the drain period and the process still exits 0 within its deadline.
 */
import { request, type ClientRequest, type IncomingMessage } from 'node:http';
import { rmSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { killHard, spawnServer, type ChildServer } from '../helpers/child-server.js';
import { ADMIN_TOKEN, tempDir } from '../helpers/server.js';

const dirs: string[] = [];
const children: ChildServer[] = [];
afterEach(async () => {
  for (const c of children.splice(0)) await killHard(c);
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function start(env: Record<string, string> = {}, dataDir = tempDir('agentview-shutdown-')) {
  if (!dirs.includes(dataDir)) dirs.push(dataDir);
  const server = await spawnServer({ dataDir, env });
  children.push(server);
  return { server, dataDir };
}

async function ingest(url: string, account: string, events: unknown[]) {
  const res = await fetch(`${url}/api/account/${account}/events`, {
    method: 'POST',
    headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify({ events }),
  });
  return { status: res.status, body: (await res.json()) as { accepted: number; duplicates: number; lastSeq: number } };
}

/** Starts a POST whose body is only half sent; returns the request and a promise of its answer. */
function halfSentPost(url: string, path: string, body: string, requestId: string) {
  const u = new URL(url + path);
  let req!: ClientRequest;
  const answer = new Promise<{ status: number; body: string; headers: IncomingMessage['headers'] }>((resolve, reject) => {
    req = request(
      {
        host: u.hostname,
        port: u.port,
        path: u.pathname,
        method: 'POST',
        headers: {
          authorization: `Bearer ${ADMIN_TOKEN}`,
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
          'x-request-id': requestId,
        },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (text += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text, headers: res.headers }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
  });
  const half = Math.floor(body.length / 2);
  req.write(body.slice(0, half));
  return { req, answer, rest: body.slice(half) };
}

describe('graceful shutdown (child process)', () => {
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    it(`${signal}: finishes the request in flight, snapshots, exits 0`, { timeout: 60_000 }, async () => {
      const { server, dataDir } = await start();
      const first = await ingest(server.url, 'acme', [
        { type: 'agent.loggedIn', agentId: '1', eventId: 'a' },
        { type: 'agent.loggedIn', agentId: '2', eventId: 'b' },
      ]);
      expect(first.status).toBe(200);

      const events = [{ type: 'agent.statusChanged', agentId: '1', status: 'AWAY', eventId: 'c' }];
      const inflight = halfSentPost(server.url, '/api/account/acme/events', JSON.stringify({ events }), `inflight-${signal}`);
      // The server has the request (headers parsed) before the signal.
      await server.waitForLog((l) => l.msg === 'incoming request' && l.reqId === `inflight-${signal}`);
      server.kill(signal);
      await server.waitForLog((l) => l.msg === 'shutting down');
      // New work is refused: the listener is closing (refused) or draining (503 NOT_READY).
      const late = await fetch(`${server.url}/api/account/acme/events`, {
        method: 'POST',
        headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
        body: JSON.stringify({ events: [{ type: 'agent.heartbeat', agentId: '2', eventId: 'late' }] }),
      }).then(
        async (r) => ({ status: r.status, code: ((await r.json()) as { code: string }).code }),
        () => ({ status: 0, code: 'refused' }),
      );
      expect([0, 503]).toContain(late.status);
      if (late.status === 503) expect(late.code).toBe('NOT_READY');

      inflight.req.end(inflight.rest);
      const answer = await inflight.answer;
      expect(answer.status).toBe(200);
      expect(JSON.parse(answer.body)).toEqual({ accepted: 1, duplicates: 0, lastSeq: 3 });
      expect(answer.headers['x-request-id']).toBe(`inflight-${signal}`);

      const exit = await server.exited;
      expect(exit).toEqual({ code: 0, signal: null });
      const done = await server.waitForLog((l) => l.msg === 'shut down');
      expect(done.reason).toBe(signal);
      expect(done.snapshotPosition).toBe(3);
      expect(done.position).toBe(3);

      if (signal === 'SIGTERM') {
        // The snapshot covers everything: a restart replays nothing, and the late event never landed.
        const { server: again } = await start({}, dataDir);
        const caughtUp = await again.waitForLog((l) => l.msg === 'caught up with the event log');
        expect(caughtUp).toMatchObject({ position: 3, snapshotPosition: 3, replayedEntries: 0 });
        const resend = await ingest(again.url, 'acme', [{ type: 'agent.statusChanged', agentId: '1', status: 'AWAY', eventId: 'c' }]);
        expect(resend.body).toEqual({ accepted: 0, duplicates: 1, lastSeq: 3 });
      }
    });
  }

  it('cuts a request that never finishes at the end of the drain and still exits 0 in time', { timeout: 60_000 }, async () => {
    const { server } = await start({ AGENTVIEW_SHUTDOWN_TIMEOUT_MS: '1500' });
    const stuck = halfSentPost(server.url, '/api/account/acme/events', JSON.stringify({ events: [{ type: 'agent.heartbeat', agentId: '1' }] }), 'stuck');
    const outcome = stuck.answer.then(
      (a) => a.status,
      () => 'reset' as const,
    );
    await server.waitForLog((l) => l.msg === 'incoming request' && l.reqId === 'stuck');
    server.kill('SIGTERM');
    const exit = await server.exited;
    expect(exit).toEqual({ code: 0, signal: null });
    expect(server.logs.some((l) => l.msg === 'requests still open at the end of the drain period; closing their connections')).toBe(true);
    expect(await outcome).toBe('reset');
  });
});
