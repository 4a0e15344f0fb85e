/** `agentview watch`: the stream as JSON lines, resuming after the server drops it. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { watchStream } from '../../src/cli/commands/live.js';
import { ADMIN_TOKEN, startTestServer, type TestServer } from '../helpers/server.js';

describe('agentview watch', () => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startTestServer({ AGENTVIEW_STORE: 'memory' });
    await s.call('POST', '/api/account/acme/events', { events: [{ type: 'agent.loggedIn', agentId: '1' }, { type: 'agent.loggedIn', agentId: '2', status: 'AWAY' }] });
  });
  afterAll(() => s.stop());


  it('prints the snapshot and changes as JSON lines, filtered', async () => {
    const lines: { event: string; id: string | null; data: any }[] = []; // eslint-disable-line @typescript-eslint/no-explicit-any -- test JSON
    const ctl = new AbortController();
    let notify = () => undefined as void;
    const run = watchStream({ url: s.url, token: ADMIN_TOKEN }, 'acme', { status: 'ONLINE' }, (l) => {
      lines.push(JSON.parse(l));
      notify();
    }, ctl.signal);
    const until = async (cond: () => boolean) => {
      for (let i = 0; i < 200 && !cond(); i++) await new Promise<void>((r) => ((notify = r), setTimeout(r, 100)));
      expect(cond()).toBe(true);
    };
    await until(() => lines.some((l) => l.event === 'snapshot'));
    expect(lines[0]!.event).toBe('snapshot');
    expect(lines[0]!.data.records.map((r: { agentId: string }) => r.agentId)).toEqual(['1']);
    await s.call('POST', '/api/account/acme/events', { events: [{ type: 'agent.statusChanged', agentId: '2', status: 'ONLINE' }] });
    await until(() => lines.some((l) => l.event === 'upsert'));
    const up = lines.find((l) => l.event === 'upsert')!;
    expect(up.data.record.agentId).toBe('2');
    expect(up.id).toBe(String(up.data.seq));
    ctl.abort();
    await run;
  });

  it('fails on a bad filter instead of retrying', async () => {
    await expect(watchStream({ url: s.url, token: ADMIN_TOKEN }, 'acme', { status: 'NAPPING' }, () => undefined)).rejects.toThrow(/HTTP 400/);
  });
});
