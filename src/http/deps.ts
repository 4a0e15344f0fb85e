/** What the HTTP layer needs from the rest of the process. */
import type { FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import type { Engine } from '../engine/index.js';
import type { LiveServices } from '../live/index.js';
import type { Clock, HistoryIndex } from '../ports/index.js';
import type { Authenticator } from './plugins/auth.js';
import type { AuthService } from '../auth/index.js';

export interface AppDeps {
  engine: Engine;
  clock: Clock;
  /** scheme://host[:port] clients use to reach this deployment. */
  publicUrl: string;
  authenticators: readonly Authenticator[];
  isShuttingDown: () => boolean;
  /** Cluster read-your-writes: wait until the view reached what the request asks for. */
  awaitConsistency?: (req: FastifyRequest) => Promise<void>;
  logger?: Logger;
  bodyLimitBytes?: number;
  version?: string;
  /** Status history (spec 4.3, 4.4); its routes exist only when given. */
  history?: HistoryIndex;
  /** Accounts and access: admin users/keys and the Login API are served when present. */
  auth?: AuthService;
  /** Per-account limit on authenticated requests; unlimited when absent. */
  rateLimit?: { ratePerSecond: number; burst: number };
  /** Logins per account (default 2 per second, burst 20). */
  loginRateLimit?: { ratePerSecond: number; burst: number };
  /** Live push (stream, webhooks, alerts); routes are registered only when present. */
  live?: LiveServices;
  /** Folder of the built wallboard (index.html and assets); `/` serves it when present. */
  webDir?: string;
}

