/**
 * Composition root: config → stores → engine → app → listen, and graceful
 * shutdown in reverse. Nothing below this file reads process.env.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { ConfigError, loadConfig, type Config } from './config/index.js';
import { Engine, RetentionService } from './engine/index.js';
import { buildApp } from './http/app.js';
import { adminTokenAuthenticator } from './http/plugins/auth.js';
import { AuthService, oauthAuthenticator, sessionAuthenticator, sessionCookieAuthenticator } from './auth/index.js';
import { createLogger } from './observability/logger.js';
import { systemClock, type Clock } from './ports/index.js';
import { validateBatch } from './schemas/events.js';
import { runSimulation, Simulator, type ResumeConversation, type SimEvent } from './sim/index.js';
import { openStores, type Stores } from './stores.js';
import { AllowListError, createLive, type LiveServices } from './live/index.js';

export const VERSION = ((): string => {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version?: string };
    return pkg.version ?? '0.0.0';
  } catch {
    return '0.0.0';
  }
})();

export interface RunningServer {
  app: FastifyInstance;
  engine: Engine;
  retention: RetentionService;
  auth: AuthService;
  stores: Stores;
  /** Stream hub, webhooks, alerts. */
  live: LiveServices;
  config: Readonly<Config>;
  /** Where the server listens (with the port actually bound). */
  url: string;
  /** Graceful shutdown: stop accepting, finish in-flight work, snapshot, close. */
  close(): Promise<void>;
}

export interface StartOptions {
  clock?: Clock;
  logger?: Logger;
  /** Print the demo banner to stdout (the CLI and `npm start` do). */
  banner?: boolean;
  /** How often the demo simulator ticks (real time); tests make it fast. */
  demoTickMs?: number;
}

export async function startServer(config: Readonly<Config>, options: StartOptions = {}): Promise<RunningServer> {
  const clock = options.clock ?? systemClock;
  const logger = options.logger ?? createLogger(config.logLevel);
  const stores = openStores(config, clock, { onWarning: (msg) => logger.warn(msg) });
  let shuttingDown = false;
  const engine = new Engine(stores.log, stores.snapshots, clock, {
    snapshotIntervalMs: config.snapshotIntervalMs,
    snapshotEveryEvents: config.snapshotEveryEvents,
    onError: (err, what) => logger.error({ err }, `${what} failed`),
  });
  const auth = new AuthService(stores.auth, clock, { bearerTtlMs: config.bearerTtlMs });
  // Live push is built before the engine starts: webhooks follow the replay.
  let live: LiveServices;
  try {
    live = await createLive(engine, clock, stores, liveOptions(config), logger);
  } catch (err) {
    await stores.close();
    if (err instanceof AllowListError) throw new ConfigError([err.message]);
    throw err;
  }
  const app = await buildApp({
    engine,
    clock,
    publicUrl: config.publicUrl,
    authenticators: [
      adminTokenAuthenticator(config.adminToken),
      sessionAuthenticator(auth),
      oauthAuthenticator({ auth, nonces: stores.nonces, clock, publicUrl: config.publicUrl }),
      sessionCookieAuthenticator(auth),
    ],
    isShuttingDown: () => shuttingDown,
    logger,
    bodyLimitBytes: config.bodyLimitBytes,
    version: VERSION,
    history: stores.history,
    auth,
    rateLimit: { ratePerSecond: config.rateLimitRps, burst: config.rateLimitBurst },
    live,
    webDir: WEB_DIR,
  });
  // Expired sessions are refused on use; this only reclaims their storage.
  const purge = setInterval(() => {
    auth.purgeExpiredSessions().catch((err: unknown) => logger.warn({ err }, 'purging expired sessions failed'));
  }, 10 * 60_000);
  purge.unref();
  await app.listen({ host: config.host, port: config.port });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  const url = `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}`;

  const started = Date.now();
  await engine.start();
  logger.info({ position: engine.position, accounts: engine.accounts.size, ms: Date.now() - started }, 'caught up with the event log');
  live.start();

  const retention = new RetentionService(engine, stores.history, stores.compactor, clock, {
    retentionDays: config.retentionDays,
    intervalMs: config.retentionIntervalMs,
    onError: (err) => logger.error({ err }, 'retention failed'),
    onCompacted: (r) => {
      if (r.events + r.eventIds + r.historyRows > 0) logger.info({ ...r }, 'retention compacted old data');
    },
  });
  retention.start();

  let sim: { stop(): Promise<void> } | undefined;
  if (config.demo) {
    sim = await startDemo(engine, clock, config, logger, options.demoTickMs ?? 1000);
    if (options.banner) printBanner(config, url);
  }

  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= (async () => {
      shuttingDown = true;
      clearInterval(purge);
      await sim?.stop();
      await app.close();
      await live.stop();
      await retention.stop();
      await engine.stop({ snapshot: true });
      await stores.close();
    })());
  return { app, engine, retention, auth, stores, live, config, url, close };
}

/** Where `npm run build` puts the wallboard (same relative place from src/ and dist/). */
export const WEB_DIR = fileURLToPath(new URL('../web/dist/', import.meta.url));

function liveOptions(config: Readonly<Config>) {
  return {
    stream: {
      bufferSize: config.streamBufferSize,
      heartbeatMs: config.streamHeartbeatMs,
      sweepMs: config.liveSweepMs,
      queueBytes: config.streamQueueBytes,
      maxClientsPerAccount: config.streamMaxClientsPerAccount,
    },
    webhooks: {
      allow: config.webhookAllow,
      retryBaseMs: config.webhookRetryBaseMs,
      retryMaxMs: config.webhookRetryMaxMs,
      timeoutMs: config.webhookTimeoutMs,
      maxPending: config.webhookMaxPending,
      perAccount: config.webhooksPerAccount,
      userAgent: `agentview-webhooks/${VERSION}`,
    },
    alerts: { perAccount: config.alertRulesPerAccount, evalMs: config.liveSweepMs },
  };
}

async function startDemo(engine: Engine, clock: Clock, config: Config, logger: Logger, tickMs: number) {
  const account = config.demoAccount;
  const sink = async (events: SimEvent[]) => {
    await engine.ingest(account, validateBatch({ events }, clock.now()));
  };
  const sim = new Simulator({ agents: config.demoAgents, seed: 42 });
  const existing = engine.account(account);
  const resume = existing
    ? [...existing.agents.values()].map((a) => ({ id: a.id, loggedIn: a.loggedIn, status: a.status }))
    : undefined;
  const open: ResumeConversation[] = [];
  for (const [id, c] of existing?.conversations ?? []) {
    if (c.assignedAgent !== undefined) open.push({ id, agentId: c.assignedAgent, state: 'assigned', intense: c.intense });
    else if (c.ringAgent !== undefined) open.push({ id, agentId: c.ringAgent, state: 'ringing', intense: c.intense });
  }
  const setup = sim.setup(clock.now(), resume, undefined, open);
  for (let i = 0; i < setup.length; i += 1000) await sink(setup.slice(i, i + 1000));
  logger.info({ account, agents: config.demoAgents, resumed: resume !== undefined }, 'demo simulator running');
  return runSimulation(sim, sink, clock, tickMs, (err) => logger.error({ err }, 'demo simulator'));
}

function printBanner(config: Config, url: string): void {
  const token = config.adminToken ?? '<AGENTVIEW_ADMIN_TOKEN>';
  const lines = [
    '',
    `agentview ${VERSION} is serving ${url} (public URL ${config.publicUrl})`,
    `Demo account ${config.demoAccount} with ${config.demoAgents} simulated agents.`,
    config.adminTokenGenerated ? `Generated admin token (set AGENTVIEW_ADMIN_TOKEN to choose one): ${token}` : 'Admin token: the AGENTVIEW_ADMIN_TOKEN you set.',
    '',
    'Try it:',
    `  curl -s -X POST -H "Authorization: Bearer ${config.adminTokenGenerated ? token : '$AGENTVIEW_ADMIN_TOKEN'}" -H 'content-type: application/json' \\`,
    `    -d '{"status":["ONLINE","AWAY"]}' '${url}/messaging_history/api/account/${config.demoAccount}/agent-view/status?limit=5&sort=load:desc'`,
    '',
    `Wallboard: ${url}/  (sign in to account ${config.demoAccount} with the admin token)`,
    `API docs: ${url}/docs`,
    '',
  ];
  process.stdout.write(lines.join('\n') + '\n');
}

/** Runs the server from the environment until SIGTERM/SIGINT. */
export async function main(): Promise<void> {
  let config: Readonly<Config>;
  try {
    config = loadConfig(process.env, () => randomBytes(24).toString('base64url'));
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  const logger = createLogger(config.logLevel);
  let server: RunningServer;
  try {
    server = await startServer(config, { logger, banner: true });
  } catch (err) {
    logger.fatal({ err }, 'could not start');
    process.exitCode = 1;
    return;
  }
  const shutdown = (signal: string) => {
    logger.info({ signal }, 'shutting down');
    const deadline = setTimeout(() => {
      logger.error({ timeoutMs: config.shutdownTimeoutMs }, 'shutdown deadline passed; exiting');
      process.exit(1);
    }, config.shutdownTimeoutMs);
    deadline.unref();
    server.close().then(
      () => {
        logger.info('stopped');
        process.exit(0);
      },
      (err: unknown) => {
        logger.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  process.once('SIGINT', () => shutdown('SIGINT'));
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  void main();
}
