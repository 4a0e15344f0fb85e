/**
 * The status-history index: per-agent segments and at-capacity periods
 * derived from the event log (see `core/history.ts`), stored so that history
 * and time-in-status queries never replay the log.
 *
 * An index is fed log entries in log order. The embedded store feeds it inside
 * the append transaction, so its rows commit with the events; other stores
 * (the cluster's stream) feed it after the fact. Feeding is idempotent by log
 * position: entries at or below {@link HistoryIndex.position} are skipped.
 */
import type { CapacityPeriod, HistoryFilter, StatusSegment } from '../core/index.js';
import type { LogEntry } from './event-log.js';

/** Where a page of segments stopped; pass it back to continue after it. */
export interface SegmentCursor {
  agentId: string;
  start: number;
  /** Tie-breaker: the row's identity within the index. */
  id: number;
}

/** A segment as stored, with the identity used by cursors. */
export interface StoredSegment extends StatusSegment {
  id: number;
}

/** A time range query: segments overlapping `[from, to)`, open ones ending at `min(now, to)`. */
export interface RangeQuery {
  from: number;
  to: number;
  now: number;
  filter: HistoryFilter;
}

export interface SegmentPage {
  segments: StoredSegment[];
  /** Present when more segments follow. */
  next?: SegmentCursor;
}

/** Everything of one agent inside a range: its (filtered) segments and at-capacity periods, by start. */
export interface AgentTimeline {
  agentId: string;
  segments: StatusSegment[];
  capacity: CapacityPeriod[];
}

export interface HistoryIndex {
  /** Log position of the last entry the index reflects (0 when none). */
  position(): number;
  /**
   * Feeds log entries, in log order; entries at or below `position()` are
   * skipped, so the same entries may be fed twice.
   */
  apply(entries: readonly LogEntry[]): void;
  /**
   * Segments of `account` with a non-empty part in the range, ordered by
   * agent id (numeric ids numerically first) then start, after `cursor`.
   */
  segments(account: string, query: RangeQuery, limit: number, cursor?: SegmentCursor): Promise<SegmentPage>;
  /** How many segments `segments` would return over all pages. */
  count(account: string, query: RangeQuery): Promise<number>;
  /** Every matching agent's timeline in the range, agent by agent, in agent order, in chunks. */
  timelines(account: string, query: RangeQuery): AsyncIterable<AgentTimeline[]>;
  /**
   * Drops rows that ended before `beforeTime` (retention). Open rows are
   * never dropped. Returns how many rows were removed.
   */
  compact(beforeTime: number): Promise<number>;
  close(): Promise<void>;
}
