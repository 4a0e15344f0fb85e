/**
 * The HTTP surface as a whole: operations endpoints, the OpenAPI document,
 * error shapes for what Fastify itself rejects, and a fuzzer checking that
 * nothing a client sends produces a 5xx.
 */
import fc from 'fast-check';
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ERROR_CODES } from '../../src/errors/index.js';
import { ADMIN_TOKEN, startTestServer, type TestServer } from '../helpers/server.js';

let s: TestServer;
beforeAll(async () => {
  s = await startTestServer();
  await s.call('POST', '/api/account/h/events', { events: [{ type: 'agent.loggedIn', agentId: '1' }] });
});
afterAll(async () => s.stop());

const STATUS = '/messaging_history/api/account/h/agent-view/status';

/** Sends raw bytes and returns the status line and body. */
function raw(request: string): Promise<{ status: number; body: string }> {
  const { port } = new URL(s.url);
  return new Promise((resolve, reject) => {
    const sock = connect(Number(port), '127.0.0.1', () => sock.write(request));
    let out = '';
    sock.on('data', (d: Buffer) => (out += d.toString('utf8')));
    sock.on('end', () => {
      const [head = '', body = ''] = out.split('\r\n\r\n');
      resolve({ status: Number(head.split(' ')[1]), body });
    });
    sock.on('error', reject);
  });
}

describe('operations and documentation', () => {
  it('healthz and readyz answer without credentials', async () => {
    expect((await fetch(`${s.url}/healthz`)).status).toBe(200);
    const ready = await fetch(`${s.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ ready: true, position: 1 });
  });

  it('serves the OpenAPI document with the status and ingest operations, and the docs page', async () => {
    const res = await fetch(`${s.url}/openapi.json`);
    expect(res.status).toBe(200);
    const doc = (await res.json()) as { openapi: string; paths: Record<string, Record<string, unknown>> };
    expect(doc.openapi).toMatch(/^3\./);
    expect(doc.paths['/messaging_history/api/account/{accountID}/agent-view/status']?.post).toBeDefined();
    expect(doc.paths['/api/account/{accountID}/events']?.post).toBeDefined();
    const docs = await fetch(`${s.url}/docs`);
    expect(docs.status).toBe(200);
    expect(await docs.text()).toMatch(/swagger/i);
  });
});

describe('errors Fastify raises itself', () => {
  it('unknown routes and methods: 404 with the error body', async () => {
    for (const [method, path] of [
      ['GET', STATUS],
      ['POST', '/nope'],
      ['DELETE', '/api/account/h/events'],
    ] as const) {
      const r = await s.call(method, path);
      expect(r.status).toBe(404);
      expect(r.body).toMatchObject({ code: 'NOT_FOUND', statusCode: 404 });
    }
  });

  it('bodies that are not JSON: 415, whatever the declared type', async () => {
    for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'application/xml', 'multipart/form-data; boundary=x']) {
      const r = await s.call('POST', STATUS, '{}', { 'content-type': type });
      expect(r.status, type).toBe(415);
      expect(r.body.code).toBe('UNSUPPORTED_MEDIA_TYPE');
    }
    const noType = await raw(`POST ${STATUS} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${ADMIN_TOKEN}\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}`);
    expect(noType.status).toBe(415);
    expect(JSON.parse(noType.body)).toMatchObject({ code: 'UNSUPPORTED_MEDIA_TYPE' });
  });

  it('JSON with a charset or odd casing is JSON', async () => {
    expect((await s.call('POST', STATUS, '{}', { 'content-type': 'application/json; charset=utf-8' })).status).toBe(200);
    expect((await s.call('POST', STATUS, '{}', { 'content-type': 'Application/JSON' })).status).toBe(200);
  });

  it('bodies over 1 MiB: 413 on every route', async () => {
    const body = JSON.stringify({ pad: 'x'.repeat(1024 * 1024) });
    for (const path of [STATUS, '/api/account/h/events']) {
      const r = await s.call('POST', path, body);
      expect(r.status, path).toBe(413);
      expect(r.body).toMatchObject({ code: 'PAYLOAD_TOO_LARGE' });
    }
  });

  it('401 without credentials, with WWW-Authenticate', async () => {
    const res = await fetch(`${s.url}${STATUS}`, { method: 'POST' });
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toContain('Bearer');
    for (const authorization of ['Bearer wrong-token-wrong-token', 'Basic dXNlcjpwYXNz', 'Bearer', '']) {
      const r = await s.call('POST', STATUS, {}, { authorization });
      expect(r.status, authorization).toBe(401);
      expect(r.body.code).toBe('UNAUTHORIZED');
    }
  });

  it('bad percent-encoding and over-long path segments: 400 with the error body', async () => {
    const bad = await raw(`POST /messaging_history/api/account/%ZZ/agent-view/status HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
    expect(bad.status).toBe(400);
    expect(JSON.parse(bad.body)).toMatchObject({ code: 'VALIDATION_FAILED' });
    const long = await s.call('POST', `/messaging_history/api/account/${'a'.repeat(500)}/agent-view/status`, {});
    expect(long.status).toBe(400);
    expect(long.body.code).toBe('VALIDATION_FAILED');
  });

  it('deeply nested JSON is an ordinary 400 or is ignored, never a crash', async () => {
    const deep = (n: number) => '['.repeat(n) + ']'.repeat(n);
    const inFilter = await s.call('POST', STATUS, `{"agentIds":${deep(100_000)}}`);
    expect(inFilter.status).toBe(400);
    const ignored = await s.call('POST', STATUS, `{"unknown":${deep(300_000)}}`);
    expect(ignored.status).toBe(200);
    const inEvent = await s.call('POST', '/api/account/h/events', `{"events":[{"type":"agent.heartbeat","agentId":"1","x":${deep(300_000)}}]}`);
    expect(inEvent.body).toMatchObject({ code: 'INVALID_EVENT', field: 'events[0].x' });
  });
});

describe('no client input produces a 5xx', () => {
  const jsonish = fc.oneof(
    fc.json({ maxDepth: 3 }),
    fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify({ events: [v] })),
    fc
      .record({
        status: fc.anything({ maxDepth: 2 }),
        agentIds: fc.array(fc.oneof(fc.string(), fc.integer(), fc.double(), fc.constant(null)), { maxLength: 3 }),
        agentPresence: fc.anything({ maxDepth: 1 }),
        timestamp: fc.anything({ maxDepth: 2 }),
      }, { requiredKeys: [] })
      .map((o) => JSON.stringify(o) ?? '{}'),
    fc
      .array(
        fc.record({
          type: fc.constantFrom('agent.loggedIn', 'agent.upserted', 'conversation.assigned', 'account.settingsChanged', 'agent.statusChanged', 'x'),
          agentId: fc.oneof(fc.string({ maxLength: 5 }), fc.integer(), fc.constant('1')),
          conversationId: fc.string({ maxLength: 3 }),
          status: fc.constantFrom('ONLINE', 'AWAY', 'OFFLINE', 'busy'),
          time: fc.oneof(fc.integer(), fc.double(), fc.constant(Date.now())),
          skillIds: fc.array(fc.oneof(fc.string({ maxLength: 3 }), fc.integer()), { maxLength: 3 }),
          maxSlots: fc.integer({ min: -5, max: 2000 }),
          inactiveWeight: fc.double(),
        }, { requiredKeys: ['type'] }),
        { maxLength: 4 },
      )
      .map((events) => JSON.stringify({ events })),
    fc.string({ maxLength: 50 }),
  );
  const query = fc
    .record(
      {
        limit: fc.oneof(fc.integer({ min: -5, max: 2000 }).map(String), fc.string({ maxLength: 6 })),
        offset: fc.oneof(fc.integer({ min: -5, max: 2000 }).map(String), fc.string({ maxLength: 6 })),
        sort: fc.oneof(fc.constantFrom('start', 'end:desc', 'load:desc,agentName', 'x:y', ':', ',,'), fc.string({ maxLength: 12 })),
      },
      { requiredKeys: [] },
    )
    .map((q) => new URLSearchParams(q as Record<string, string>).toString());
  const account = fc.oneof(fc.constantFrom('h', 'fuzz', '-', '_'), fc.string({ minLength: 1, maxLength: 70 }).map(encodeURIComponent));

  it('answers random requests to the core routes with 2xx or 4xx', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('status', 'events'),
        account,
        query,
        jsonish,
        fc.constantFrom('application/json', 'application/json; charset=utf-8', 'text/plain', undefined),
        async (route, acc, q, body, type) => {
          const path = route === 'status' ? `/messaging_history/api/account/${acc}/agent-view/status?${q}` : `/api/account/${acc}/events?${q}`;
          const res = await fetch(s.url + path, {
            method: 'POST',
            headers: { authorization: `Bearer ${ADMIN_TOKEN}`, ...(type ? { 'content-type': type } : {}) },
            body,
          });
          const text = await res.text();
          expect(res.status, `${path} ${body} → ${text}`).toBeLessThan(500);
          if (res.status >= 400) {
            const err = JSON.parse(text) as { code: keyof typeof ERROR_CODES; statusCode: number };
            expect(ERROR_CODES[err.code]?.status).toBe(res.status);
          }
        },
      ),
      { numRuns: 250 },
    );
  });
});
