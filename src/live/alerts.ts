/**
 * Threshold alerts: rules per account (persisted), evaluated every
 * `evalMs` against the live state by the pure `evaluateAlerts`; alerts that
 * start or stop holding are raised or cleared on the account's streams and
 * webhooks, and the raised set is persisted so a restart does not raise
 * them again.
 */
import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import { createAlertMemory, evaluateAlerts, type AlertMemory, type AlertRule } from '../core/index.js';
import type { Engine } from '../engine/index.js';
import { ApiError } from '../errors/index.js';
import type { AlertStore, Clock, RaisedAlert, StoredAlertRule } from '../ports/index.js';
import { toAlertRule, type AlertRuleBody } from '../schemas/live.js';

/** An alert as clients see it. */
export interface AlertView {
  id: string;
  ruleId: string;
  kind: string;
  agentId?: string;
  groupId?: string;
  since: number;
  raisedAt: number;
  message: string;
}

export type AlertEventType = 'alert.raised' | 'alert.cleared';
export type AlertSink = (account: string, type: AlertEventType, alert: AlertView) => void;

export interface AlertServiceOptions {
  perAccount: number;
  evalMs: number;
}

export function alertView(a: RaisedAlert): AlertView {
  return {
    id: a.key,
    ruleId: a.ruleId,
    kind: a.kind,
    ...(a.agentId !== undefined ? { agentId: a.agentId } : {}),
    ...(a.groupId !== undefined ? { groupId: a.groupId } : {}),
    since: a.since,
    raisedAt: a.raisedAt,
    message: a.message,
  };
}

export class AlertService {
  private readonly rules = new Map<string, StoredAlertRule[]>();
  private readonly raised = new Map<string, Map<string, RaisedAlert>>();
  private readonly memory = new Map<string, AlertMemory>();
  private readonly sinks: AlertSink[] = [];
  private timer: NodeJS.Timeout | undefined;
  private evaluating: Promise<void> | undefined;

  constructor(
    private readonly engine: Engine,
    private readonly clock: Clock,
    private readonly store: AlertStore,
    private readonly opts: AlertServiceOptions,
    private readonly logger?: Logger,
  ) {}

  addSink(sink: AlertSink): void {
    this.sinks.push(sink);
  }

  async load(): Promise<void> {
    for (const r of await this.store.listRules()) {
      let list = this.rules.get(r.account);
      if (!list) this.rules.set(r.account, (list = []));
      list.push(r);
    }
    for (const a of await this.store.listRaised()) this.raisedOf(a.account).set(a.key, a);
  }

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => void this.evaluate(), this.opts.evalMs);
    this.timer.unref();
  }

  private raisedOf(account: string): Map<string, RaisedAlert> {
    let m = this.raised.get(account);
    if (!m) this.raised.set(account, (m = new Map<string, RaisedAlert>()));
    return m;
  }

  /** Evaluates every account with rules at the clock's now; resolves once persisted and published. */
  evaluate(): Promise<void> {
    this.evaluating ??= this.evaluateNow().finally(() => {
      this.evaluating = undefined;
    });
    return this.evaluating;
  }

  private async evaluateNow(): Promise<void> {
    const now = this.clock.now();
    for (const [account, stored] of this.rules) {
      const acc = this.engine.account(account);
      const current = this.raisedOf(account);
      let memory = this.memory.get(account);
      if (!memory) this.memory.set(account, (memory = createAlertMemory()));
      const conditions = acc ? evaluateAlerts(acc, stored.map((s) => s.rule), now, memory) : [];
      const holding = new Set<string>();
      const raised: RaisedAlert[] = [];
      for (const c of conditions) {
        holding.add(c.key);
        if (current.has(c.key)) continue;
        raised.push({
          account,
          key: c.key,
          ruleId: c.ruleId,
          kind: c.kind,
          ...(c.agentId !== undefined ? { agentId: c.agentId } : {}),
          ...(c.groupId !== undefined ? { groupId: c.groupId } : {}),
          since: c.since,
          raisedAt: now,
          message: c.message,
        });
      }
      const cleared = [...current.values()].filter((a) => !holding.has(a.key));
      if (raised.length === 0 && cleared.length === 0) continue;
      try {
        await this.store.updateRaised(
          account,
          raised,
          cleared.map((a) => a.key),
        );
      } catch (err) {
        this.logger?.error({ err, account }, 'could not persist alerts');
        continue;
      }
      for (const a of cleared) current.delete(a.key);
      for (const a of raised) current.set(a.key, a);
      for (const a of cleared) this.publish(account, 'alert.cleared', alertView(a));
      for (const a of raised) this.publish(account, 'alert.raised', alertView(a));
    }
  }

  private publish(account: string, type: AlertEventType, alert: AlertView): void {
    for (const s of this.sinks) {
      try {
        s(account, type, alert);
      } catch (err) {
        this.logger?.error({ err }, 'alert sink failed');
      }
    }
  }

  /** Active alerts of an account, oldest first. */
  active(account: string): AlertView[] {
    return [...(this.raised.get(account)?.values() ?? [])].sort((a, b) => a.raisedAt - b.raisedAt || (a.key < b.key ? -1 : 1)).map(alertView);
  }

  listRules(account: string): (AlertRule & { createdAt: number })[] {
    return (this.rules.get(account) ?? []).map((r) => ({ ...r.rule, createdAt: r.createdAt }));
  }

  async createRule(account: string, body: AlertRuleBody): Promise<AlertRule & { createdAt: number }> {
    const list = this.rules.get(account) ?? [];
    if (list.length >= this.opts.perAccount) throw new ApiError('LIMIT_REACHED', `an account may have at most ${this.opts.perAccount} alert rules`);
    const rule = toAlertRule(`ar_${randomBytes(9).toString('base64url')}`, body);
    const stored: StoredAlertRule = { account, createdAt: this.clock.now(), rule };
    await this.store.createRule(stored);
    list.push(stored);
    this.rules.set(account, list);
    return { ...rule, createdAt: stored.createdAt };
  }

  async deleteRule(account: string, ruleId: string): Promise<boolean> {
    const list = this.rules.get(account);
    if (!list?.some((r) => r.rule.id === ruleId)) return false;
    await this.evaluating;
    await this.store.deleteRule(account, ruleId);
    const rest = list.filter((r) => r.rule.id !== ruleId);
    if (rest.length > 0) this.rules.set(account, rest);
    else this.rules.delete(account);
    const current = this.raisedOf(account);
    for (const a of [...current.values()]) {
      if (a.ruleId !== ruleId) continue;
      current.delete(a.key);
      this.publish(account, 'alert.cleared', alertView(a));
    }
    return true;
  }

  stop(): void {
    clearInterval(this.timer);
  }
}
