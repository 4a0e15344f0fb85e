/**
 * Durability: the server process is killed with SIGKILL the moment an ingest
 * is acknowledged, while other batches are in flight. After a restart on the
 * same data directory every acknowledged event is there, batches are whole
 * (all of a batch or none of it), and re-sent batches are duplicates.
 */
import { rmSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { spawnServer, waitReady, type ServerProcess } from '../helpers/process.js';
import { tempDir } from '../helpers/server.js';

const ACCOUNT = 'crash';
const PER_BATCH = 12;

/** Batch i: agent a<i> logs in, takes 10 conversations, goes AWAY with reason i. */
function batch(i: number) {
  const agentId = `a${i}`;
  const events: Record<string, unknown>[] = [{ type: 'agent.loggedIn', agentId }];
  for (let k = 0; k < 10; k++) events.push({ type: 'conversation.assigned', agentId, conversationId: `c${i}-${k}` });
  events.push({ type: 'agent.statusChanged', agentId, status: 'AWAY', reasonId: String(i) });
  return { events: events.map((e, j) => ({ ...e, eventId: `b${i}-${j}` })) };
}

const dir = tempDir('agentview-crash-');
const running: ServerProcess[] = [];
afterAll(async () => {
  for (const p of running) if (p.child.exitCode === null && p.child.signalCode === null) await p.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('SIGKILL right after an acknowledgement', () => {
  it('loses no acknowledged event', async () => {
    const env = { AGENTVIEW_DATA_DIR: dir };
    const first = await spawnServer(env);
    running.push(first);
    await waitReady(first.url);

    const acked = new Map<number, number>(); // batch → lastSeq acknowledged
    let killed = false;
    let next = 0;
    const KILL_AFTER = 25;
    const worker = async () => {
      while (!killed) {
        const i = next++;
        try {
          const r = await first.post(`/api/account/${ACCOUNT}/events`, batch(i));
          if (r.status !== 200) throw new Error(`ingest answered ${r.status}: ${JSON.stringify(r.body)}`);
          if (killed) return; // answered after the kill was sent: not counted
          acked.set(i, r.body.lastSeq as number);
          if (acked.size === KILL_AFTER) {
            killed = true;
            first.child.kill('SIGKILL');
          }
        } catch (err) {
          if (!killed) throw err;
        }
      }
    };
    await Promise.all(Array.from({ length: 6 }, worker));
    expect(await first.exited).toBe('SIGKILL');
    const sent = next;
    expect(acked.size).toBe(KILL_AFTER);

    const second = await spawnServer(env);
    running.push(second);
    await waitReady(second.url);

    // Every acknowledged batch's agent is there, in the state its batch left it.
    const ids = [...acked.keys()].map((i) => `a${i}`);
    const st = await second.post(`/messaging_history/api/account/${ACCOUNT}/agent-view/status?limit=1000`, { agentIds: ids });
    expect(st.status).toBe(200);
    expect(st.body._metadata.count).toBe(acked.size);
    for (const r of st.body.agentStatusRecords as Record<string, unknown>[]) {
      const i = Number(String(r.agentId).slice(1));
      expect(r).toMatchObject({ currentStatus: 'AWAY', currentStatusReason: String(i), openAssignedConversations: 10, currentConnectionState: 'CONNECTED' });
    }

    // Re-sending acknowledged batches: all duplicates, and no sequence number went missing.
    const maxAcked = Math.max(...acked.values());
    for (const i of acked.keys()) {
      const r = await second.post(`/api/account/${ACCOUNT}/events`, batch(i));
      expect(r.body.accepted).toBe(0);
      expect(r.body.duplicates).toBe(PER_BATCH);
      expect(r.body.lastSeq).toBeGreaterThanOrEqual(maxAcked);
    }
    // Batches in flight at the kill were stored whole or not at all.
    let stored = acked.size;
    for (let i = 0; i < sent; i++) {
      if (acked.has(i)) continue;
      const r = await second.post(`/api/account/${ACCOUNT}/events`, batch(i));
      expect([0, PER_BATCH]).toContain(r.body.duplicates);
      if (r.body.duplicates === PER_BATCH) stored++;
    }
    const last = await second.post(`/api/account/${ACCOUNT}/events`, { events: [{ type: 'agent.heartbeat', agentId: 'a0' }] });
    expect(last.body.lastSeq).toBe(sent * PER_BATCH + 1);
    expect(stored).toBeGreaterThanOrEqual(acked.size);
    expect(await second.stop()).toBe('0');
  }, 120_000); // two cold starts of a child process: slow on a busy machine
});
