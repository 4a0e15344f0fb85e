/** What the HTTP layer needs from the rest of the process. */
import type { FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import type { Engine } from '../engine/index.js';
import type { Clock, HistoryIndex } from '../ports/index.js';
import type { Authenticator } from './plugins/auth.js';

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
}

