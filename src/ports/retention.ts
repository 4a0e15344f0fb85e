/**
 * Retention: dropping what is older than the configured number of days
 * without losing anything live state or recovery still needs.
 */

export interface CompactionRequest {
  /** Entries whose time is before this may be dropped… */
  beforeTime: number;
  /** …but only at or below this log position (what a durable snapshot covers). */
  maxPosition: number;
}

export interface CompactionResult {
  /** Log entries dropped. */
  events: number;
  /** `eventId` de-duplication records dropped with them. */
  eventIds: number;
  /** Position of the last dropped entry (0 when none). */
  upTo: number;
}

/** A log whose old entries can be dropped. */
export interface LogCompactor {
  /**
   * Drops the oldest entries that are all before `beforeTime` and at or
   * below `maxPosition`, with their `eventId` records. Never drops the newest
   * entry (positions must keep increasing across restarts).
   */
  compact(request: CompactionRequest): Promise<CompactionResult>;
}
