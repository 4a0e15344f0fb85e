/**
 * Composition root: config → stores → engine → app → listen, and graceful
 * shutdown in reverse. Nothing below this file reads process.env.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { ConfigError, loadConfig, type Config } from './config/index.js';
import { Engine, RetentionService } from './engine/index.js';
import { buildApp } from './http/app.js';
import { adminTokenAuthenticator } from './http/plugins/auth.js';
import { minSeqConsistency } from './http/consistency.js';
import { AuthService, oauthAuthenticator, sessionAuthenticator, sessionCookieAuthenticator } from './auth/index.js';
import { createLogger } from './observability/logger.js';
import { systemClock, type Clock } from './ports/index.js';
import { validateBatch } from './schemas/events.js';
import { runSimulation, Simulator, type ResumeConversation, type SimEvent } from './sim/index.js';
import { accountFilter, openStores, type Stores } from './stores.js';
import { ShutdownHooks, type OnShutdown } from './lifecycle.js';
import { bindViewSource, commitDuration, commitFailures, commitRequests, snapshotDuration } from './observability/metrics.js';
import type { Snapshot, SnapshotStore } from './ports/index.js';
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
  /**
   * Graceful shutdown: stop accepting, run the shutdown hooks (streams end),
   * finish in-flight requests, let pending commits land, snapshot, close.
   */
  close(reason?: string): Promise<void>;
  /** Registers work for graceful shutdown (see lifecycle.ts). */
  onShutdown: OnShutdown;
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
  const stores = openStores(config, clock, {
    logger,
    onWarning: (msg) => logger.warn(msg),
    notice: (level, message, details) => logger[level](details, message),
    onCommit: (stats) => {
      if (!stats.ok) commitFailures.inc();
      commitDuration.observe(stats.ms / 1000);
      commitRequests.observe(stats.requests);
    },
  });
  let shuttingDown = false;
  const hooks = new ShutdownHooks();
  const engine = new Engine(stores.log, timedSnapshots(stores.snapshots), clock, {
    snapshotIntervalMs: config.snapshotIntervalMs,
    snapshotEveryEvents: config.snapshotEveryEvents,
    onError: (err, what) => logger.error({ err }, `${what} failed`),
    onWarning: (err, what) => logger.warn({ err }, what),
  });
  const unbindMetrics = bindViewSource({
    viewPosition: () => engine.position,
    // A cluster log may be unreachable: the gauges must not fail the whole scrape.
    logPosition: () => stores.log.head().catch(() => engine.position),
    ready: () => engine.isReady() && !shuttingDown,
    accounts: () => engine.accounts.size,
    snapshotPosition: () => engine.lastSnapshotPosition,
    streamClients: () => live?.hub.stats().clients ?? 0,
    webhookBacklog: () => live?.webhooks.backlog() ?? 0,
  });
  let backupDir: string | undefined;
  if (stores.backup) {
    // Backups are staged next to the data (same disk, no /tmp size surprises); leftovers of a crash are removed.
    backupDir = join(config.dataDir, 'tmp');
    rmSync(backupDir, { recursive: true, force: true });
    mkdirSync(backupDir, { recursive: true });
  }
  const auth = new AuthService(stores.auth, clock, { bearerTtlMs: config.bearerTtlMs });
  // Live push is built before the engine starts: webhooks follow the replay.
  let live: LiveServices;
  try {
    live = await createLive(engine, clock, stores, liveOptions(config), logger);
  } catch (err) {
    unbindMetrics();
    await stores.close();
    if (err instanceof AllowListError) throw new ConfigError([err.message]);
    throw err;
  }
  // Streams end with their final event before the HTTP server drains (they would hold it open).
  hooks.onShutdown('live streams', () => live.closeStreams());
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
    awaitConsistency: minSeqConsistency(engine),
    ...(config.viewShard
      ? { shard: { serves: accountFilter(config.viewShard)!, label: `${config.viewShard.index}/${config.viewShard.count}` } }
      : {}),
    history: stores.history,
    auth,
    rateLimit: { ratePerSecond: config.rateLimitRps, burst: config.rateLimitBurst },
    live,
    webDir: WEB_DIR,
    metricsToken: config.metricsToken,
    onShutdown: hooks.onShutdown,
    ...(stores.backup && backupDir ? { backup: { backup: stores.backup, tempDir: backupDir } } : {}),
  });
  // Expired sessions are refused on use; this only reclaims their storage.
  const purge = setInterval(() => {
    auth.purgeExpiredSessions().catch((err: unknown) => logger.warn({ err }, 'purging expired sessions failed'));
  }, 10 * 60_000);
  purge.unref();
  try {
    await app.listen({ host: config.host, port: config.port });
  } catch (err) {
    // Release the data directory (lock, file handles) so the caller can retry or exit cleanly.
    unbindMetrics();
    clearInterval(purge);
    await app.close().catch(() => undefined);
    await stores.close();
    throw err;
  }
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  const url = `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}`;

  const started = Date.now();
  try {
    await engine.start();
  } catch (err) {
    unbindMetrics();
    clearInterval(purge);
    await app.close().catch(() => undefined);
    await stores.close();
    throw err;
  }
  logger.info(
    {
      position: engine.position,
      accounts: engine.accounts.size,
      snapshotPosition: engine.startStats.snapshotPosition,
      replayedEntries: engine.startStats.replayedEntries,
      skippedSnapshots: engine.startStats.skippedSnapshots,
      ms: Date.now() - started,
    },
    'caught up with the event log',
  );
  stores.onStarted?.();
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
  const servesDemo = accountFilter(config.viewShard)?.(config.demoAccount) ?? true;
  if (config.demo && !servesDemo) logger.info({ account: config.demoAccount }, 'demo account belongs to another shard; not simulating it here');
  if (config.demo && servesDemo) {
    sim = await startDemo(engine, clock, config, logger, options.demoTickMs ?? 1000);
    if (options.banner) printBanner(config, url);
  }

  let closing: Promise<void> | undefined;
  const close = (reason = 'close') =>
    (closing ??= (async () => {
      const begun = Date.now();
      const deadline = begun + config.shutdownTimeoutMs;
      shuttingDown = true;
      clearInterval(purge);
      await sim?.stop();
      await hooks.run({ deadline, reason }, (hook, err) => logger.warn({ err, hook }, 'shutdown hook failed'));
      // Draining may use most of the deadline; the rest is kept for the final snapshot.
      const drainUntil = begun + Math.floor(config.shutdownTimeoutMs * 0.7);
      const force = setTimeout(
        () => {
          logger.warn('requests still open at the end of the drain period; closing their connections');
          app.server.closeAllConnections();
        },
        Math.max(0, drainUntil - Date.now()),
      );
      // Node closes the connections idle when the drain starts; keep-alive ones that turn idle later
      // (their last answer was still being flushed) are closed as they do, not at the keep-alive timeout.
      const reaper = setInterval(() => app.server.closeIdleConnections(), 25);
      try {
        await app.close();
      } finally {
        clearTimeout(force);
        clearInterval(reaper);
      }
      await live.stop();
      await retention.stop();
      await engine.stop({ snapshot: true });
      unbindMetrics();
      await stores.close();
      logger.info({ reason, position: engine.position, snapshotPosition: engine.lastSnapshotPosition, ms: Date.now() - begun }, 'shut down');
    })());
  return { app, engine, retention, auth, stores, live, config, url, close, onShutdown: hooks.onShutdown };
}

/** Times snapshot writes for /metrics. */
function timedSnapshots(store: SnapshotStore): SnapshotStore {
  const timed: SnapshotStore = {
    load: () => store.load(),
    save: async (snapshot: Snapshot) => {
      const end = snapshotDuration.startTimer();
      try {
        await store.save(snapshot);
      } finally {
        end();
      }
    },
  };
  if (store.loadBefore) timed.loadBefore = (position) => store.loadBefore!(position);
  return timed;
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
  // A signal during start-up (a long replay) stops the process once started.
  let earlySignal: string | undefined;
  const early = (signal: string) => () => (earlySignal ??= signal);
  const earlyTerm = early('SIGTERM');
  const earlyInt = early('SIGINT');
  process.once('SIGTERM', earlyTerm);
  process.once('SIGINT', earlyInt);
  try {
    server = await startServer(config, { logger, banner: true });
  } catch (err) {
    // Start-up refusals (data format, damaged files, locked directory) are the operator's to fix: say so plainly.
    const known = err instanceof Error && ['DataFormatError', 'DataFileError', 'DataDirLockedError', 'SnapshotFallbackError'].includes(err.name);
    if (known) logger.fatal({ code: err.name }, `could not start: ${err.message}`);
    else logger.fatal({ err }, 'could not start');
    process.stderr.write(`agentview: could not start: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
    return;
  }
  process.removeListener('SIGTERM', earlyTerm);
  process.removeListener('SIGINT', earlyInt);
  logger.info({ url: server.url }, 'listening');
  let signalled = false;
  const shutdown = (signal: string) => {
    if (signalled) {
      // A second signal: the operator wants out now. Acknowledged events are durable already.
      logger.warn({ signal }, 'second signal; exiting without finishing the shutdown');
      process.exit(1);
    }
    signalled = true;
    logger.info({ signal, timeoutMs: config.shutdownTimeoutMs }, 'shutting down');
    const deadline = setTimeout(() => {
      logger.error({ timeoutMs: config.shutdownTimeoutMs }, 'shutdown deadline passed; exiting');
      process.exit(1);
    }, config.shutdownTimeoutMs);
    deadline.unref();
    server.close(signal).then(
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
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
  if (earlySignal) shutdown(earlySignal);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  void main();
}
