/** Agent Status request → engine filter and sort keys. */
import { describe, expect, it } from 'vitest';
import { ApiError } from '../errors/index.js';
import { DEFAULT_WINDOW_MS, toAgentFilter as toFilter, toSortKeys } from './agent-view.js';

/** Bodies as JSON gives them (the schema's static type is narrower than what it accepts). */
const toAgentFilter = (body: object | null | undefined, now: number) => toFilter(body, now);

const NOW = 1_700_000_000_000;
const NO_FILTER = {
  statuses: undefined,
  agentIds: undefined,
  skillIds: undefined,
  groupIds: undefined,
  presence: true,
  connectionStates: undefined,
  from: NOW - DEFAULT_WINDOW_MS,
};

describe('toAgentFilter', () => {
  it('no body, null, {} and lists that are null or empty mean no filter (presence defaults to true)', () => {
    expect(toAgentFilter(undefined, NOW)).toEqual(NO_FILTER);
    expect(toAgentFilter(null, NOW)).toEqual(NO_FILTER);
    expect(toAgentFilter({}, NOW)).toEqual(NO_FILTER);
    expect(
      toAgentFilter(
        { status: null, Status: [], agentIds: [], skillIds: null, agentGroupIds: [], agentPresence: null, connectionStates: [], timestamp: null },
        NOW,
      ),
    ).toEqual(NO_FILTER);
    expect(toAgentFilter({ timestamp: { from: null } }, NOW)).toEqual(NO_FILTER);
    expect(toAgentFilter({ timestamp: {} }, NOW)).toEqual(NO_FILTER);
  });

  it('accepts Status as an alias of status; status wins when both are given', () => {
    expect(toAgentFilter({ Status: ['AWAY'] }, NOW).statuses).toEqual(['AWAY']);
    expect(toAgentFilter({ status: ['ONLINE'], Status: ['AWAY'] }, NOW).statuses).toEqual(['ONLINE']);
    expect(toAgentFilter({ status: [], Status: ['AWAY'] }, NOW).statuses).toEqual(['AWAY']);
  });

  it('normalises ids: numbers to strings, group ids as integers', () => {
    const f = toAgentFilter({ agentIds: [42, '7'], skillIds: [1, 's'], agentGroupIds: ['007', -1, 'x', 12] }, NOW);
    expect(f.agentIds).toEqual(['42', '7']);
    expect(f.skillIds).toEqual(['1', 's']);
    expect(f.groupIds).toEqual(['7', '-1', 'x', '12']);
  });

  it('agentPresence: booleans and their strings', () => {
    expect(toAgentFilter({ agentPresence: false }, NOW).presence).toBe(false);
    expect(toAgentFilter({ agentPresence: 'false' }, NOW).presence).toBe(false);
    expect(toAgentFilter({ agentPresence: 'true' }, NOW).presence).toBe(true);
  });

  it('timestamp.from as number or numeric string', () => {
    expect(toAgentFilter({ timestamp: { from: 123 } }, NOW).from).toBe(123);
    expect(toAgentFilter({ timestamp: { from: '456' } }, NOW).from).toBe(456);
  });

  it('connection states pass through', () => {
    expect(toAgentFilter({ connectionStates: ['DISCONNECTED'] }, NOW).connectionStates).toEqual(['DISCONNECTED']);
  });
});

describe('toSortKeys', () => {
  it('absent or empty: default order', () => {
    expect(toSortKeys(undefined)).toEqual([]);
    expect(toSortKeys('')).toEqual([]);
  });
  it('unknown field or order: INVALID_SORT naming sort', () => {
    for (const bad of ['bogus:asc', 'start:sideways', 'start:asc,', ':asc']) {
      let err: unknown;
      try {
        toSortKeys(bad);
      } catch (e) {
        err = e;
      }
      expect(err, bad).toBeInstanceOf(ApiError);
      expect((err as ApiError).code).toBe('INVALID_SORT');
      expect((err as ApiError).field).toBe('sort');
    }
  });
});
