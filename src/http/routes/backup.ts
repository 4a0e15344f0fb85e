/**
 * `POST /api/admin/backup`: an online, consistent backup of the embedded
 * store, streamed as one SQLite file (operator only). `agentview backup
 * <file>` calls it; see docs/operations.md.
 */
import { randomUUID } from 'node:crypto';
import { createReadStream, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { once } from 'node:events';
import type { FastifyInstance } from 'fastify';
import { ApiError } from '../../errors/index.js';
import type { AppDeps } from '../deps.js';
import { operatorOnly } from '../plugins/operations.js';

export function backupRoutes(app: FastifyInstance, deps: AppDeps): void {
  let running = false;
  app.post(
    '/api/admin/backup',
    {
      // Process-wide (every tenant's data): operator only, not an account's admin.
      preValidation: operatorOnly(deps),
      schema: {
        tags: ['operations'],
        summary: 'Online backup of the embedded store (operator only)',
        description:
          'Takes a consistent copy of the SQLite store while the server keeps serving and answers it as application/vnd.sqlite3. ' +
          'Restore it with `agentview restore <file>` on a stopped server.',
        produces: ['application/vnd.sqlite3'],
      },
    },
    async (req, reply) => {
      const provider = deps.backup;
      if (!provider) {
        throw new ApiError('BACKUP_NOT_SUPPORTED', 'this server does not use the embedded store; back up its event store with that store\u2019s own tools');
      }
      if (running) throw new ApiError('BACKUP_IN_PROGRESS', 'a backup is already being taken; retry when it is done', undefined, { 'Retry-After': '5' });
      running = true;
      const file = join(provider.tempDir, `backup-${randomUUID()}.db`);
      const cleanup = () => {
        try {
          rmSync(file, { force: true });
        } catch {
          // still open on a platform that cannot unlink open files: removed on 'close'
        }
      };
      try {
        const summary = await provider.backup(file);
        const size = statSync(file).size;
        const stream = createReadStream(file);
        stream.once('close', cleanup);
        // Unlinked once open: the open descriptor still reads it, and nothing is left behind whatever the client does.
        await once(stream, 'open');
        cleanup();
        req.log.info({ bytes: summary.bytes, events: summary.events, position: summary.position }, 'backup taken');
        const stamp = new Date().toISOString().replace(/[:.]/g, '-');
        return reply
          .type('application/vnd.sqlite3')
          .header('content-length', size)
          .header('content-disposition', `attachment; filename="agentview-${stamp}.db"`)
          .header('x-agentview-backup-position', String(summary.position))
          .header('x-agentview-backup-events', String(summary.events))
          .send(stream);
      } catch (err) {
        cleanup();
        throw err;
      } finally {
        running = false;
      }
    },
  );
}
