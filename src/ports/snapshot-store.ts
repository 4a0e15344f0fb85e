/** Where periodic snapshots of the views are kept, so a restart replays only the tail. */
import type { EncodedAccount } from '../core/index.js';

export interface Snapshot {
  /** Every log entry up to and including this position is in the snapshot. */
  position: number;
  takenAt: number;
  accounts: EncodedAccount[];
}

/**
 * A stored snapshot that cannot be read (damaged bytes). Carries its position
 * so the engine can fall back to an older one with `loadBefore`.
 */
export class SnapshotUnreadableError extends Error {
  override name = 'SnapshotUnreadableError';
  constructor(
    readonly position: number,
    message: string,
  ) {
    super(message);
  }
}

export interface SnapshotStore {
  /**
   * The latest snapshot, or undefined when none was taken yet. Throws
   * {@link SnapshotUnreadableError} when the latest one is damaged.
   */
  load(): Promise<Snapshot | undefined>;
  /**
   * The latest snapshot taken strictly before `position`: the fallback when a
   * newer one cannot be read or decoded. Stores that keep only one snapshot
   * leave it out (the engine then replays the whole log).
   */
  loadBefore?(position: number): Promise<Snapshot | undefined>;
  save(snapshot: Snapshot): Promise<void>;
}
