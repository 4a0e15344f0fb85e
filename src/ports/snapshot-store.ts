/** Where periodic snapshots of the views are kept, so a restart replays only the tail. */
import type { EncodedAccount } from '../core/index.js';

export interface Snapshot {
  /** Every log entry up to and including this position is in the snapshot. */
  position: number;
  takenAt: number;
  accounts: EncodedAccount[];
}

export interface SnapshotStore {
  /** The latest snapshot, or undefined when none was taken yet. */
  load(): Promise<Snapshot | undefined>;
  save(snapshot: Snapshot): Promise<void>;
}
