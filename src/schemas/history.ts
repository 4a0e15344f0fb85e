/**
 * Schemas of status history (spec 4.3) and time in status (spec 4.4): URL
 * parameters, responses, and turning parameters into an index query.
 */
import { Type, type Static } from 'typebox';
import { AGENT_STATUSES, CONNECTION_STATES, GROUP_BYS, type HistoryFilter } from '../core/index.js';
import { ApiError } from '../errors/index.js';
import type { SegmentCursor } from '../ports/index.js';
import { ERROR_CODE_KEY } from './agent-view.js';
import { isValidId } from './events.js';

export const MAX_RANGE_MS = 31 * 86_400_000;
export const DEFAULT_RANGE_MS = 86_400_000;
export const MAX_HISTORY_LIMIT = 10_000;
export const DEFAULT_HISTORY_LIMIT = 1000;
const MAX_LIST_ITEMS = 10_000;
const MAX_TIME = 8_640_000_000_000_000;

const EpochMs = (description: string) =>
  Type.Integer({ minimum: 0, maximum: MAX_TIME, [ERROR_CODE_KEY]: 'INVALID_TIME', description });

/** Comma-separated ids; the parameter may also be repeated. */
const IdList = (description: string) =>
  Type.Union([Type.String({ maxLength: 200_000 }), Type.Array(Type.String({ maxLength: 200_000 }), { maxItems: 1000 })], {
    [ERROR_CODE_KEY]: 'INVALID_FILTER',
    description,
  });

const Format = Type.Union([Type.Literal('json'), Type.Literal('csv')], {
  description: 'Response format; overrides the Accept header (`Accept: text/csv` also gives CSV)',
});

const rangeParams = {
  from: Type.Optional(EpochMs('Start of the range, inclusive (epoch ms); default `to` − 24 h')),
  to: Type.Optional(EpochMs('End of the range, exclusive (epoch ms); default now. At most 31 days after `from`')),
  agentIds: Type.Optional(IdList('Agent ids, comma-separated; absent: all agents')),
  agentGroupIds: Type.Optional(IdList('Group ids, comma-separated: the group the agent was in at the time')),
  skillIds: Type.Optional(IdList('Skill ids, comma-separated: any skill the agent had at the time')),
  format: Type.Optional(Format),
};

export const HistoryQuery = Type.Object({
  ...rangeParams,
  limit: Type.Optional(
    Type.Integer({
      minimum: 1,
      maximum: MAX_HISTORY_LIMIT,
      [ERROR_CODE_KEY]: 'INVALID_LIMIT',
      description: `Intervals per page (JSON default ${DEFAULT_HISTORY_LIMIT}; CSV default: all)`,
    }),
  ),
  cursor: Type.Optional(
    Type.String({ maxLength: 1024, [ERROR_CODE_KEY]: 'INVALID_CURSOR', description: 'Continue after the page that returned it (`_metadata.next`)' }),
  ),
});
export type HistoryQuery = Static<typeof HistoryQuery>;

export const TimeInStatusQuery = Type.Object({
  ...rangeParams,
  groupBy: Type.Optional(
    Type.Union(
      GROUP_BYS.map((g) => Type.Literal(g)),
      { description: 'Row key: agent id, group id or skill id at the time (default agent)' },
    ),
  ),
});
export type TimeInStatusQuery = Static<typeof TimeInStatusQuery>;

const Link = Type.Object({ rel: Type.String(), href: Type.String() });

export const IntervalSchema = Type.Object({
  agentId: Type.String(),
  status: Type.Union(AGENT_STATUSES.map((s) => Type.Literal(s))),
  reasonId: Type.Optional(Type.String({ description: 'Away reason (AWAY only)' })),
  connectionState: Type.Union(CONNECTION_STATES.map((s) => Type.Literal(s))),
  agentGroupId: Type.Number({ description: 'The agent group during the interval' }),
  skillIds: Type.Array(Type.String(), { description: 'The agent skills during the interval' }),
  start: Type.Number({ description: 'Epoch ms, clipped to `from`' }),
  end: Type.Number({ description: 'Epoch ms, clipped to `to`; an interval still open ends at min(now, to)' }),
  durationMs: Type.Number(),
});

export const HistoryResponse = Type.Object({
  intervals: Type.Array(IntervalSchema),
  _metadata: Type.Object({
    count: Type.Integer({ description: 'Intervals over all pages' }),
    from: Type.Number(),
    to: Type.Number(),
    self: Link,
    next: Type.Optional(Link),
  }),
});

export const TimeInStatusRowSchema = Type.Object({
  key: Type.String({ description: 'Agent id, group id or skill id (per groupBy)' }),
  status: Type.Union(
    [...AGENT_STATUSES, 'LOGGED_IN', 'AT_CAPACITY'].map((s) => Type.Literal(s)),
    { description: 'A status, or LOGGED_IN (any status but OFFLINE), or AT_CAPACITY (load ≥ 100 % while logged in)' },
  ),
  reasonId: Type.Optional(Type.String({ description: 'Per-reason rows of AWAY' })),
  totalMs: Type.Number(),
  count: Type.Integer({ description: 'Periods (contiguous intervals of one agent in the same status count once)' }),
  minMs: Type.Number(),
  maxMs: Type.Number(),
  avgMs: Type.Number(),
});

export const TimeInStatusResponse = Type.Object({
  rows: Type.Array(TimeInStatusRowSchema),
  _metadata: Type.Object({
    count: Type.Integer(),
    from: Type.Number(),
    to: Type.Number(),
    groupBy: Type.Union(GROUP_BYS.map((g) => Type.Literal(g))),
  }),
});

/** Resolves defaults and checks the range (from ≤ to, at most 31 days). */
export function resolveRange(q: { from?: number; to?: number }, now: number): { from: number; to: number } {
  const to = q.to ?? now;
  const from = q.from ?? Math.max(0, to - DEFAULT_RANGE_MS);
  if (from > to) {
    throw new ApiError('INVALID_RANGE', `from (${from}) is after to (${to}${q.to === undefined ? ', now' : ''})`, 'from');
  }
  if (to - from > MAX_RANGE_MS) {
    throw new ApiError('RANGE_TOO_LONG', `the range is ${to - from} ms long; at most 31 days (${MAX_RANGE_MS} ms) per request`, 'to');
  }
  return { from, to };
}

function idList(v: string | string[] | undefined, field: string): string[] | undefined {
  if (v === undefined) return undefined;
  const items = (Array.isArray(v) ? v : [v])
    .flatMap((s) => s.split(','))
    .map((s) => s.trim())
    .filter((s) => s !== '');
  if (items.length === 0) return undefined;
  if (items.length > MAX_LIST_ITEMS) throw new ApiError('INVALID_FILTER', `${field} holds more than ${MAX_LIST_ITEMS} ids`, field);
  const bad = items.find((s) => !isValidId(s));
  if (bad !== undefined) throw new ApiError('INVALID_FILTER', `${field} holds an invalid id ${JSON.stringify(bad.slice(0, 40))}`, field);
  return [...new Set(items)];
}

/** The index filter of a history or time-in-status request. */
export function toHistoryFilter(q: { agentIds?: string | string[]; agentGroupIds?: string | string[]; skillIds?: string | string[] }): HistoryFilter {
  const groups = idList(q.agentGroupIds, 'agentGroupIds')?.map((g) => (/^-?[0-9]+$/.test(g) ? String(Number(g)) : g));
  return {
    agentIds: idList(q.agentIds, 'agentIds'),
    groupIds: groups,
    skillIds: idList(q.skillIds, 'skillIds'),
  };
}

/**
 * The `cursor` parameter: where the last page stopped, plus the count of the
 * first page (later pages do not count again).
 */
export interface PageCursor {
  after: SegmentCursor;
  count: number;
}

export function encodeCursor(after: SegmentCursor, count: number): string {
  return Buffer.from(JSON.stringify([after.agentId, after.start, after.id, count])).toString('base64url');
}

export function decodeCursor(s: string): PageCursor {
  try {
    const v: unknown = JSON.parse(Buffer.from(s, 'base64url').toString('utf8'));
    if (
      Array.isArray(v) &&
      v.length === 4 &&
      typeof v[0] === 'string' &&
      isValidId(v[0]) &&
      Number.isSafeInteger(v[1]) &&
      Number.isSafeInteger(v[2]) &&
      Number.isSafeInteger(v[3]) &&
      (v[3] as number) >= 0
    ) {
      return { after: { agentId: v[0], start: v[1] as number, id: v[2] as number }, count: v[3] as number };
    }
  } catch {
    // fall through
  }
  throw new ApiError('INVALID_CURSOR', 'cursor is not one this endpoint returned', 'cursor');
}
