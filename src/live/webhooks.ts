/**
 * Webhooks (spec 4.2): the stream's changes, POSTed to registered URLs.
 *
 * - Messages are computed from the engine's changes like the stream's and
 *   written to a durable outbox before the ingest that caused them is
 *   acknowledged (the write is queued as a microtask ahead of the ack).
 * - Each webhook is delivered strictly in order, one batch at a time, so the
 *   order per agent holds; a batch keeps its delivery id across retries.
 * - Failures (non-2xx, redirects, time-outs, refused targets) are retried
 *   with exponential back-off and jitter, forever; a receiver that falls far
 *   behind has its backlog compacted to the newest message per agent.
 * - Targets pass the {@link TargetPolicy} (SSRF guard) at registration and
 *   again at every delivery, connecting to the address that was checked.
 */
import { createHmac, randomBytes, randomUUID } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import type { LookupFunction } from 'node:net';
import type { Logger } from 'pino';
import { compileLiveFilter, liveMatches, toRecord, type AccountState, type AgentPredicate, type Change } from '../core/index.js';
import type { Engine } from '../engine/index.js';
import { ApiError } from '../errors/index.js';
import type { Clock, WebhookHealth, WebhookMessage, WebhookRegistration, WebhookStore } from '../ports/index.js';
import { bodyToLiveFilter, type WebhookBody } from '../schemas/live.js';
import type { AgentFilterBody } from '../schemas/agent-view.js';
import type { TargetPolicy } from './allow-list.js';

export interface WebhookServiceOptions {
  retryBaseMs: number;
  retryMaxMs: number;
  timeoutMs: number;
  /** Undelivered messages per webhook before the backlog is compacted. */
  maxPending: number;
  perAccount: number;
  batchSize?: number;
  userAgent?: string;
}

/** What the API shows of a webhook (never the secret). */
export interface WebhookView {
  id: string;
  url: string;
  filter: unknown;
  alerts: boolean;
  createdAt: number;
  pending: number;
  failures: number;
  lastError?: string;
  lastSuccessAt?: number;
  nextAttemptAt?: number;
}

interface Hook {
  reg: WebhookRegistration;
  url: URL;
  match: AgentPredicate;
  /** Agents the receiver was last told are in its view; undefined until first needed. */
  visible: Set<string> | undefined;
  health: WebhookHealth;
  pendingApprox: number;
  wake: (() => void) | undefined;
  inFlight: http.ClientRequest | undefined;
  deleted: boolean;
  loop: Promise<void> | undefined;
}

/** Signs a body: `sha256=<hex HMAC-SHA256(body, secret)>`. */
export function signBody(body: string | Buffer, secret: string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

export class WebhookService {
  private readonly hooks = new Map<string, Hook>();
  private readonly byAccount = new Map<string, Set<Hook>>();
  private pending: WebhookMessage[] = [];
  private cursors = new Map<string, number>();
  private flushQueued = false;
  private flushing: Promise<void> = Promise.resolve();
  private stopped = false;
  private started = false;
  private cursorTimer: NodeJS.Timeout | undefined;
  private syncTimer: NodeJS.Timeout | undefined;
  private syncing: Promise<void> | undefined;
  private unsubscribe: (() => void) | undefined;

  constructor(
    private readonly engine: Engine,
    private readonly clock: Clock,
    private readonly store: WebhookStore,
    private readonly policy: TargetPolicy,
    private readonly opts: WebhookServiceOptions,
    private readonly logger?: Logger,
  ) {}

  /** Messages not yet delivered (approximate between outbox reads), for the backlog gauge. */
  backlog(): number {
    let n = this.pending.length;
    for (const h of this.hooks.values()) n += h.pendingApprox;
    return n;
  }

  /**
   * Loads registrations and starts listening to the engine. Call before the
   * engine starts, so changes replayed after the last enqueued position are
   * enqueued too (nothing acknowledged is lost across a crash).
   */
  async attach(): Promise<void> {
    for (const reg of await this.store.list()) this.addHook(reg, await this.store.health(reg.id));
    this.unsubscribe = this.engine.onChange((acc, change, seq) => this.onChange(acc, change, seq));
  }

  /** Starts deliveries; call once the engine has caught up. */
  start(): void {
    if (this.started) return;
    this.started = true;
    const now = this.clock.now();
    for (const h of this.hooks.values()) {
      // The outbox missed changes folded into the snapshot we started from
      // (a crash right after a snapshot): send the whole current view once.
      if (h.reg.cursor < this.engine.startPosition) {
        const acc = this.engine.account(h.reg.account);
        if (acc) {
          for (const a of liveMatches(acc, h.match, now)) {
            this.pending.push({ webhookId: h.reg.id, agentId: a.id, body: `{"type":"upsert","seq":${acc.seq},"record":${JSON.stringify(toRecord(acc, a, now))}}` });
          }
        }
        this.logger?.warn({ webhook: h.reg.id }, 'webhook outbox behind the snapshot; re-sending the current view');
      }
      // What the receiver shows is what matched when we stopped: from here on, exact diffs.
      const acc = this.engine.account(h.reg.account);
      h.visible ??= new Set(acc ? liveMatches(acc, h.match, now).map((a) => a.id) : []);
      this.cursors.set(h.reg.id, this.engine.position);
      h.loop = this.run(h);
    }
    this.scheduleFlush();
    // Cursors move with the log even when nothing changes for a webhook, so a
    // restart replays only what it must.
    this.cursorTimer = setInterval(() => {
      for (const h of this.hooks.values()) this.cursors.set(h.reg.id, this.engine.position);
      this.scheduleFlush();
    }, 5000);
    this.cursorTimer.unref();
    if (this.store.shared) {
      // A cluster's servers share the registrations: pick up those made or deleted elsewhere.
      this.syncTimer = setInterval(() => {
        this.sync().catch((err: unknown) => this.logger?.warn({ err }, 'webhook registrations sync failed'));
      }, 2000);
      this.syncTimer.unref();
    }
  }

  /**
   * Re-reads the registrations from a shared store: webhooks registered on
   * another server start here too (with the current view once, since their
   * changes so far were not enqueued by this server), deleted ones stop.
   */
  sync(): Promise<void> {
    this.syncing ??= (async () => {
      const regs = await this.store.list();
      if (this.stopped) return;
      const ids = new Set(regs.map((r) => r.id));
      const now = this.clock.now();
      for (const reg of regs) {
        if (this.hooks.has(reg.id)) continue;
        const health = await this.store.health(reg.id);
        if (this.hooks.has(reg.id) || this.stopped) continue;
        const h = this.addHook(reg, health);
        const acc = this.engine.account(reg.account);
        const matches = acc ? liveMatches(acc, h.match, now) : [];
        if (acc && reg.cursor < this.engine.position) {
          for (const a of matches) {
            this.pending.push({ webhookId: reg.id, agentId: a.id, body: `{"type":"upsert","seq":${acc.seq},"record":${JSON.stringify(toRecord(acc, a, now))}}` });
          }
        }
        h.visible = new Set(matches.map((a) => a.id));
        this.cursors.set(reg.id, this.engine.position);
        if (this.started && !h.loop) h.loop = this.run(h);
      }
      for (const h of [...this.hooks.values()]) {
        if (ids.has(h.reg.id)) continue;
        h.deleted = true;
        this.hooks.delete(h.reg.id);
        this.byAccount.get(h.reg.account)?.delete(h);
        h.inFlight?.destroy();
        h.wake?.();
      }
      this.scheduleFlush();
    })().finally(() => {
      this.syncing = undefined;
    });
    return this.syncing;
  }

  private addHook(reg: WebhookRegistration, health: WebhookHealth): Hook {
    // A shared store's sync may have added it already (created on this server meanwhile).
    const existing = this.hooks.get(reg.id);
    if (existing) return existing;
    const filter = bodyToLiveFilter(reg.filter as AgentFilterBody | null);
    const h: Hook = {
      reg,
      url: new URL(reg.url),
      match: compileLiveFilter(filter),
      visible: undefined,
      health,
      pendingApprox: 0,
      wake: undefined,
      inFlight: undefined,
      deleted: false,
      loop: undefined,
    };
    this.hooks.set(reg.id, h);
    let set = this.byAccount.get(reg.account);
    if (!set) this.byAccount.set(reg.account, (set = new Set()));
    set.add(h);
    return h;
  }

  // ------------------------------------------------------------------ API

  async create(account: string, body: WebhookBody): Promise<{ view: WebhookView; secret: string }> {
    const checked = this.policy.check(body.url);
    if (typeof checked === 'string') throw new ApiError('WEBHOOK_TARGET_NOT_ALLOWED', checked, 'url');
    if ((this.byAccount.get(account)?.size ?? 0) >= this.opts.perAccount) {
      throw new ApiError('LIMIT_REACHED', `an account may have at most ${this.opts.perAccount} webhooks`);
    }
    const secret = body.secret ?? randomBytes(24).toString('base64url');
    const reg: WebhookRegistration = {
      id: `wh_${randomBytes(12).toString('base64url')}`,
      account,
      url: checked.toString(),
      secret,
      filter: body.filter ?? null,
      alerts: body.alerts ?? true,
      createdAt: this.clock.now(),
      cursor: this.engine.position,
    };
    await this.store.create(reg);
    const h = this.addHook(reg, { failures: 0 });
    const acc = this.engine.account(account);
    h.visible = new Set(acc ? liveMatches(acc, h.match, this.clock.now()).map((a) => a.id) : []);
    if (this.started && !this.stopped && !h.loop) h.loop = this.run(h);
    return { view: this.view(h, 0), secret };
  }

  async list(account: string): Promise<WebhookView[]> {
    const out: WebhookView[] = [];
    for (const h of this.byAccount.get(account) ?? []) out.push(this.view(h, await this.store.pendingCount(h.reg.id)));
    return out.sort((a, b) => a.createdAt - b.createdAt || (a.id < b.id ? -1 : 1));
  }

  async delete(account: string, id: string): Promise<boolean> {
    const h = this.hooks.get(id);
    if (!h || h.reg.account !== account) return false;
    h.deleted = true;
    this.hooks.delete(id);
    this.byAccount.get(account)?.delete(h);
    h.inFlight?.destroy();
    h.wake?.();
    await this.flushing;
    return this.store.delete(account, id);
  }

  private view(h: Hook, pending: number): WebhookView {
    return {
      id: h.reg.id,
      url: h.reg.url,
      filter: h.reg.filter,
      alerts: h.reg.alerts,
      createdAt: h.reg.createdAt,
      pending,
      failures: h.health.failures,
      ...(h.health.lastError !== undefined ? { lastError: h.health.lastError } : {}),
      ...(h.health.lastSuccessAt !== undefined ? { lastSuccessAt: h.health.lastSuccessAt } : {}),
      ...(h.health.nextAttemptAt !== undefined && h.health.failures > 0 ? { nextAttemptAt: h.health.nextAttemptAt } : {}),
    };
  }

  // ------------------------------------------------------------------ changes → outbox

  private onChange(acc: AccountState, change: Change, seq: number): void {
    const hooks = this.byAccount.get(acc.accountId);
    if (!hooks || hooks.size === 0) return;
    const position = this.engine.position;
    const now = this.clock.now();
    const records = new Map<string, string>();
    const ids = change.all ? new Set([...acc.agents.keys(), ...change.agentIds]) : change.agentIds;
    for (const h of hooks) {
      let conservative = false;
      if (h.visible === undefined) {
        // First change seen for this webhook since start: we do not know what
        // the receiver shows, so a non-matching changed agent gets a remove.
        h.visible = new Set(liveMatches(acc, h.match, now).map((a) => a.id));
        conservative = true;
      }
      const replayed = position <= h.reg.cursor;
      for (const id of ids) {
        const a = acc.agents.get(id);
        if (a && h.match(acc, a, now)) {
          h.visible.add(id);
          if (replayed) continue;
          let rec = records.get(id);
          if (rec === undefined) records.set(id, (rec = JSON.stringify(toRecord(acc, a, now))));
          this.pending.push({ webhookId: h.reg.id, agentId: id, body: `{"type":"upsert","seq":${seq},"record":${rec}}` });
        } else if (h.visible.delete(id) || conservative) {
          if (!replayed) this.pending.push({ webhookId: h.reg.id, agentId: id, body: `{"type":"remove","seq":${seq},"agentId":${JSON.stringify(id)}}` });
        }
      }
      if (change.all) {
        for (const id of h.visible) {
          if (acc.agents.has(id)) continue;
          h.visible.delete(id);
          if (!replayed) this.pending.push({ webhookId: h.reg.id, agentId: id, body: `{"type":"remove","seq":${seq},"agentId":${JSON.stringify(id)}}` });
        }
      }
      if (!replayed) this.cursors.set(h.reg.id, position);
    }
    this.scheduleFlush();
  }

  /** Queues an alert message for the account's webhooks that want alerts. */
  publishAlert(account: string, type: 'alert.raised' | 'alert.cleared', alert: unknown): void {
    const hooks = this.byAccount.get(account);
    if (!hooks) return;
    const seq = this.engine.account(account)?.seq ?? 0;
    const body = JSON.stringify({ type, seq, alert });
    for (const h of hooks) if (h.reg.alerts) this.pending.push({ webhookId: h.reg.id, body });
    this.scheduleFlush();
  }

  private scheduleFlush(): void {
    if (this.flushQueued) return;
    this.flushQueued = true;
    // A microtask: runs before the ingest that caused these messages is acknowledged.
    queueMicrotask(() => {
      this.flushQueued = false;
      this.flushing = this.flush().catch((err: unknown) => this.logger?.error({ err }, 'webhook outbox write failed'));
    });
  }

  private async flush(): Promise<void> {
    if (this.pending.length === 0 && this.cursors.size === 0) return;
    const messages = this.pending;
    const cursors = this.cursors;
    this.pending = [];
    this.cursors = new Map();
    const live = messages.filter((m) => this.hooks.has(m.webhookId));
    await this.store.enqueue(live, cursors);
    const touched = new Set<Hook>();
    for (const m of live) {
      const h = this.hooks.get(m.webhookId);
      if (h) {
        h.pendingApprox++;
        touched.add(h);
      }
    }
    for (const h of touched) {
      if (h.pendingApprox > this.opts.maxPending) {
        const dropped = await this.store.compact(h.reg.id);
        h.pendingApprox = await this.store.pendingCount(h.reg.id);
        if (dropped > 0) this.logger?.warn({ webhook: h.reg.id, dropped }, 'webhook backlog compacted to the newest message per agent');
      }
      h.wake?.();
    }
  }

  // ------------------------------------------------------------------ delivery

  private sleep(h: Hook, ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        h.wake = undefined;
        resolve();
      }, ms);
      h.wake = () => {
        clearTimeout(t);
        h.wake = undefined;
        resolve();
      };
    });
  }

  private async run(h: Hook): Promise<void> {
    while (!this.stopped && !h.deleted) {
      const wait = (h.health.failures > 0 ? (h.health.nextAttemptAt ?? 0) : 0) - Date.now();
      if (wait > 0) {
        // A wake-up during back-off (new messages) must not cut the back-off short.
        const until = Date.now() + wait;
        while (!this.stopped && !h.deleted && Date.now() < until) await this.sleep(h, until - Date.now());
        continue;
      }
      let batch;
      try {
        batch = await this.store.nextBatch(h.reg.id, this.opts.batchSize ?? 100, () => randomUUID());
      } catch (err) {
        this.logger?.error({ err, webhook: h.reg.id }, 'webhook outbox read failed');
        await this.sleep(h, this.opts.retryBaseMs);
        continue;
      }
      if (!batch) {
        h.pendingApprox = 0;
        // A shared store also receives messages written by other servers (a
        // cluster's delivery lease moving here): look again soon.
        await this.sleep(h, this.store.shared ? 2000 : 60_000);
        continue;
      }
      const error = await this.deliver(h, batch.deliveryId, batch.bodies);
      if (h.deleted) break;
      if (error === undefined) {
        await this.store.complete(h.reg.id, batch.deliveryId);
        h.pendingApprox = Math.max(0, h.pendingApprox - batch.bodies.length);
        h.health = { failures: 0, lastSuccessAt: this.clock.now() };
      } else {
        const failures = h.health.failures + 1;
        const backoff = Math.min(this.opts.retryMaxMs, this.opts.retryBaseMs * 2 ** Math.min(failures - 1, 30));
        const delay = Math.round(backoff * (0.5 + Math.random() * 0.5));
        if (this.stopped) break; // cut short by shutdown: not the receiver's failure
        h.health = { ...h.health, failures, lastError: error, nextAttemptAt: Date.now() + delay };
        this.logger?.warn({ webhook: h.reg.id, failures, error, retryInMs: delay }, 'webhook delivery failed');
      }
      await this.store.saveHealth(h.reg.id, h.health).catch(() => undefined);
    }
  }

  /** POSTs one batch; resolves to undefined on a 2xx answer, else to the reason. */
  private async deliver(h: Hook, deliveryId: string, bodies: string[]): Promise<string | undefined> {
    const target = await this.policy.resolve(h.url);
    if (typeof target === 'string') return target;
    const body = Buffer.from(`{"deliveryId":${JSON.stringify(deliveryId)},"webhookId":${JSON.stringify(h.reg.id)},"account":${JSON.stringify(h.reg.account)},"events":[${bodies.join(',')}]}`);
    const pinned: LookupFunction = (_host, options, cb) => {
      if ((options as { all?: boolean }).all) (cb as unknown as (e: null, a: { address: string; family: number }[]) => void)(null, [target]);
      else cb(null, target.address, target.family);
    };
    const mod = h.url.protocol === 'https:' ? https : http;
    return new Promise((resolve) => {
      let settled = false;
      // The socket time-out below only catches silence; this bounds the whole exchange (a slow drip too).
      const deadline = setTimeout(() => req.destroy(new Error(`no complete answer within ${this.opts.timeoutMs} ms`)), this.opts.timeoutMs);
      const done = (v: string | undefined) => {
        if (settled) return;
        settled = true;
        clearTimeout(deadline);
        h.inFlight = undefined;
        resolve(v);
      };
      const req = mod.request(
        h.url,
        {
          method: 'POST',
          lookup: pinned,
          agent: false,
          timeout: this.opts.timeoutMs,
          headers: {
            'content-type': 'application/json',
            'content-length': String(body.length),
            'user-agent': this.opts.userAgent ?? 'agentview-webhooks',
            'x-agentview-delivery': deliveryId,
            'x-agentview-webhook': h.reg.id,
            'x-agentview-signature': signBody(body, h.reg.secret),
          },
        },
        (res) => {
          const status = res.statusCode ?? 0;
          let read = 0;
          res.on('data', (c: Buffer) => {
            read += c.length;
            if (read > 64 * 1024) res.destroy();
          });
          res.on('error', () => undefined);
          res.on('close', () => done(status >= 200 && status < 300 ? undefined : status >= 300 && status < 400 ? `redirect ${status} not followed` : `HTTP ${status}`));
        },
      );
      h.inFlight = req;
      req.on('timeout', () => req.destroy(new Error(`no answer within ${this.opts.timeoutMs} ms`)));
      req.on('error', (err: NodeJS.ErrnoException) => done(err.code ?? err.message));
      req.end(body);
    });
  }

  /** Stops deliveries (pending messages stay in the outbox) and writes the last cursors. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.unsubscribe?.();
    clearInterval(this.cursorTimer);
    clearInterval(this.syncTimer);
    await this.syncing?.catch(() => undefined);
    for (const h of this.hooks.values()) {
      this.cursors.set(h.reg.id, this.engine.position);
      h.wake?.();
    }
    await this.flushing;
    await this.flush();
    // Deliveries in flight get a moment to finish (fewer duplicates after the restart), then are cut.
    const loops = Promise.all([...this.hooks.values()].flatMap((h) => (h.loop ? [h.loop] : [])));
    let timer: NodeJS.Timeout | undefined;
    const grace = new Promise<void>((resolve) => (timer = setTimeout(resolve, Math.min(2000, this.opts.timeoutMs))));
    await Promise.race([loops, grace]);
    clearTimeout(timer);
    for (const h of this.hooks.values()) h.inFlight?.destroy();
    await loops;
  }
}
