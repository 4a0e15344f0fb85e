/**
 * Every route the app serves, with the scope it requires, recorded as routes
 * are added (so routes any plugin adds later are seen too). The tenancy test
 * walks this table.
 */
import type { FastifyInstance } from 'fastify';
import type { Scope } from '../ports/index.js';

export interface RouteInfo {
  method: string;
  url: string;
  /** Scope the route requires; undefined for public routes. */
  scope: Scope | undefined;
}

declare module 'fastify' {
  interface FastifyInstance {
    routeTable: RouteInfo[];
  }
}

export function trackRoutes(app: FastifyInstance): void {
  const table: RouteInfo[] = [];
  app.decorate('routeTable', table);
  app.addHook('onRoute', (opts) => {
    const methods = Array.isArray(opts.method) ? opts.method : [opts.method];
    const scope = (opts.config)?.scope;
    for (const method of methods) table.push({ method: String(method), url: opts.url ?? opts.path, scope });
  });
}
