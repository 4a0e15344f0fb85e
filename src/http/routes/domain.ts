/**
 * Domain API (spec 1.3): LivePerson clients ask where each service lives;
 * here every service they use is this deployment's public host.
 */
import type { FastifyInstance } from 'fastify';
import { ApiError } from '../../errors/index.js';
import { AccountParams } from '../../schemas/agent-view.js';
import { BaseUri, BaseUriList, DomainParams, DomainQuery } from '../../schemas/auth.js';
import type { AppDeps } from '../deps.js';

/**
 * Services answered: Agent Metrics (msgHist), the agent workspace and its
 * Login API (agentManagerWorkspace, agentVep), and reporting
 * (leDataReporting), all served by this deployment.
 */
export const DOMAIN_SERVICES = ['msgHist', 'agentManagerWorkspace', 'agentVep', 'leDataReporting'] as const;

export function baseUris(publicUrl: string, account: string): { service: string; account: string; baseURI: string }[] {
  const host = new URL(publicUrl).host;
  return DOMAIN_SERVICES.map((service) => ({ service, account, baseURI: host }));
}

export function domainRoutes(app: FastifyInstance, deps: AppDeps): void {
  const tags = ['domain (LivePerson-compatible)'];
  app.get(
    '/api/account/:accountID/service/:service/baseURI.json',
    {
      schema: {
        tags,
        summary: "Domain API: the host serving one of the account's services",
        security: [],
        params: DomainParams,
        querystring: DomainQuery,
        response: { 200: BaseUri },
      },
    },
    (req) => {
      const { accountID, service } = req.params as { accountID: string; service: string };
      const found = baseUris(deps.publicUrl, accountID).find((b) => b.service === service);
      if (!found) {
        throw new ApiError('NOT_FOUND', `unknown service ${JSON.stringify(service)} (known: ${DOMAIN_SERVICES.join(', ')})`, 'service');
      }
      return found;
    },
  );
  app.get(
    '/api/account/:accountID/service/baseURI.json',
    {
      schema: {
        tags,
        summary: "Domain API: the hosts of all the account's services",
        security: [],
        params: AccountParams,
        querystring: DomainQuery,
        response: { 200: BaseUriList },
      },
    },
    (req) => ({ baseURIs: baseUris(deps.publicUrl, (req.params as { accountID: string }).accountID) }),
  );
}
