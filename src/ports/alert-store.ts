/** Where threshold-alert rules and the alerts currently raised are kept. */
import type { AlertRule } from '../core/index.js';

/** A rule with its account and creation time. */
export interface StoredAlertRule {
  account: string;
  createdAt: number;
  rule: AlertRule;
}

/** An alert that was raised and not yet cleared. */
export interface RaisedAlert {
  account: string;
  /** Rule and subject (`<ruleId>:<agentId>` or `<ruleId>:group:<groupId>`). */
  key: string;
  ruleId: string;
  kind: AlertRule['kind'];
  agentId?: string | undefined;
  groupId?: string | undefined;
  since: number;
  raisedAt: number;
  message: string;
}

export interface AlertStore {
  listRules(): Promise<StoredAlertRule[]>;
  createRule(rule: StoredAlertRule): Promise<void>;
  /** Deletes a rule and its raised alerts; false when unknown. */
  deleteRule(account: string, ruleId: string): Promise<boolean>;
  listRaised(): Promise<RaisedAlert[]>;
  /** Records raised alerts and clears others (by key) of one account, atomically. */
  updateRaised(account: string, raised: readonly RaisedAlert[], cleared: readonly string[]): Promise<void>;
}
