/**
 * Agent Status answers are cached (per account, until the next change or
 * until time alone would change them) and rendered from per-agent fragments;
 * these requests check that no cached byte ever outlives what it showed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock, startTestServer, type TestServer } from '../helpers/server.js';

const STATUS = '/messaging_history/api/account/c1/agent-view/status?sort=currentStatusDuration:desc';
const T0 = 1_700_000_000_000;

describe('cached Agent Status answers', () => {
  let s: TestServer;
  const clock = new ManualClock(T0);
  beforeAll(async () => {
    s = await startTestServer({}, { clock });
    const r = await s.call('POST', '/api/account/c1/events', {
      events: [
        { type: 'agent.loggedIn', agentId: '1', time: T0 - 5000 },
        { type: 'agent.loggedIn', agentId: '2', time: T0 - 1000 },
      ],
    });
    expect(r.status).toBe(200);
  });
  afterAll(() => s.stop());

  const ask = async () => {
    const r = await s.call('POST', STATUS, { status: ['ONLINE', 'AWAY'] });
    expect(r.status).toBe(200);
    return r.body.agentStatusRecords.map((x: { agentId: string; currentStatus: string; currentStatusDuration: number }) => `${x.agentId}:${x.currentStatus}:${x.currentStatusDuration}`);
  };

  it('repeats the same answer within the same millisecond, and moves durations with the clock', async () => {
    expect(await ask()).toEqual(['1:ONLINE:5000', '2:ONLINE:1000']);
    expect(await ask()).toEqual(['1:ONLINE:5000', '2:ONLINE:1000']);
    clock.advance(7);
    expect(await ask()).toEqual(['1:ONLINE:5007', '2:ONLINE:1007']);
  });

  it('shows a change made in the same millisecond as the previous answer', async () => {
    await ask();
    const r = await s.call('POST', '/api/account/c1/events', { events: [{ type: 'agent.statusChanged', agentId: '1', status: 'AWAY', reasonId: '3' }] });
    expect(r.status).toBe(200);
    expect(await ask()).toEqual(['2:ONLINE:1007', '1:AWAY:0']);
    const r2 = await s.call('POST', '/api/account/c1/events', { events: [{ type: 'agent.statusChanged', agentId: '2', status: 'BACK_SOON' }] });
    expect(r2.status).toBe(200);
    expect(await ask()).toEqual(['1:AWAY:0']);
  });
});
