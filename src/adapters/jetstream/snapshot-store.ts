/**
 * Snapshots of the views, shared by the servers of a cluster, in a JetStream
 * object store (chunked, SHA-256 checked by the store): one object per view
 * kind (`view.all`, or one per account shard), replaced in place. A new or
 * restarted server loads it and replays only the stream after it.
 *
 * A snapshot carries the event log's de-duplication state at the same point
 * (per-account sequences and remembered event ids), so the server resumes
 * computing exactly the answers the others compute. Every server takes
 * snapshots on its own schedule; a save that is not newer than the stored
 * one is skipped, and concurrent saves are serialised by the object's
 * revision (compare-and-set), so the object only moves forward.
 */
import { promisify } from 'node:util';
import { gunzip, gzip } from 'node:zlib';
import { StorageType } from '@nats-io/jetstream';
import { Objm, type ObjectStore } from '@nats-io/obj';
import type { Snapshot, SnapshotStore } from '../../ports/index.js';
import { errorText, retrying, sleep, type NatsConnection } from './connection.js';
import type { JetStreamEventLog, LogStateExport } from './event-log.js';

const gzipAsync = promisify(gzip);
const gunzipAsync = promisify(gunzip);

export interface JetStreamSnapshotStoreOptions {
  /** Object store bucket name. */
  bucket: string;
  replicas: number;
  /** Which view the snapshots are of (`all`, or an account shard like `shard-0-of-3`). */
  view: string;
  /** Give up reading a snapshot after this long and start from the stream instead (default 60 s). */
  loadTimeoutMs?: number;
}

interface Stored {
  v: 1;
  snapshot: Snapshot;
  /** Creation time of the event stream the snapshot is of. */
  streamCreated: string;
  /**
   * The event log's state at the snapshot (absent when the snapshot was not
   * taken at the log's current position: the log then re-derives it from
   * the stream, which must still hold every message).
   */
  log?: LogStateExport['state'];
}

interface Description {
  position: number;
  appliedSeq: number;
  streamCreated: string;
  takenAt: number;
}

export class JetStreamSnapshotStore implements SnapshotStore {
  private store: Promise<ObjectStore> | undefined;
  private readonly name: string;

  constructor(
    private readonly nats: NatsConnection,
    private readonly log: JetStreamEventLog,
    private readonly options: JetStreamSnapshotStoreOptions,
  ) {
    this.name = `view.${options.view}`;
    // Replays of the log (late subscribers, reads) may start from the stored snapshot.
    log.setReplayBase(() => this.loadLogState());
  }

  private async loadLogState(): Promise<LogStateExport | undefined> {
    const stored = await this.read();
    return stored?.log ? { state: stored.log, streamCreated: stored.streamCreated } : undefined;
  }

  private async read(): Promise<Stored | undefined> {
    const os = await this.bucket();
    const info = await os.info(this.name);
    if (!info || info.deleted) return undefined;
    const blob = await withTimeout(os.getBlob(this.name), 30_000, 'reading the snapshot timed out');
    if (!blob) return undefined;
    const stored = JSON.parse((await gunzipAsync(blob)).toString('utf8')) as Stored;
    if (stored.v === 1) return stored;
    this.nats.logger.warn({ format: stored.v }, 'ignoring a snapshot in an unknown format');
    return undefined;
  }

  private bucket(): Promise<ObjectStore> {
    const p = (this.store ??= retrying(
      `snapshot bucket ${this.options.bucket} set-up`,
      async () => {
        const { js } = await this.nats.handles();
        return new Objm(js).create(this.options.bucket, { replicas: this.options.replicas, storage: StorageType.File });
      },
      { logger: this.nats.logger, isClosed: () => this.nats.isClosed() },
    ));
    p.catch(() => {
      if (this.store === p) this.store = undefined;
    });
    return p;
  }

  async load(): Promise<Snapshot | undefined> {
    const deadline = Date.now() + (this.options.loadTimeoutMs ?? 60_000);
    const logger = this.nats.logger;
    let stored: Stored | undefined;
    for (let attempt = 1; ; attempt++) {
      try {
        stored = await this.read();
        if (!stored) return undefined;
        break;
      } catch (err) {
        // A snapshot replaced while it is read loses its chunks: read the new one.
        if (this.nats.isClosed()) throw err;
        if (Date.now() > deadline) {
          logger.error({ err: errorText(err) }, 'could not read the snapshot; replaying the stream from the start');
          return undefined;
        }
        if (attempt % 5 === 2) logger.warn({ err: errorText(err), attempt }, 'reading the snapshot failed; retrying');
        await sleep(Math.min(2000, 100 * 2 ** attempt));
      }
    }
    const stream = await this.log.streamInfo();
    const appliedSeq = stored.log?.appliedSeq ?? stored.snapshot.position;
    if (stored.streamCreated !== stream.created || appliedSeq > stream.lastSeq) {
      logger.warn(
        { snapshotStream: stored.streamCreated, stream: stream.created, appliedSeq, lastSeq: stream.lastSeq },
        'ignoring a snapshot of another (deleted or re-created) event stream',
      );
      return undefined;
    }
    if (stored.log) {
      if (stream.firstSeq > appliedSeq + 1) {
        logger.error(
          { snapshotSeq: appliedSeq, firstSeq: stream.firstSeq },
          'the stream no longer holds the messages right after the snapshot (retention is shorter than the snapshot age); the views miss them',
        );
      }
      if (!this.log.restore({ state: stored.log, streamCreated: stored.streamCreated })) {
        logger.warn({}, 'the event log is already running; not using the snapshot');
        return undefined;
      }
    }
    logger.info({ position: stored.snapshot.position, appliedSeq, accounts: stored.snapshot.accounts.length }, 'loaded the snapshot');
    return stored.snapshot;
  }

  async save(snapshot: Snapshot): Promise<void> {
    // Taken synchronously with the engine's copy of the views (no await
    // before): the log is then exactly at the snapshot's position.
    const log = this.log.exportState(snapshot.position);
    const streamCreated = log?.streamCreated ?? (await this.log.streamInfo()).created;
    const body = await gzipAsync(JSON.stringify({ v: 1, snapshot, streamCreated, ...(log ? { log: log.state } : {}) } satisfies Stored));
    const description: Description = {
      position: snapshot.position,
      appliedSeq: log?.state.appliedSeq ?? snapshot.position,
      streamCreated,
      takenAt: snapshot.takenAt,
    };
    const os = await this.bucket();
    const current = await os.info(this.name);
    if (current && !current.deleted) {
      const d = parseDescription(current.description);
      // Another server already stored this point or a later one.
      if (d && d.streamCreated === streamCreated && (d.position > description.position || (d.position === description.position && d.appliedSeq >= description.appliedSeq))) {
        return;
      }
    }
    try {
      await os.putBlob({ name: this.name, description: JSON.stringify(description) }, body, {
        previousRevision: current?.revision ?? 0,
      });
    } catch (err) {
      // Another server replaced it since we looked: theirs is as good (same stream, same rules).
      if (isWrongLastSequence(err)) return;
      throw err;
    }
  }
}

function parseDescription(text: string | undefined): Description | undefined {
  if (!text) return undefined;
  try {
    return JSON.parse(text) as Description;
  } catch {
    return undefined;
  }
}

function isWrongLastSequence(err: unknown): boolean {
  const e = err as { code?: number; message?: string };
  return e?.code === 10071 || /wrong last sequence/i.test(e?.message ?? '');
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    p,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(what)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}
