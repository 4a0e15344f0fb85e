/**
 * Ingest event schemas (spec section 3) and the batch validator. The TypeBox
 * schemas are the single source: they validate, give the OpenAPI document,
 * and the validator below dispatches on `type` so an error names the exact
 * event index and field.
 */
import { Type, type TSchema } from 'typebox';
import { Compile } from 'typebox/compile';
import {
  AGENT_STATUSES,
  CLIENT_EVENT_TYPES,
  OFFER_OUTCOMES,
  type IngestEvent,
} from '../core/index.js';
import { ApiError } from '../errors/index.js';
import { describeErrors, fieldName, type SchemaError } from './describe.js';

/** Characters allowed in ids: safe in URLs, query lists and NATS subjects. */
export const ID_PATTERN = '^[A-Za-z0-9._~:@+=-]{1,128}$';
const ID_RE = new RegExp(ID_PATTERN);
export const ACCOUNT_ID_PATTERN = '^[A-Za-z0-9_-]{1,64}$';
export const MAX_BATCH_EVENTS = 1000;
export const MAX_FUTURE_MS = 5 * 60_000;

const Id = (description: string) =>
  Type.Union([Type.String({ pattern: ID_PATTERN }), Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER })], {
    description,
  });
const GroupId = Type.Union(
  [Type.String({ pattern: '^(-1|[0-9]{1,15})$' }), Type.Integer({ minimum: -1, maximum: 999_999_999_999_999 })],
  { description: 'Group id: an integer (as number or string); -1 is the built-in Main Group' },
);
const Name = Type.String({ minLength: 0, maxLength: 256 });
const Status = Type.Union(AGENT_STATUSES.map((s) => Type.Literal(s)));
const LoginStatus = Type.Union(['ONLINE', 'AWAY', 'BACK_SOON'].map((s) => Type.Literal(s)));

const common = {
  eventId: Type.Optional(Type.String({ minLength: 1, maxLength: 128, description: 'Client id for de-duplication within the account' })),
  time: Type.Optional(Type.Integer({ minimum: 0, maximum: 8_640_000_000_000_000, description: 'Epoch ms; default: receive time' })),
};

function ev<T extends string, P extends Record<string, TSchema>>(type: T, props: P, description: string) {
  return Type.Object({ type: Type.Literal(type), ...common, ...props }, { additionalProperties: false, description, title: type });
}

/** One schema per client event type. */
export const EVENT_SCHEMAS = {
  'skill.upserted': ev('skill.upserted', { skillId: Id('Skill id'), name: Name }, 'Creates or renames a skill'),
  'group.upserted': ev('group.upserted', { groupId: GroupId, name: Name }, 'Creates or renames an agent group'),
  'agent.upserted': ev(
    'agent.upserted',
    {
      agentId: Id('Agent id'),
      name: Type.Optional(Name),
      nickname: Type.Optional(Name),
      loginName: Type.Optional(Name),
      pictureUrl: Type.Optional(Type.String({ maxLength: 2048 })),
      groupId: Type.Optional(GroupId),
      skillIds: Type.Optional(Type.Array(Id('Skill id'), { maxItems: 200 })),
      maxSlots: Type.Optional(Type.Integer({ minimum: 0, maximum: 1000 })),
    },
    'Creates an agent or updates the fields given',
  ),
  'agent.deleted': ev('agent.deleted', { agentId: Id('Agent id') }, 'Removes an agent from all results'),
  'agent.loggedIn': ev(
    'agent.loggedIn',
    { agentId: Id('Agent id'), status: Type.Optional(LoginStatus), reasonId: Type.Optional(Id('Away reason id')) },
    'The agent logged in (CONNECTED, present); status defaults to ONLINE',
  ),
  'agent.loggedOut': ev('agent.loggedOut', { agentId: Id('Agent id') }, 'The agent logged out: OFFLINE, DISCONNECTED, ring slots cleared'),
  'agent.statusChanged': ev(
    'agent.statusChanged',
    { agentId: Id('Agent id'), status: Status, reasonId: Type.Optional(Id('Away reason id')) },
    'Status change; the reason is kept only with AWAY',
  ),
  'agent.presenceChanged': ev('agent.presenceChanged', { agentId: Id('Agent id'), present: Type.Boolean() }, 'Presence change'),
  'agent.heartbeat': ev('agent.heartbeat', { agentId: Id('Agent id') }, 'Keeps the connection alive'),
  'conversation.offered': ev(
    'conversation.offered',
    { agentId: Id('Agent id'), conversationId: Id('Conversation id') },
    'A conversation rings on the agent',
  ),
  'conversation.offerEnded': ev(
    'conversation.offerEnded',
    { conversationId: Id('Conversation id'), outcome: Type.Union(OFFER_OUTCOMES.map((o) => Type.Literal(o))) },
    'The ringing offer ended',
  ),
  'conversation.assigned': ev(
    'conversation.assigned',
    { agentId: Id('Agent id'), conversationId: Id('Conversation id'), intense: Type.Optional(Type.Boolean()) },
    'The conversation is assigned to the agent (intense by default)',
  ),
  'conversation.activity': ev(
    'conversation.activity',
    { conversationId: Id('Conversation id'), intense: Type.Boolean() },
    'The conversation became intense or inactive',
  ),
  'conversation.unassigned': ev('conversation.unassigned', { conversationId: Id('Conversation id') }, 'Closed, transferred away or back to queue'),
  'account.settingsChanged': ev(
    'account.settingsChanged',
    {
      defaultMaxSlots: Type.Optional(Type.Integer({ minimum: 0, maximum: 1000 })),
      inactiveWeight: Type.Optional(Type.Number({ minimum: 0, maximum: 1 })),
      connectionTimeoutMs: Type.Optional(Type.Integer({ minimum: 1000, maximum: 86_400_000 })),
    },
    'Account settings',
  ),
} as const;

export const IngestBodySchema = Type.Object(
  {
    events: Type.Array(Type.Union(Object.values(EVENT_SCHEMAS)), { minItems: 1, maxItems: MAX_BATCH_EVENTS }),
  },
  { additionalProperties: false },
);

export const IngestResultSchema = Type.Object({
  accepted: Type.Integer({ description: 'Events newly applied' }),
  duplicates: Type.Integer({ description: 'Events whose eventId was already seen; not applied again' }),
  lastSeq: Type.Integer({ description: "The account's sequence number after the batch" }),
});

const CHECKERS = Object.fromEntries(Object.entries(EVENT_SCHEMAS).map(([k, s]) => [k, Compile(s as TSchema)])) as Record<
  string,
  ReturnType<typeof Compile>
>;

const canonicalGroup = (g: string | number): string => String(Number(g));
const str = (v: string | number): string => (typeof v === 'number' ? String(v) : v);

/**
 * Validates a whole ingest body and returns its normalised events, or throws
 * an {@link ApiError} naming the first bad event's index and field.
 */
export function validateBatch(body: unknown, now: number): IngestEvent[] {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new ApiError('INVALID_BATCH', 'body must be an object { "events": [...] }', 'events');
  }
  const keys = Object.keys(body);
  const unknown = keys.filter((k) => k !== 'events');
  if (unknown.length > 0) throw new ApiError('INVALID_BATCH', `unknown field "${unknown[0]}"`, unknown[0]);
  const events = (body as { events?: unknown }).events;
  if (!Array.isArray(events)) throw new ApiError('INVALID_BATCH', 'events must be an array', 'events');
  if (events.length === 0 || events.length > MAX_BATCH_EVENTS) {
    throw new ApiError('INVALID_BATCH', `events must hold 1 to ${MAX_BATCH_EVENTS} events (got ${events.length})`, 'events');
  }
  const out: IngestEvent[] = new Array<IngestEvent>(events.length);
  for (let i = 0; i < events.length; i++) {
    const raw: unknown = events[i];
    const at = `events[${i}]`;
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
      throw new ApiError('INVALID_EVENT', `${at} must be an object`, at);
    }
    const type = (raw as { type?: unknown }).type;
    if (typeof type !== 'string' || !(CLIENT_EVENT_TYPES as readonly string[]).includes(type)) {
      throw new ApiError('INVALID_EVENT', `${at}.type must be one of ${CLIENT_EVENT_TYPES.join(', ')}`, `${at}.type`);
    }
    const checker = CHECKERS[type]!;
    if (!checker.Check(raw)) {
      const { path, message } = describeErrors([...checker.Errors(raw)] as SchemaError[]);
      const field = fieldName(at, path);
      throw new ApiError('INVALID_EVENT', `${field} ${message}`, field);
    }
    const e = { ...(raw as Record<string, unknown>) } as Record<string, unknown> & { time?: number; eventId?: string };
    if (e.eventId !== undefined && e.eventId.startsWith('agentview:')) {
      throw new ApiError('INVALID_EVENT', `${at}.eventId must not start with "agentview:" (reserved)`, `${at}.eventId`);
    }
    if (e.time === undefined) e.time = now;
    else if (e.time > now + MAX_FUTURE_MS) {
      throw new ApiError('EVENT_TIME_IN_FUTURE', `${at}.time is more than 5 minutes in the future`, `${at}.time`);
    }
    for (const k of ['agentId', 'skillId', 'conversationId', 'reasonId'] as const) {
      if (e[k] !== undefined) e[k] = str(e[k] as string | number);
    }
    if (e.groupId !== undefined) e.groupId = canonicalGroup(e.groupId as string | number);
    if (Array.isArray(e.skillIds)) e.skillIds = (e.skillIds as (string | number)[]).map(str);
    out[i] = e as unknown as IngestEvent;
  }
  return out;
}

/** True when `s` is a valid id (see {@link ID_PATTERN}). */
export function isValidId(s: string): boolean {
  return ID_RE.test(s);
}
