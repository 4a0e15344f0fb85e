/** Ingest batch validation: all or nothing, errors naming the event index and field. */
import { describe, expect, it } from 'vitest';
import { ApiError } from '../errors/index.js';
import { CLIENT_EVENT_TYPES } from '../core/index.js';
import { EXAMPLES } from '../../test/helpers/events.js';
import { MAX_FUTURE_MS, validateBatch } from './events.js';

const NOW = 1_700_000_000_000;

function fails(body: unknown): { code: string; field: string | undefined; message: string } {
  try {
    validateBatch(body, NOW);
  } catch (e) {
    expect(e).toBeInstanceOf(ApiError);
    const err = e as ApiError;
    return { code: err.code, field: err.field, message: err.message };
  }
  throw new Error(`accepted ${JSON.stringify(body)}`);
}
const one = (e: Record<string, unknown>) => ({ events: [e] });

describe('validateBatch', () => {
  it('accepts one example of every client event type and normalises ids to strings', () => {
    const events = validateBatch({ events: Object.values(EXAMPLES) }, NOW);
    expect(events).toHaveLength(CLIENT_EVENT_TYPES.length);
    expect(events.every((e) => e.time === NOW)).toBe(true);
    expect(events[0]).toEqual({ type: 'skill.upserted', skillId: '1', name: 'billing', time: NOW });
    expect(events[1]).toMatchObject({ groupId: '7' });
    expect(events[2]).toMatchObject({ agentId: '42', groupId: '-1', skillIds: ['1', 's2'], maxSlots: 0 });
    expect(events[4]).toMatchObject({ reasonId: '3' });
    expect(events[13]).toMatchObject({ conversationId: '9' });
  });

  it('keeps given times and eventIds; accepts up to 5 minutes ahead', () => {
    const [e] = validateBatch(one({ type: 'agent.heartbeat', agentId: '1', time: NOW + MAX_FUTURE_MS, eventId: 'x' }), NOW);
    expect(e).toEqual({ type: 'agent.heartbeat', agentId: '1', time: NOW + MAX_FUTURE_MS, eventId: 'x' });
    expect(validateBatch(one({ type: 'agent.heartbeat', agentId: '1', time: 0 }), NOW)[0]!.time).toBe(0);
  });

  it('rejects a time more than 5 minutes ahead, naming it', () => {
    expect(fails({ events: [EXAMPLES['agent.heartbeat'], { type: 'agent.heartbeat', agentId: '1', time: NOW + MAX_FUTURE_MS + 1 }] })).toMatchObject({
      code: 'EVENT_TIME_IN_FUTURE',
      field: 'events[1].time',
    });
  });

  it('checks the batch shape', () => {
    for (const body of [undefined, null, 'x', 42, [], [{ type: 'agent.heartbeat', agentId: '1' }]]) {
      expect(fails(body).code, JSON.stringify(body)).toBe('INVALID_BATCH');
    }
    expect(fails({})).toMatchObject({ code: 'INVALID_BATCH', field: 'events' });
    expect(fails({ events: {} })).toMatchObject({ code: 'INVALID_BATCH', field: 'events' });
    expect(fails({ events: [] })).toMatchObject({ code: 'INVALID_BATCH', field: 'events' });
    expect(fails({ events: [EXAMPLES['agent.heartbeat']], extra: 1 })).toMatchObject({ code: 'INVALID_BATCH', field: 'extra' });
    const many = Array.from({ length: 1001 }, () => EXAMPLES['agent.heartbeat']);
    expect(fails({ events: many })).toMatchObject({ code: 'INVALID_BATCH', message: expect.stringMatching(/1001/) });
    expect(validateBatch({ events: many.slice(1) }, NOW)).toHaveLength(1000);
  });

  it('names the first bad event by index and field', () => {
    const cases: [Record<string, unknown>, string, RegExp?][] = [
      [{ type: 'agent.statusChanged', agentId: '1', status: 'BUSY' }, 'events[1].status', /ONLINE/],
      [{ type: 'agent.loggedIn', agentId: '1', status: 'OFFLINE' }, 'events[1].status'],
      [{ type: 'agent.loggedIn' }, 'events[1].agentId', /required/],
      [{ type: 'agent.loggedIn', agentID: '1', agentId: '1' }, 'events[1].agentID', /not a known field/],
      [{ type: 'agent.loggedIn', agentId: 'a b' }, 'events[1].agentId'],
      [{ type: 'agent.loggedIn', agentId: '' }, 'events[1].agentId'],
      [{ type: 'agent.loggedIn', agentId: 'x'.repeat(129) }, 'events[1].agentId'],
      [{ type: 'agent.loggedIn', agentId: 1.5 }, 'events[1].agentId'],
      [{ type: 'agent.loggedIn', agentId: -3 }, 'events[1].agentId'],
      [{ type: 'agent.loggedIn', agentId: true }, 'events[1].agentId'],
      [{ type: 'agent.loggedIn', agentId: '1', time: '2023-01-01' }, 'events[1].time'],
      [{ type: 'agent.loggedIn', agentId: '1', time: 1.5 }, 'events[1].time'],
      [{ type: 'agent.loggedIn', agentId: '1', time: -1 }, 'events[1].time'],
      [{ type: 'agent.loggedIn', agentId: '1', eventId: '' }, 'events[1].eventId'],
      [{ type: 'agent.loggedIn', agentId: '1', eventId: 'e'.repeat(129) }, 'events[1].eventId'],
      [{ type: 'agent.loggedIn', agentId: '1', eventId: 'agentview:timeout:1' }, 'events[1].eventId', /reserved/],
      [{ type: 'agent.upserted', agentId: '1', skillIds: ['ok', 'not ok'] }, 'events[1].skillIds[1]'],
      [{ type: 'agent.upserted', agentId: '1', skillIds: 's1' }, 'events[1].skillIds'],
      [{ type: 'agent.upserted', agentId: '1', maxSlots: -1 }, 'events[1].maxSlots'],
      [{ type: 'agent.upserted', agentId: '1', maxSlots: 1001 }, 'events[1].maxSlots'],
      [{ type: 'agent.upserted', agentId: '1', name: 'n'.repeat(257) }, 'events[1].name'],
      [{ type: 'agent.upserted', agentId: '1', groupId: 'abc' }, 'events[1].groupId'],
      [{ type: 'agent.upserted', agentId: '1', groupId: '-2' }, 'events[1].groupId'],
      [{ type: 'agent.upserted', agentId: '1', groupId: -2 }, 'events[1].groupId'],
      [{ type: 'agent.presenceChanged', agentId: '1', present: 'yes' }, 'events[1].present'],
      [{ type: 'conversation.offerEnded', conversationId: 'c', outcome: 'lost' }, 'events[1].outcome'],
      [{ type: 'conversation.activity', conversationId: 'c' }, 'events[1].intense', /required/],
      [{ type: 'account.settingsChanged', inactiveWeight: 1.5 }, 'events[1].inactiveWeight'],
      [{ type: 'account.settingsChanged', connectionTimeoutMs: 999 }, 'events[1].connectionTimeoutMs'],
      [{ type: 'account.settingsChanged', defaultMaxSlots: 2.5 }, 'events[1].defaultMaxSlots'],
      [{ type: 'agent.connectionTimedOut', agentId: '1' }, 'events[1].type'],
      [{ type: 'agent.Heartbeat', agentId: '1' }, 'events[1].type'],
      [{ agentId: '1' }, 'events[1].type'],
    ];
    for (const [bad, field, message] of cases) {
      const r = fails({ events: [EXAMPLES['agent.heartbeat'], bad, { type: 'nope' }] });
      expect(r.code, JSON.stringify(bad)).toBe('INVALID_EVENT');
      expect(r.field, JSON.stringify(bad)).toBe(field);
      expect(r.message.startsWith(field), r.message).toBe(true);
      if (message) expect(r.message).toMatch(message);
    }
    for (const bad of [null, 'x', 3, [1]]) {
      expect(fails({ events: [bad] })).toMatchObject({ code: 'INVALID_EVENT', field: 'events[0]' });
    }
  });

  it('does not echo a giant unknown field name whole', () => {
    const key = 'k'.repeat(10_000);
    const r = fails(one({ type: 'agent.heartbeat', agentId: '1', [key]: 1 }));
    expect(r.field!.length).toBeLessThan(100);
  });

  it('rejects __proto__ as an unknown field and never pollutes prototypes', () => {
    const body: unknown = JSON.parse('{"events":[{"type":"agent.heartbeat","agentId":"1","__proto__":{"polluted":true}}]}');
    expect(fails(body)).toMatchObject({ code: 'INVALID_EVENT', field: 'events[0].__proto__' });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});
