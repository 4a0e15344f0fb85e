/**
 * Configuration from the environment (spec section 5), parsed and validated
 * once at start. Units are in the names; the result is frozen. Every problem
 * is reported at once with the variable's name.
 */

export type StoreKind = 'sqlite' | 'memory' | 'jetstream';

export interface Config {
  host: string;
  port: number;
  publicUrl: string;
  dataDir: string;
  store: StoreKind;
  sqliteSynchronous: 'full' | 'normal';
  natsUrls: string[];
  natsReplicas: number;
  adminToken: string | undefined;
  /** True when the admin token was generated at start (demo mode). */
  adminTokenGenerated: boolean;
  demo: boolean;
  demoAccount: string;
  demoAgents: number;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  snapshotIntervalMs: number;
  snapshotEveryEvents: number;
  shutdownTimeoutMs: number;
  bodyLimitBytes: number;
  rateLimitRps: number;
  /** Requests an account may make at once before the rate applies (token bucket size). */
  rateLimitBurst: number;
  bearerTtlMs: number;
  retentionDays: number;
  webhookAllow: string[];
  /** How often retention compacts the log and history. */
  retentionIntervalMs: number;
  // live push (stream, webhooks, alerts)
  streamHeartbeatMs: number;
  streamBufferSize: number;
  streamQueueBytes: number;
  streamMaxClientsPerAccount: number;
  liveSweepMs: number;
  webhookRetryBaseMs: number;
  webhookRetryMaxMs: number;
  webhookTimeoutMs: number;
  webhookMaxPending: number;
  webhooksPerAccount: number;
  alertRulesPerAccount: number;
}

export class ConfigError extends Error {
  override name = 'ConfigError';
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n  - ${problems.join('\n  - ')}`);
  }
}

type Env = Record<string, string | undefined>;

/** Parses and validates configuration; `randomToken` supplies a demo admin token when needed. */
export function loadConfig(env: Env, randomToken: () => string): Readonly<Config> {
  const problems: string[] = [];
  const get = (name: string): string | undefined => {
    const v = env[name];
    return v === undefined || v.trim() === '' ? undefined : v.trim();
  };
  const int = (name: string, def: number, min: number, max: number): number => {
    const v = get(name);
    if (v === undefined) return def;
    if (!/^-?[0-9]+$/.test(v) || Number(v) < min || Number(v) > max) {
      problems.push(`${name}=${JSON.stringify(v)}: must be an integer from ${min} to ${max}`);
      return def;
    }
    return Number(v);
  };
  const oneOf = <T extends string>(name: string, def: T, allowed: readonly T[]): T => {
    const v = get(name)?.toLowerCase();
    if (v === undefined) return def;
    if (!(allowed as readonly string[]).includes(v)) {
      problems.push(`${name}=${JSON.stringify(v)}: must be one of ${allowed.join(', ')}`);
      return def;
    }
    return v as T;
  };
  const bool = (name: string, def: boolean): boolean => {
    const v = get(name)?.toLowerCase();
    if (v === undefined) return def;
    if (['1', 'true', 'yes', 'on'].includes(v)) return true;
    if (['0', 'false', 'no', 'off'].includes(v)) return false;
    problems.push(`${name}=${JSON.stringify(v)}: must be 0/1, true/false, yes/no or on/off`);
    return def;
  };

  const port = int('PORT', 8080, 0, 65535);
  const host = get('HOST') ?? '127.0.0.1';
  let publicUrl = get('AGENTVIEW_PUBLIC_URL') ?? `http://${host === '0.0.0.0' || host === '::' ? 'localhost' : host}:${port}`;
  try {
    const u = new URL(publicUrl);
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error('protocol');
    if (u.pathname !== '/' || u.search || u.hash) {
      problems.push(`AGENTVIEW_PUBLIC_URL=${JSON.stringify(publicUrl)}: must be scheme://host[:port] with no path`);
    }
    publicUrl = `${u.protocol}//${u.host}`;
  } catch {
    problems.push(`AGENTVIEW_PUBLIC_URL=${JSON.stringify(publicUrl)}: must be an http(s) URL like https://agentview.example.com`);
  }
  const store = oneOf<StoreKind>('AGENTVIEW_STORE', 'sqlite', ['sqlite', 'memory', 'jetstream']);
  const natsUrls = (get('AGENTVIEW_NATS_URL') ?? 'nats://127.0.0.1:4222')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  for (const u of natsUrls) {
    if (!/^(nats|tls|wss?):\/\/[^\s/]+$/.test(u) && !/^[^\s/:]+:[0-9]+$/.test(u)) {
      problems.push(`AGENTVIEW_NATS_URL: ${JSON.stringify(u)} is not nats://host:port`);
    }
  }
  const demo = bool('AGENTVIEW_DEMO', true);
  const demoAccount = get('AGENTVIEW_DEMO_ACCOUNT') ?? '1000';
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(demoAccount)) {
    problems.push(`AGENTVIEW_DEMO_ACCOUNT=${JSON.stringify(demoAccount)}: must be 1-64 letters, digits, - or _`);
  }
  let adminToken = get('AGENTVIEW_ADMIN_TOKEN');
  let adminTokenGenerated = false;
  if (adminToken !== undefined && adminToken.length < 16) {
    problems.push('AGENTVIEW_ADMIN_TOKEN: must be at least 16 characters');
  }
  if (adminToken === undefined && demo) {
    adminToken = randomToken();
    adminTokenGenerated = true;
  }
  const webhookAllow = (get('AGENTVIEW_WEBHOOK_ALLOW') ?? '127.0.0.1,localhost,::1')
    .split(',')
    .map((s) => s.trim().toLowerCase())
    .filter((s) => s !== '');

  const rateLimitRps = int('AGENTVIEW_RATE_LIMIT_RPS', 100, 1, 1_000_000);
  const config: Config = {
    host,
    port,
    publicUrl,
    dataDir: get('AGENTVIEW_DATA_DIR') ?? './data',
    store,
    sqliteSynchronous: oneOf('AGENTVIEW_SQLITE_SYNC', 'full', ['full', 'normal']),
    natsUrls,
    natsReplicas: int('AGENTVIEW_NATS_REPLICAS', 1, 1, 5),
    adminToken,
    adminTokenGenerated,
    demo,
    demoAccount,
    demoAgents: int('AGENTVIEW_DEMO_AGENTS', 300, 1, 100_000),
    logLevel: oneOf('AGENTVIEW_LOG_LEVEL', 'info', ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']),
    snapshotIntervalMs: int('AGENTVIEW_SNAPSHOT_INTERVAL_MS', 300_000, 0, 86_400_000),
    snapshotEveryEvents: int('AGENTVIEW_SNAPSHOT_EVERY_EVENTS', 100_000, 1, 1_000_000_000),
    shutdownTimeoutMs: int('AGENTVIEW_SHUTDOWN_TIMEOUT_MS', 10_000, 100, 600_000),
    bodyLimitBytes: 1024 * 1024,
    rateLimitRps,
    rateLimitBurst: int('AGENTVIEW_RATE_LIMIT_BURST', 2 * rateLimitRps, 1, 10_000_000),
    bearerTtlMs: int('AGENTVIEW_BEARER_TTL_MS', 8 * 3_600_000, 60_000, 30 * 86_400_000),
    retentionDays: int('AGENTVIEW_RETENTION_DAYS', 90, 1, 36_500),
    webhookAllow,
    retentionIntervalMs: int('AGENTVIEW_RETENTION_INTERVAL_MS', 3_600_000, 1000, 7 * 86_400_000),
    // live push (stream, webhooks, alerts)
    streamHeartbeatMs: int('AGENTVIEW_STREAM_HEARTBEAT_MS', 10_000, 10, 15_000),
    streamBufferSize: int('AGENTVIEW_STREAM_BUFFER', 10_000, 0, 1_000_000),
    streamQueueBytes: int('AGENTVIEW_STREAM_QUEUE_BYTES', 4 * 1024 * 1024, 1024, 1024 * 1024 * 1024),
    streamMaxClientsPerAccount: int('AGENTVIEW_STREAM_MAX_CLIENTS', 500, 1, 100_000),
    liveSweepMs: int('AGENTVIEW_LIVE_SWEEP_MS', 1000, 10, 60_000),
    webhookRetryBaseMs: int('AGENTVIEW_WEBHOOK_RETRY_BASE_MS', 1000, 1, 3_600_000),
    webhookRetryMaxMs: int('AGENTVIEW_WEBHOOK_RETRY_MAX_MS', 300_000, 1, 86_400_000),
    webhookTimeoutMs: int('AGENTVIEW_WEBHOOK_TIMEOUT_MS', 10_000, 10, 600_000),
    webhookMaxPending: int('AGENTVIEW_WEBHOOK_MAX_PENDING', 100_000, 10, 100_000_000),
    webhooksPerAccount: int('AGENTVIEW_WEBHOOKS_PER_ACCOUNT', 20, 1, 10_000),
    alertRulesPerAccount: int('AGENTVIEW_ALERT_RULES_PER_ACCOUNT', 100, 1, 10_000),
  };
  if (problems.length > 0) throw new ConfigError(problems);
  return Object.freeze(config);
}
