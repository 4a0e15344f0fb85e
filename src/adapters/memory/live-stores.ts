/** In-memory webhook and alert stores (the `memory` store kind: nothing survives a restart). */
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

interface Row {
  agentId: string | undefined;
  body: string;
  batch: string | undefined;
}

export class MemoryWebhookStore implements WebhookStore {
  private readonly hooks = new Map<string, WebhookRegistration>();
  private readonly outbox = new Map<string, Row[]>();
  private readonly healths = new Map<string, WebhookHealth>();

  list(): Promise<WebhookRegistration[]> {
    return Promise.resolve([...this.hooks.values()].map((h) => ({ ...h })));
  }

  create(registration: WebhookRegistration): Promise<void> {
    this.hooks.set(registration.id, { ...registration });
    this.outbox.set(registration.id, []);
    return Promise.resolve();
  }

  delete(account: string, id: string): Promise<boolean> {
    const h = this.hooks.get(id);
    if (!h || h.account !== account) return Promise.resolve(false);
    this.hooks.delete(id);
    this.outbox.delete(id);
    this.healths.delete(id);
    return Promise.resolve(true);
  }

  enqueue(messages: readonly WebhookMessage[], cursors: ReadonlyMap<string, number>): Promise<void> {
    for (const m of messages) this.outbox.get(m.webhookId)?.push({ agentId: m.agentId, body: m.body, batch: undefined });
    for (const [id, pos] of cursors) {
      const h = this.hooks.get(id);
      if (h) h.cursor = Math.max(h.cursor, pos);
    }
    return Promise.resolve();
  }

  nextBatch(webhookId: string, limit: number, newDeliveryId: () => string): Promise<WebhookBatch | undefined> {
    const rows = this.outbox.get(webhookId);
    if (!rows || rows.length === 0) return Promise.resolve(undefined);
    const started = rows[0]!.batch;
    if (started !== undefined) {
      return Promise.resolve({ deliveryId: started, bodies: rows.filter((r) => r.batch === started).map((r) => r.body) });
    }
    const deliveryId = newDeliveryId();
    const take = rows.slice(0, limit);
    for (const r of take) r.batch = deliveryId;
    return Promise.resolve({ deliveryId, bodies: take.map((r) => r.body) });
  }

  complete(webhookId: string, deliveryId: string): Promise<void> {
    const rows = this.outbox.get(webhookId);
    if (rows) this.outbox.set(webhookId, rows.filter((r) => r.batch !== deliveryId));
    return Promise.resolve();
  }

  pendingCount(webhookId: string): Promise<number> {
    return Promise.resolve(this.outbox.get(webhookId)?.length ?? 0);
  }

  compact(webhookId: string): Promise<number> {
    const rows = this.outbox.get(webhookId);
    if (!rows) return Promise.resolve(0);
    const newest = new Map<string, number>();
    rows.forEach((r, i) => {
      if (r.agentId !== undefined) newest.set(r.agentId, i);
    });
    const kept = rows.filter((r, i) => r.batch !== undefined || r.agentId === undefined || newest.get(r.agentId) === i);
    this.outbox.set(webhookId, kept);
    return Promise.resolve(rows.length - kept.length);
  }

  health(webhookId: string): Promise<WebhookHealth> {
    return Promise.resolve({ ...(this.healths.get(webhookId) ?? { failures: 0 }) });
  }

  saveHealth(webhookId: string, health: WebhookHealth): Promise<void> {
    if (this.hooks.has(webhookId)) this.healths.set(webhookId, { ...health });
    return Promise.resolve();
  }
}

export class MemoryAlertStore implements AlertStore {
  private rules: StoredAlertRule[] = [];
  private raised = new Map<string, RaisedAlert>();

  listRules(): Promise<StoredAlertRule[]> {
    return Promise.resolve(this.rules.map((r) => ({ ...r })));
  }

  createRule(rule: StoredAlertRule): Promise<void> {
    this.rules.push({ ...rule });
    return Promise.resolve();
  }

  deleteRule(account: string, ruleId: string): Promise<boolean> {
    const before = this.rules.length;
    this.rules = this.rules.filter((r) => !(r.account === account && r.rule.id === ruleId));
    for (const [k, a] of this.raised) if (a.account === account && a.ruleId === ruleId) this.raised.delete(k);
    return Promise.resolve(this.rules.length < before);
  }

  listRaised(): Promise<RaisedAlert[]> {
    return Promise.resolve([...this.raised.values()].map((a) => ({ ...a })));
  }

  updateRaised(account: string, raised: readonly RaisedAlert[], cleared: readonly string[]): Promise<void> {
    for (const k of cleared) this.raised.delete(`${account}\u0000${k}`);
    for (const a of raised) this.raised.set(`${account}\u0000${a.key}`, { ...a });
    return Promise.resolve();
  }
}
