/**
 * The engine keeps the live view of every account, built from the event log:
 * snapshot + tail at start, then each committed entry as it arrives. It also
 * records connection time-outs and takes periodic snapshots.
 */
import {
  createAccountState,
  decodeAccount,
  dueTimeouts,
  encodeAccount,
  evolve,
  type AccountState,
  type Change,
  type IngestEvent,
} from '../core/index.js';
import type { AppendResult, Clock, EventLog, LogEntry, SnapshotStore, Subscription } from '../ports/index.js';

/** Notified after each applied entry that changed something. */
export type ChangeListener = (account: AccountState, change: Change, seq: number) => void;

export interface EngineOptions {
  /** How often logged-in agents are checked for connection time-outs. */
  timeoutSweepMs?: number;
  /** Take a snapshot after this many applied events… */
  snapshotEveryEvents?: number;
  /** …or after this long, whichever comes first (when anything changed). */
  snapshotIntervalMs?: number;
  /** Called when background work (sweeps, snapshots) fails; defaults to nothing. */
  onError?: (err: unknown, what: string) => void;
  /** Called once the engine has caught up with the log. */
  onReady?: () => void;
}

/** Prefix of event ids agentview writes itself; clients may not use it. */
export const SYSTEM_EVENT_ID_PREFIX = 'agentview:';

export class Engine {
  readonly accounts = new Map<string, AccountState>();
  /** Log position of the last applied entry. */
  position = 0;
  /** Position of the snapshot this engine started from (0 without one). */
  startPosition = 0;
  private ready = false;
  private subscription: Subscription | undefined;
  private readonly changeListeners = new Set<ChangeListener>();
  private readonly positionWaiters: { position: number; resolve: () => void }[] = [];
  private sweepTimer: NodeJS.Timeout | undefined;
  private snapshotTimer: NodeJS.Timeout | undefined;
  private snapshotPosition = 0;
  private snapshotting: Promise<void> | undefined;
  private readonly timeoutsInFlight = new Set<string>();
  private readonly opts: Required<Omit<EngineOptions, 'onReady'>> & Pick<EngineOptions, 'onReady'>;

  constructor(
    readonly log: EventLog,
    private readonly snapshots: SnapshotStore,
    readonly clock: Clock,
    options: EngineOptions = {},
  ) {
    this.opts = {
      timeoutSweepMs: options.timeoutSweepMs ?? 1000,
      snapshotEveryEvents: options.snapshotEveryEvents ?? 100_000,
      snapshotIntervalMs: options.snapshotIntervalMs ?? 5 * 60_000,
      onError: options.onError ?? (() => undefined),
      onReady: options.onReady,
    };
  }

  /** Loads the latest snapshot, replays the tail, then follows the log live. */
  async start(): Promise<void> {
    const snap = await this.snapshots.load();
    if (snap) {
      for (const enc of snap.accounts) this.accounts.set(enc.id, decodeAccount(enc));
      this.position = snap.position;
      this.snapshotPosition = snap.position;
      this.startPosition = snap.position;
    }
    this.subscription = this.log.subscribe(this.position, (entries) => this.apply(entries));
    await this.subscription.caughtUp;
    this.ready = true;
    this.opts.onReady?.();
    if (this.opts.timeoutSweepMs > 0) {
      this.sweepTimer = setInterval(() => void this.sweepTimeouts().catch((e) => this.opts.onError(e, 'timeout sweep')), this.opts.timeoutSweepMs);
      this.sweepTimer.unref();
    }
    if (this.opts.snapshotIntervalMs > 0) {
      this.snapshotTimer = setInterval(() => {
        if (this.position > this.snapshotPosition) void this.snapshot().catch((e) => this.opts.onError(e, 'snapshot'));
      }, this.opts.snapshotIntervalMs);
      this.snapshotTimer.unref();
    }
  }

  /** True once the engine replayed the log and follows it live. */
  isReady(): boolean {
    return this.ready;
  }

  /** True when the view may miss committed events (cluster replicas behind the log). */
  isPartial(): boolean {
    return !this.ready;
  }

  /** Log position covered by the latest durable snapshot (0 when none): entries up to it may be compacted. */
  durableSnapshotPosition(): number {
    return this.snapshotPosition;
  }

  account(accountId: string): AccountState | undefined {
    return this.accounts.get(accountId);
  }

  onChange(listener: ChangeListener): () => void {
    this.changeListeners.add(listener);
    return () => this.changeListeners.delete(listener);
  }

  /** Appends a validated batch; resolves once durable and applied to the view. */
  async ingest(account: string, events: readonly IngestEvent[]): Promise<AppendResult> {
    const result = await this.log.append({ account, events });
    await this.waitForPosition(result.position);
    return result;
  }

  /** Resolves when the view has applied the log up to `position`. */
  waitForPosition(position: number): Promise<void> {
    if (this.position >= position) return Promise.resolve();
    return new Promise((resolve) => this.positionWaiters.push({ position, resolve }));
  }

  private apply(entries: readonly LogEntry[]): void {
    for (const entry of entries) {
      let acc = this.accounts.get(entry.account);
      if (!acc) this.accounts.set(entry.account, (acc = createAccountState(entry.account)));
      const change = evolve(acc, entry.event);
      this.position = entry.position;
      if (change.all || change.agentIds.length > 0) {
        for (const l of this.changeListeners) {
          try {
            l(acc, change, entry.event.seq);
          } catch (err) {
            this.opts.onError(err, 'change listener');
          }
        }
      }
    }
    if (this.positionWaiters.length > 0) {
      for (let i = this.positionWaiters.length - 1; i >= 0; i--) {
        const w = this.positionWaiters[i]!;
        if (w.position <= this.position) {
          this.positionWaiters.splice(i, 1);
          w.resolve();
        }
      }
    }
    if (this.ready && this.position - this.snapshotPosition >= this.opts.snapshotEveryEvents && !this.snapshotting) {
      void this.snapshot().catch((e) => this.opts.onError(e, 'snapshot'));
    }
  }

  /**
   * Records a connection time-out for every logged-in agent whose last
   * activity is older than the account's `connectionTimeoutMs`. The event is
   * stamped with the moment the time-out happened, not the sweep time.
   */
  async sweepTimeouts(): Promise<number> {
    if (!this.ready) return 0;
    const now = this.clock.now();
    const work: Promise<unknown>[] = [];
    let count = 0;
    for (const acc of this.accounts.values()) {
      const due = dueTimeouts(acc, now).filter((a) => !this.timeoutsInFlight.has(`${acc.accountId}\u0000${a.id}`));
      if (due.length === 0) continue;
      const keys = due.map((a) => `${acc.accountId}\u0000${a.id}`);
      for (const k of keys) this.timeoutsInFlight.add(k);
      const events: IngestEvent[] = due.map((a) => ({
        type: 'agent.connectionTimedOut',
        agentId: a.id,
        time: a.lastActivity + acc.settings.connectionTimeoutMs,
        // Same state, same id: two sweeps racing (or two cluster nodes at the same
        // position) record a time-out once. The account seq keeps a later time-out
        // with the same last activity (a late event reconnected the agent) distinct.
        eventId: `${SYSTEM_EVENT_ID_PREFIX}timeout:${a.id}:${a.lastActivity}:${acc.seq}`,
      }));
      count += events.length;
      const chunks: Promise<AppendResult>[] = [];
      for (let i = 0; i < events.length; i += 1000) chunks.push(this.ingest(acc.accountId, events.slice(i, i + 1000)));
      work.push(
        Promise.all(chunks).finally(() => {
          for (const k of keys) this.timeoutsInFlight.delete(k);
        }),
      );
    }
    await Promise.all(work);
    return count;
  }

  /** Writes a snapshot of every account at the current position. */
  snapshot(): Promise<void> {
    if (this.snapshotting) return this.snapshotting;
    const position = this.position;
    const accounts = [...this.accounts.values()].map(encodeAccount);
    this.snapshotting = this.snapshots
      .save({ position, takenAt: this.clock.now(), accounts })
      .then(() => {
        this.snapshotPosition = Math.max(this.snapshotPosition, position);
      })
      .finally(() => {
        this.snapshotting = undefined;
      });
    return this.snapshotting;
  }

  /** Stops background work; with `snapshot`, writes a final snapshot first. */
  async stop(options: { snapshot?: boolean } = {}): Promise<void> {
    clearInterval(this.sweepTimer);
    clearInterval(this.snapshotTimer);
    if (this.snapshotting) await this.snapshotting.catch(() => undefined);
    if (options.snapshot && this.ready && this.position > this.snapshotPosition) await this.snapshot();
    this.subscription?.close();
    this.ready = false;
  }
}
