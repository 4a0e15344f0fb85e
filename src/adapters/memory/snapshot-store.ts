import type { Snapshot, SnapshotStore } from '../../ports/index.js';

/** In-memory SnapshotStore; keeps a deep copy so later state changes don't leak in. */
export class MemorySnapshotStore implements SnapshotStore {
  private latest: string | undefined;

  load(): Promise<Snapshot | undefined> {
    return Promise.resolve(this.latest === undefined ? undefined : (JSON.parse(this.latest) as Snapshot));
  }

  save(snapshot: Snapshot): Promise<void> {
    this.latest = JSON.stringify(snapshot);
    return Promise.resolve();
  }
}
