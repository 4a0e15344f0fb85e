/** Schemas of the Summary method (spec 1.2). */
import { Type, type Static } from 'typebox';
import { ERROR_CODE_KEY } from './agent-view.js';

export const SummaryQuery = Type.Object({
  groupBy: Type.Optional(
    Type.Union([Type.Literal('agentGroupId'), Type.Literal('skillId')], {
      [ERROR_CODE_KEY]: 'VALIDATION_FAILED',
      description: 'extension: one summary block per agent group or per skill',
    }),
  ),
});
export type SummaryQuery = Static<typeof SummaryQuery>;

export const SummaryResultsSchema = Type.Object({
  openAssignedConversations: Type.Integer(),
  weightedAvgLoad: Type.Number(),
  minLoad: Type.Integer(),
  maxLoad: Type.Integer(),
  minConfiguredMaxSlots: Type.Integer(),
  maxConfiguredMaxSlots: Type.Integer(),
  numOnlineAgents: Type.Integer(),
  numAwayAgents: Type.Integer(),
  numBackSoonAgents: Type.Integer(),
});

export const SummaryResponse = Type.Object({
  accountID: Type.String(),
  summaryResults: SummaryResultsSchema,
  groupBy: Type.Optional(Type.Union([Type.Literal('agentGroupId'), Type.Literal('skillId')])),
  groups: Type.Optional(
    Type.Array(
      Type.Object({
        agentGroupId: Type.Optional(Type.Integer()),
        agentGroupName: Type.Optional(Type.String()),
        skillId: Type.Optional(Type.String()),
        skillName: Type.Optional(Type.String()),
        summaryResults: SummaryResultsSchema,
      }),
    ),
  ),
});
export type SummaryResponse = Static<typeof SummaryResponse>;
