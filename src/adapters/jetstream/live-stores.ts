/**
 * Webhook registrations, outboxes and delivery health, and alert rules and
 * raised alerts, in JetStream key-value buckets shared by the servers of a
 * cluster.
 *
 * Webhooks are delivered by one server at a time: the holder of a lease in
 * the bucket (renewed every few seconds, taken over when it lapses). Every
 * server's webhook service computes the same messages from its own view; only
 * the holder's are written to the outbox and only the holder hands out
 * batches, so a receiver gets each message from one server. A server that is
 * not the holder keeps its last minute of messages; when it takes over, it
 * writes those its predecessor had not (by the outboxes' cursors), so a
 * failover loses nothing (at least once, as always).
 *
 * Outbox of webhook W: a document `q.W` (next and first sequence, count,
 * cursor, the batch in delivery) and one key per message `m.W.<n>`. A batch
 * is recorded in the document before it is handed out, so a retry (on any
 * server) gets the same delivery id and messages.
 */
import { randomBytes } from 'node:crypto';
import type { KV, KvEntry } from '@nats-io/kv';
import type {
  AlertStore,
  RaisedAlert,
  StoredAlertRule,
  WebhookBatch,
  WebhookHealth,
  WebhookMessage,
  WebhookRegistration,
  WebhookStore,
} from '../../ports/index.js';
import { errorText, type NatsConnection } from './connection.js';
import { isRevisionConflict, keyPart, lazyBucket } from './kv.js';

interface Outbox {
  /** Sequence the next message gets. */
  head: number;
  /** First sequence that may still be pending. */
  tail: number;
  /** Pending messages (compaction leaves holes between tail and head). */
  count: number;
  cursor: number;
  batch?: { deliveryId: string; seqs: number[] } | undefined;
}

interface StoredMessage {
  a?: string;
  b: string;
}

interface Lease {
  holder: string;
  /** Wall-clock ms; servers' clocks are assumed synchronised (NTP). */
  until: number;
}

const live = (e: KvEntry | null): e is KvEntry => e !== null && e.operation === 'PUT';

export interface JetStreamWebhookStoreOptions {
  bucket: string;
  replicas: number;
  /** How long a delivery lease lasts without renewal (default 10 s). */
  leaseMs?: number;
  /** How long a non-holder keeps its messages for a takeover (default 60 s). */
  takeoverWindowMs?: number;
}

export class JetStreamWebhookStore implements WebhookStore {
  /** Registrations change through other servers too: services re-read them. */
  readonly shared = true;
  private readonly kv: () => Promise<KV>;
  private readonly id = randomBytes(9).toString('base64url');
  private readonly leaseMs: number;
  private readonly windowMs: number;
  private leader = false;
  private leaderSince = 0;
  private renewedAt = 0;
  private leaseTimer: NodeJS.Timeout | undefined;
  private leasing: Promise<void> | undefined;
  private firstLease: Promise<void> | undefined;
  private closed = false;
  private buffer: { at: number; messages: readonly WebhookMessage[]; cursors: ReadonlyMap<string, number> }[] = [];
  private writes: Promise<void> = Promise.resolve();

  constructor(
    private readonly nats: NatsConnection,
    options: JetStreamWebhookStoreOptions,
  ) {
    this.kv = lazyBucket(nats, { bucket: options.bucket, replicas: options.replicas });
    this.leaseMs = options.leaseMs ?? 10_000;
    this.windowMs = options.takeoverWindowMs ?? 60_000;
  }

  // ------------------------------------------------------------------ lease

  /** True while this server delivers webhooks. */
  isLeader(): boolean {
    return this.leader && Date.now() - this.renewedAt < this.leaseMs * 0.8;
  }

  private ensureLease(): Promise<void> {
    if (!this.leaseTimer && !this.closed) {
      this.leaseTimer = setInterval(() => void this.renew(), Math.max(200, Math.floor(this.leaseMs / 3)));
      this.leaseTimer.unref();
      this.firstLease = this.renew();
    }
    return this.firstLease ?? Promise.resolve();
  }

  private renew(): Promise<void> {
    this.leasing ??= (async () => {
      try {
        const kv = await this.kv();
        const e = await kv.get('lease');
        const current = live(e) ? e.json<Lease>() : undefined;
        const now = Date.now();
        if (current && current.holder !== this.id && current.until > now) {
          this.leader = false;
          return;
        }
        const next = JSON.stringify({ holder: this.id, until: now + this.leaseMs } satisfies Lease);
        if (e) await kv.update('lease', next, e.revision);
        else await kv.create('lease', next);
        this.renewedAt = now;
        if (!this.leader) {
          this.leader = true;
          this.leaderSince = now;
          this.nats.logger.info({}, 'this server now delivers the webhooks');
          await this.takeOver();
        }
      } catch (err) {
        // Lost the race for the lease, or NATS is away: not the deliverer now.
        if (!isRevisionConflict(err)) this.nats.logger.warn({ err: errorText(err) }, 'webhook delivery lease renewal failed');
        this.leader = false;
      }
    })().finally(() => {
      this.leasing = undefined;
    });
    return this.leasing;
  }

  /** Writes what the previous holder had not enqueued yet (by the outboxes' cursors). */
  private async takeOver(): Promise<void> {
    const kept = this.buffer;
    this.buffer = [];
    if (kept.length === 0) return;
    const kv = await this.kv();
    const cursors = new Map<string, number>();
    for (const t of kept) {
      for (const id of new Set([...t.messages.map((m) => m.webhookId), ...t.cursors.keys()])) {
        if (cursors.has(id)) continue;
        const e = await kv.get(`q.${keyPart(id)}`);
        cursors.set(id, live(e) ? e.json<Outbox>().cursor : Infinity);
      }
    }
    for (const t of kept) {
      // Messages whose enqueue moved no cursor (alerts) are written again: at least once.
      const messages = t.messages.filter((m) => {
        const c = t.cursors.get(m.webhookId);
        return c === undefined || c > (cursors.get(m.webhookId) ?? Infinity);
      });
      await this.write(messages, t.cursors);
    }
    this.nats.logger.info({ batches: kept.length }, 'took over webhook deliveries');
  }

  /** Gives the lease up (graceful shutdown), so another server takes over at once. */
  async release(): Promise<void> {
    this.closed = true;
    clearInterval(this.leaseTimer);
    await this.leasing?.catch(() => undefined);
    if (!this.leader) return;
    this.leader = false;
    try {
      const kv = await this.kv();
      const e = await kv.get('lease');
      if (live(e) && e.json<Lease>().holder === this.id) await kv.purge('lease');
    } catch {
      // it lapses by itself
    }
  }

  // ------------------------------------------------------------ registrations

  async list(): Promise<WebhookRegistration[]> {
    const kv = await this.kv();
    const keys: string[] = [];
    for await (const k of await kv.keys('r.*')) keys.push(k);
    const out: WebhookRegistration[] = [];
    for (const k of keys) {
      const e = await kv.get(k);
      if (!live(e)) continue;
      const reg = e.json<WebhookRegistration>();
      const q = await kv.get(`q.${keyPart(reg.id)}`);
      out.push(live(q) ? { ...reg, cursor: Math.max(reg.cursor, q.json<Outbox>().cursor) } : reg);
    }
    return out;
  }

  async create(registration: WebhookRegistration): Promise<void> {
    const kv = await this.kv();
    const id = keyPart(registration.id);
    await kv.put(`q.${id}`, JSON.stringify({ head: 0, tail: 0, count: 0, cursor: registration.cursor } satisfies Outbox));
    await kv.create(`r.${id}`, JSON.stringify(registration));
  }

  async delete(account: string, id: string): Promise<boolean> {
    const kv = await this.kv();
    const k = keyPart(id);
    const e = await kv.get(`r.${k}`);
    if (!live(e) || e.json<WebhookRegistration>().account !== account) return false;
    await kv.purge(`r.${k}`);
    const q = await kv.get(`q.${k}`);
    if (live(q)) {
      const o = q.json<Outbox>();
      await kv.purge(`q.${k}`);
      await this.purgeAll(kv, Array.from({ length: o.head - o.tail }, (_, i) => `m.${k}.${o.tail + i}`));
    }
    await kv.purge(`h.${k}`);
    return true;
  }

  // ------------------------------------------------------------------ outbox

  async enqueue(messages: readonly WebhookMessage[], cursors: ReadonlyMap<string, number>): Promise<void> {
    await this.ensureLease();
    if (!this.isLeader()) {
      const now = Date.now();
      this.buffer.push({ at: now, messages, cursors });
      while (this.buffer.length > 0 && this.buffer[0]!.at < now - this.windowMs) this.buffer.shift();
      return;
    }
    const done = this.writes.then(() => this.write(messages, cursors));
    this.writes = done.catch(() => undefined);
    await done;
  }

  private async write(messages: readonly WebhookMessage[], cursors: ReadonlyMap<string, number>): Promise<void> {
    const kv = await this.kv();
    const byHook = new Map<string, WebhookMessage[]>();
    for (const m of messages) {
      let list = byHook.get(m.webhookId);
      if (!list) byHook.set(m.webhookId, (list = []));
      list.push(m);
    }
    for (const id of cursors.keys()) if (!byHook.has(id)) byHook.set(id, []);
    for (const [id, list] of byHook) {
      const k = keyPart(id);
      for (let attempt = 0; ; attempt++) {
        const e = await kv.get(`q.${k}`);
        if (!live(e)) break; // deleted meanwhile
        const o = e.json<Outbox>();
        await this.putAll(
          kv,
          list.map((m, i): [string, string] => [`m.${k}.${o.head + i}`, JSON.stringify({ ...(m.agentId !== undefined ? { a: m.agentId } : {}), b: m.body } satisfies StoredMessage)]),
        );
        const next: Outbox = { ...o, head: o.head + list.length, count: o.count + list.length, cursor: Math.max(o.cursor, cursors.get(id) ?? o.cursor) };
        try {
          await kv.update(`q.${k}`, JSON.stringify(next), e.revision);
          break;
        } catch (err) {
          // The document moved (a batch handed out): write again at the new head.
          if (!isRevisionConflict(err) || attempt > 20) throw err;
        }
      }
    }
  }

  async nextBatch(webhookId: string, limit: number, newDeliveryId: () => string): Promise<WebhookBatch | undefined> {
    await this.ensureLease();
    if (!this.isLeader()) return undefined;
    const kv = await this.kv();
    const k = keyPart(webhookId);
    for (let attempt = 0; attempt < 20; attempt++) {
      const e = await kv.get(`q.${k}`);
      if (!live(e)) return undefined;
      const o = e.json<Outbox>();
      if (o.batch) {
        const msgs = await this.readAll(kv, o.batch.seqs.map((n) => `m.${k}.${n}`));
        return { deliveryId: o.batch.deliveryId, bodies: msgs.filter((m) => m !== undefined).map((m) => m.b) };
      }
      const seqs: number[] = [];
      let tail = o.tail;
      for (let n = o.tail; n < o.head && seqs.length < limit; n += 64) {
        const span = Array.from({ length: Math.min(64, o.head - n) }, (_, i) => n + i);
        const got = await this.readAll(kv, span.map((s) => `m.${k}.${s}`));
        got.forEach((m, i) => {
          if (m !== undefined && seqs.length < limit) seqs.push(span[i]!);
        });
        if (seqs.length === 0) tail = n + span.length;
      }
      if (seqs.length === 0) {
        if (tail !== o.tail) await kv.update(`q.${k}`, JSON.stringify({ ...o, tail, count: 0 }), e.revision).catch(() => undefined);
        return undefined;
      }
      const batch = { deliveryId: newDeliveryId(), seqs };
      try {
        await kv.update(`q.${k}`, JSON.stringify({ ...o, tail: seqs[0]!, batch }), e.revision);
      } catch (err) {
        if (isRevisionConflict(err)) continue;
        throw err;
      }
      const msgs = await this.readAll(kv, seqs.map((n) => `m.${k}.${n}`));
      return { deliveryId: batch.deliveryId, bodies: msgs.filter((m) => m !== undefined).map((m) => m.b) };
    }
    return undefined;
  }

  async complete(webhookId: string, deliveryId: string): Promise<void> {
    const kv = await this.kv();
    const k = keyPart(webhookId);
    for (let attempt = 0; attempt < 20; attempt++) {
      const e = await kv.get(`q.${k}`);
      if (!live(e)) return;
      const o = e.json<Outbox>();
      if (o.batch?.deliveryId !== deliveryId) return;
      const seqs = o.batch.seqs;
      try {
        await kv.update(`q.${k}`, JSON.stringify({ ...o, tail: seqs[seqs.length - 1]! + 1, count: Math.max(0, o.count - seqs.length), batch: undefined }), e.revision);
      } catch (err) {
        if (isRevisionConflict(err)) continue;
        throw err;
      }
      await this.purgeAll(kv, seqs.map((n) => `m.${k}.${n}`));
      return;
    }
  }

  async pendingCount(webhookId: string): Promise<number> {
    const e = await (await this.kv()).get(`q.${keyPart(webhookId)}`);
    return live(e) ? e.json<Outbox>().count : 0;
  }

  async compact(webhookId: string): Promise<number> {
    if (!this.isLeader()) return 0;
    const kv = await this.kv();
    const k = keyPart(webhookId);
    for (let attempt = 0; attempt < 20; attempt++) {
      const e = await kv.get(`q.${k}`);
      if (!live(e)) return 0;
      const o = e.json<Outbox>();
      const inBatch = new Set(o.batch?.seqs ?? []);
      const seqs = Array.from({ length: o.head - o.tail }, (_, i) => o.tail + i).filter((n) => !inBatch.has(n));
      const msgs = await this.readAll(kv, seqs.map((n) => `m.${k}.${n}`));
      const newest = new Map<string, number>();
      msgs.forEach((m, i) => {
        if (m?.a !== undefined) newest.set(m.a, seqs[i]!);
      });
      const drop = seqs.filter((n, i) => {
        const m = msgs[i];
        return m?.a !== undefined && newest.get(m.a) !== n;
      });
      if (drop.length === 0) return 0;
      try {
        await kv.update(`q.${k}`, JSON.stringify({ ...o, count: Math.max(0, o.count - drop.length) }), e.revision);
      } catch (err) {
        if (isRevisionConflict(err)) continue;
        throw err;
      }
      await this.purgeAll(kv, drop.map((n) => `m.${k}.${n}`));
      return drop.length;
    }
    return 0;
  }

  async health(webhookId: string): Promise<WebhookHealth> {
    const e = await (await this.kv()).get(`h.${keyPart(webhookId)}`);
    return live(e) ? e.json<WebhookHealth>() : { failures: 0 };
  }

  async saveHealth(webhookId: string, health: WebhookHealth): Promise<void> {
    await (await this.kv()).put(`h.${keyPart(webhookId)}`, JSON.stringify(health));
  }

  // ---------------------------------------------------------------- helpers

  private async readAll(kv: KV, keys: string[]): Promise<(StoredMessage | undefined)[]> {
    const out: (StoredMessage | undefined)[] = [];
    for (let i = 0; i < keys.length; i += 64) {
      const got = await Promise.all(keys.slice(i, i + 64).map((key) => kv.get(key)));
      for (const e of got) out.push(live(e) ? e.json<StoredMessage>() : undefined);
    }
    return out;
  }

  private async putAll(kv: KV, entries: [string, string][]): Promise<void> {
    for (let i = 0; i < entries.length; i += 64) await Promise.all(entries.slice(i, i + 64).map(([key, value]) => kv.put(key, value)));
  }

  private async purgeAll(kv: KV, keys: string[]): Promise<void> {
    for (let i = 0; i < keys.length; i += 64) await Promise.all(keys.slice(i, i + 64).map((key) => kv.purge(key)));
  }
}

export interface JetStreamAlertStoreOptions {
  bucket: string;
  replicas: number;
}

/**
 * Alert rules (`rule.<account>.<id>`) and the alerts raised per account
 * (`raised.<account>`, one document updated by compare-and-set). Every
 * server evaluates the rules against its own view; they record the same
 * raised set.
 */
export class JetStreamAlertStore implements AlertStore {
  readonly shared = true;
  private readonly kv: () => Promise<KV>;

  constructor(nats: NatsConnection, options: JetStreamAlertStoreOptions) {
    this.kv = lazyBucket(nats, { bucket: options.bucket, replicas: options.replicas });
  }

  private async scan<T>(filter: string): Promise<T[]> {
    const kv = await this.kv();
    const keys: string[] = [];
    for await (const k of await kv.keys(filter)) keys.push(k);
    const out: T[] = [];
    for (const k of keys) {
      const e = await kv.get(k);
      if (live(e)) out.push(e.json<T>());
    }
    return out;
  }

  async listRules(): Promise<StoredAlertRule[]> {
    const rules = await this.scan<StoredAlertRule>('rule.>');
    return rules.sort((a, b) => a.createdAt - b.createdAt || (a.rule.id < b.rule.id ? -1 : 1));
  }

  async createRule(rule: StoredAlertRule): Promise<void> {
    await (await this.kv()).put(`rule.${rule.account}.${keyPart(rule.rule.id)}`, JSON.stringify(rule));
  }

  async deleteRule(account: string, ruleId: string): Promise<boolean> {
    const kv = await this.kv();
    const key = `rule.${account}.${keyPart(ruleId)}`;
    const e = await kv.get(key);
    if (!live(e)) return false;
    await kv.purge(key);
    await this.change(account, (m) => {
      for (const [k, a] of m) if (a.ruleId === ruleId) m.delete(k);
    });
    return true;
  }

  async listRaised(): Promise<RaisedAlert[]> {
    const docs = await this.scan<RaisedAlert[]>('raised.*');
    return docs.flat();
  }

  updateRaised(account: string, raised: readonly RaisedAlert[], cleared: readonly string[]): Promise<void> {
    return this.change(account, (m) => {
      for (const k of cleared) m.delete(k);
      for (const a of raised) m.set(a.key, a);
    });
  }

  private async change(account: string, edit: (m: Map<string, RaisedAlert>) => void): Promise<void> {
    const kv = await this.kv();
    const key = `raised.${account}`;
    for (let attempt = 0; ; attempt++) {
      const e = await kv.get(key);
      const m = new Map((live(e) ? e.json<RaisedAlert[]>() : []).map((a) => [a.key, a]));
      edit(m);
      const value = JSON.stringify([...m.values()]);
      try {
        if (e) await kv.update(key, value, e.revision);
        else await kv.create(key, value);
        return;
      } catch (err) {
        if (!isRevisionConflict(err) || attempt > 20) throw err;
      }
    }
  }
}
