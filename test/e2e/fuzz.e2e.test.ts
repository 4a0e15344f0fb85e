/**
 * "No input makes the server answer 5xx": fast-check drives thousands of
 * malformed requests at every route the app declares (read from its OpenAPI
 * document, so routes added later are covered without editing this file):
 * wrong shapes and types, huge numbers, deep nesting, oversized bodies,
 * invalid UTF-8, wrong content types, path tricks in ids. Then raw bytes at
 * the HTTP parser over a real socket. The process must not crash, every
 * error must be a documented code, and memory must stay bounded.
 */
import { connect } from 'node:net';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ERROR_CODES } from '../../src/errors/index.js';
import { ADMIN_TOKEN, startTestServer, type TestServer } from '../helpers/server.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
const heapUsed = () => {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
};

interface Route {
  method: string;
  /** OpenAPI path template, e.g. /api/account/{accountID}/events */
  path: string;
  params: string[];
  /** Answers a never-ending stream (SSE): fuzzed over a real socket, cancelled once the status is known. */
  streaming: boolean;
}

let server: TestServer;
const routes: Route[] = [];

beforeAll(async () => {
  server = await startTestServer({ AGENTVIEW_METRICS_TOKEN: 'scrape-token-0123456789abcdef' });
  const doc = server.app.swagger() as { paths: Record<string, Record<string, unknown>> };
  for (const [path, ops] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(ops)) {
      if (!['get', 'post', 'put', 'patch', 'delete'].includes(method)) continue;
      const streaming = JSON.stringify(op).includes('text/event-stream') || path.endsWith('/stream');
      routes.push({ method: method.toUpperCase(), path, params: [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]!), streaming });
    }
  }
  // Routes the OpenAPI document hides.
  routes.push({ method: 'GET', path: '/openapi.json', params: [], streaming: false }, { method: 'GET', path: '/docs', params: [], streaming: false });
  // Seed an account so reads have data to page through.
  await server.call('POST', '/api/account/acme/events', {
    events: Array.from({ length: 50 }, (_, i) => ({ type: 'agent.loggedIn', agentId: String(i + 1), eventId: `seed-${i}` })),
  });
});
afterAll(async () => {
  await server.stop();
});

// ---- generators ----------------------------------------------------------

const PATH_TRICKS = [
  '..', '.', '%2e%2e', '%2E%2E%2F', '..%2F..%2Fetc%2Fpasswd', '%2F', '%5C', '%00', 'a%00b', '%', '%zz', '%c0%af', '%ff%fe',
  '%e2%80%ae', '%F0%9F%98%80', '\u00e9', '\u202e', '%20', '+', '~', '-', 'acme%2F..', 'acme;x=1', 'acme%3F', 'acme%23', '0x10',
  '1e3', '-1', '00', '9'.repeat(400), 'a'.repeat(65), 'a'.repeat(300), '%25', '%252e', 'con', 'nul', '*',
];

const idArb = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom('acme', '1000', 'new-account', 'x_y') },
  { weight: 4, arbitrary: fc.constantFrom(...PATH_TRICKS) },
  { weight: 2, arbitrary: fc.string({ maxLength: 80 }).map((s) => encodeURIComponent(s)) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }).map((s) => encodeURIComponent(s).replace(/%2F/g, '/')) },
);

const hugeNumberText = fc.constantFrom('1e309', '-1e309', '1e-400', '123456789012345678901234567890', '-0', '0.0000001', '9007199254740993', '1e21', 'NaN', 'Infinity', '0x1f');
const queryValue = fc.oneof(
  fc.constantFrom('1', '0', '-1', '1000', '1001', '1.5', '', 'true', 'null', 'agentId:asc', 'load:desc,start:asc', 'x:y', ':', ',,,', 'start:sideways'),
  hugeNumberText,
  fc.string({ maxLength: 30 }),
  fc.constant('9'.repeat(500)),
);
const queryArb = fc
  .array(fc.tuple(fc.constantFrom('limit', 'offset', 'sort', 'v', 'source', 'agentIds', 'from', 'to', 'after', 'cursor', '__proto__', 'x'), queryValue), {
    maxLength: 5,
  })
  .map((pairs) => (pairs.length === 0 ? '' : '?' + pairs.map(([k, v]) => `${k}=${encodeURIComponent(v)}`).join('&')));

const eventLike = fc.record(
  {
    type: fc.oneof(
      fc.constantFrom('agent.loggedIn', 'agent.statusChanged', 'agent.upserted', 'conversation.assigned', 'skill.upserted', 'group.upserted', 'agent.deleted'),
      fc.jsonValue(),
    ),
    agentId: fc.oneof(fc.constantFrom('1', '42', '..', ''), fc.jsonValue(), fc.integer(), fc.double()),
    status: fc.oneof(fc.constantFrom('ONLINE', 'AWAY', 'OFFLINE', 'online', 'BUSY'), fc.jsonValue()),
    time: fc.oneof(fc.integer(), fc.double(), fc.constant(Number.MAX_SAFE_INTEGER), fc.constant(8_640_000_000_000_001), fc.string()),
    eventId: fc.oneof(fc.string({ maxLength: 200 }), fc.jsonValue()),
    skillIds: fc.oneof(fc.array(fc.jsonValue(), { maxLength: 5 }), fc.jsonValue()),
    groupId: fc.oneof(fc.integer(), fc.string(), fc.constant(-1)),
    maxSlots: fc.oneof(fc.integer(), fc.double()),
    name: fc.oneof(fc.string({ maxLength: 300 }), fc.jsonValue()),
    conversationId: fc.oneof(fc.string({ maxLength: 20 }), fc.integer()),
  },
  { requiredKeys: [] },
);

const filterLike = fc.record(
  {
    status: fc.oneof(fc.array(fc.constantFrom('ONLINE', 'AWAY', 'nope', ''), { maxLength: 4 }), fc.jsonValue()),
    Status: fc.jsonValue(),
    agentIds: fc.oneof(fc.array(fc.oneof(fc.string(), fc.integer(), fc.double()), { maxLength: 4 }), fc.jsonValue()),
    skillIds: fc.jsonValue(),
    agentGroupIds: fc.oneof(fc.array(fc.oneof(fc.string(), fc.integer()), { maxLength: 4 }), fc.jsonValue()),
    agentPresence: fc.oneof(fc.boolean(), fc.constantFrom('true', 'false', 'yes'), fc.jsonValue()),
    timestamp: fc.oneof(fc.record({ from: fc.oneof(fc.integer(), fc.string(), hugeNumberText.map(Number)) }), fc.jsonValue()),
  },
  { requiredKeys: [] },
);

const deep = (depth: number, open: string, close: string, inner = '1') => open.repeat(depth) + inner + close.repeat(depth);

const OVERSIZED = Buffer.alloc(1024 * 1024 + 100, 0x20);
OVERSIZED.write('{"events":[', 0);

const bodyArb: fc.Arbitrary<string | Buffer | undefined> = fc.oneof(
  { weight: 1, arbitrary: fc.constant(undefined) },
  { weight: 3, arbitrary: fc.jsonValue().map((v) => JSON.stringify(v)) },
  { weight: 4, arbitrary: fc.array(eventLike, { maxLength: 8 }).map((events) => JSON.stringify({ events })) },
  { weight: 1, arbitrary: fc.tuple(fc.integer({ min: 999, max: 1002 }), eventLike).map(([n, e]) => JSON.stringify({ events: Array.from({ length: n }, () => e) })) },
  { weight: 3, arbitrary: filterLike.map((f) => JSON.stringify(f)) },
  {
    weight: 2,
    arbitrary: fc
      .tuple(fc.oneof(fc.integer({ min: 1, max: 2_000 }), fc.constantFrom(10_000, 100_000)), fc.constantFrom(['[', ']'], ['{"a":', '}'], ['{"events":[', ']}']))
      .map(([d, [o, c]]) => deep(d, o, c)),
  },
  { weight: 1, arbitrary: hugeNumberText.map((n) => `{"events":[{"type":"agent.loggedIn","agentId":"1","time":${n}}]}`) },
  { weight: 1, arbitrary: fc.constantFrom('', ' ', 'null', 'true', '"text"', '[]', '{', '{"events":', '{"events":null}', '\u0000', '{"__proto__":{"polluted":1},"constructor":{"prototype":{"x":1}}}') },
  {
    weight: 2,
    arbitrary: fc.uint8Array({ maxLength: 200 }).map((bytes) => Buffer.concat([Buffer.from('{"events":[{"type":"agent.loggedIn","agentId":"'), Buffer.from(bytes), Buffer.from('"}]}')])),
  },
  { weight: 1, arbitrary: fc.constantFrom(Buffer.from([0xff, 0xfe, 0xfd]), Buffer.from('{"a":"\\ud800"}'), Buffer.from([0x7b, 0x22, 0xc0, 0x80, 0x22, 0x3a, 0x31, 0x7d])) },
  { weight: 1, arbitrary: fc.constant(OVERSIZED) },
);

const contentTypeArb = fc.oneof(
  { weight: 6, arbitrary: fc.constant('application/json') },
  {
    weight: 4,
    arbitrary: fc.constantFrom(
      undefined, '', 'application/json; charset=utf-8', 'application/json; charset=latin1', 'APPLICATION/JSON', 'text/plain',
      'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/vnd.api+json', '*/*', 'application/json;;;',
      'application/json; boundary=', 'text/html', 'application/octet-stream', '\u00e9/\u00e9',
    ),
  },
);

const authArb = fc.oneof(
  { weight: 8, arbitrary: fc.constant(`Bearer ${ADMIN_TOKEN}`) },
  {
    weight: 3,
    arbitrary: fc.constantFrom(
      undefined, 'Bearer', 'Bearer ', 'Bearer wrong', `bearer ${ADMIN_TOKEN}`, `Bearer ${ADMIN_TOKEN} extra`, 'Basic YTpi',
      'OAuth oauth_consumer_key="k", oauth_signature="s"', 'OAuth', 'OAuth ,,,=', `Bearer ${'x'.repeat(5000)}`, 'Bearer scrape-token-0123456789abcdef',
    ),
  },
);

/** Mostly null: a rare variation. */
const rarely = <T>(arb: fc.Arbitrary<T>, oneIn: number) => fc.oneof({ weight: oneIn - 1, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: arb });

/** Built once the routes are known; the backup route copies the store, so it is fuzzed less often. */
const requestArbFor = (all: Route[]) =>
  fc.record({
    route: fc.oneof(...all.map((r) => ({ weight: r.path.includes('/admin/') ? 1 : 10, arbitrary: fc.constant(r) }))),
    otherMethod: rarely(fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'HEAD'), 8),
    ids: fc.array(idArb, { minLength: 3, maxLength: 3 }),
    query: queryArb,
    body: bodyArb,
    contentType: contentTypeArb,
    auth: authArb,
    encoding: rarely(fc.constantFrom('gzip', 'br', 'identity', 'x-unknown'), 10),
    requestId: rarely(fc.oneof(fc.string({ maxLength: 200 }), fc.constant('id-1')), 4),
  });

type FuzzRequest = ReturnType<typeof requestArbFor> extends fc.Arbitrary<infer T> ? T : never;

function buildRequest(r: FuzzRequest) {
  const route = r.route;
  let url = route.path;
  route.params.forEach((p, i) => (url = url.replace(`{${p}}`, r.ids[i % r.ids.length]!)));
  const headers: Record<string, string> = {};
  if (r.contentType !== undefined && r.body !== undefined) headers['content-type'] = r.contentType;
  if (r.auth !== undefined) headers.authorization = r.auth;
  if (r.encoding !== null) headers['content-encoding'] = r.encoding;
  if (r.requestId !== null) headers['x-request-id'] = r.requestId.replace(/[\r\n]/g, '');
  return { method: r.otherMethod ?? route.method, url: url + r.query, headers, payload: r.body, streaming: route.streaming };
}

/** A request over a real socket, cancelled as soon as the status and headers are in (streams never end). */
async function overSocket(req: ReturnType<typeof buildRequest>) {
  const hasBody = req.payload !== undefined && req.method !== 'GET' && req.method !== 'HEAD';
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), 10_000);
  try {
    const res = await fetch(server.url + req.url, {
      method: req.method,
      headers: req.headers,
      ...(hasBody ? { body: req.payload } : {}),
      signal: controller.signal,
    });
    const type = res.headers.get('content-type') ?? '';
    const body = type.startsWith('application/json') ? await res.text() : '';
    controller.abort();
    return { statusCode: res.status, headers: { 'content-type': type }, body, json: <T>() => JSON.parse(body) as T };
  } finally {
    clearTimeout(timer);
  }
}

const KNOWN_CODES = new Set(Object.keys(ERROR_CODES));
/** Requests per run; FUZZ_RUNS=50000 for a long hunt. */
const RUNS = Number(process.env.FUZZ_RUNS ?? 3000);

describe('fuzzed requests at every route', () => {
  it('finds the routes to fuzz from the app itself', () => {
    const declared = routes.map((r) => `${r.method} ${r.path}`);
    expect(declared).toEqual(
      expect.arrayContaining([
        'POST /api/account/{accountID}/events',
        'POST /messaging_history/api/account/{accountID}/agent-view/status',
        'GET /healthz',
        'GET /readyz',
        'GET /metrics',
        'POST /api/admin/backup',
      ]),
    );
  });

  it('never answers 5xx, only documented error codes, with bounded memory', { timeout: 120_000 + RUNS * 50 }, async () => {
    const before = heapUsed();
    let requests = 0;
    const statuses = new Map<number, number>();
    await fc.assert(
      fc.asyncProperty(requestArbFor(routes), async (r) => {
        const req = buildRequest(r);
        let res: { statusCode: number; headers: Record<string, unknown>; body: string; json: <T>() => T };
        if (req.streaming) {
          try {
            res = await overSocket(req);
          } catch {
            requests++;
            return; // fetch refused to send it (a URL or header it cannot encode): nothing reached the server
          }
        } else {
          res = await server.app.inject({ method: req.method as 'GET', url: req.url, headers: req.headers, ...(req.payload !== undefined ? { payload: req.payload } : {}) });
        }
        requests++;
        statuses.set(res.statusCode, (statuses.get(res.statusCode) ?? 0) + 1);
        if (res.statusCode >= 500) {
          throw new Error(`${req.method} ${req.url} answered ${res.statusCode}: ${res.body.slice(0, 300)}`);
        }
        if (res.statusCode >= 400 && req.method !== 'HEAD' && String(res.headers['content-type']).startsWith('application/json')) {
          const body = res.json<{ code: string; statusCode: number }>();
          if (!KNOWN_CODES.has(body.code) || body.statusCode !== res.statusCode) {
            throw new Error(`${req.method} ${req.url} answered an undocumented error: ${res.body.slice(0, 300)}`);
          }
        }
      }),
      { numRuns: RUNS, endOnFailure: true },
    );
    expect(requests).toBe(RUNS);
    // The fuzz reached the handlers, not only the auth and parser front doors.
    expect(statuses.get(200) ?? 0).toBeGreaterThan(RUNS / 10);
    expect(statuses.get(400) ?? 0).toBeGreaterThan(RUNS / 20);
    const growth = heapUsed() - before;
    expect(growth).toBeLessThan(64 * 1024 * 1024);
    expect((await server.call('GET', '/healthz')).status).toBe(200);
  });
});

/** Sends raw bytes, returns the status code of the first answer (0 when the server just closed). */
function raw(port: number, bytes: Buffer): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let data = '';
    const done = () => {
      const m = /^HTTP\/1\.[01] (\d{3})/.exec(data);
      resolve(m ? Number(m[1]) : 0);
    };
    socket.setTimeout(5000, () => {
      socket.destroy();
      done();
    });
    socket.on('data', (c) => {
      data += c.toString('latin1');
      if (/\r\n\r\n/.test(data)) {
        socket.destroy();
        done();
      }
    });
    socket.on('error', (e: NodeJS.ErrnoException) => (e.code === 'ECONNRESET' || e.code === 'EPIPE' ? done() : reject(e)));
    socket.on('close', done);
    socket.write(bytes);
    socket.end();
  });
}

describe('raw bytes at the HTTP parser', () => {
  const line = fc.constantFrom(
    'GET / HTTP/1.1', 'GET /%ff%fe HTTP/1.1', 'POST /api/account/acme/events HTTP/1.1', 'GET /healthz HTTP/9.9', 'GET', '\u0000\u0001',
    'GET /' + 'a'.repeat(20_000) + ' HTTP/1.1', 'BREW /coffee HTCPCP/1.0', 'GET /healthz?x=%%% HTTP/1.1', 'GET /api/account/../../etc/passwd/events HTTP/1.1',
    'POST /messaging_history/api/account/acme/agent-view/status HTTP/1.1',
  );
  const header = fc.constantFrom(
    'Host: x', 'Content-Length: 5', 'Content-Length: -1', 'Content-Length: 99999999999999999999', 'Content-Length: 1\r\nContent-Length: 2',
    'Transfer-Encoding: chunked', 'Transfer-Encoding: gzip, chunked', `Authorization: Bearer ${ADMIN_TOKEN}`, 'Content-Type: application/json',
    'X-Long: ' + 'b'.repeat(20_000), 'Bad Header', ': empty', 'X-Nul: a\u0000b', 'Expect: 100-continue', 'Connection: upgrade\r\nUpgrade: websocket',
  );
  const bodyBytes = fc.oneof(fc.uint8Array({ maxLength: 100 }).map((b) => Buffer.from(b)), fc.constantFrom(Buffer.from('zz\r\nabc\r\n0\r\n\r\n'), Buffer.from('5\r\n{"a":\r\n0\r\n\r\n'), Buffer.from('{"events":[]}')));

  it('answers malformed HTTP with 4xx or closes, never 5xx, and keeps serving', { timeout: 120_000 }, async () => {
    const port = Number(new URL(server.url).port);
    await fc.assert(
      fc.asyncProperty(line, fc.array(header, { maxLength: 4 }), bodyBytes, async (l, hs, body) => {
        const head = Buffer.from(`${l}\r\n${hs.join('\r\n')}${hs.length ? '\r\n' : ''}\r\n`, 'latin1');
        const status = await raw(port, Buffer.concat([head, body]));
        if (status >= 500) throw new Error(`answered ${status} to ${JSON.stringify(head.toString('latin1').slice(0, 200))}`);
      }),
      { numRuns: 300, endOnFailure: true },
    );
    expect((await server.call('GET', '/healthz')).status).toBe(200);
  });
});
