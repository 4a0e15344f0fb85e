/** `agentview export` against a real server: windows, one header, progress, errors. */
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportRange, parseTime } from '../../src/cli/commands/export.js';
import { HttpError } from '../../src/cli/http-client.js';
import { ManualClock, settleTimeouts, startTestServer, tempDir, type TestServer } from '../helpers/server.js';

const DAY = 86_400_000;
const NOW = Date.UTC(2024, 4, 20, 12);
const FROM = NOW - 40 * DAY;

describe('agentview export', () => {
  let s: TestServer;
  let dir: string;
  beforeAll(async () => {
    s = await startTestServer({}, { clock: new ManualClock(NOW) });
    dir = tempDir();
    const events: Record<string, unknown>[] = [{ type: 'agent.upserted', agentId: '3', name: 'Line\r\nBreak, "quoted"', time: FROM - DAY }];
    // two agents changing status every 12 hours for 41 days
    for (let t = FROM - DAY, i = 0; t < NOW - DAY / 2; t += DAY / 2, i++) {
      for (const agentId of ['3', '11']) {
        events.push({ type: 'agent.statusChanged', agentId, status: i % 3 === 0 ? 'AWAY' : 'ONLINE', reasonId: 'r', time: t + Number(agentId) });
      }
    }
    for (let i = 0; i < events.length; i += 1000) {
      expect((await s.call('POST', '/api/account/ex/events', { events: events.slice(i, i + 1000) })).status).toBe(200);
    }
    // Record the connection time-outs now (the clock stands still), so the
    // background sweep has nothing left to add while the tests compare counts.
    await settleTimeouts(s);
  });
  afterAll(async () => {
    await s.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const target = () => ({ url: s.url, token: s.token });

  it('streams a range longer than 31 days window by window into one CSV with one header', async () => {
    const out = join(dir, 'history.csv');
    const seen: number[] = [];
    let total = -1;
    const rows = await exportRange(
      { target: target(), account: 'ex', from: FROM, to: NOW, kind: 'history', out },
      { start: (t) => (total = t), update: (n) => seen.push(n), stop: () => undefined },
    );
    // what the API returns for the two windows, fetched independently
    let expected = 0;
    for (const [f, t] of [[FROM, FROM + 31 * DAY], [FROM + 31 * DAY, NOW]] as const) {
      expected += (await s.call('GET', `/api/account/ex/agent-view/history?from=${f}&to=${t}&limit=1`)).body._metadata.count;
    }
    expect(rows).toBe(expected);
    expect(total).toBe(expected);
    expect(seen.at(-1)).toBe(expected);
    const text = readFileSync(out, 'utf8');
    expect(text.startsWith('agentId,agentName,status,')).toBe(true);
    expect(text.match(/agentId,agentName/g)).toHaveLength(1);
    // the name with a line break stays one quoted cell
    expect(text).toContain('"Line\r\nBreak, ""quoted"""');
    // rows of the second window follow those of the first: the boundary splits intervals
    expect(text).toContain(`,${FROM + 31 * DAY},`);
  });

  it('exports time in status for up to 31 days', async () => {
    const out = join(dir, 'tis.csv');
    const rows = await exportRange({ target: target(), account: 'ex', from: NOW - 7 * DAY, to: NOW, kind: 'time-in-status', groupBy: 'agent', out });
    const api = await s.call('GET', `/api/account/ex/agent-view/time-in-status?from=${NOW - 7 * DAY}&to=${NOW}`);
    expect(rows).toBe(api.body.rows.length);
    expect(readFileSync(out, 'utf8').split('\r\n')[0]).toBe('key,name,status,reasonId,totalMs,count,minMs,maxMs,avgMs');
    await expect(exportRange({ target: target(), account: 'ex', from: FROM, to: NOW, kind: 'time-in-status', out })).rejects.toThrow('31 days');
  });

  it('reports API errors', async () => {
    const out = join(dir, 'bad.csv');
    await expect(exportRange({ target: { url: s.url, token: 'wrong-token-0123456789' }, account: 'ex', from: FROM, to: NOW, kind: 'history', out })).rejects.toBeInstanceOf(HttpError);
    await expect(exportRange({ target: target(), account: 'ex', from: NOW, to: FROM, kind: 'history', out })).rejects.toThrow('--from is after --to');
  });

  it('parses times as epoch ms or ISO dates', () => {
    expect(parseTime('1700000000000', 'from')).toBe(1700000000000);
    expect(parseTime('2024-03-01', 'from')).toBe(Date.UTC(2024, 2, 1));
    expect(parseTime('2024-03-01T10:00:00+02:00', 'from')).toBe(Date.UTC(2024, 2, 1, 8));
    expect(() => parseTime('yesterday', 'from')).toThrow('--from');
  });
});
