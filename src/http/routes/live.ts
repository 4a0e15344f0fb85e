/** Webhook registrations, alert rules, active alerts and status samples (spec 4.2 and extensions). */
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { ApiError } from '../../errors/index.js';
import type { LiveServices } from '../../live/index.js';
import { AccountParams } from '../../schemas/agent-view.js';
import { AlertRuleBody, AlertRuleParams, AlertView, WebhookBody, WebhookParams, WebhookView } from '../../schemas/live.js';
import type { AppDeps } from '../deps.js';
import { streamRoutes } from './stream.js';

/** Registrations made while the view is still replaying would see history as new changes. */
function requireReady(deps: AppDeps): void {
  if (!deps.engine.isReady() || deps.isShuttingDown()) {
    throw new ApiError('NOT_READY', 'the server is starting or stopping', undefined, { 'Retry-After': '1' });
  }
}

export function liveRoutes(app: FastifyInstance, deps: AppDeps, live: LiveServices): void {
  streamRoutes(app, deps, live.hub);
  // Streams are long-lived: end them (with a final event) before the server waits for connections to close.
  app.addHook('preClose', (done) => {
    live.closeStreams();
    done();
  });

  app.post(
    '/api/account/:accountID/admin/webhooks',
    {
      config: { scope: 'admin' },
      schema: {
        tags: ['webhooks'],
        summary: 'Register a webhook: the stream’s changes (and alerts), POSTed and signed',
        description:
          'Deliveries are POSTs of `{deliveryId, webhookId, account, events: [{type: upsert|remove|alert.raised|alert.cleared, seq, …}]}` with `X-Agentview-Signature: sha256=<hex HMAC-SHA256(raw body, secret)>` and `X-Agentview-Delivery`. The secret is returned only here.',
        params: AccountParams,
        body: WebhookBody,
        response: { 201: Type.Intersect([WebhookView, Type.Object({ secret: Type.String() })]) },
      },
    },
    async (req, reply) => {
      const { accountID } = req.params as { accountID: string };
      requireReady(deps);
      const { view, secret } = await live.webhooks.create(accountID, req.body as WebhookBody);
      return reply.code(201).send({ ...view, secret });
    },
  );

  app.get(
    '/api/account/:accountID/admin/webhooks',
    {
      config: { scope: 'admin' },
      schema: {
        tags: ['webhooks'],
        summary: 'List the account’s webhooks with their delivery state',
        params: AccountParams,
        response: { 200: Type.Object({ webhooks: Type.Array(WebhookView) }) },
      },
    },
    async (req) => {
      const { accountID } = req.params as { accountID: string };
      return { webhooks: await live.webhooks.list(accountID) };
    },
  );

  app.delete(
    '/api/account/:accountID/admin/webhooks/:webhookId',
    {
      config: { scope: 'admin' },
      schema: { tags: ['webhooks'], summary: 'Delete a webhook and its undelivered messages', params: WebhookParams },
    },
    async (req, reply) => {
      const { accountID, webhookId } = req.params as { accountID: string; webhookId: string };
      if (!(await live.webhooks.delete(accountID, webhookId))) throw new ApiError('NOT_FOUND', `no webhook ${webhookId} in this account`);
      return reply.code(204).send();
    },
  );

  const RuleView = Type.Intersect([Type.Object({ id: Type.String(), kind: Type.String(), createdAt: Type.Integer() }), Type.Record(Type.String(), Type.Unknown())]);

  app.post(
    '/api/account/:accountID/admin/alert-rules',
    {
      config: { scope: 'admin' },
      schema: {
        tags: ['alerts'],
        summary: 'Add a threshold alert rule',
        description:
          'Kinds: `status-duration` {status, reasonId?, minutes, groupIds?} (an agent in a status, with a reason, for too long); `load` {minLoad, minutes, groupIds?} (load ≥ minLoad % for minutes); `group-no-online` {groupId, minutes?} (no logged-in agent of the group ONLINE).',
        params: AccountParams,
        body: AlertRuleBody,
        response: { 201: RuleView },
      },
    },
    async (req, reply) => {
      const { accountID } = req.params as { accountID: string };
      requireReady(deps);
      return reply.code(201).send(await live.alerts.createRule(accountID, req.body as AlertRuleBody));
    },
  );

  app.get(
    '/api/account/:accountID/admin/alert-rules',
    {
      config: { scope: 'admin' },
      schema: { tags: ['alerts'], summary: 'List alert rules', params: AccountParams, response: { 200: Type.Object({ rules: Type.Array(RuleView) }) } },
    },
    (req) => ({ rules: live.alerts.listRules((req.params as { accountID: string }).accountID) }),
  );

  app.delete(
    '/api/account/:accountID/admin/alert-rules/:ruleId',
    {
      config: { scope: 'admin' },
      schema: { tags: ['alerts'], summary: 'Delete an alert rule (its raised alerts are cleared)', params: AlertRuleParams },
    },
    async (req, reply) => {
      const { accountID, ruleId } = req.params as { accountID: string; ruleId: string };
      if (!(await live.alerts.deleteRule(accountID, ruleId))) throw new ApiError('NOT_FOUND', `no alert rule ${ruleId} in this account`);
      return reply.code(204).send();
    },
  );

  app.get(
    '/api/account/:accountID/agent-view/alerts',
    {
      config: { scope: 'read' },
      schema: {
        tags: ['alerts'],
        summary: 'Alerts currently raised',
        params: AccountParams,
        response: { 200: Type.Object({ alerts: Type.Array(AlertView) }) },
      },
    },
    (req) => ({ alerts: live.alerts.active((req.params as { accountID: string }).accountID) }),
  );

  app.get(
    '/api/account/:accountID/agent-view/status-counts',
    {
      config: { scope: 'read' },
      schema: {
        tags: ['live'],
        summary: 'Logged-in agents per status, sampled over the last hour (in memory, since the server started)',
        params: AccountParams,
        response: {
          200: Type.Object({
            intervalMs: Type.Integer(),
            samples: Type.Array(Type.Object({ t: Type.Integer(), ONLINE: Type.Integer(), AWAY: Type.Integer(), BACK_SOON: Type.Integer() })),
          }),
        },
      },
    },
    (req) => ({ intervalMs: live.samples.intervalMs, samples: live.samples.samples((req.params as { accountID: string }).accountID) }),
  );
}
