/**
 * Read-your-writes across servers: a read may carry the `lastSeq` an ingest
 * answer returned (header `X-Agentview-Min-Seq`), and waits until this
 * server's view of the account reached it. In a cluster the write may have
 * gone to another server whose message this one has not applied yet; on a
 * single server the view is always there already.
 */
import type { FastifyRequest } from 'fastify';
import type { Engine } from '../engine/index.js';
import { ApiError } from '../errors/index.js';

export const MIN_SEQ_HEADER = 'x-agentview-min-seq';

/**
 * Returns the `awaitConsistency` dependency: resolves true when the view is
 * at or past the requested seq (or nothing was requested), false when it did
 * not get there within `timeoutMs` (the answer is then marked partial).
 */
export function minSeqConsistency(engine: Engine, timeoutMs = 2000): (req: FastifyRequest) => Promise<boolean> {
  return async (req) => {
    const raw = req.headers[MIN_SEQ_HEADER];
    if (raw === undefined) return true;
    const value = Array.isArray(raw) ? raw[0] : raw;
    if (value === undefined || !/^[0-9]{1,15}$/.test(value.trim())) {
      throw new ApiError('VALIDATION_FAILED', `${MIN_SEQ_HEADER} must be a non-negative integer (a lastSeq from an ingest answer)`, MIN_SEQ_HEADER);
    }
    const account = (req.params as { accountID?: string } | undefined)?.accountID;
    if (account === undefined) return true;
    return engine.waitForSeq(account, Number(value.trim()), timeoutMs);
  };
}
