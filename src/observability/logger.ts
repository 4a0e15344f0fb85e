/**
 * pino logger with the redactions every agentview process needs: credentials
 * never reach the logs, whether in headers, bodies or query strings.
 */
import { pino, type Logger, type DestinationStream } from 'pino';

const SECRET_PARAM = /(oauth_[a-z_]*|token|password|secret|signature|bearer|csrf|key)/i;

/** Replaces values of credential-like query parameters with [REDACTED]. */
export function redactUrl(url: string): string {
  const q = url.indexOf('?');
  if (q < 0) return url;
  const params = url
    .slice(q + 1)
    .split('&')
    .map((kv) => {
      const eq = kv.indexOf('=');
      const k = eq < 0 ? kv : kv.slice(0, eq);
      let name = k;
      try {
        name = decodeURIComponent(k);
      } catch {
        // keep the raw name
      }
      return eq >= 0 && SECRET_PARAM.test(name) ? `${k}=[REDACTED]` : kv;
    });
  return `${url.slice(0, q)}?${params.join('&')}`;
}

export const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-csrf-token"]',
  'headers.authorization',
  '*.password',
  '*.secret',
  '*.appSecret',
  '*.tokenSecret',
  '*.token',
  '*.bearer',
  '*.csrf',
  'password',
  'secret',
  'token',
  // Accounts and access: key secrets, LivePerson login bodies, OAuth parameters, cookies.
  'appSecret',
  'tokenSecret',
  'accessToken',
  'accessTokenSecret',
  'oauth_signature',
  'bearer',
  'csrf',
  '*.accessToken',
  '*.accessTokenSecret',
  '*.oauth_signature',
  '*.oauth_token',
  '*.authorization',
  '*.cookie',
  'req.headers["set-cookie"]',
  'res.headers["set-cookie"]',
];

export function createLogger(level: string, destination?: DestinationStream): Logger {
  return pino(
    {
      level,
      redact: { paths: REDACT_PATHS, censor: '[REDACTED]' },
      serializers: {
        req: (req: { method?: string; url?: string; id?: string; ip?: string }) => ({
          method: req.method,
          url: req.url === undefined ? undefined : redactUrl(req.url),
          id: req.id,
          remoteAddress: req.ip,
        }),
        err: pino.stdSerializers.err,
      },
    },
    destination,
  );
}
