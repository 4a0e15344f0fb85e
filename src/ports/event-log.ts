/**
 * The durable, ordered log of events every view is built from.
 *
 * Positions are opaque, strictly increasing numbers over the whole log (all
 * accounts). Consecutive entries may share a position when an adapter stores
 * a batch as one record; listeners always receive every entry of a position
 * together, so a view that applied a delivery is at a consistent position.
 */
import type { IngestEvent, StoredEvent } from '../core/index.js';

export interface AppendRequest {
  account: string;
  /** Validated, normalised events, in arrival order. */
  events: readonly IngestEvent[];
}

export interface AppendResult {
  /** Events newly stored and applied. */
  accepted: number;
  /** Events whose `eventId` the account had already seen; not applied again. */
  duplicates: number;
  /** The account's sequence number after this batch. */
  lastSeq: number;
  /** Log position after this batch (read-your-writes across servers). */
  position: number;
}

export interface LogEntry {
  position: number;
  account: string;
  event: StoredEvent;
}

export type LogListener = (entries: readonly LogEntry[]) => void;

export interface Subscription {
  /** Resolves once every entry that existed at subscription time was delivered. */
  readonly caughtUp: Promise<void>;
  close(): void;
}

export interface EventLog {
  /**
   * Appends one client batch: de-duplicates by `eventId` within the account
   * (repeats inside the batch included), assigns account sequence numbers
   * (duplicates take none), and resolves only once the accepted events are
   * durable and were delivered to every subscriber that has caught up (one
   * still reading its backlog gets them right after it). The batch is stored
   * whole or not at all; a failed append stores nothing of it.
   */
  append(request: AppendRequest): Promise<AppendResult>;
  /**
   * Delivers every entry after `after` in order, then each new one as it
   * becomes durable: no gap and no repeat, even for entries committed while
   * the backlog is being delivered.
   */
  subscribe(after: number, listener: LogListener): Subscription;
  /** Reads entries after `after`, in order, in chunks (exports, tools). */
  read(after: number, chunkSize?: number): AsyncIterable<readonly LogEntry[]>;
  /** Position of the last durable entry (0 when empty). */
  head(): Promise<number>;
  close(): Promise<void>;
}
