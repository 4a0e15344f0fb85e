/**
 * Restarts of a real server over the same data directory: the snapshot is
 * loaded and only the tail of the log replayed; recorded connection
 * time-outs survive; a graceful stop leaves nothing to replay.
 */
import { rmSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import type { LogEntry } from '../../src/ports/index.js';
import { ManualClock, startTestServer, tempDir, type TestServer } from '../helpers/server.js';

const T = 1_700_000_000_000;
const dirs: string[] = [];
const servers: TestServer[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await s.stop().catch(() => undefined);
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function start(dataDir: string, clock: ManualClock) {
  const s = await startTestServer({}, { clock, dataDir });
  servers.push(s);
  return s;
}

/** Stops like a crash would leave things: no final snapshot. */
async function crash(s: TestServer) {
  servers.splice(servers.indexOf(s), 1);
  await s.app.close();
  await s.engine.stop();
  await s.stores.close();
}

/** Everything the status endpoint shows of an account, present and absent agents alike. */
async function view(s: TestServer, account: string) {
  const out = [];
  for (const agentPresence of [true, false]) {
    const r = await s.call('POST', `/messaging_history/api/account/${account}/agent-view/status?limit=1000`, { agentPresence, timestamp: { from: 0 } });
    out.push(r.body.agentStatusRecords);
  }
  return out;
}

async function entries(s: TestServer): Promise<LogEntry[]> {
  const out: LogEntry[] = [];
  for await (const c of s.stores.log.read(0)) out.push(...c);
  return out;
}

describe('restart', () => {
  it('loads the snapshot and replays only the tail', async () => {
    const dir = tempDir();
    dirs.push(dir);
    const clock = new ManualClock(T + 600_000);
    const s1 = await start(dir, clock);
    await s1.call('POST', '/api/account/r/events', {
      events: [
        { type: 'group.upserted', groupId: '7', name: 'Night', time: T },
        { type: 'agent.upserted', agentId: '1', name: 'Maya', groupId: '7', time: T },
        { type: 'agent.loggedIn', agentId: '1', time: T + 590_000 },
        { type: 'conversation.assigned', agentId: '1', conversationId: 'c1', time: T + 591_000 },
      ],
    });
    await s1.engine.snapshot();
    const snapshotAt = s1.engine.position;
    await s1.call('POST', '/api/account/r/events', {
      events: [
        { type: 'agent.statusChanged', agentId: '1', status: 'AWAY', reasonId: '2', time: T + 595_000 },
        { type: 'agent.loggedIn', agentId: '2', time: T + 596_000 },
        { type: 'agent.presenceChanged', agentId: '2', present: false, time: T + 597_000 },
      ],
    });
    const before = await view(s1, 'r');
    await crash(s1);

    // Remove the events the snapshot covers: only snapshot + tail can rebuild the view now.
    const { openDatabase } = await import('../../src/adapters/sqlite/index.js');
    const db = openDatabase(`${dir}/agentview.db`);
    expect(db.prepare('DELETE FROM events WHERE pos <= ?').run(snapshotAt).changes).toBe(snapshotAt);
    db.close();

    const s2 = await start(dir, clock);
    expect(s2.engine.position).toBe(snapshotAt + 3);
    expect(await view(s2, 'r')).toEqual(before);
    expect(before[0]).toHaveLength(1);
    expect(before[1]).toHaveLength(1);
    // Sequence numbers continue where they were.
    const r = await s2.call('POST', '/api/account/r/events', { events: [{ type: 'agent.heartbeat', agentId: '1' }] });
    expect(r.body.lastSeq).toBe(8);
  });

  it('a graceful stop snapshots, so the next start replays nothing', async () => {
    const dir = tempDir();
    dirs.push(dir);
    const clock = new ManualClock(T);
    const s1 = await start(dir, clock);
    await s1.call('POST', '/api/account/g/events', { events: [{ type: 'agent.loggedIn', agentId: '1', time: T }] });
    const before = await view(s1, 'g');
    servers.splice(servers.indexOf(s1), 1);
    await s1.close();
    const s2 = await start(dir, clock);
    expect((await s2.stores.snapshots.load())?.position).toBe(1);
    expect(await view(s2, 'g')).toEqual(before);
  });

  it('keeps recorded connection time-outs across a restart, and records none twice', async () => {
    const dir = tempDir();
    dirs.push(dir);
    const clock = new ManualClock(T);
    const s1 = await start(dir, clock);
    await s1.call('POST', '/api/account/to/events', {
      events: [
        { type: 'agent.loggedIn', agentId: '1', time: T },
        { type: 'agent.loggedIn', agentId: '2', time: T },
        { type: 'agent.heartbeat', agentId: '2', time: T + 50_000 },
      ],
    });
    clock.t = T + 100_000;
    await s1.engine.sweepTimeouts();
    await s1.engine.sweepTimeouts();
    const timeouts = (await entries(s1)).filter((e) => e.event.type === 'agent.connectionTimedOut');
    expect(timeouts.map((e) => [e.event.time, e.event.seq])).toEqual([[T + 60_000, 4]]);
    await crash(s1);

    clock.t = T + 105_000;
    const s2 = await start(dir, clock);
    const [present] = await view(s2, 'to');
    expect(present.map((r: Record<string, unknown>) => [r.agentId, r.currentConnectionState, r.lastUpdatedTimeL])).toEqual([
      ['1', 'DISCONNECTED', T + 60_000],
      ['2', 'CONNECTED', T],
    ]);
    expect(s2.engine.account('to')!.agents.get('1')!.timedOut).toBe(true);
    // Agent 2 is due now (last heartbeat at +50 s): one new time-out, none for agent 1 again.
    // (The server's own background sweep may get there first: the log is what counts.)
    clock.t = T + 120_000;
    await s2.engine.sweepTimeouts();
    await s2.engine.sweepTimeouts();
    const after = (await entries(s2)).filter((e) => e.event.type === 'agent.connectionTimedOut');
    expect(after.map((e) => (e.event as { agentId: string }).agentId)).toEqual(['1', '2']);
    // The next event reconnects.
    await s2.call('POST', '/api/account/to/events', { events: [{ type: 'agent.heartbeat', agentId: '1', time: T + 121_000 }] });
    const [again] = await view(s2, 'to');
    expect(again[0]).toMatchObject({ agentId: '1', currentConnectionState: 'CONNECTED', lastUpdatedTimeL: T + 121_000 });
  });
});
