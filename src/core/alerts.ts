/**
 * Threshold alerts: per-account rules evaluated against the live state at a
 * moment passed in. Pure: the only memory is the `AlertMemory` the caller
 * keeps between evaluations (when a condition without a clock of its own,
 * such as "load ≥ P %", first became true).
 */
import type { AgentStatus } from './events.js';
import { agentLoad, type AccountState, type AgentState } from './state.js';

/** "An agent has been in `status` (with `reasonId`, when given) for `minutes` or more." */
export interface StatusDurationRule {
  id: string;
  kind: 'status-duration';
  status: Exclude<AgentStatus, 'OFFLINE'>;
  reasonId?: string | undefined;
  minutes: number;
  /** Only agents of these groups; absent = all. */
  groupIds?: readonly string[] | undefined;
}

/** "An agent's load has been ≥ `minLoad` % for `minutes` or more." */
export interface LoadRule {
  id: string;
  kind: 'load';
  minLoad: number;
  minutes: number;
  groupIds?: readonly string[] | undefined;
}

/** "No logged-in agent of group `groupId` has been ONLINE for `minutes` or more." */
export interface GroupNoOnlineRule {
  id: string;
  kind: 'group-no-online';
  groupId: string;
  minutes: number;
}

/** A threshold rule (discriminated by `kind`). */
export type AlertRule = StatusDurationRule | LoadRule | GroupNoOnlineRule;
export type AlertKind = AlertRule['kind'];
export const ALERT_KINDS = ['status-duration', 'load', 'group-no-online'] as const satisfies readonly AlertKind[];

/** A condition that currently holds for long enough to be an alert. */
export interface AlertCondition {
  /** Stable identity: rule and subject. */
  key: string;
  ruleId: string;
  kind: AlertKind;
  agentId?: string;
  groupId?: string;
  /** When the condition began (epoch ms). */
  since: number;
  /** A one-line description for people. */
  message: string;
}

/** What evaluations remember between calls: when untimed conditions began. */
export interface AlertMemory {
  since: Map<string, number>;
}

export function createAlertMemory(): AlertMemory {
  return { since: new Map() };
}

const MINUTE = 60_000;

/** The threshold part of a message; it stays true as long as the alert is raised. */
function forAtLeast(minutes: number): string {
  return minutes > 0 ? ` for ${minutes} min or more` : '';
}

function inGroups(a: AgentState, groups: ReadonlySet<string> | undefined): boolean {
  return groups === undefined || groups.has(a.groupId);
}

/**
 * Evaluates every rule of an account at `now`. Returns the conditions that
 * hold long enough; updates `memory` (entries of conditions that stopped
 * holding are dropped, so memory stays bounded by the account's size).
 */
export function evaluateAlerts(acc: AccountState, rules: readonly AlertRule[], now: number, memory: AlertMemory): AlertCondition[] {
  const out: AlertCondition[] = [];
  const seen = new Set<string>();
  for (const rule of rules) {
    switch (rule.kind) {
      case 'status-duration': {
        const groups = rule.groupIds && rule.groupIds.length > 0 ? new Set(rule.groupIds) : undefined;
        const threshold = rule.minutes * MINUTE;
        for (const a of acc.byStatus.get(rule.status) ?? []) {
          if (!a.loggedIn || !inGroups(a, groups)) continue;
          let start = a.statusStart;
          if (rule.reasonId !== undefined) {
            if (a.reasonId !== rule.reasonId || a.reasonStart === undefined) continue;
            start = a.reasonStart;
          }
          if (now - start < threshold) continue;
          const why = rule.reasonId !== undefined ? ` (reason ${rule.reasonId})` : '';
          out.push({
            key: `${rule.id}:${a.id}`,
            ruleId: rule.id,
            kind: rule.kind,
            agentId: a.id,
            since: start,
            message: `${a.name} is ${rule.status}${why}${forAtLeast(rule.minutes)}`,
          });
        }
        break;
      }
      case 'load': {
        const groups = rule.groupIds && rule.groupIds.length > 0 ? new Set(rule.groupIds) : undefined;
        for (const a of acc.loggedIn) {
          if (!inGroups(a, groups)) continue;
          const load = agentLoad(acc, a);
          if (load < rule.minLoad) continue;
          const key = `${rule.id}:${a.id}`;
          seen.add(key);
          let since = memory.since.get(key);
          if (since === undefined) memory.since.set(key, (since = now));
          if (now - since < rule.minutes * MINUTE) continue;
          out.push({
            key,
            ruleId: rule.id,
            kind: rule.kind,
            agentId: a.id,
            since,
            message: `${a.name} has a load of ${rule.minLoad}% or more${forAtLeast(rule.minutes)}`,
          });
        }
        break;
      }
      case 'group-no-online': {
        let online = false;
        for (const a of acc.byGroup.get(rule.groupId) ?? []) {
          if (a.loggedIn && a.status === 'ONLINE') {
            online = true;
            break;
          }
        }
        if (online) break;
        const key = `${rule.id}:group:${rule.groupId}`;
        seen.add(key);
        let since = memory.since.get(key);
        if (since === undefined) memory.since.set(key, (since = now));
        if (now - since < rule.minutes * MINUTE) break;
        const name = acc.groups.get(rule.groupId) ?? rule.groupId;
        out.push({
          key,
          ruleId: rule.id,
          kind: rule.kind,
          groupId: rule.groupId,
          since,
          message: `No agent of group ${name} is ONLINE${forAtLeast(rule.minutes)}`,
        });
        break;
      }
      default:
        assertNever(rule);
    }
  }
  for (const k of memory.since.keys()) if (!seen.has(k)) memory.since.delete(k);
  return out;
}

function assertNever(x: never): never {
  throw new Error(`unhandled rule ${JSON.stringify(x)}`);
}
