/**
 * The Agent Status record of spec 1.1, built from an agent's state at `now`.
 * Field order follows LivePerson's example response.
 */
import type { AgentStatus, ConnectionState } from './events.js';
import { formatLpTime } from './time.js';
import {
  agentLoad,
  configuredMaxSlots,
  connectionState,
  lastUpdatedAt,
  type AccountState,
  type AgentState,
} from './state.js';

export interface AgentSkillRef {
  skillId: string;
  skillName: string;
}

/** One element of `agentStatusRecords` (spec 1.1). */
export interface AgentStatusRecord {
  agentId: string;
  lastUpdatedTimeL: number;
  lastUpdatedTime: string;
  currentStatusStartTimeL: number;
  currentStatusStartTime: string;
  currentStatusReasonStartTimeL?: number;
  currentStatusReasonStartTime?: string;
  agentName: string;
  agentNickname: string;
  agentLoginName: string;
  agentPictureURL?: string;
  agentSkills: AgentSkillRef[];
  agentGroupId: number;
  agentGroupName: string;
  currentStatus: AgentStatus;
  currentStatusDuration: number;
  currentStatusReason?: string;
  currentStatusReasonDuration?: number;
  load: number;
  ringingSlots: number;
  configuredMaxSlots: number;
  busySlots: number;
  openAssignedConversations: number;
  intenseConversations: number;
  agentPresence: 'true' | 'false';
  currentConnectionState: ConnectionState;
}

/** Builds the record of agent `a` as seen at `now`. */
export function toRecord(acc: AccountState, a: AgentState, now: number): AgentStatusRecord {
  const updated = lastUpdatedAt(acc, a, now);
  const r: AgentStatusRecord = {
    agentId: a.id,
    lastUpdatedTimeL: updated,
    lastUpdatedTime: formatLpTime(updated),
    currentStatusStartTimeL: a.statusStart,
    currentStatusStartTime: formatLpTime(a.statusStart),
  } as AgentStatusRecord;
  if (a.reasonStart !== undefined) {
    r.currentStatusReasonStartTimeL = a.reasonStart;
    r.currentStatusReasonStartTime = formatLpTime(a.reasonStart);
  }
  r.agentName = a.name;
  r.agentNickname = a.nickname;
  r.agentLoginName = a.loginName;
  if (a.pictureUrl !== undefined) r.agentPictureURL = a.pictureUrl;
  r.agentSkills = a.skillIds.map((id) => ({ skillId: id, skillName: acc.skills.get(id) ?? id }));
  r.agentGroupId = Number(a.groupId);
  r.agentGroupName = acc.groups.get(a.groupId) ?? a.groupId;
  r.currentStatus = a.status;
  r.currentStatusDuration = Math.max(0, now - a.statusStart);
  if (a.reasonId !== undefined && a.reasonStart !== undefined) {
    r.currentStatusReason = a.reasonId;
    r.currentStatusReasonDuration = Math.max(0, now - a.reasonStart);
  }
  r.load = agentLoad(acc, a);
  r.ringingSlots = a.ringing;
  r.configuredMaxSlots = configuredMaxSlots(acc, a);
  r.busySlots = a.assigned;
  r.openAssignedConversations = a.assigned;
  r.intenseConversations = a.intense;
  r.agentPresence = a.present ? 'true' : 'false';
  r.currentConnectionState = connectionState(acc, a, now);
  return r;
}
