/**
 * The demo: a server started with the demo on shows a lived-in account at
 * once (groups, skills, log-ins, away reasons, conversations), keeps it
 * moving, and a restart over the same data resumes it without duplicating
 * agents or leaving conversations open forever.
 */
import { rmSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { ManualClock, startTestServer, tempDir, type TestServer } from '../helpers/server.js';

const T = 1_700_000_000_000;
const ENV = { AGENTVIEW_DEMO: '1', AGENTVIEW_DEMO_AGENTS: '40', AGENTVIEW_DEMO_ACCOUNT: 'demo' };
const dir = tempDir('agentview-demo-');
const servers: TestServer[] = [];
afterAll(async () => {
  for (const s of servers) await s.stop().catch(() => undefined);
  rmSync(dir, { recursive: true, force: true });
});

type Rec = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const records = async (s: TestServer, body: unknown = {}): Promise<Rec[]> => {
  const r = await s.call('POST', '/messaging_history/api/account/demo/agent-view/status?limit=1000', body);
  expect(r.status).toBe(200);
  return r.body.agentStatusRecords;
};

/** Moves simulated time forward in steps, letting the simulator tick between them, until `done`. */
async function runUntil(clock: ManualClock, stepMs: number, maxSteps: number, done: () => boolean): Promise<void> {
  for (let i = 0; i < maxSteps && !done(); i++) {
    clock.advance(stepMs);
    await new Promise((r) => setTimeout(r, 15));
  }
}

describe('demo', () => {
  const clock = new ManualClock(T);

  it('starts with a lived-in account and keeps it moving', async () => {
    const s = await startTestServer(ENV, { clock, dataDir: dir, keepData: true, demoTickMs: 5 });
    servers.push(s);
    const all = [...(await records(s)), ...(await records(s, { agentPresence: false }))];
    expect(all.length).toBeGreaterThan(20);
    expect(new Set(all.map((r) => r.agentGroupName)).size).toBeGreaterThanOrEqual(3);
    expect(all.every((r) => r.agentSkills.length > 0 && r.agentSkills.every((k: Rec) => k.skillName !== k.skillId))).toBe(true);
    expect(all.every((r) => r.agentName !== r.agentId)).toBe(true);
    expect(all.some((r) => r.currentStatus === 'ONLINE')).toBe(true);
    expect(all.some((r) => r.currentStatus === 'AWAY' && typeof r.currentStatusReason === 'string')).toBe(true);
    expect(all.some((r) => r.openAssignedConversations > 0 && r.load > 0)).toBe(true);
    expect(all.every((r) => r.currentConnectionState === 'CONNECTED')).toBe(true);

    // A few simulated seconds later, new events have come in through the ingest path.
    const acc = s.engine.account('demo')!;
    const seq = acc.seq;
    await runUntil(clock, 1000, 400, () => acc.seq > seq + 5);
    expect(acc.seq).toBeGreaterThan(seq + 5);
  });

  it('resumes over the same data: same agents and catalog, no conversation left open forever', async () => {
    const s1 = servers.pop()!;
    const acc1 = s1.engine.account('demo')!;
    const agentsBefore = [...acc1.agents.values()].map((a) => [a.id, a.name, a.groupId, a.skillIds.join(','), a.maxSlots]);
    const skillsBefore = [...acc1.skills];
    const groupsBefore = [...acc1.groups];
    const openBefore = new Set(acc1.conversations.keys());
    expect(openBefore.size).toBeGreaterThan(0);
    const seqBefore = acc1.seq;
    await s1.stop();

    const s2 = await startTestServer(ENV, { clock, dataDir: dir, keepData: true, demoTickMs: 5 });
    servers.push(s2);
    const acc2 = s2.engine.account('demo')!;
    expect(acc2.seq).toBeGreaterThan(seqBefore);
    expect([...acc2.agents.values()].map((a) => [a.id, a.name, a.groupId, a.skillIds.join(','), a.maxSlots])).toEqual(agentsBefore);
    expect([...acc2.skills]).toEqual(skillsBefore);
    expect([...acc2.groups]).toEqual(groupsBefore);

    // Every conversation open at the restart is closed by the resumed simulation in time.
    const stillOpen = () => [...acc2.conversations.keys()].filter((id) => openBefore.has(id));
    await runUntil(clock, 10_000, 600, () => stillOpen().length === 0);
    expect(stillOpen()).toEqual([]);
    for (const a of acc2.agents.values()) expect(a.assigned).toBeLessThanOrEqual(a.maxSlots ?? 10);
    expect(acc2.agents.size).toBe(40);
  }, 90_000);
});
