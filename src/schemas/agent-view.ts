/**
 * Schemas of the LivePerson-compatible read API (spec 1.1, 1.2): request
 * filters, URL parameters and the Agent Status response.
 */
import { Type, type Static } from 'typebox';
import {
  AGENT_STATUSES,
  CONNECTION_STATES,
  normalizeId,
  parseSort,
  type AgentFilter,
  type SortKey,
} from '../core/index.js';
import { ApiError } from '../errors/index.js';
import { ACCOUNT_ID_PATTERN } from './events.js';

/** Schema annotation: the error code a failure inside this schema reports. */
export const ERROR_CODE_KEY = 'x-error-code';

const nullable = <T extends Parameters<typeof Type.Union>[0][number]>(t: T) => Type.Union([t, Type.Null()]);
const FilterId = Type.Union([Type.String({ maxLength: 128 }), Type.Integer()]);
const StatusEnum = Type.Union(AGENT_STATUSES.map((s) => Type.Literal(s)));
const ConnEnum = Type.Union(CONNECTION_STATES.map((s) => Type.Literal(s)));
const MAX_FILTER_ITEMS = 10_000;

/** Body of Agent Status and Summary. Unknown keys are ignored; null means "no filter". */
export const AgentFilterBody = Type.Object(
  {
    status: Type.Optional(nullable(Type.Array(StatusEnum, { maxItems: 4 * 16 }))),
    Status: Type.Optional(nullable(Type.Array(StatusEnum, { maxItems: 4 * 16 }))),
    agentIds: Type.Optional(nullable(Type.Array(FilterId, { maxItems: MAX_FILTER_ITEMS }))),
    skillIds: Type.Optional(nullable(Type.Array(FilterId, { maxItems: MAX_FILTER_ITEMS }))),
    agentGroupIds: Type.Optional(nullable(Type.Array(FilterId, { maxItems: MAX_FILTER_ITEMS }))),
    agentPresence: Type.Optional(nullable(Type.Union([Type.Boolean(), Type.Literal('true'), Type.Literal('false')]))),
    connectionStates: Type.Optional(nullable(Type.Array(ConnEnum, { maxItems: 16 }))),
    timestamp: Type.Optional(
      nullable(
        Type.Object({
          from: Type.Optional(
            nullable(Type.Union([Type.Integer({ minimum: 0, maximum: 8_640_000_000_000_000 }), Type.String({ pattern: '^[0-9]{1,16}$' })])),
          ),
        }),
      ),
    ),
  },
  { [ERROR_CODE_KEY]: 'INVALID_FILTER', description: 'Filters; absent, empty or null means no filter' },
);
export type AgentFilterBody = Static<typeof AgentFilterBody>;

/** The body is optional: an empty body means no filter. */
export const OptionalFilterBody = Type.Union([AgentFilterBody, Type.Null()], { [ERROR_CODE_KEY]: 'INVALID_FILTER' });

export const AccountParams = Type.Object({
  accountID: Type.String({ pattern: ACCOUNT_ID_PATTERN, [ERROR_CODE_KEY]: 'INVALID_ACCOUNT_ID' }),
});

export const StatusQuery = Type.Object({
  offset: Type.Optional(Type.Integer({ minimum: 0, maximum: 1_000_000_000, default: 0, [ERROR_CODE_KEY]: 'INVALID_OFFSET' })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 50, [ERROR_CODE_KEY]: 'INVALID_LIMIT' })),
  sort: Type.Optional(
    Type.String({
      maxLength: 512,
      [ERROR_CODE_KEY]: 'INVALID_SORT',
      description: 'field:order[,field:order…]; fields start, end, agentId, agentName and numeric record fields',
    }),
  ),
});
export type StatusQuery = Static<typeof StatusQuery>;

const Link = Type.Object({ rel: Type.String(), href: Type.String() });

export const AgentStatusRecordSchema = Type.Object({
  agentId: Type.String(),
  lastUpdatedTimeL: Type.Number(),
  lastUpdatedTime: Type.String(),
  currentStatusStartTimeL: Type.Number(),
  currentStatusStartTime: Type.String(),
  currentStatusReasonStartTimeL: Type.Optional(Type.Number()),
  currentStatusReasonStartTime: Type.Optional(Type.String()),
  agentName: Type.String(),
  agentNickname: Type.String(),
  agentLoginName: Type.String(),
  agentPictureURL: Type.Optional(Type.String()),
  agentSkills: Type.Array(Type.Object({ skillId: Type.String(), skillName: Type.String() })),
  agentGroupId: Type.Number(),
  agentGroupName: Type.String(),
  currentStatus: StatusEnum,
  currentStatusDuration: Type.Number(),
  currentStatusReason: Type.Optional(Type.String()),
  currentStatusReasonDuration: Type.Optional(Type.Number()),
  load: Type.Number(),
  ringingSlots: Type.Number(),
  configuredMaxSlots: Type.Number(),
  busySlots: Type.Number(),
  openAssignedConversations: Type.Number(),
  intenseConversations: Type.Number(),
  agentPresence: Type.Union([Type.Literal('true'), Type.Literal('false')]),
  currentConnectionState: ConnEnum,
});

export const AgentStatusResponse = Type.Object({
  _metadata: Type.Object({
    count: Type.Integer(),
    self: Link,
    next: Type.Optional(Link),
    prev: Type.Optional(Link),
    shardsStatusResult: Type.Object({ partialResult: Type.Boolean() }),
  }),
  accountID: Type.String(),
  agentStatusRecords: Type.Array(AgentStatusRecordSchema),
});
export type AgentStatusResponse = Static<typeof AgentStatusResponse>;

/** Default listing window: agents logged out in the last 10 minutes still show. */
export const DEFAULT_WINDOW_MS = 10 * 60_000;

const list = <T>(v: readonly T[] | null | undefined): readonly T[] | undefined => (v && v.length > 0 ? v : undefined);

/** Turns a validated filter body into the engine's filter. */
export function toAgentFilter(body: AgentFilterBody | null | undefined, now: number): AgentFilter {
  const b = body ?? {};
  const statuses = list(b.status) ?? list(b.Status);
  const ids = (v: readonly (string | number)[] | null | undefined) => list(v)?.map(normalizeId);
  const groups = list(b.agentGroupIds)?.map((g) => {
    const s = normalizeId(g);
    return /^-?[0-9]+$/.test(s) ? String(Number(s)) : s;
  });
  const presence = b.agentPresence === null || b.agentPresence === undefined ? true : b.agentPresence === true || b.agentPresence === 'true';
  const from = b.timestamp?.from;
  return {
    statuses,
    agentIds: ids(b.agentIds),
    skillIds: ids(b.skillIds),
    groupIds: groups,
    presence,
    connectionStates: list(b.connectionStates),
    from: from === null || from === undefined ? now - DEFAULT_WINDOW_MS : Number(from),
  };
}

/** Parses the `sort` URL parameter or throws INVALID_SORT. */
export function toSortKeys(sort: string | undefined): SortKey[] {
  if (sort === undefined || sort === '') return [];
  const keys = parseSort(sort);
  if (typeof keys === 'string') throw new ApiError('INVALID_SORT', keys, 'sort');
  return keys;
}
