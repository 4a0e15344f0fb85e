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
import {
  SnapshotUnreadableError,
  type AppendResult,
  type Clock,
  type EventLog,
  type LogEntry,
  type Snapshot,
  type SnapshotStore,
  type Subscription,
} from '../ports/index.js';

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
  /** Told about problems the engine worked around (a damaged snapshot skipped); defaults to onError. */
  onWarning?: (err: unknown, what: string) => void;
}

/** A start after a snapshot fallback found the log no longer holds what the older snapshot needs. */
export class SnapshotFallbackError extends Error {
  override name = 'SnapshotFallbackError';
}

/** How the last start went: where the views started from and how much was replayed. */
export interface StartStats {
  /** Position of the snapshot the views were loaded from (0: none, full replay). */
  snapshotPosition: number;
  /** Log entries replayed on top of it. */
  replayedEntries: number;
  /** Snapshots that could not be used and were skipped. */
  skippedSnapshots: number;
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
  private readonly seqWaiters = new Set<{ account: string; seq: number; resolve: (reached: boolean) => void }>();
  private sweepTimer: NodeJS.Timeout | undefined;
  private snapshotTimer: NodeJS.Timeout | undefined;
  private snapshotPosition = 0;
  /** Counted here, not from positions: a cluster log stores a whole batch at one position. */
  private eventsSinceSnapshot = 0;
  private snapshotting: Promise<void> | undefined;
  private readonly timeoutsInFlight = new Set<string>();
  private sweeping: Promise<unknown> | undefined;
  private entriesApplied = 0;
  /** Set during a start-up replay after a snapshot fallback: sequence holes found. */
  private continuityGaps: string[] | undefined;
  private readonly opts: Required<Omit<EngineOptions, 'onReady'>> & Pick<EngineOptions, 'onReady'>;
  /** Filled by {@link start}. */
  startStats: StartStats = { snapshotPosition: 0, replayedEntries: 0, skippedSnapshots: 0 };

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
      onWarning: options.onWarning ?? options.onError ?? (() => undefined),
      onReady: options.onReady,
    };
  }

  /** Loads the latest snapshot, replays the tail, then follows the log live. */
  async start(): Promise<void> {
    await this.loadSnapshot();
    const from = this.position;
    // After falling back to an older snapshot (or none), retention may already have dropped
    // entries it needs: account sequence numbers are dense, so a jump shows the hole.
    if (this.startStats.skippedSnapshots > 0) this.continuityGaps = [];
    this.subscription = this.log.subscribe(this.position, (entries) => this.apply(entries));
    await this.subscription.caughtUp;
    const gaps = this.continuityGaps;
    this.continuityGaps = undefined;
    if (gaps && gaps.length > 0) {
      this.subscription.close();
      throw new SnapshotFallbackError(
        `the newest snapshot is damaged and the log no longer holds what the previous one needs ` +
          `(${gaps.slice(0, 3).join('; ')}${gaps.length > 3 ? '; …' : ''}), probably dropped by retention; ` +
          'restore the data directory from a backup (agentview restore)',
      );
    }
    this.startStats.replayedEntries = this.entriesApplied;
    this.startStats.snapshotPosition = from;
    this.ready = true;
    this.opts.onReady?.();
    if (this.opts.timeoutSweepMs > 0) {
      this.sweepTimer = setInterval(() => {
        if (this.sweeping) return;
        this.sweeping = this.sweepTimeouts()
          .catch((e) => this.opts.onError(e, 'timeout sweep'))
          .finally(() => (this.sweeping = undefined));
      }, this.opts.timeoutSweepMs);
      this.sweepTimer.unref();
    }
    if (this.opts.snapshotIntervalMs > 0) {
      this.snapshotTimer = setInterval(() => {
        if (this.position > this.snapshotPosition) void this.snapshot().catch((e) => this.opts.onError(e, 'snapshot'));
      }, this.opts.snapshotIntervalMs);
      this.snapshotTimer.unref();
    }
  }

  /**
   * Loads the newest usable snapshot. A damaged one (unreadable, or failing to
   * decode) is skipped with a warning for the one before it, and with none
   * left the views are rebuilt from the whole log: slower, never wrong.
   */
  private async loadSnapshot(): Promise<void> {
    const loadBefore = this.snapshots.loadBefore?.bind(this.snapshots);
    let next: (() => Promise<Snapshot | undefined>) | undefined = () => this.snapshots.load();
    while (next) {
      let snap: Snapshot | undefined;
      try {
        snap = await next();
      } catch (err) {
        this.startStats.skippedSnapshots++;
        const pos = err instanceof SnapshotUnreadableError ? err.position : undefined;
        next = pos !== undefined && loadBefore ? () => loadBefore(pos) : undefined;
        this.opts.onWarning(err, next ? 'snapshot unreadable; trying the previous one' : 'snapshot unreadable; replaying the whole log');
        continue;
      }
      if (!snap) {
        if (this.startStats.skippedSnapshots > 0) this.opts.onWarning(undefined, 'no usable snapshot left; replaying the whole log');
        return;
      }
      try {
        const decoded = snap.accounts.map(decodeAccount);
        for (const acc of decoded) this.accounts.set(acc.accountId, acc);
        this.position = snap.position;
        this.snapshotPosition = snap.position;
        this.startPosition = snap.position;
        return;
      } catch (err) {
        this.startStats.skippedSnapshots++;
        const pos = snap.position;
        next = loadBefore ? () => loadBefore(pos) : undefined;
        this.opts.onWarning(err, next ? 'snapshot does not decode; trying the previous one' : 'snapshot does not decode; replaying the whole log');
      }
    }
  }

  /** Position covered by the latest snapshot written or loaded. */
  get lastSnapshotPosition(): number {
    return this.snapshotPosition;
  }

  /** True once the engine replayed the log and follows it live. */
  isReady(): boolean {
    return this.ready;
  }

  /** True when the view may miss committed events (cluster replicas behind the log). */
  isPartial(): boolean {
    return !this.ready || this.log.isBehind?.() === true;
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

  /**
   * Resolves true once the account's view reached sequence `seq` (a `lastSeq`
   * from an ingest answer, possibly given by another server of a cluster),
   * or false after `timeoutMs`: read-your-writes across servers.
   */
  waitForSeq(account: string, seq: number, timeoutMs: number): Promise<boolean> {
    if ((this.accounts.get(account)?.seq ?? 0) >= seq) return Promise.resolve(true);
    return new Promise((resolve) => {
      const w = {
        account,
        seq,
        resolve: (reached: boolean) => {
          clearTimeout(timer);
          this.seqWaiters.delete(w);
          resolve(reached);
        },
      };
      const timer = setTimeout(() => w.resolve(false), timeoutMs);
      this.seqWaiters.add(w);
    });
  }

  private apply(entries: readonly LogEntry[]): void {
    this.eventsSinceSnapshot += entries.length;
    this.entriesApplied += entries.length;
    for (const entry of entries) {
      if (this.continuityGaps) {
        const expected = (this.accounts.get(entry.account)?.seq ?? 0) + 1;
        if (entry.event.seq > expected) this.continuityGaps.push(`account ${entry.account}: seq ${expected}–${entry.event.seq - 1} missing`);
      }
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
    if (this.seqWaiters.size > 0) {
      for (const w of this.seqWaiters) if ((this.accounts.get(w.account)?.seq ?? 0) >= w.seq) w.resolve(true);
    }
    if (this.ready && this.eventsSinceSnapshot >= this.opts.snapshotEveryEvents && !this.snapshotting) {
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
    this.eventsSinceSnapshot = 0;
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
    // A sweep's time-out events are being committed: let them land so the snapshot covers them.
    if (this.sweeping) await this.sweeping;
    if (this.snapshotting) await this.snapshotting.catch(() => undefined);
    if (options.snapshot && this.ready && this.position > this.snapshotPosition) await this.snapshot();
    this.subscription?.close();
    this.ready = false;
  }
}
