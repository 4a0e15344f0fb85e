/**
 * Cluster mode with account shards: a server keeps views of one shard of the
 * accounts, so a request about another account is misdirected. It answers
 * 421 with the shard it serves, after authentication (an anonymous caller
 * learns nothing about the layout) and before any work.
 */
import type { FastifyInstance } from 'fastify';
import { ApiError } from '../../errors/index.js';

export interface ShardGuard {
  serves: (account: string) => boolean;
  /** `i/n`, sent in `X-Agentview-Shard`. */
  label: string;
}

export function registerShardGuard(app: FastifyInstance, guard: ShardGuard | undefined): void {
  if (!guard) return;
  app.addHook('preHandler', (req, _reply, done) => {
    const account = (req.params as { accountID?: unknown } | undefined)?.accountID;
    if (typeof account === 'string' && !guard.serves(account)) {
      done(
        new ApiError('ACCOUNT_NOT_SERVED', `account ${account} belongs to another shard; this server serves shard ${guard.label}`, undefined, {
          'X-Agentview-Shard': guard.label,
        }),
      );
      return;
    }
    done();
  });
}
