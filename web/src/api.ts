/**
 * Talking to agentview from the browser: sign-in (Login API) and the live
 * stream read with fetch, so the bearer travels in the Authorization header
 * (never in a URL), with Last-Event-ID resumption and automatic reconnects.
 */

export type Status = 'ONLINE' | 'AWAY' | 'BACK_SOON' | 'OFFLINE';

export interface AgentRecord {
  agentId: string;
  agentName: string;
  agentNickname: string;
  agentLoginName: string;
  agentSkills: { skillId: string; skillName: string }[];
  agentGroupId: number;
  agentGroupName: string;
  currentStatus: Status;
  currentStatusStartTimeL: number;
  currentStatusDuration: number;
  currentStatusReason?: string;
  currentStatusReasonStartTimeL?: number;
  lastUpdatedTimeL: number;
  load: number;
  ringingSlots: number;
  configuredMaxSlots: number;
  busySlots: number;
  openAssignedConversations: number;
  intenseConversations: number;
  agentPresence: 'true' | 'false';
  currentConnectionState: 'CONNECTED' | 'DISCONNECTED';
}

export interface Alert {
  id: string;
  ruleId: string;
  kind: string;
  agentId?: string;
  groupId?: string;
  since: number;
  raisedAt: number;
  message: string;
}

export interface Session {
  account: string;
  token: string;
  /** Login user ('' for a pasted access token). */
  user: string;
  /** From the Login API: used to extend the session before it expires. */
  csrf?: string;
  expiresAt?: number;
}

export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

async function errorOf(res: Response): Promise<HttpError> {
  let code = 'HTTP_' + res.status;
  let message = res.statusText || `HTTP ${res.status}`;
  try {
    const body = (await res.json()) as { code?: string; message?: string };
    code = body.code ?? code;
    message = body.message ?? message;
  } catch {
    // not JSON
  }
  return new HttpError(res.status, code, message);
}

/** Login API (spec 1.4): account + user → bearer. */
export async function login(account: string, username: string, password: string): Promise<Session> {
  const res = await fetch(`/api/account/${encodeURIComponent(account)}/login?v=1.3`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password }),
  });
  if (!res.ok) throw await errorOf(res);
  const body = (await res.json()) as { bearer?: string; csrf?: string; expiresAt?: number };
  if (!body.bearer) throw new HttpError(500, 'NO_BEARER', 'the server did not return a bearer token');
  return {
    account,
    token: body.bearer,
    user: username,
    ...(body.csrf !== undefined ? { csrf: body.csrf } : {}),
    ...(body.expiresAt !== undefined ? { expiresAt: body.expiresAt } : {}),
  };
}

/** Extends a Login API session (a wallboard stays signed in all day); returns the new expiry. */
export async function refresh(s: Session): Promise<number> {
  const res = await fetch(`/api/account/${encodeURIComponent(s.account)}/refresh`, {
    method: 'POST',
    headers: { authorization: `Bearer ${s.token}`, 'content-type': 'application/json' },
    body: JSON.stringify(s.csrf !== undefined ? { csrf: s.csrf } : {}),
  });
  if (!res.ok) throw await errorOf(res);
  return ((await res.json()) as { expiresAt: number }).expiresAt;
}

/** Best-effort logout (revokes the bearer where the server supports it). */
export async function logout(s: Session): Promise<void> {
  if (s.user === '') return;
  await fetch(`/api/account/${encodeURIComponent(s.account)}/logout`, { method: 'POST', headers: { authorization: `Bearer ${s.token}` } }).catch(() => undefined);
}

export async function getJson<T>(s: Session, path: string): Promise<T> {
  const res = await fetch(`/api/account/${encodeURIComponent(s.account)}${path}`, { headers: { authorization: `Bearer ${s.token}` } });
  if (!res.ok) throw await errorOf(res);
  return (await res.json()) as T;
}

export type StreamEvent =
  | { type: 'snapshot'; seq: number; records: AgentRecord[] }
  | { type: 'upsert'; seq: number; record: AgentRecord }
  | { type: 'remove'; seq: number; agentId: string }
  | { type: 'alerts'; alerts: Alert[] }
  | { type: 'alert'; change: 'raised' | 'cleared'; alert: Alert };

export type ConnectionStatus = 'connecting' | 'live' | 'reconnecting' | 'unauthorized';

export interface StreamHandlers {
  /** Called with every message of one network read together (apply them, render once). */
  onEvents(events: StreamEvent[]): void;
  onStatus(status: ConnectionStatus, detail?: string): void;
}

/**
 * Follows the account's stream until `stop()`: reconnects by itself with
 * back-off (1 s doubling to 15 s), resuming from the last event id, and
 * treats a silent connection (no heartbeat for 40 s) as dead.
 */
export function followStream(s: Session, handlers: StreamHandlers): { stop(): void } {
  let stopped = false;
  let lastEventId: string | undefined;
  let attempt = 0;
  let controller: AbortController | undefined;
  let retryTimer: ReturnType<typeof setTimeout> | undefined;

  const run = async () => {
    if (stopped) return;
    controller = new AbortController();
    const ctl = controller;
    let watchdog: ReturnType<typeof setTimeout> | undefined;
    const pet = () => {
      clearTimeout(watchdog);
      watchdog = setTimeout(() => ctl.abort(), 40_000);
    };
    handlers.onStatus(attempt === 0 ? 'connecting' : 'reconnecting');
    try {
      const headers: Record<string, string> = { authorization: `Bearer ${s.token}`, accept: 'text/event-stream' };
      if (lastEventId !== undefined) headers['last-event-id'] = lastEventId;
      pet();
      const res = await fetch(`/api/account/${encodeURIComponent(s.account)}/agent-view/stream`, { headers, signal: ctl.signal, cache: 'no-store' });
      if (res.status === 401 || res.status === 403) {
        const err = await errorOf(res);
        handlers.onStatus('unauthorized', err.message);
        stopped = true;
        return;
      }
      if (!res.ok || !res.body) throw await errorOf(res);
      const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
      let buf = '';
      let live = false;
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        pet();
        buf += value;
        const batch: StreamEvent[] = [];
        let i: number;
        while ((i = buf.indexOf('\n\n')) >= 0) {
          const block = buf.slice(0, i);
          buf = buf.slice(i + 2);
          let event = 'message';
          let data = '';
          for (const line of block.split('\n')) {
            if (line.startsWith('event: ')) event = line.slice(7);
            else if (line.startsWith('data: ')) data += line.slice(6);
            else if (line.startsWith('id: ')) lastEventId = line.slice(4);
          }
          if (data === '') continue;
          const d = JSON.parse(data) as Record<string, unknown>;
          switch (event) {
            case 'snapshot':
              batch.push({ type: 'snapshot', seq: d.seq as number, records: d.records as AgentRecord[] });
              break;
            case 'upsert':
              batch.push({ type: 'upsert', seq: d.seq as number, record: d.record as AgentRecord });
              break;
            case 'remove':
              batch.push({ type: 'remove', seq: d.seq as number, agentId: d.agentId as string });
              break;
            case 'alerts':
              batch.push({ type: 'alerts', alerts: d.alerts as Alert[] });
              break;
            case 'alert':
              batch.push({ type: 'alert', change: d.type as 'raised' | 'cleared', alert: d.alert as Alert });
              break;
            case 'overflow':
            case 'shutdown':
              // The server ends the stream next; we reconnect and resume.
              break;
          }
        }
        if (batch.length > 0) {
          if (!live) {
            live = true;
            attempt = 0;
            handlers.onStatus('live');
          }
          handlers.onEvents(batch);
        }
      }
    } catch (err) {
      if (stopped) return;
      handlers.onStatus('reconnecting', err instanceof Error ? err.message : String(err));
    } finally {
      clearTimeout(watchdog);
    }
    if (stopped) return;
    attempt++;
    const delay = Math.min(15_000, 1000 * 2 ** Math.min(attempt - 1, 4)) * (0.75 + Math.random() * 0.5);
    handlers.onStatus('reconnecting');
    retryTimer = setTimeout(() => void run(), delay);
  };
  void run();
  return {
    stop() {
      stopped = true;
      clearTimeout(retryTimer);
      controller?.abort();
    },
  };
}
