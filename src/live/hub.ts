/**
 * The live stream hub (spec 4.1): turns the engine's changes into SSE
 * `upsert`/`remove` messages per connected client, keeps a bounded buffer of
 * recent changes per account so a reconnect with `Last-Event-ID` resumes
 * without a snapshot, and removes logged-out agents when they leave the
 * listing window (a time-based transition no event announces).
 */
import type { ServerResponse } from 'node:http';
import {
  compileLiveFilter,
  compareIds,
  leftWindow,
  liveMatches,
  toRecord,
  LIVE_WINDOW_MS,
  type AccountState,
  type AgentPredicate,
  type AgentState,
  type Change,
  type LiveFilter,
} from '../core/index.js';
import type { Engine } from '../engine/index.js';
import type { Clock } from '../ports/index.js';
import { SseConnection, sseMessage, type CloseReason } from './sse.js';

export interface StreamHubOptions {
  /** Changes kept per account for resumption. */
  bufferSize: number;
  /** A comment line is sent this often. */
  heartbeatMs: number;
  /** How often time-based transitions (listing window) are applied. */
  sweepMs: number;
  /** Per-client bound of data waiting behind a full socket. */
  queueBytes: number;
  /** Streams one account may have open on this server. */
  maxClientsPerAccount: number;
  overflowGraceMs?: number;
  windowMs?: number;
  /** SSE `retry:` hint for reconnecting clients. */
  retryMs?: number;
}

interface Buffered {
  seq: number;
  time: number;
  /** Agents whose record changed; null = every agent of the account. */
  ids: readonly string[] | null;
}

/** Fixed-capacity ring of recent changes, in increasing seq order. */
class ChangeRing {
  private readonly items: (Buffered | undefined)[];
  private start = 0;
  size = 0;
  /** Every change with seq > floor is in the ring. */
  floor: number;
  /** Time at which the state was at `floor` (or later). */
  floorTime: number;

  constructor(
    private readonly capacity: number,
    floor: number,
    floorTime: number,
  ) {
    this.items = new Array<Buffered | undefined>(capacity);
    this.floor = floor;
    this.floorTime = floorTime;
  }

  push(b: Buffered): void {
    if (this.capacity === 0) {
      this.floor = b.seq;
      this.floorTime = b.time;
      return;
    }
    if (this.size === this.capacity) {
      const old = this.items[this.start]!;
      this.floor = old.seq;
      this.floorTime = old.time;
      this.items[this.start] = b;
      this.start = (this.start + 1) % this.capacity;
      return;
    }
    this.items[(this.start + this.size) % this.capacity] = b;
    this.size++;
  }

  at(i: number): Buffered {
    return this.items[(this.start + i) % this.capacity]!;
  }

  /** Index of the first entry with seq ≥ `seq` (size when none). */
  lowerBound(seq: number): number {
    let lo = 0;
    let hi = this.size;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.at(mid).seq < seq) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}

interface Client {
  readonly account: string;
  readonly match: AgentPredicate;
  readonly visible: Set<string>;
  readonly conn: SseConnection;
  readonly alerts: boolean;
}

export interface OpenStreamRequest {
  account: string;
  filter: LiveFilter;
  /** `Last-Event-ID` as sent by the client (already parsed), if any. */
  lastEventId: number | undefined;
  alerts: boolean;
}

export interface StreamStats {
  clients: number;
  overflows: number;
  opened: number;
}

const SSE_HEADERS = {
  'content-type': 'text/event-stream; charset=utf-8',
  'cache-control': 'no-cache, no-transform',
  connection: 'keep-alive',
  'x-accel-buffering': 'no',
};

export class StreamHub {
  private readonly rings = new Map<string, ChangeRing>();
  private readonly clients = new Map<string, Set<Client>>();
  private unsubscribe: (() => void) | undefined;
  private heartbeatTimer: NodeJS.Timeout | undefined;
  private sweepTimer: NodeJS.Timeout | undefined;
  private lastSweepCutoff: number | undefined;
  private startedAt = 0;
  private alertSource: (account: string) => unknown[] = () => [];
  private readonly counters = { overflows: 0, opened: 0 };
  private readonly windowMs: number;
  private closing = false;

  constructor(
    private readonly engine: Engine,
    private readonly clock: Clock,
    private readonly opts: StreamHubOptions,
  ) {
    this.windowMs = opts.windowMs ?? LIVE_WINDOW_MS;
  }

  /** Starts following the engine; call once the engine has caught up. */
  start(): void {
    if (this.unsubscribe) return;
    this.startedAt = this.clock.now();
    // Changes before this moment were not seen: resumption only from here on.
    for (const acc of this.engine.accounts.values()) {
      this.rings.set(acc.accountId, new ChangeRing(this.opts.bufferSize, acc.seq, this.startedAt));
    }
    this.unsubscribe = this.engine.onChange((acc, change, seq) => this.onChange(acc, change, seq));
    this.heartbeatTimer = setInterval(() => this.heartbeat(), this.opts.heartbeatMs);
    this.heartbeatTimer.unref();
    if (this.opts.sweepMs > 0) {
      this.sweepTimer = setInterval(() => this.sweep(), this.opts.sweepMs);
      this.sweepTimer.unref();
    }
  }

  /** Where active alerts come from (sent after a snapshot or resumption). */
  setAlertSource(source: (account: string) => unknown[]): void {
    this.alertSource = source;
  }

  stats(): StreamStats {
    let clients = 0;
    for (const set of this.clients.values()) clients += set.size;
    return { clients, overflows: this.counters.overflows, opened: this.counters.opened };
  }

  /** Number of open streams of one account. */
  clientCount(account: string): number {
    return this.clients.get(account)?.size ?? 0;
  }

  canOpen(account: string): boolean {
    return !this.closing && this.clientCount(account) < this.opts.maxClientsPerAccount;
  }

  /**
   * Takes over `res` (already hijacked from the framework): writes the
   * head, a snapshot or the changes after `lastEventId`, then live changes.
   */
  open(req: OpenStreamRequest, res: ServerResponse): void {
    const now = this.clock.now();
    const match = compileLiveFilter(req.filter, this.windowMs);
    const ref: { client?: Client } = {};
    const conn = new SseConnection(res, { queueBytes: this.opts.queueBytes, overflowGraceMs: this.opts.overflowGraceMs ?? 30_000 }, (reason) =>
      this.detach(ref.client, reason),
    );
    const client: Client = { account: req.account, match, visible: new Set(), conn, alerts: req.alerts };
    ref.client = client;
    this.counters.opened++;
    const acc = this.engine.account(req.account);
    let first = `retry: ${this.opts.retryMs ?? 2000}\n\n`;
    const resumed = acc !== undefined && req.lastEventId !== undefined ? this.resume(acc, client, req.lastEventId, now) : undefined;
    if (resumed !== undefined) {
      first += resumed;
    } else {
      const seq = acc?.seq ?? 0;
      const agents = acc ? liveMatches(acc, match, now) : [];
      const records: string[] = [];
      for (const a of agents) {
        client.visible.add(a.id);
        records.push(JSON.stringify(toRecord(acc!, a, now)));
      }
      first += sseMessage('snapshot', `{"seq":${seq},"records":[${records.join(',')}]}`, seq);
    }
    if (client.alerts) first += sseMessage('alerts', JSON.stringify({ seq: acc?.seq ?? 0, alerts: this.alertSource(req.account) }), acc?.seq ?? 0);
    let set = this.clients.get(req.account);
    if (!set) this.clients.set(req.account, (set = new Set()));
    set.add(client);
    conn.open(SSE_HEADERS, first);
  }

  /**
   * The messages that bring a client from `lastEventId` to now, or
   * undefined when the buffer no longer reaches back that far (snapshot).
   * Changes with seq ≥ lastEventId are replayed (inclusive, so a message
   * group cut mid-way is sent again; upserts and removes are idempotent).
   */
  private resume(acc: AccountState, client: Client, lastEventId: number, now: number): string | undefined {
    const ring = this.ringFor(acc.accountId);
    if (lastEventId > acc.seq || lastEventId - 1 < ring.floor) return undefined;
    const from = ring.lowerBound(lastEventId);
    // Latest change per agent, in seq order.
    const latest = new Map<string, number>();
    for (let i = from; i < ring.size; i++) {
      const b = ring.at(i);
      if (b.ids === null) {
        for (const id of acc.agents.keys()) latest.set(id, b.seq);
      } else {
        for (const id of b.ids) latest.set(id, b.seq);
      }
    }
    const out: string[] = [];
    // Agents that left the listing window since the client's last change: remove.
    const baseTime = from > 0 ? ring.at(from - 1).time : ring.floorTime;
    for (const a of leftWindow(acc, baseTime - this.windowMs, now - this.windowMs)) {
      if (!latest.has(a.id) && !client.match(acc, a, now)) out.push(sseMessage('remove', JSON.stringify({ seq: lastEventId, agentId: a.id }), lastEventId));
    }
    const ordered = [...latest].sort((x, y) => x[1] - y[1] || compareIds(x[0], y[0]));
    for (const [id, seq] of ordered) {
      const a = acc.agents.get(id);
      if (a && client.match(acc, a, now)) out.push(sseMessage('upsert', `{"seq":${seq},"record":${JSON.stringify(toRecord(acc, a, now))}}`, seq));
      else out.push(sseMessage('remove', JSON.stringify({ seq, agentId: id }), seq));
    }
    for (const a of liveMatches(acc, client.match, now)) client.visible.add(a.id);
    return out.join('');
  }

  private ringFor(account: string): ChangeRing {
    let ring = this.rings.get(account);
    if (!ring) {
      // Accounts created after start: every change they ever had went through onChange.
      this.rings.set(account, (ring = new ChangeRing(this.opts.bufferSize, 0, this.startedAt)));
    }
    return ring;
  }

  private onChange(acc: AccountState, change: Change, seq: number): void {
    const now = this.clock.now();
    this.ringFor(acc.accountId).push({ seq, time: now, ids: change.all ? null : change.agentIds });
    const set = this.clients.get(acc.accountId);
    if (!set || set.size === 0) return;
    const upserts = new Map<string, string>();
    const upsertOf = (a: AgentState): string => {
      let m = upserts.get(a.id);
      if (m === undefined) upserts.set(a.id, (m = sseMessage('upsert', `{"seq":${seq},"record":${JSON.stringify(toRecord(acc, a, now))}}`, seq)));
      return m;
    };
    const removeOf = (id: string) => sseMessage('remove', `{"seq":${seq},"agentId":${JSON.stringify(id)}}`, seq);
    const ids: Iterable<string> = change.all ? new Set([...acc.agents.keys(), ...change.agentIds]) : change.agentIds;
    for (const client of set) {
      const parts: string[] = [];
      for (const id of ids) {
        const a = acc.agents.get(id);
        if (a && client.match(acc, a, now)) {
          client.visible.add(id);
          parts.push(upsertOf(a));
        } else if (client.visible.delete(id)) {
          parts.push(removeOf(id));
        }
      }
      if (change.all) {
        // Deleted agents are gone from the map: drop whatever the client still shows.
        for (const id of client.visible) {
          if (!acc.agents.has(id)) {
            client.visible.delete(id);
            parts.push(removeOf(id));
          }
        }
      }
      if (parts.length > 0) client.conn.send(parts.length === 1 ? parts[0]! : parts.join(''));
    }
  }

  /** Sends an alert event to the account's streams that asked for alerts. */
  publishAlert(account: string, data: unknown): void {
    const set = this.clients.get(account);
    if (!set || set.size === 0) return;
    const seq = this.engine.account(account)?.seq ?? 0;
    const msg = sseMessage('alert', JSON.stringify({ seq, ...(data as object) }), seq);
    for (const c of set) if (c.alerts) c.conn.send(msg);
  }

  /**
   * Applies time-based transitions: logged-out agents whose log-out fell out
   * of the listing window are removed from the views that show them.
   * Connection time-outs need nothing here: the engine records them as events.
   */
  sweep(): void {
    const now = this.clock.now();
    const cutoff = now - this.windowMs;
    const prev = this.lastSweepCutoff ?? -Infinity;
    this.lastSweepCutoff = cutoff;
    if (cutoff <= prev) return;
    for (const [account, set] of this.clients) {
      if (set.size === 0) continue;
      const acc = this.engine.account(account);
      if (!acc) continue;
      const leaving = leftWindow(acc, prev, cutoff);
      if (leaving.length === 0) continue;
      const seq = acc.seq;
      for (const client of set) {
        const parts: string[] = [];
        for (const a of leaving) {
          if (client.visible.has(a.id) && !client.match(acc, a, now)) {
            client.visible.delete(a.id);
            parts.push(sseMessage('remove', `{"seq":${seq},"agentId":${JSON.stringify(a.id)}}`, seq));
          }
        }
        if (parts.length > 0) client.conn.send(parts.join(''));
      }
    }
  }

  private heartbeat(): void {
    const msg = `: keep-alive ${this.clock.now()}\n\n`;
    for (const set of this.clients.values()) for (const c of set) c.conn.send(msg);
  }

  private detach(client: Client | undefined, reason: CloseReason): void {
    if (!client) return;
    if (reason === 'overflow') this.counters.overflows++;
    const set = this.clients.get(client.account);
    set?.delete(client);
    if (set && set.size === 0) this.clients.delete(client.account);
  }

  /** Ends every stream with a final `shutdown` event and stops following the engine. */
  close(): void {
    this.closing = true;
    this.unsubscribe?.();
    clearInterval(this.heartbeatTimer);
    clearInterval(this.sweepTimer);
    for (const [account, set] of [...this.clients]) {
      const seq = this.engine.account(account)?.seq ?? 0;
      const last = sseMessage('shutdown', JSON.stringify({ seq, reason: 'server shutting down; reconnect with Last-Event-ID' }), seq);
      for (const c of [...set]) c.conn.end('shutdown', last);
    }
    this.clients.clear();
  }
}
