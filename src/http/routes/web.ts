/**
 * The wallboard (spec 4.5): `/` serves the page built from `web/` by
 * `npm run build`, `/assets/*` its bundle. Nothing is loaded from elsewhere
 * at run time (the content security policy says so too).
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { Type } from 'typebox';
import type { AppDeps } from '../deps.js';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.woff2': 'font/woff2',
};

const CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "font-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
  "form-action 'none'",
].join('; ');

const SAFE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

export function webRoutes(app: FastifyInstance, deps: AppDeps): void {
  const dir = deps.webDir;
  const cache = new Map<string, Buffer>();
  const send = async (reply: FastifyReply, file: string, cacheControl: string) => {
    if (dir === undefined) return reply.code(404).type('text/plain; charset=utf-8').send('the wallboard is not part of this build');
    let body = cache.get(file);
    if (!body) {
      try {
        body = await readFile(join(dir, file));
      } catch {
        if (file === 'index.html') {
          return reply
            .code(503)
            .type('text/plain; charset=utf-8')
            .send('The wallboard has not been built: run `npm run build` (npm start does it).');
        }
        return reply.code(404).type('application/json; charset=utf-8').send({ code: 'NOT_FOUND', message: 'no such asset', statusCode: 404 });
      }
      cache.set(file, body);
    }
    const ext = file.slice(file.lastIndexOf('.'));
    return reply
      .header('content-type', TYPES[ext] ?? 'application/octet-stream')
      .header('cache-control', cacheControl)
      .header('x-content-type-options', 'nosniff')
      .header('content-security-policy', CSP)
      .header('referrer-policy', 'no-referrer')
      .send(body);
  };

  app.get('/', { schema: { hide: true } }, (_req, reply) => send(reply, 'index.html', 'no-cache'));
  app.get(
    '/assets/:file',
    { schema: { hide: true, params: Type.Object({ file: Type.String({ maxLength: 128 }) }) } },
    (req, reply) => {
      const { file } = req.params as { file: string };
      if (!SAFE_NAME.test(file) || file.includes('..')) {
        return reply.code(404).type('application/json; charset=utf-8').send({ code: 'NOT_FOUND', message: 'no such asset', statusCode: 404 });
      }
      return send(reply, `assets/${file}`, 'no-cache');
    },
  );
}
