/**
 * Status history and time in status over real HTTP, with explicit event
 * times; every expected value below is worked out by hand from the events.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock, settleTimeouts, startTestServer, type TestServer } from '../helpers/server.js';

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
/** 2024-03-02 00:00:00 UTC: a day boundary. */
const D1 = Date.UTC(2024, 2, 2);
const NOW = D1 + 2 * HOUR;
const A = 'h1';
const BASE = `/api/account/${A}/agent-view`;
const NASTY_NAME = '=cmd|"/C calc"!A0, Ann';

const EVENTS = [
  // no connection time-outs in this scenario: every agent is always "heard from"
  { type: 'account.settingsChanged', connectionTimeoutMs: DAY, time: D1 - 3 * HOUR },
  { type: 'group.upserted', groupId: '7', name: 'Night shift', time: D1 - 3 * HOUR },
  { type: 'skill.upserted', skillId: '1', name: 'billing', time: D1 - 3 * HOUR },
  { type: 'skill.upserted', skillId: '2', name: '+sales', time: D1 - 3 * HOUR },
  { type: 'agent.upserted', agentId: '1', name: NASTY_NAME, groupId: '7', skillIds: ['1'], maxSlots: 1, time: D1 - 3 * HOUR },
  { type: 'agent.upserted', agentId: '2', name: 'Bob', skillIds: ['1', '2'], time: D1 - 3 * HOUR },
  { type: 'agent.loggedIn', agentId: '1', time: D1 - 2 * HOUR },
  { type: 'agent.loggedIn', agentId: '2', status: 'BACK_SOON', time: D1 + 10 * MIN },
  { type: 'agent.upserted', agentId: '2', groupId: '7', time: D1 + 20 * MIN },
  { type: 'agent.statusChanged', agentId: '1', status: 'AWAY', reasonId: 'lunch', time: D1 + 30 * MIN },
  { type: 'agent.statusChanged', agentId: '2', status: 'ONLINE', time: D1 + 40 * MIN },
  { type: 'agent.statusChanged', agentId: '1', status: 'ONLINE', time: D1 + 45 * MIN },
  { type: 'conversation.assigned', agentId: '1', conversationId: 'c1', time: D1 + 50 * MIN },
  { type: 'conversation.unassigned', conversationId: 'c1', time: D1 + HOUR },
  { type: 'agent.loggedOut', agentId: '1', time: D1 + 90 * MIN },
];

const iv = (agentId: string, status: string, start: number, end: number, extra: Record<string, unknown> = {}) => ({
  agentId,
  status,
  ...('reasonId' in extra ? { reasonId: extra.reasonId } : {}),
  connectionState: status === 'OFFLINE' ? 'DISCONNECTED' : 'CONNECTED',
  agentGroupId: (extra.group as number | undefined) ?? 7,
  skillIds: (extra.skills as string[] | undefined) ?? ['1'],
  start,
  end,
  durationMs: end - start,
});

const DAY_INTERVALS = [
  iv('1', 'ONLINE', D1, D1 + 30 * MIN),
  iv('1', 'AWAY', D1 + 30 * MIN, D1 + 45 * MIN, { reasonId: 'lunch' }),
  iv('1', 'ONLINE', D1 + 45 * MIN, D1 + 90 * MIN),
  iv('1', 'OFFLINE', D1 + 90 * MIN, NOW),
  iv('2', 'OFFLINE', D1, D1 + 10 * MIN, { group: -1, skills: ['1', '2'] }),
  iv('2', 'BACK_SOON', D1 + 10 * MIN, D1 + 20 * MIN, { group: -1, skills: ['1', '2'] }),
  iv('2', 'BACK_SOON', D1 + 20 * MIN, D1 + 40 * MIN, { skills: ['1', '2'] }),
  iv('2', 'ONLINE', D1 + 40 * MIN, NOW, { skills: ['1', '2'] }),
];

/** Minimal RFC 4180 reader for the tests. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(cell);
      cell = '';
    } else if (c === '\r' && text[i + 1] === '\n') {
      row.push(cell);
      rows.push(row);
      row = [];
      cell = '';
      i++;
    } else cell += c;
  }
  expect(cell).toBe('');
  return rows;
}

for (const store of ['sqlite', 'memory']) {
  describe(`history over HTTP (${store} store)`, () => {
    let s: TestServer;
    const clock = new ManualClock(NOW);
    const get = (path: string, headers?: Record<string, string>) => s.call('GET', path, undefined, headers);

    beforeAll(async () => {
      s = await startTestServer({ AGENTVIEW_STORE: store }, { clock });
      const r = await s.call('POST', `/api/account/${A}/events`, { events: EVENTS });
      expect(r.status).toBe(200);
    });
    afterAll(async () => {
      await s.stop();
    });

    it('returns the intervals of a day, clipped at midnight and at now, ordered by agent then start', async () => {
      const r = await get(`${BASE}/history?from=${D1}&to=${D1 + DAY}`);
      expect(r.status).toBe(200);
      expect(r.body.intervals).toEqual(DAY_INTERVALS);
      expect(r.body._metadata).toMatchObject({ count: 8, from: D1, to: D1 + DAY });
      expect(r.body._metadata.next).toBeUndefined();
    });

    it('clips the day before at its end', async () => {
      const r = await get(`${BASE}/history?from=${D1 - DAY}&to=${D1}`);
      expect(r.body.intervals).toEqual([
        iv('1', 'OFFLINE', D1 - 3 * HOUR, D1 - 2 * HOUR),
        iv('1', 'ONLINE', D1 - 2 * HOUR, D1),
        iv('2', 'OFFLINE', D1 - 3 * HOUR, D1, { group: -1, skills: ['1', '2'] }),
      ]);
    });

    it('defaults to the last 24 hours', async () => {
      const r = await get(`${BASE}/history`);
      expect(r.body._metadata).toMatchObject({ from: NOW - DAY, to: NOW });
      expect(r.body.intervals[0]).toEqual(iv('1', 'OFFLINE', D1 - 3 * HOUR, D1 - 2 * HOUR));
    });

    it('pages with next links to the same intervals', async () => {
      const seen: unknown[] = [];
      let url: string | undefined = `${BASE}/history?from=${D1}&to=${D1 + DAY}&limit=3`;
      let pages = 0;
      while (url) {
        const r = await get(url);
        expect(r.status).toBe(200);
        expect(r.body._metadata.count).toBe(8);
        seen.push(...r.body.intervals);
        url = r.body._metadata.next?.href.replace('http://agentview.test', '');
        pages++;
      }
      expect(pages).toBe(3);
      expect(seen).toEqual(DAY_INTERVALS);
    });

    it('filters by agent, and by the group and skills of the time', async () => {
      const q = `${BASE}/history?from=${D1}&to=${D1 + DAY}`;
      expect((await get(`${q}&agentIds=2`)).body.intervals).toEqual(DAY_INTERVALS.slice(4));
      expect((await get(`${q}&agentIds=1&agentIds=2`)).body._metadata.count).toBe(8);
      const g = await get(`${q}&agentGroupIds=-1`);
      expect(g.body.intervals).toEqual(DAY_INTERVALS.slice(4, 6));
      expect((await get(`${q}&skillIds=2,9`)).body.intervals).toEqual(DAY_INTERVALS.slice(4));
      expect((await get(`${q}&agentGroupIds=007&skillIds=2`)).body.intervals).toEqual(DAY_INTERVALS.slice(6));
    });

    it('answers CSV with a header line, quoting and a formula guard, streaming the whole range', async () => {
      const r = await get(`${BASE}/history?from=${D1}&to=${D1 + DAY}`, { accept: 'text/csv' });
      expect(r.status).toBe(200);
      expect(r.headers.get('content-type')).toMatch(/^text\/csv/);
      expect(r.headers.get('x-total-count')).toBe('8');
      const text = r.body as string;
      expect(text).toContain(`"'=cmd|""/C calc""!A0, Ann"`);
      const rows = parseCsv(text);
      expect(rows[0]).toEqual(['agentId', 'agentName', 'status', 'reasonId', 'connectionState', 'agentGroupId', 'skillIds', 'start', 'end', 'durationMs', 'startTime', 'endTime']);
      expect(rows.length).toBe(9);
      expect(rows[1]).toEqual(['1', `'${NASTY_NAME}`, 'ONLINE', '', 'CONNECTED', '7', '1', String(D1), String(D1 + 30 * MIN), String(30 * MIN), '2024-03-02 00:00:00.000+0000', '2024-03-02 00:30:00.000+0000']);
      expect(rows[2]![3]).toBe('lunch');
      // the Main Group id is a plain number, not a formula
      expect(rows[5]!.slice(0, 7)).toEqual(['2', 'Bob', 'OFFLINE', '', 'DISCONNECTED', '-1', '1 2']);
      // same content via format=csv
      expect((await get(`${BASE}/history?from=${D1}&to=${D1 + DAY}&format=csv`)).body).toBe(text);
    });

    it('pages CSV when a limit is given, with a Link header', async () => {
      const r = await get(`${BASE}/history?from=${D1}&to=${D1 + DAY}&limit=5`, { accept: 'text/csv;q=0.9, application/json;q=0.5' });
      expect(parseCsv(r.body as string).length).toBe(6);
      const link = r.headers.get('link')!;
      expect(link).toMatch(/^<http:\/\/agentview\.test\/api\/account\/h1\/agent-view\/history\?.*cursor=.*>; rel="next"$/);
      const next = await get(link.slice(1, link.indexOf('>')).replace('http://agentview.test', ''), { accept: 'text/csv' });
      expect(parseCsv(next.body as string).slice(1).map((x) => x[0])).toEqual(['2', '2', '2']);
      expect(next.headers.get('link')).toBeNull();
    });

    it('computes time in status per agent', async () => {
      const r = await get(`${BASE}/time-in-status?from=${D1}&to=${D1 + DAY}`);
      expect(r.status).toBe(200);
      const row = (key: string, status: string, totalMs: number, count: number, minMs: number, maxMs: number, reasonId?: string) => ({
        key, status, ...(reasonId ? { reasonId } : {}), totalMs, count, minMs, maxMs, avgMs: Math.round(totalMs / count),
      });
      expect(r.body.rows).toEqual([
        row('1', 'ONLINE', 75 * MIN, 2, 30 * MIN, 45 * MIN),
        row('1', 'AWAY', 15 * MIN, 1, 15 * MIN, 15 * MIN),
        row('1', 'AWAY', 15 * MIN, 1, 15 * MIN, 15 * MIN, 'lunch'),
        row('1', 'OFFLINE', 30 * MIN, 1, 30 * MIN, 30 * MIN),
        row('1', 'LOGGED_IN', 90 * MIN, 1, 90 * MIN, 90 * MIN),
        row('1', 'AT_CAPACITY', 10 * MIN, 1, 10 * MIN, 10 * MIN),
        row('2', 'ONLINE', 80 * MIN, 1, 80 * MIN, 80 * MIN),
        // one BACK_SOON period although the group change cut it in two intervals
        row('2', 'BACK_SOON', 30 * MIN, 1, 30 * MIN, 30 * MIN),
        row('2', 'OFFLINE', 10 * MIN, 1, 10 * MIN, 10 * MIN),
        row('2', 'LOGGED_IN', 110 * MIN, 1, 110 * MIN, 110 * MIN),
      ]);
      expect(r.body._metadata).toEqual({ count: 10, from: D1, to: D1 + DAY, groupBy: 'agent' });
    });

    it('computes time in status per group and per skill of the time', async () => {
      const g = await get(`${BASE}/time-in-status?from=${D1}&to=${D1 + DAY}&groupBy=group`);
      const find = (rows: { key: string; status: string; reasonId?: string }[], key: string, status: string) =>
        rows.find((x) => x.key === key && x.status === status && x.reasonId === undefined);
      expect(find(g.body.rows, '-1', 'BACK_SOON')).toMatchObject({ totalMs: 10 * MIN, count: 1 });
      expect(find(g.body.rows, '-1', 'OFFLINE')).toMatchObject({ totalMs: 10 * MIN, count: 1 });
      expect(find(g.body.rows, '7', 'BACK_SOON')).toMatchObject({ totalMs: 20 * MIN, count: 1 });
      expect(find(g.body.rows, '7', 'ONLINE')).toMatchObject({ totalMs: 155 * MIN, count: 3, minMs: 30 * MIN, maxMs: 80 * MIN });
      expect(find(g.body.rows, '7', 'LOGGED_IN')).toMatchObject({ totalMs: 190 * MIN, count: 2 });
      const sk = await get(`${BASE}/time-in-status?from=${D1}&to=${D1 + DAY}&groupBy=skill`);
      expect(find(sk.body.rows, '1', 'ONLINE')).toMatchObject({ totalMs: 155 * MIN, count: 3 });
      expect(find(sk.body.rows, '2', 'ONLINE')).toMatchObject({ totalMs: 80 * MIN, count: 1 });
      expect(find(sk.body.rows, '1', 'AT_CAPACITY')).toMatchObject({ totalMs: 10 * MIN });
      const only2 = await get(`${BASE}/time-in-status?from=${D1}&to=${D1 + DAY}&groupBy=skill&skillIds=2`);
      expect(new Set(only2.body.rows.map((x: { key: string }) => x.key))).toEqual(new Set(['2']));
    });

    it('answers time in status as CSV with names', async () => {
      const r = await get(`${BASE}/time-in-status?from=${D1}&to=${D1 + DAY}&groupBy=skill`, { accept: 'text/csv' });
      const rows = parseCsv(r.body as string);
      expect(rows[0]).toEqual(['key', 'name', 'status', 'reasonId', 'totalMs', 'count', 'minMs', 'maxMs', 'avgMs']);
      expect(rows.find((x) => x[0] === '2' && x[2] === 'ONLINE')).toEqual(['2', "'+sales", 'ONLINE', '', String(80 * MIN), '1', String(80 * MIN), String(80 * MIN), String(80 * MIN)]);
    });

    it('rejects bad ranges and parameters with stable codes', async () => {
      const cases: [string, number, string][] = [
        [`from=${D1 + 1}&to=${D1}`, 400, 'INVALID_RANGE'],
        [`from=${D1}&to=${D1 + 31 * DAY + 1}`, 400, 'RANGE_TOO_LONG'],
        [`from=${NOW - 40 * DAY}`, 400, 'RANGE_TOO_LONG'],
        [`from=${NOW + HOUR}`, 400, 'INVALID_RANGE'],
        ['from=abc', 400, 'INVALID_TIME'],
        ['to=1.5', 400, 'INVALID_TIME'],
        ['from=-5', 400, 'INVALID_TIME'],
        ['cursor=bm9wZQ', 400, 'INVALID_CURSOR'],
        ['limit=0', 400, 'INVALID_LIMIT'],
        ['limit=10001', 400, 'INVALID_LIMIT'],
        ['agentIds=a%20b', 400, 'INVALID_FILTER'],
        ['format=xml', 400, 'VALIDATION_FAILED'],
      ];
      for (const [qs, status, code] of cases) {
        const r = await get(`${BASE}/history?${qs}`);
        expect([qs, r.status, r.body.code]).toEqual([qs, status, code]);
      }
      expect((await get(`${BASE}/time-in-status?groupBy=team`)).body.code).toBe('VALIDATION_FAILED');
      expect((await get(`${BASE}/time-in-status?from=${D1}&to=${D1 - 1}`)).body.code).toBe('INVALID_RANGE');
      // exactly 31 days is allowed; an empty range is valid and empty
      expect((await get(`${BASE}/history?from=${NOW - 31 * DAY}&to=${NOW}`)).status).toBe(200);
      expect((await get(`${BASE}/history?from=${D1}&to=${D1}`)).body).toMatchObject({ intervals: [], _metadata: { count: 0 } });
    });

    it('documents both endpoints in the OpenAPI document', async () => {
      const r = await fetch(`${s.url}/openapi.json`);
      const doc = (await r.json()) as { paths: Record<string, { get?: { parameters?: { name: string }[] } }> };
      const history = doc.paths['/api/account/{accountID}/agent-view/history']?.get;
      expect(history?.parameters?.map((p) => p.name)).toEqual(expect.arrayContaining(['from', 'to', 'agentIds', 'cursor', 'limit']));
      expect(doc.paths['/api/account/{accountID}/agent-view/time-in-status']?.get).toBeDefined();
    });

    it('needs credentials and keeps accounts apart', async () => {
      const r = await fetch(`${s.url}${BASE}/history`);
      expect(r.status).toBe(401);
      const other = await get(`/api/account/other/agent-view/history?from=${D1}&to=${D1 + DAY}`);
      expect(other.body).toMatchObject({ intervals: [], _metadata: { count: 0 } });
    });
  });
}

describe('history across a restart and a connection time-out (sqlite)', () => {
  it('keeps history durable and shows the recorded time-out', async () => {
    const clock = new ManualClock(D1);
    let s = await startTestServer({}, { clock, keepData: true });
    const dataDir = s.dataDir;
    await s.call('POST', `/api/account/${A}/events`, {
      events: [
        { type: 'agent.loggedIn', agentId: '5', time: D1 - 10 * MIN },
        { type: 'agent.heartbeat', agentId: '5', time: D1 - 9 * MIN },
      ],
    });
    // the default 60 s time-out passed 8 minutes ago: the sweep records it
    await settleTimeouts(s);
    const before = await s.call('GET', `${BASE}/history?from=${D1 - HOUR}&to=${D1}`);
    expect(before.body.intervals.map((x: { status: string; connectionState: string; start: number; end: number }) => [x.status, x.connectionState, x.start, x.end])).toEqual([
      ['ONLINE', 'CONNECTED', D1 - 10 * MIN, D1 - 8 * MIN],
      ['ONLINE', 'DISCONNECTED', D1 - 8 * MIN, D1],
    ]);
    await s.stop();
    s = await startTestServer({}, { clock, dataDir });
    try {
      const after = await s.call('GET', `${BASE}/history?from=${D1 - HOUR}&to=${D1}`);
      expect(after.body).toEqual(before.body);
      await s.call('POST', `/api/account/${A}/events`, { events: [{ type: 'agent.heartbeat', agentId: '5', time: D1 }] });
      clock.advance(MIN);
      const more = await s.call('GET', `${BASE}/history?from=${D1 - HOUR}&to=${D1 + HOUR}`);
      expect(more.body.intervals.at(-1)).toMatchObject({ status: 'ONLINE', connectionState: 'CONNECTED', start: D1, end: D1 + MIN });
    } finally {
      await s.stop();
    }
  });
});
