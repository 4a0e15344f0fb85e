/** The worked example of shared/spec/examples.md, request by request, over HTTP. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import Value from 'typebox/value';
import { AgentStatusResponse } from '../../src/schemas/agent-view.js';
import { ManualClock, startTestServer, type TestServer } from '../helpers/server.js';

const BATCH = {
  events: [
    { type: 'skill.upserted', skillId: '1', name: 'billing', time: 1700000000000 },
    { type: 'skill.upserted', skillId: '2', name: 'sales', time: 1700000000000 },
    { type: 'group.upserted', groupId: '7', name: 'Night shift', time: 1700000000000 },
    {
      type: 'agent.upserted', agentId: '42', name: 'Maya Levi', nickname: 'Maya', loginName: 'maya@example.com',
      groupId: '7', skillIds: ['1', '2'], maxSlots: 4, time: 1700000000000,
    },
    { type: 'agent.loggedIn', agentId: '42', time: 1700000500000 },
    { type: 'conversation.assigned', agentId: '42', conversationId: 'c-1', time: 1700000510000 },
    { type: 'conversation.assigned', agentId: '42', conversationId: 'c-2', intense: false, time: 1700000520000 },
    { type: 'agent.statusChanged', agentId: '42', status: 'AWAY', reasonId: '3', time: 1700000540000 },
    { type: 'agent.heartbeat', agentId: '42', time: 1700000590000 },
  ],
};

const EXPECTED_RECORD = {
  agentId: '42',
  lastUpdatedTimeL: 1700000540000,
  lastUpdatedTime: '2023-11-14 22:22:20.000+0000',
  currentStatusStartTimeL: 1700000540000,
  currentStatusStartTime: '2023-11-14 22:22:20.000+0000',
  currentStatusReasonStartTimeL: 1700000540000,
  currentStatusReasonStartTime: '2023-11-14 22:22:20.000+0000',
  agentName: 'Maya Levi',
  agentNickname: 'Maya',
  agentLoginName: 'maya@example.com',
  agentSkills: [
    { skillId: '1', skillName: 'billing' },
    { skillId: '2', skillName: 'sales' },
  ],
  agentGroupId: 7,
  agentGroupName: 'Night shift',
  currentStatus: 'AWAY',
  currentStatusDuration: 60000,
  currentStatusReason: '3',
  currentStatusReasonDuration: 60000,
  load: 38,
  ringingSlots: 0,
  configuredMaxSlots: 4,
  busySlots: 2,
  openAssignedConversations: 2,
  intenseConversations: 1,
  agentPresence: 'true',
  currentConnectionState: 'CONNECTED',
};

describe('worked example (spec/examples.md)', () => {
  let s: TestServer;
  const clock = new ManualClock(1700000600000);
  beforeAll(async () => {
    s = await startTestServer({}, { clock });
  });
  afterAll(async () => s.stop());

  it('ingests the batch: 9 accepted, lastSeq 9', async () => {
    const r = await s.call('POST', '/api/account/1234/events', BATCH);
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ accepted: 9, duplicates: 0, lastSeq: 9 });
  });

  it('answers Agent Status exactly as the example, field by field and in order', async () => {
    const r = await s.call('POST', '/messaging_history/api/account/1234/agent-view/status', {});
    expect(r.status).toBe(200);
    expect(r.body).toEqual({
      _metadata: {
        count: 1,
        self: { rel: 'self', href: 'http://agentview.test/messaging_history/api/account/1234/agent-view/status?limit=50&offset=0' },
        shardsStatusResult: { partialResult: false },
      },
      accountID: '1234',
      agentStatusRecords: [EXPECTED_RECORD],
    });
    expect(Object.keys(r.body.agentStatusRecords[0])).toEqual(Object.keys(EXPECTED_RECORD));
    expect(Value.Check(AgentStatusResponse, r.body)).toBe(true);
  });

  it('treats no body like {}', async () => {
    const r = await s.call('POST', '/messaging_history/api/account/1234/agent-view/status');
    expect(r.status).toBe(200);
    expect(r.body.agentStatusRecords).toEqual([EXPECTED_RECORD]);
  });

  it('filters ONLINE and agentPresence=false to empty lists', async () => {
    for (const body of [{ status: ['ONLINE'] }, { agentPresence: false }]) {
      const r = await s.call('POST', '/messaging_history/api/account/1234/agent-view/status', body);
      expect(r.status).toBe(200);
      expect(r.body._metadata.count).toBe(0);
      expect(r.body.agentStatusRecords).toEqual([]);
    }
  });

  it('answers the same batch with eventIds as duplicates the second time', async () => {
    const withIds = { events: BATCH.events.map((e, i) => ({ ...e, eventId: `ex-${i}` })) };
    const first = await s.call('POST', '/api/account/5678/events', withIds);
    expect(first.body).toEqual({ accepted: 9, duplicates: 0, lastSeq: 9 });
    const again = await s.call('POST', '/api/account/5678/events', withIds);
    expect(again.body).toEqual({ accepted: 0, duplicates: 9, lastSeq: 9 });
  });

  it('rejects the listed bad requests with 400', async () => {
    const base = '/messaging_history/api/account/1234/agent-view/status';
    for (const q of ['?limit=1001', '?limit=0', '?offset=-1', '?sort=bogus:asc']) {
      const r = await s.call('POST', base + q, {});
      expect(r.status, q).toBe(400);
    }
    for (const body of ['{"status": ["BUSY"]}', '{"agentIds": "x"}', 'not json']) {
      const r = await s.call('POST', base, body);
      expect(r.status, body).toBe(400);
      expect(r.body.message).toMatch(/status|agentIds|JSON/);
    }
  });

  it('rejects a batch whose 4th event has status BUSY, naming index 3, applying nothing', async () => {
    const events = [
      { type: 'agent.loggedIn', agentId: '1' },
      { type: 'agent.loggedIn', agentId: '2' },
      { type: 'agent.loggedIn', agentId: '3' },
      { type: 'agent.statusChanged', agentId: '1', status: 'BUSY' },
    ];
    const r = await s.call('POST', '/api/account/999/events', { events });
    expect(r.status).toBe(400);
    expect(r.body.code).toBe('INVALID_EVENT');
    expect(r.body.field).toBe('events[3].status');
    const st = await s.call('POST', '/messaging_history/api/account/999/agent-view/status', {});
    expect(st.body._metadata.count).toBe(0);
  });
});
