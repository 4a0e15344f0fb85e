import { describe, expect, it } from 'vitest';
import { createAccountState, evolve, type AccountState, type IngestEvent } from './index.js';
import { createAlertMemory, evaluateAlerts, type AlertRule } from './alerts.js';

const T0 = 1_700_000_000_000;
const MIN = 60_000;

function account(events: IngestEvent[]): AccountState {
  const acc = createAccountState('a');
  events.forEach((e, i) => evolve(acc, { ...e, seq: i + 1 }));
  return acc;
}

describe('threshold alerts', () => {
  it('status-duration: AWAY with a reason for N minutes, by reason clock', () => {
    const acc = account([
      { type: 'agent.loggedIn', agentId: '1', status: 'AWAY', reasonId: 'lunch', time: T0 },
      { type: 'agent.loggedIn', agentId: '2', status: 'AWAY', reasonId: 'break', time: T0 },
      { type: 'agent.statusChanged', agentId: '1', status: 'AWAY', reasonId: 'lunch', time: T0 + 1000 },
    ]);
    const rules: AlertRule[] = [{ id: 'r', kind: 'status-duration', status: 'AWAY', reasonId: 'lunch', minutes: 30 }];
    const mem = createAlertMemory();
    expect(evaluateAlerts(acc, rules, T0 + 29 * MIN, mem)).toEqual([]);
    const hits = evaluateAlerts(acc, rules, T0 + 30 * MIN, mem);
    expect(hits).toHaveLength(1);
    expect(hits[0]).toMatchObject({ key: 'r:1', agentId: '1', since: T0 });
    evolve(acc, { type: 'agent.statusChanged', agentId: '1', status: 'ONLINE', time: T0 + 31 * MIN, seq: 10 });
    expect(evaluateAlerts(acc, rules, T0 + 31 * MIN, mem)).toEqual([]);
  });

  it('load: holds for N minutes from when it was first seen, resets when it drops', () => {
    const acc = account([
      { type: 'agent.upserted', agentId: '1', maxSlots: 2, groupId: '5', time: T0 },
      { type: 'agent.loggedIn', agentId: '1', time: T0 },
      { type: 'conversation.assigned', agentId: '1', conversationId: 'c1', time: T0 },
      { type: 'conversation.assigned', agentId: '1', conversationId: 'c2', time: T0 },
    ]);
    const rules: AlertRule[] = [{ id: 'L', kind: 'load', minLoad: 100, minutes: 5, groupIds: ['5'] }];
    const mem = createAlertMemory();
    expect(evaluateAlerts(acc, rules, T0, mem)).toEqual([]);
    expect(evaluateAlerts(acc, rules, T0 + 5 * MIN, mem)).toMatchObject([{ key: 'L:1', since: T0 }]);
    evolve(acc, { type: 'conversation.unassigned', conversationId: 'c1', time: T0 + 6 * MIN, seq: 10 });
    expect(evaluateAlerts(acc, rules, T0 + 6 * MIN, mem)).toEqual([]);
    expect(mem.since.size).toBe(0);
    expect(evaluateAlerts(acc, [{ ...rules[0]!, groupIds: ['6'], minLoad: 1 } as AlertRule], T0 + 7 * MIN, mem)).toEqual([]);
  });

  it('group-no-online: raised when nobody of the group is ONLINE, after the grace period', () => {
    const acc = account([
      { type: 'agent.upserted', agentId: '1', groupId: '7', time: T0 },
      { type: 'agent.loggedIn', agentId: '1', time: T0 },
    ]);
    const rules: AlertRule[] = [{ id: 'G', kind: 'group-no-online', groupId: '7', minutes: 2 }];
    const mem = createAlertMemory();
    expect(evaluateAlerts(acc, rules, T0, mem)).toEqual([]);
    evolve(acc, { type: 'agent.statusChanged', agentId: '1', status: 'AWAY', time: T0 + MIN, seq: 5 });
    expect(evaluateAlerts(acc, rules, T0 + MIN, mem)).toEqual([]);
    const hit = evaluateAlerts(acc, rules, T0 + 3 * MIN, mem);
    expect(hit).toMatchObject([{ key: 'G:group:7', groupId: '7', since: T0 + MIN }]);
    evolve(acc, { type: 'agent.statusChanged', agentId: '1', status: 'ONLINE', time: T0 + 4 * MIN, seq: 6 });
    expect(evaluateAlerts(acc, rules, T0 + 4 * MIN, mem)).toEqual([]);
  });
});
