/**
 * Every error a client can see: a stable code, an HTTP status, one line of
 * meaning. `docs/errors.md` lists the same table (a test keeps them in sync).
 */
export const ERROR_CODES = {
  INVALID_JSON: { status: 400, description: 'The request body is not valid JSON.' },
  VALIDATION_FAILED: { status: 400, description: 'A parameter or body field has the wrong type, format or value; `field` names it.' },
  INVALID_LIMIT: { status: 400, description: '`limit` is not an integer in range: 1–1000 (Agent Status), 1–10000 (history).' },
  INVALID_OFFSET: { status: 400, description: '`offset` is not an integer ≥ 0.' },
  INVALID_SORT: { status: 400, description: '`sort` names an unknown field or order.' },
  INVALID_FILTER: { status: 400, description: 'A filter in the body has the wrong type or an unknown value; `field` names it.' },
  INVALID_EVENT: { status: 400, description: 'An ingest event is malformed; `field` names it as `events[i].field` and nothing of the batch was applied.' },
  EVENT_TIME_IN_FUTURE: { status: 400, description: 'An ingest event has a `time` more than 5 minutes in the future; nothing of the batch was applied.' },
  INVALID_BATCH: { status: 400, description: 'The ingest body is not `{ "events": [...] }` with 1 to 1000 events.' },
  INVALID_ACCOUNT_ID: { status: 400, description: 'The account id in the path is not 1–64 letters, digits, `-` or `_`.' },
  INVALID_TIME: { status: 400, description: '`from` or `to` is not a time in epoch milliseconds (an integer ≥ 0).' },
  INVALID_RANGE: { status: 400, description: '`from` is after `to`.' },
  RANGE_TOO_LONG: { status: 400, description: 'The time range (`to − from`) is longer than 31 days.' },
  INVALID_CURSOR: { status: 400, description: '`cursor` is not one this endpoint returned.' },
  UNAUTHORIZED: { status: 401, description: 'No valid credentials: missing, unknown, expired or badly signed.' },
  FORBIDDEN: { status: 403, description: 'The credentials are valid but not for this account or this action.' },
  NOT_FOUND: { status: 404, description: 'No such route or resource.' },
  USER_EXISTS: { status: 409, description: 'The account already has a user with this username.' },
  LIMIT_REACHED: { status: 409, description: 'The account already has as many users, keys, webhooks or alert rules as allowed; delete some first.' },
  PAYLOAD_TOO_LARGE: { status: 413, description: 'The request body is larger than 1 MiB.' },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, description: 'The request body has a content type this route does not accept (send application/json).' },
  RATE_LIMITED: { status: 429, description: "The account's request rate is over its limit; retry after `Retry-After` seconds." },
  // live push: stream, webhooks, alerts
  TOO_MANY_STREAMS: { status: 429, description: 'The account has as many open streams on this server as allowed; close one or retry after `Retry-After` seconds.' },
  WEBHOOK_TARGET_NOT_ALLOWED: { status: 400, description: 'The webhook URL is not http(s) on a host allowed by `AGENTVIEW_WEBHOOK_ALLOW`, or carries credentials.' },
  INVALID_ALERT_RULE: { status: 400, description: 'An alert rule is malformed; `field` names the offending part.' },
  INTERNAL: { status: 500, description: 'An unexpected server fault; the request id in the logs tells the operator what happened.' },
  NOT_READY: { status: 503, description: 'The server is starting or shutting down and cannot serve this yet; retry after `Retry-After` seconds.' },
  STORE_UNAVAILABLE: { status: 503, description: 'The event store did not accept the write; nothing was acknowledged; retry after `Retry-After` seconds.' },
} as const satisfies Record<string, { status: number; description: string }>;

export type ErrorCode = keyof typeof ERROR_CODES;

/** An error meant for the client, with a stable code. */
export class ApiError extends Error {
  override name = 'ApiError';
  readonly status: number;
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly field?: string,
    readonly headers?: Record<string, string>,
  ) {
    super(message);
    this.status = ERROR_CODES[code].status;
  }
}

/** The JSON body of every error response. */
export interface ErrorBody {
  code: ErrorCode;
  message: string;
  statusCode: number;
  field?: string;
}
