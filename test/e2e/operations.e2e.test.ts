/**
 * Observability and lifecycle in process: /metrics (auth, per-route request
 * series, ingest and commit metrics, log positions), request ids, secrets
 * kept out of logs, /readyz during a slow replay, shutdown hooks.
 */
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryEventLog, MemorySnapshotStore } from '../../src/adapters/memory/index.js';
import { Engine } from '../../src/engine/index.js';
import { buildApp } from '../../src/http/app.js';
import { adminTokenAuthenticator } from '../../src/http/plugins/auth.js';
import { createLogger } from '../../src/observability/logger.js';
import type { LogListener, Subscription } from '../../src/ports/index.js';
import { ADMIN_TOKEN, startTestServer, type TestServer } from '../helpers/server.js';

const METRICS_TOKEN = 'scrape-token-0123456789abcdef';

/** Value of one series in a Prometheus text exposition (undefined when absent). */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const got: Record<string, string> = {};
    for (const kv of (m[2] ?? '').slice(1, -1).matchAll(/([a-zA-Z_]+)="((?:[^"\\]|\\.)*)"/g)) got[kv[1]!] = kv[2]!;
    if (Object.entries(labels).every(([k, v]) => got[k] === v)) return Number(m[3]);
  }
  return undefined;
}

describe('metrics and request ids', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ AGENTVIEW_METRICS_TOKEN: METRICS_TOKEN });
  });
  afterAll(async () => {
    await server.stop();
  });
  const scrape = async (token = ADMIN_TOKEN) => {
    const res = await fetch(`${server.url}/metrics`, { headers: { authorization: `Bearer ${token}` } });
    return { status: res.status, type: res.headers.get('content-type'), text: await res.text() };
  };

  it('needs the scrape token or an operator credential', async () => {
    const anonymous = await fetch(`${server.url}/metrics`);
    expect(anonymous.status).toBe(401);
    expect(((await anonymous.json()) as { code: string }).code).toBe('UNAUTHORIZED');
    expect(anonymous.headers.get('www-authenticate')).toContain('Bearer');
    expect((await scrape('wrong-token-0123456789')).status).toBe(401);
    const viaScrapeToken = await scrape(METRICS_TOKEN);
    expect(viaScrapeToken.status).toBe(200);
    expect(viaScrapeToken.type).toContain('text/plain');
    expect((await scrape()).status).toBe(200);
  });

  it('counts requests per route template and status, ingest, commits and log positions', async () => {
    const before = (await scrape()).text;
    const route = '/api/account/:accountID/events';
    const ok = (t: string) => sample(t, 'agentview_http_requests_total', { method: 'POST', route, status: '200' }) ?? 0;
    const bad = (t: string) => sample(t, 'agentview_http_requests_total', { method: 'POST', route, status: '400' }) ?? 0;
    const r1 = await server.call('POST', '/api/account/m1/events', {
      events: [
        { type: 'agent.loggedIn', agentId: '1', eventId: 'x1' },
        { type: 'agent.loggedIn', agentId: '2', eventId: 'x2' },
      ],
    });
    expect(r1.status).toBe(200);
    const r2 = await server.call('POST', '/api/account/m1/events', { events: [{ type: 'agent.loggedIn', agentId: '1', eventId: 'x1' }] });
    expect(r2.body).toMatchObject({ accepted: 0, duplicates: 1 });
    expect((await server.call('POST', '/api/account/m1/events', { events: [{ type: 'nope' }] })).status).toBe(400);
    expect((await server.call('GET', '/no/such/route')).status).toBe(404);

    const after = (await scrape()).text;
    expect(ok(after) - ok(before)).toBe(2);
    expect(bad(after) - bad(before)).toBe(1);
    expect(sample(after, 'agentview_http_request_duration_seconds_count', { method: 'POST', route, status: '200' })).toBeGreaterThanOrEqual(2);
    // Unknown paths share one label instead of one series per path.
    expect(sample(after, 'agentview_http_requests_total', { method: 'GET', route: 'unmatched', status: '404' })).toBeGreaterThanOrEqual(1);
    expect(after).not.toContain('/no/such/route');
    const accepted = (t: string) => sample(t, 'agentview_ingest_events_total', { result: 'accepted' }) ?? 0;
    const dups = (t: string) => sample(t, 'agentview_ingest_events_total', { result: 'duplicate' }) ?? 0;
    expect(accepted(after) - accepted(before)).toBe(2);
    expect(dups(after) - dups(before)).toBe(1);
    expect((sample(after, 'agentview_ingest_batch_events_count') ?? 0) - (sample(before, 'agentview_ingest_batch_events_count') ?? 0)).toBe(2);
    expect((sample(after, 'agentview_commit_duration_seconds_count') ?? 0) - (sample(before, 'agentview_commit_duration_seconds_count') ?? 0)).toBeGreaterThanOrEqual(2);
    expect(sample(after, 'agentview_event_log_position')).toBe(server.engine.position);
    expect(sample(after, 'agentview_view_position')).toBe(server.engine.position);
    expect(sample(after, 'agentview_view_lag_entries')).toBe(0);
    expect(sample(after, 'agentview_ready')).toBe(1);
    // Gauges the streaming and webhook components feed are registered.
    expect(after).toContain('# TYPE agentview_stream_clients gauge');
    expect(after).toContain('# TYPE agentview_webhook_backlog gauge');
    expect(sample(after, 'process_resident_memory_bytes')).toBeGreaterThan(0);
    expect(sample(after, 'nodejs_eventloop_lag_seconds')).toBeGreaterThanOrEqual(0);
  });

  it('answers with the request id, keeping a sane client id and replacing an unsafe one', async () => {
    const mine = await server.call('GET', '/healthz', undefined, { 'x-request-id': 'trace-42.abc' });
    expect(mine.headers.get('x-request-id')).toBe('trace-42.abc');
    const unsafe = await server.call('GET', '/healthz', undefined, { 'x-request-id': 'x'.repeat(500) });
    expect(unsafe.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    const none = await server.call('GET', '/healthz');
    expect(none.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });
});

describe('logs', () => {
  it('carry the request id and never the credentials', async () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _enc, cb) {
        lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
        cb();
      },
    });
    const log = new MemoryEventLog();
    const engine = new Engine(log, new MemorySnapshotStore(), { now: () => Date.now() });
    await engine.start();
    const app = await buildApp({
      engine,
      clock: { now: () => Date.now() },
      publicUrl: 'http://agentview.test',
      authenticators: [adminTokenAuthenticator(ADMIN_TOKEN)],
      isShuttingDown: () => false,
      logger: createLogger('info', sink),
    });
    const res = await app.inject({
      method: 'POST',
      url: '/api/account/l1/events?access_token=sekrit-query-token',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json', 'x-request-id': 'req-redact-1' },
      payload: { events: [{ type: 'agent.loggedIn', agentId: '1' }] },
    });
    expect(res.statusCode).toBe(200);
    await app.close();
    await engine.stop();
    const text = lines.join('\n');
    expect(lines.some((l) => (JSON.parse(l) as { reqId?: string }).reqId === 'req-redact-1')).toBe(true);
    expect(text).not.toContain(ADMIN_TOKEN);
    expect(text).not.toContain('sekrit-query-token');
  });
});

/** A log whose start-up replay is held until the test releases it. */
class SlowReplayLog extends MemoryEventLog {
  release!: () => void;
  private readonly gate = new Promise<void>((r) => (this.release = r));
  override subscribe(after: number, listener: LogListener): Subscription {
    const inner = super.subscribe(after, listener);
    return { caughtUp: inner.caughtUp.then(() => this.gate), close: () => inner.close() };
  }
}

describe('/readyz', () => {
  it('is false until the replay finished', async () => {
    const log = new SlowReplayLog();
    await log.append({ account: 'r1', events: [{ type: 'agent.loggedIn', agentId: '1', time: 1 } as never] });
    const engine = new Engine(log, new MemorySnapshotStore(), { now: () => Date.now() });
    const app = await buildApp({
      engine,
      clock: { now: () => Date.now() },
      publicUrl: 'http://agentview.test',
      authenticators: [adminTokenAuthenticator(ADMIN_TOKEN)],
      isShuttingDown: () => false,
    });
    const starting = engine.start();
    const during = await app.inject({ method: 'GET', url: '/readyz' });
    expect(during.statusCode).toBe(503);
    expect(during.json()).toMatchObject({ ready: false });
    const write = await app.inject({
      method: 'POST',
      url: '/api/account/r1/events',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
      payload: { events: [{ type: 'agent.heartbeat', agentId: '1' }] },
    });
    expect(write.statusCode).toBe(503);
    expect(write.json()).toMatchObject({ code: 'NOT_READY' });
    expect(write.headers['retry-after']).toBe('1');
    log.release();
    await starting;
    const after = await app.inject({ method: 'GET', url: '/readyz' });
    expect(after.statusCode).toBe(200);
    expect(after.json()).toEqual({ ready: true, position: 1 });
    await app.close();
    await engine.stop();
  });
});

describe('shutdown hooks', () => {
  it('run before the HTTP server stops, and /readyz turns false while draining', async () => {
    const server = await startTestServer();
    const seen: { readyz: number; reason: string; deadlineAhead: boolean }[] = [];
    const unregistered = server.onShutdown('unregistered', () => {
      throw new Error('must not run');
    });
    unregistered();
    server.onShutdown('stream', async (ctx) => {
      // Still serving: a stream could send its final event here.
      const r = await fetch(`${server.url}/readyz`);
      seen.push({ readyz: r.status, reason: ctx.reason, deadlineAhead: ctx.deadline > Date.now() });
    });
    server.onShutdown('broken', () => {
      throw new Error('a failing hook does not stop the shutdown');
    });
    await server.close('test');
    expect(seen).toEqual([{ readyz: 503, reason: 'test', deadlineAhead: true }]);
    await server.stop();
  });

  it('end live streams with their final event before draining, so a stream does not hold the shutdown open', async () => {
    const server = await startTestServer();
    const res = await fetch(`${server.url}/api/account/acme/agent-view/stream`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    expect(res.status).toBe(200);
    const reader = res.body!.getReader();
    let text = '';
    const readAll = (async () => {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return;
        text += Buffer.from(value).toString('utf8');
      }
    })();
    const scraped = await (await fetch(`${server.url}/metrics`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })).text();
    expect(sample(scraped, 'agentview_stream_clients', { kind: 'sse' })).toBe(1);
    await server.close('test');
    await readAll;
    // Had the stream waited for the drain to cut it, its connection would be destroyed with no final event.
    expect(text).toContain('event: shutdown');
    await server.stop();
  });
});
