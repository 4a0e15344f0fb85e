/**
 * One NATS connection shared by every JetStream-backed adapter of a process,
 * connected lazily and kept alive: the first use connects (retrying while the
 * servers are down), the client reconnects forever afterwards, and
 * `isConnected()` tells the views whether they may be missing messages.
 */
import { connect, type NatsConnection as CoreConnection } from '@nats-io/transport-node';
import { jetstream, jetstreamManager, type JetStreamClient, type JetStreamManager } from '@nats-io/jetstream';

/** The subset of a pino logger the adapters use (so no logging library leaks in). */
export interface AdapterLogger {
  debug(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export const silentLogger: AdapterLogger = { debug() {}, info() {}, warn() {}, error() {} };

export interface NatsHandles {
  nc: CoreConnection;
  js: JetStreamClient;
  jsm: JetStreamManager;
}

export interface NatsConnectionOptions {
  /** Client name shown by the NATS monitor. */
  name?: string;
  logger?: AdapterLogger;
  /** Per-request timeout for JetStream API calls. */
  requestTimeoutMs?: number;
}

export class ClosedError extends Error {
  override name = 'ClosedError';
}

export class NatsConnection {
  private connecting: Promise<NatsHandles> | undefined;
  private current: NatsHandles | undefined;
  private connected = false;
  private closed = false;
  readonly logger: AdapterLogger;
  readonly requestTimeoutMs: number;

  constructor(
    readonly servers: readonly string[],
    private readonly options: NatsConnectionOptions = {},
  ) {
    this.logger = options.logger ?? silentLogger;
    this.requestTimeoutMs = options.requestTimeoutMs ?? 5000;
  }

  /** Connected handles; the first call connects, retrying until it succeeds or `close()`. */
  handles(): Promise<NatsHandles> {
    if (this.closed) return Promise.reject(new ClosedError('NATS connection closed'));
    return (this.connecting ??= this.connectLoop());
  }

  /** True while the client holds a live connection to some NATS server. */
  isConnected(): boolean {
    return this.connected && !this.closed;
  }

  isClosed(): boolean {
    return this.closed;
  }

  private async connectLoop(): Promise<NatsHandles> {
    let delay = 250;
    let attempt = 0;
    for (;;) {
      if (this.closed) throw new ClosedError('NATS connection closed');
      attempt++;
      try {
        const nc = await connect({
          servers: [...this.servers],
          name: this.options.name ?? 'agentview',
          maxReconnectAttempts: -1,
          reconnectTimeWait: 250,
          pingInterval: 5000,
          maxPingOut: 3,
          timeout: 5000,
        });
        if (this.closed) {
          await nc.close();
          throw new ClosedError('NATS connection closed');
        }
        const opts = { timeout: this.requestTimeoutMs };
        const handles: NatsHandles = { nc, js: jetstream(nc, opts), jsm: await jetstreamManager(nc, { ...opts, checkAPI: false }) };
        this.current = handles;
        this.connected = true;
        this.logger.info({ server: nc.getServer(), attempts: attempt }, 'connected to NATS');
        void this.watch(nc);
        return handles;
      } catch (err) {
        if (err instanceof ClosedError) throw err;
        if (attempt === 1 || attempt % 20 === 0) {
          this.logger.warn({ err: errorText(err), servers: this.servers, attempt }, 'cannot connect to NATS yet; retrying');
        }
        await sleep(delay);
        delay = Math.min(delay * 2, 2000);
      }
    }
  }

  private async watch(nc: CoreConnection): Promise<void> {
    for await (const s of nc.status()) {
      switch (s.type) {
        case 'disconnect':
          this.connected = false;
          this.logger.warn({ server: s.server }, 'disconnected from NATS; reconnecting');
          break;
        case 'reconnect':
          this.connected = true;
          this.logger.info({ server: s.server }, 'reconnected to NATS');
          break;
        default:
          break;
      }
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.connected = false;
    const h = this.current;
    this.current = undefined;
    if (h && !h.nc.isClosed()) {
      // Drain delivers what is in flight; close anyway if the server is gone.
      await Promise.race([h.nc.drain().catch(() => undefined), sleep(2000)]);
      if (!h.nc.isClosed()) await h.nc.close().catch(() => undefined);
    }
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

export function errorText(err: unknown): string {
  return err instanceof Error ? `${err.name}: ${err.message}` : String(err);
}

/**
 * Retries `fn` with back-off until it succeeds, `isClosed()` turns true or
 * the deadline passes. JetStream API calls fail for seconds during leader
 * elections ("no responders", "temporarily unavailable", time-outs); set-up
 * code retries through that instead of crashing the process.
 */
export async function retrying<T>(
  what: string,
  fn: () => Promise<T>,
  opts: { logger: AdapterLogger; isClosed: () => boolean; deadline?: number; maxDelayMs?: number },
): Promise<T> {
  let delay = 100;
  let attempt = 0;
  for (;;) {
    attempt++;
    try {
      return await fn();
    } catch (err) {
      if (opts.isClosed()) throw new ClosedError(`${what}: closed`);
      if (opts.deadline !== undefined && Date.now() + delay > opts.deadline) throw err;
      if (attempt === 2 || attempt % 10 === 0) opts.logger.warn({ err: errorText(err), attempt }, `${what} failed; retrying`);
      await sleep(delay);
      delay = Math.min(delay * 2, opts.maxDelayMs ?? 2000);
    }
  }
}
