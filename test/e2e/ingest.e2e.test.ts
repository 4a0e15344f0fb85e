/**
 * Ingest over real HTTP (spec section 3): acknowledgements, de-duplication,
 * all-or-nothing validation with the bad event's index and field, limits.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXAMPLES } from '../helpers/events.js';
import { ManualClock, startTestServer, type TestServer } from '../helpers/server.js';

const NOW = 1_700_000_000_000;
let s: TestServer;
const clock = new ManualClock(NOW);

beforeAll(async () => {
  s = await startTestServer({}, { clock });
});
afterAll(async () => s.stop());

const ingest = (account: string, events: unknown[]) => s.call('POST', `/api/account/${account}/events`, { events });
const agents = async (account: string, body: unknown = { timestamp: { from: 0 } }) => {
  const r = await s.call('POST', `/messaging_history/api/account/${account}/agent-view/status?limit=1000`, body);
  return r.body.agentStatusRecords as Record<string, unknown>[];
};
const hb = (agentId: string, extra: Record<string, unknown> = {}) => ({ type: 'agent.heartbeat', agentId, ...extra });

describe('acknowledgements', () => {
  it('answers accepted, duplicates and lastSeq; sequence numbers are per account', async () => {
    expect((await ingest('i1', [hb('1'), hb('2')])).body).toEqual({ accepted: 2, duplicates: 0, lastSeq: 2 });
    expect((await ingest('i2', [hb('1')])).body).toEqual({ accepted: 1, duplicates: 0, lastSeq: 1 });
    expect((await ingest('i1', [hb('3')])).body).toEqual({ accepted: 1, duplicates: 0, lastSeq: 3 });
  });

  it('de-duplicates by eventId within a batch and across batches; accounts are independent', async () => {
    const r1 = await ingest('d1', [{ type: 'agent.loggedIn', agentId: '1', eventId: 'a' }, { type: 'agent.loggedIn', agentId: '2', eventId: 'a' }, hb('1')]);
    expect(r1.body).toEqual({ accepted: 2, duplicates: 1, lastSeq: 2 });
    expect((await agents('d1')).map((a) => a.agentId)).toEqual(['1']);
    const r2 = await ingest('d1', [{ type: 'agent.loggedOut', agentId: '1', eventId: 'a' }, { type: 'agent.loggedIn', agentId: '3', eventId: 'b' }]);
    expect(r2.body).toEqual({ accepted: 1, duplicates: 1, lastSeq: 3 });
    expect((await agents('d1')).map((a) => [a.agentId, a.currentStatus])).toEqual([
      ['1', 'ONLINE'],
      ['3', 'ONLINE'],
    ]);
    expect((await ingest('d2', [{ type: 'agent.loggedIn', agentId: '1', eventId: 'a' }])).body).toEqual({ accepted: 1, duplicates: 0, lastSeq: 1 });
  });

  it('accepts every client event type, with ids as numbers, and applies them in order', async () => {
    const r = await ingest('all', Object.values(EXAMPLES));
    expect(r.status).toBe(200);
    expect(r.body.accepted).toBe(15);
    // agent 42 was upserted, logged in AWAY, logged out, then marked not present.
    const [a] = await agents('all', { timestamp: { from: 0 }, agentPresence: false });
    expect(a).toMatchObject({
      agentId: '42',
      agentName: 'Maya',
      currentStatus: 'OFFLINE',
      agentPresence: 'false',
      agentGroupName: 'Main Group',
      agentSkills: [
        { skillId: '1', skillName: 'billing' },
        { skillId: 's2', skillName: 's2' },
      ],
    });
  });

  it('stamps events without time with the receive time', async () => {
    await ingest('t1', [{ type: 'agent.loggedIn', agentId: '1' }]);
    const [a] = await agents('t1');
    expect(a!.currentStatusStartTimeL).toBe(NOW);
  });

  it('accepts 1000 events and a time exactly 5 minutes ahead', async () => {
    const r = await ingest('big', Array.from({ length: 1000 }, (_, i) => hb(String(i), { time: NOW + 300_000 })));
    expect(r.body).toEqual({ accepted: 1000, duplicates: 0, lastSeq: 1000 });
  });
});

describe('validation: all or nothing', () => {
  const rejects = async (events: unknown[], code: string, field: string) => {
    const before = (await ingest('v', [hb('probe')])).body.lastSeq as number;
    const r = await ingest('v', events);
    expect(r.status, JSON.stringify(events)).toBe(400);
    expect(r.body).toMatchObject({ code, field, statusCode: 400 });
    expect(r.body.message).toContain(field);
    // Nothing of the batch was applied: the next event takes the very next number.
    expect((await ingest('v', [hb('probe')])).body.lastSeq).toBe(before + 1);
  };

  it('names the index and field of the first bad event', async () => {
    const good = [{ type: 'agent.loggedIn', agentId: '1' }, { type: 'agent.loggedIn', agentId: '2' }, { type: 'agent.loggedIn', agentId: '3' }];
    await rejects([...good, { type: 'agent.statusChanged', agentId: '1', status: 'BUSY' }], 'INVALID_EVENT', 'events[3].status');
    await rejects([...good, { type: 'agent.statusChanged', status: 'AWAY' }], 'INVALID_EVENT', 'events[3].agentId');
    await rejects([hb('1', { agentID: '1' })], 'INVALID_EVENT', 'events[0].agentID');
    await rejects([hb('1', { eventId: 'agentview:timeout:1' })], 'INVALID_EVENT', 'events[0].eventId');
    await rejects([hb('1', { time: 'now' })], 'INVALID_EVENT', 'events[0].time');
    await rejects([{ type: 'agent.connectionTimedOut', agentId: '1' }], 'INVALID_EVENT', 'events[0].type');
    await rejects([hb('1'), hb('2', { time: NOW + 300_001 })], 'EVENT_TIME_IN_FUTURE', 'events[1].time');
    expect((await agents('v')).length).toBe(0);
  });

  it('checks the batch shape', async () => {
    await rejects([], 'INVALID_BATCH', 'events');
    await rejects(Array.from({ length: 1001 }, () => hb('1')), 'INVALID_BATCH', 'events');
    for (const body of [{}, { events: 'x' }, [], null]) {
      const r = await s.call('POST', '/api/account/v/events', body);
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(r.body.code).toBe('INVALID_BATCH');
    }
    const extra = await s.call('POST', '/api/account/v/events', { events: [hb('1')], extra: true });
    expect(extra.body).toMatchObject({ code: 'INVALID_BATCH', field: 'extra' });
    const none = await s.call('POST', '/api/account/v/events');
    expect(none.body.code).toBe('INVALID_BATCH');
  });

  it('refuses bad account ids, bad JSON, other content types and bodies over 1 MiB', async () => {
    const r = await s.call('POST', '/api/account/a.b/events', { events: [hb('1')] });
    expect(r.body).toMatchObject({ code: 'INVALID_ACCOUNT_ID', field: 'accountID' });
    expect((await s.call('POST', '/api/account/v/events', '{"events": [')).body.code).toBe('INVALID_JSON');
    const text = await s.call('POST', '/api/account/v/events', JSON.stringify({ events: [hb('1')] }), { 'content-type': 'text/plain' });
    expect(text.status).toBe(415);
    expect(text.body.code).toBe('UNSUPPORTED_MEDIA_TYPE');
    const big = { events: [hb('1', { eventId: 'x' }), { type: 'agent.upserted', agentId: '1', name: 'n'.repeat(1024 * 1024) }] };
    const tooLarge = await s.call('POST', '/api/account/v/events', big);
    expect(tooLarge.status).toBe(413);
    expect(tooLarge.body.code).toBe('PAYLOAD_TOO_LARGE');
    // The first event of the refused body was not applied: its eventId is still new.
    expect((await ingest('v', [hb('1', { eventId: 'x' })])).body.duplicates).toBe(0);
  });

  it('requires credentials', async () => {
    const res = await fetch(`${s.url}/api/account/v/events`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ events: [hb('1')] }) });
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toMatch(/Bearer/);
    expect(((await res.json()) as { code: string }).code).toBe('UNAUTHORIZED');
    const wrong = await s.call('POST', '/api/account/v/events', { events: [hb('1')] }, { authorization: 'Bearer not-the-token-at-all' });
    expect(wrong.status).toBe(401);
  });
});
