/**
 * Schemas of the live API (spec 4.1, 4.2 and alerts): stream query
 * parameters, webhook registrations and alert rules.
 */
import { Type, type Static } from 'typebox';
import {
  AGENT_STATUSES,
  CONNECTION_STATES,
  normalizeId,
  type AgentStatus,
  type AlertRule,
  type ConnectionState,
  type LiveFilter,
} from '../core/index.js';
import { ApiError } from '../errors/index.js';
import { AgentFilterBody, AgentStatusRecordSchema, ERROR_CODE_KEY, toAgentFilter, type AgentFilterBody as FilterBody } from './agent-view.js';
import { ID_PATTERN } from './events.js';

const ID_RE = new RegExp(ID_PATTERN);
const GROUP_RE = /^-?[0-9]{1,15}$/;
const MAX_LIST_ITEMS = 10_000;

const ListParam = (description: string) =>
  Type.Optional(
    Type.Union([Type.String({ maxLength: 200_000 }), Type.Array(Type.String({ maxLength: 200_000 }), { maxItems: 1000 })], {
      description,
      [ERROR_CODE_KEY]: 'INVALID_FILTER',
    }),
  );

/** Stream filters as URL parameters (lists comma-separated or repeated). */
export const StreamQuery = Type.Object({
  status: ListParam('Statuses to keep: ONLINE, AWAY, BACK_SOON, OFFLINE'),
  agentIds: ListParam('Agent ids'),
  skillIds: ListParam('Skill ids (an agent matches if it has any)'),
  agentGroupIds: ListParam('Group ids'),
  connectionStates: ListParam('CONNECTED, DISCONNECTED'),
  agentPresence: Type.Optional(Type.Boolean({ description: 'Presence to keep; default true (as Agent Status)', [ERROR_CODE_KEY]: 'INVALID_FILTER' })),
  alerts: Type.Optional(Type.Boolean({ description: 'Send alert events (default true)', [ERROR_CODE_KEY]: 'VALIDATION_FAILED' })),
  access_token: Type.Optional(
    Type.String({ maxLength: 4096, description: 'Bearer token for clients that cannot set headers (EventSource); prefer the Authorization header' }),
  ),
});
export type StreamQuery = Static<typeof StreamQuery>;

function splitList(field: string, v: string | string[] | undefined): string[] | undefined {
  if (v === undefined) return undefined;
  const parts = (Array.isArray(v) ? v : [v]).flatMap((s) => s.split(',')).map((s) => s.trim()).filter((s) => s !== '');
  if (parts.length > MAX_LIST_ITEMS) throw new ApiError('INVALID_FILTER', `${field} has more than ${MAX_LIST_ITEMS} items`, field);
  return parts.length > 0 ? [...new Set(parts)] : undefined;
}

function enumList<T extends string>(field: string, v: string | string[] | undefined, allowed: readonly T[]): T[] | undefined {
  const parts = splitList(field, v);
  if (!parts) return undefined;
  for (const p of parts) {
    if (!(allowed as readonly string[]).includes(p)) {
      throw new ApiError('INVALID_FILTER', `${field}: unknown value "${p.slice(0, 64)}" (allowed: ${allowed.join(', ')})`, field);
    }
  }
  return parts as T[];
}

function idList(field: string, v: string | string[] | undefined, re: RegExp): string[] | undefined {
  const parts = splitList(field, v);
  if (!parts) return undefined;
  for (const p of parts) if (!re.test(p)) throw new ApiError('INVALID_FILTER', `${field}: "${p.slice(0, 64)}" is not a valid id`, field);
  return parts;
}

/** Turns validated stream parameters into a live filter (400 INVALID_FILTER naming the field). */
export function toLiveFilter(q: StreamQuery): LiveFilter {
  return {
    statuses: enumList<AgentStatus>('status', q.status, AGENT_STATUSES),
    agentIds: idList('agentIds', q.agentIds, ID_RE),
    skillIds: idList('skillIds', q.skillIds, ID_RE),
    groupIds: idList('agentGroupIds', q.agentGroupIds, GROUP_RE)?.map((g) => String(Number(g))),
    connectionStates: enumList<ConnectionState>('connectionStates', q.connectionStates, CONNECTION_STATES),
    presence: q.agentPresence ?? true,
  };
}

/** A webhook's filter body → live filter (same rules as the Agent Status body). */
export function bodyToLiveFilter(body: FilterBody | null | undefined): LiveFilter {
  const { from: _from, ...rest } = toAgentFilter(body, 0);
  return rest;
}

// ------------------------------------------------------------------ stream messages

/** `event: snapshot` data. */
export const SnapshotMessage = Type.Object({ seq: Type.Integer(), records: Type.Array(AgentStatusRecordSchema) });
/** `event: upsert` data. */
export const UpsertMessage = Type.Object({ seq: Type.Integer(), record: AgentStatusRecordSchema });
/** `event: remove` data. */
export const RemoveMessage = Type.Object({ seq: Type.Integer(), agentId: Type.String() });

// ------------------------------------------------------------------ webhooks

export const WebhookBody = Type.Object(
  {
    url: Type.String({ minLength: 1, maxLength: 2048, description: 'http(s) URL on a host allowed by AGENTVIEW_WEBHOOK_ALLOW' }),
    secret: Type.Optional(
      Type.String({ minLength: 16, maxLength: 256, description: 'HMAC-SHA256 key; generated (and returned once) when absent' }),
    ),
    filter: Type.Optional(Type.Union([AgentFilterBody, Type.Null()])),
    alerts: Type.Optional(Type.Boolean({ description: 'Also deliver alert.raised / alert.cleared (default true)' })),
  },
  { additionalProperties: false, [ERROR_CODE_KEY]: 'VALIDATION_FAILED' },
);
export type WebhookBody = Static<typeof WebhookBody>;

export const WebhookParams = Type.Object({
  accountID: Type.String({ pattern: '^[A-Za-z0-9_-]{1,64}$', [ERROR_CODE_KEY]: 'INVALID_ACCOUNT_ID' }),
  webhookId: Type.String({ pattern: '^[A-Za-z0-9_-]{1,64}$', [ERROR_CODE_KEY]: 'NOT_FOUND' }),
});

export const WebhookView = Type.Object({
  id: Type.String(),
  url: Type.String(),
  filter: Type.Unknown(),
  alerts: Type.Boolean(),
  createdAt: Type.Integer(),
  pending: Type.Integer({ description: 'Messages waiting for delivery' }),
  failures: Type.Integer({ description: 'Consecutive failed attempts of the current delivery' }),
  lastError: Type.Optional(Type.String()),
  lastSuccessAt: Type.Optional(Type.Integer()),
  nextAttemptAt: Type.Optional(Type.Integer()),
});

// ------------------------------------------------------------------ alert rules

const Minutes = Type.Number({ minimum: 0, maximum: 7 * 24 * 60, description: 'Minutes the condition must hold' });
const GroupIds = Type.Optional(Type.Array(Type.Union([Type.String({ pattern: '^-?[0-9]{1,15}$' }), Type.Integer()]), { maxItems: 1000 }));

export const AlertRuleBody = Type.Union(
  [
    Type.Object(
      {
        kind: Type.Literal('status-duration'),
        status: Type.Union([Type.Literal('ONLINE'), Type.Literal('AWAY'), Type.Literal('BACK_SOON')]),
        reasonId: Type.Optional(Type.Union([Type.String({ pattern: ID_PATTERN }), Type.Integer({ minimum: 0 })])),
        minutes: Minutes,
        groupIds: GroupIds,
      },
      { additionalProperties: false },
    ),
    Type.Object(
      {
        kind: Type.Literal('load'),
        minLoad: Type.Integer({ minimum: 1, maximum: 1000 }),
        minutes: Minutes,
        groupIds: GroupIds,
      },
      { additionalProperties: false },
    ),
    Type.Object(
      {
        kind: Type.Literal('group-no-online'),
        groupId: Type.Union([Type.String({ pattern: '^-?[0-9]{1,15}$' }), Type.Integer()]),
        minutes: Type.Optional(Minutes),
      },
      { additionalProperties: false },
    ),
  ],
  { [ERROR_CODE_KEY]: 'INVALID_ALERT_RULE' },
);
export type AlertRuleBody = Static<typeof AlertRuleBody>;

export const AlertRuleParams = Type.Object({
  accountID: Type.String({ pattern: '^[A-Za-z0-9_-]{1,64}$', [ERROR_CODE_KEY]: 'INVALID_ACCOUNT_ID' }),
  ruleId: Type.String({ pattern: '^[A-Za-z0-9_-]{1,64}$', [ERROR_CODE_KEY]: 'NOT_FOUND' }),
});

const group = (g: string | number) => String(Number(normalizeId(g)));

/** A validated rule body with a new id → the core rule. */
export function toAlertRule(id: string, b: AlertRuleBody): AlertRule {
  switch (b.kind) {
    case 'status-duration':
      return {
        id,
        kind: b.kind,
        status: b.status,
        ...(b.reasonId !== undefined ? { reasonId: normalizeId(b.reasonId) } : {}),
        minutes: b.minutes,
        ...(b.groupIds && b.groupIds.length > 0 ? { groupIds: b.groupIds.map(group) } : {}),
      };
    case 'load':
      return { id, kind: b.kind, minLoad: b.minLoad, minutes: b.minutes, ...(b.groupIds && b.groupIds.length > 0 ? { groupIds: b.groupIds.map(group) } : {}) };
    case 'group-no-online':
      return { id, kind: b.kind, groupId: group(b.groupId), minutes: b.minutes ?? 0 };
  }
}

export const AlertView = Type.Object({
  id: Type.String({ description: 'Stable identity: rule and subject' }),
  ruleId: Type.String(),
  kind: Type.String(),
  agentId: Type.Optional(Type.String()),
  groupId: Type.Optional(Type.String()),
  since: Type.Integer({ description: 'When the condition began (epoch ms)' }),
  raisedAt: Type.Integer(),
  message: Type.String(),
});
