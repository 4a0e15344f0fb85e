/**
 * Retention (`AGENTVIEW_RETENTION_DAYS`): periodically drops log entries,
 * `eventId` records and history rows older than the retention period.
 *
 * Live state never depends on dropped entries: only entries covered by a
 * durable snapshot are dropped (recovery starts from the snapshot), and a
 * snapshot is taken first when the view is ahead of the last one. History
 * rows still open (an agent's current status) are never dropped.
 */
import type { Clock, CompactionResult, HistoryIndex, LogCompactor } from '../ports/index.js';
import type { Engine } from './engine.js';

export const DAY_MS = 86_400_000;

export interface RetentionOptions {
  retentionDays: number;
  /** How often to run; the first run comes after `min(intervalMs, 60 s)`. */
  intervalMs: number;
  onError?: (err: unknown) => void;
  onCompacted?: (result: RetentionResult) => void;
}

export interface RetentionResult extends CompactionResult {
  /** Everything before this time was eligible. */
  beforeTime: number;
  historyRows: number;
}

export class RetentionService {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<RetentionResult> | undefined;
  private stopped = false;

  constructor(
    private readonly engine: Engine,
    private readonly history: HistoryIndex,
    private readonly compactor: LogCompactor | undefined,
    private readonly clock: Clock,
    private readonly options: RetentionOptions,
  ) {}

  start(): void {
    const schedule = (ms: number) => {
      this.timer = setTimeout(() => {
        void this.runOnce()
          .then((r) => this.options.onCompacted?.(r))
          .catch((e: unknown) => this.options.onError?.(e))
          .finally(() => {
            if (!this.stopped) schedule(this.options.intervalMs);
          });
      }, ms);
      this.timer.unref();
    };
    schedule(Math.min(this.options.intervalMs, 60_000));
  }

  /** One compaction pass; concurrent calls share the pass in progress. */
  runOnce(): Promise<RetentionResult> {
    this.running ??= this.pass().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private async pass(): Promise<RetentionResult> {
    const beforeTime = this.clock.now() - this.options.retentionDays * DAY_MS;
    let log: CompactionResult = { events: 0, eventIds: 0, upTo: 0 };
    if (this.compactor) {
      // Entries past the last snapshot are still needed to recover: snapshot first.
      if (this.engine.isReady() && this.engine.position > this.engine.durableSnapshotPosition()) await this.engine.snapshot();
      log = await this.compactor.compact({ beforeTime, maxPosition: this.engine.durableSnapshotPosition() });
    }
    const historyRows = await this.history.compact(beforeTime);
    return { ...log, beforeTime, historyRows };
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running?.catch(() => undefined);
  }
}
