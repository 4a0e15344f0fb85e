/**
 * Webhook registrations, their outbox, alert rules and raised alerts in the
 * embedded SQLite file (components `webhooks` and `alerts`). Writes are
 * synchronous transactions: durable when the promise resolves.
 */
import type { Statement } from 'better-sqlite3';
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
import { migrate, type SqliteDatabase } from './db.js';

interface HookRow {
  id: string;
  account: string;
  url: string;
  secret: string;
  filter: string;
  alerts: number;
  created_at: number;
  cursor: number;
}

export class SqliteWebhookStore implements WebhookStore {
  private readonly insertMsg: Statement;
  private readonly setCursor: Statement;

  constructor(private readonly db: SqliteDatabase) {
    migrate(db, 'webhooks', [
      {
        version: 1,
        up: (d) =>
          d.exec(`
            CREATE TABLE webhooks (
              id TEXT PRIMARY KEY,
              account TEXT NOT NULL,
              url TEXT NOT NULL,
              secret TEXT NOT NULL,
              filter TEXT NOT NULL,
              alerts INTEGER NOT NULL,
              created_at INTEGER NOT NULL,
              cursor INTEGER NOT NULL,
              failures INTEGER NOT NULL DEFAULT 0,
              last_error TEXT,
              last_success_at INTEGER,
              next_attempt_at INTEGER
            ) WITHOUT ROWID;
            CREATE INDEX webhooks_by_account ON webhooks(account);
            CREATE TABLE webhook_outbox (
              id INTEGER PRIMARY KEY AUTOINCREMENT,
              webhook_id TEXT NOT NULL,
              agent_id TEXT,
              body TEXT NOT NULL,
              batch_id TEXT
            );
            CREATE INDEX webhook_outbox_by_hook ON webhook_outbox(webhook_id, id);
          `),
      },
    ]);
    this.insertMsg = db.prepare('INSERT INTO webhook_outbox (webhook_id, agent_id, body) VALUES (?, ?, ?)');
    this.setCursor = db.prepare('UPDATE webhooks SET cursor = MAX(cursor, ?) WHERE id = ?');
  }

  list(): Promise<WebhookRegistration[]> {
    const rows = this.db.prepare('SELECT id, account, url, secret, filter, alerts, created_at, cursor FROM webhooks ORDER BY created_at, id').all() as HookRow[];
    return Promise.resolve(
      rows.map((r) => ({
        id: r.id,
        account: r.account,
        url: r.url,
        secret: r.secret,
        filter: JSON.parse(r.filter) as unknown,
        alerts: r.alerts === 1,
        createdAt: r.created_at,
        cursor: r.cursor,
      })),
    );
  }

  create(w: WebhookRegistration): Promise<void> {
    this.db
      .prepare('INSERT INTO webhooks (id, account, url, secret, filter, alerts, created_at, cursor) VALUES (?, ?, ?, ?, ?, ?, ?, ?)')
      .run(w.id, w.account, w.url, w.secret, JSON.stringify(w.filter ?? null), w.alerts ? 1 : 0, w.createdAt, w.cursor);
    return Promise.resolve();
  }

  delete(account: string, id: string): Promise<boolean> {
    const removed = this.db.transaction(() => {
      const r = this.db.prepare('DELETE FROM webhooks WHERE id = ? AND account = ?').run(id, account);
      if (r.changes > 0) this.db.prepare('DELETE FROM webhook_outbox WHERE webhook_id = ?').run(id);
      return r.changes > 0;
    })();
    return Promise.resolve(removed);
  }

  enqueue(messages: readonly WebhookMessage[], cursors: ReadonlyMap<string, number>): Promise<void> {
    this.db.transaction(() => {
      for (const m of messages) this.insertMsg.run(m.webhookId, m.agentId ?? null, m.body);
      for (const [id, pos] of cursors) this.setCursor.run(pos, id);
    })();
    return Promise.resolve();
  }

  nextBatch(webhookId: string, limit: number, newDeliveryId: () => string): Promise<WebhookBatch | undefined> {
    const batch = this.db.transaction((): WebhookBatch | undefined => {
      const first = this.db.prepare('SELECT batch_id FROM webhook_outbox WHERE webhook_id = ? ORDER BY id LIMIT 1').get(webhookId) as
        | { batch_id: string | null }
        | undefined;
      if (!first) return undefined;
      let deliveryId = first.batch_id;
      if (deliveryId === null) {
        deliveryId = newDeliveryId();
        this.db
          .prepare(
            'UPDATE webhook_outbox SET batch_id = ? WHERE id IN (SELECT id FROM webhook_outbox WHERE webhook_id = ? ORDER BY id LIMIT ?)',
          )
          .run(deliveryId, webhookId, limit);
      }
      const rows = this.db.prepare('SELECT body FROM webhook_outbox WHERE webhook_id = ? AND batch_id = ? ORDER BY id').all(webhookId, deliveryId) as {
        body: string;
      }[];
      return { deliveryId, bodies: rows.map((r) => r.body) };
    })();
    return Promise.resolve(batch);
  }

  complete(webhookId: string, deliveryId: string): Promise<void> {
    this.db.prepare('DELETE FROM webhook_outbox WHERE webhook_id = ? AND batch_id = ?').run(webhookId, deliveryId);
    return Promise.resolve();
  }

  pendingCount(webhookId: string): Promise<number> {
    const r = this.db.prepare('SELECT COUNT(*) AS n FROM webhook_outbox WHERE webhook_id = ?').get(webhookId) as { n: number };
    return Promise.resolve(r.n);
  }

  compact(webhookId: string): Promise<number> {
    const r = this.db
      .prepare(
        `DELETE FROM webhook_outbox WHERE webhook_id = ? AND batch_id IS NULL AND agent_id IS NOT NULL
           AND id NOT IN (SELECT MAX(id) FROM webhook_outbox WHERE webhook_id = ? AND agent_id IS NOT NULL GROUP BY agent_id)`,
      )
      .run(webhookId, webhookId);
    return Promise.resolve(r.changes);
  }

  health(webhookId: string): Promise<WebhookHealth> {
    const r = this.db.prepare('SELECT failures, last_error, last_success_at, next_attempt_at FROM webhooks WHERE id = ?').get(webhookId) as
      | { failures: number; last_error: string | null; last_success_at: number | null; next_attempt_at: number | null }
      | undefined;
    if (!r) return Promise.resolve({ failures: 0 });
    return Promise.resolve({
      failures: r.failures,
      ...(r.last_error !== null ? { lastError: r.last_error } : {}),
      ...(r.last_success_at !== null ? { lastSuccessAt: r.last_success_at } : {}),
      ...(r.next_attempt_at !== null ? { nextAttemptAt: r.next_attempt_at } : {}),
    });
  }

  saveHealth(webhookId: string, h: WebhookHealth): Promise<void> {
    this.db
      .prepare('UPDATE webhooks SET failures = ?, last_error = ?, last_success_at = ?, next_attempt_at = ? WHERE id = ?')
      .run(h.failures, h.lastError ?? null, h.lastSuccessAt ?? null, h.nextAttemptAt ?? null, webhookId);
    return Promise.resolve();
  }
}

export class SqliteAlertStore implements AlertStore {
  constructor(private readonly db: SqliteDatabase) {
    migrate(db, 'alerts', [
      {
        version: 1,
        up: (d) =>
          d.exec(`
            CREATE TABLE alert_rules (
              account TEXT NOT NULL,
              id TEXT NOT NULL,
              created_at INTEGER NOT NULL,
              rule TEXT NOT NULL,
              PRIMARY KEY (account, id)
            ) WITHOUT ROWID;
            CREATE TABLE alerts_raised (
              account TEXT NOT NULL,
              key TEXT NOT NULL,
              rule_id TEXT NOT NULL,
              data TEXT NOT NULL,
              PRIMARY KEY (account, key)
            ) WITHOUT ROWID;
          `),
      },
    ]);
  }

  listRules(): Promise<StoredAlertRule[]> {
    const rows = this.db.prepare('SELECT account, created_at, rule FROM alert_rules ORDER BY created_at, id').all() as {
      account: string;
      created_at: number;
      rule: string;
    }[];
    return Promise.resolve(rows.map((r) => ({ account: r.account, createdAt: r.created_at, rule: JSON.parse(r.rule) as StoredAlertRule['rule'] })));
  }

  createRule(r: StoredAlertRule): Promise<void> {
    this.db.prepare('INSERT INTO alert_rules (account, id, created_at, rule) VALUES (?, ?, ?, ?)').run(r.account, r.rule.id, r.createdAt, JSON.stringify(r.rule));
    return Promise.resolve();
  }

  deleteRule(account: string, ruleId: string): Promise<boolean> {
    const removed = this.db.transaction(() => {
      const r = this.db.prepare('DELETE FROM alert_rules WHERE account = ? AND id = ?').run(account, ruleId);
      this.db.prepare('DELETE FROM alerts_raised WHERE account = ? AND rule_id = ?').run(account, ruleId);
      return r.changes > 0;
    })();
    return Promise.resolve(removed);
  }

  listRaised(): Promise<RaisedAlert[]> {
    const rows = this.db.prepare('SELECT data FROM alerts_raised ORDER BY account, key').all() as { data: string }[];
    return Promise.resolve(rows.map((r) => JSON.parse(r.data) as RaisedAlert));
  }

  updateRaised(account: string, raised: readonly RaisedAlert[], cleared: readonly string[]): Promise<void> {
    this.db.transaction(() => {
      const del = this.db.prepare('DELETE FROM alerts_raised WHERE account = ? AND key = ?');
      for (const k of cleared) del.run(account, k);
      const ins = this.db.prepare('INSERT OR REPLACE INTO alerts_raised (account, key, rule_id, data) VALUES (?, ?, ?, ?)');
      for (const a of raised) ins.run(account, a.key, a.ruleId, JSON.stringify(a));
    })();
    return Promise.resolve();
  }
}
