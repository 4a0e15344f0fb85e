/**
 * The cluster EventLog: one JetStream stream shared by every agentview server.
 *
 * Write path: concurrent ingest batches of an account are grouped into one
 * stream message (subject `<prefix>.<account>`), published with a unique
 * `Nats-Msg-Id` (so a retried publish is stored once) and acknowledged to the
 * client only after JetStream acknowledged the message *and* this server's own
 * view applied it: the answer (accepted, duplicates, lastSeq) is computed by
 * the deterministic {@link LogState} when the message comes back in stream
 * order, exactly as every other server computes it.
 *
 * Read path: every server follows the whole stream with an ordered consumer
 * and applies each message to its LogState, then hands the entries to the
 * subscribers (the engine's views). A watchdog compares the stream's last
 * sequence with what was applied and re-creates the consumer from the last
 * applied sequence when it stops delivering (seen after stream-leader loss),
 * and reports the log as behind while it is disconnected or lagging.
 */
import { randomBytes } from 'node:crypto';
import {
  DeliverPolicy,
  DiscardPolicy,
  RetentionPolicy,
  StorageType,
  type ConsumerMessages,
  type JsMsg,
  type PubAck,
  type StreamInfo,
} from '@nats-io/jetstream';
import { headers as natsHeaders, nanos } from '@nats-io/transport-node';
import { ApiError } from '../../errors/index.js';
import type { AppendRequest, AppendResult, EventLog, LogEntry, LogListener, Subscription } from '../../ports/index.js';
import { decodeBatches, ENCODING_HEADER, FORMAT_HEADER, FORMAT_VERSION, messageJson, parseWindow, toPayload, utf8Length, WINDOW_HEADER } from './codec.js';
import { errorText, retrying, sleep, type NatsConnection } from './connection.js';
import { LogState, type Applied, type EncodedLogState, type StreamMessage } from './log-state.js';

export interface JetStreamEventLogOptions {
  /** Stream name (letters, digits, `_`, `-`). */
  stream: string;
  /** Subject prefix; an account's messages go to `<prefix>.<account>`. */
  subjectPrefix: string;
  replicas: number;
  /** Stream `max_age`: how long messages are kept. */
  retentionMs: number;
  /**
   * How long event ids are remembered for de-duplication, in stream time
   * (default: `retentionMs`). Every server holds them in memory (~120 bytes
   * each), so busy deployments may want less than the full retention. Each
   * message carries its publisher's window, so servers configured
   * differently still decide alike.
   */
  dedupWindowMs?: number;
  /** Accounts this server keeps a view of (default: all). */
  serves?: (account: string) => boolean;
  /** Budget for publishing one message, retries included, before answering 503 (default 3 s). */
  publishTimeoutMs?: number;
  /** How long an append waits for this server's view to apply its acknowledged message (default 10 s). */
  applyTimeoutMs?: number;
  /** No delivery for this long while the stream has more: re-create the consumer (default 3 s). */
  stallMs?: number;
  /** A view this far behind what the stream held is reported as behind (default 1 s). */
  lagGraceMs?: number;
  /** Watchdog period: stream-state polls and stall checks (default 1 s). */
  watchdogMs?: number;
  /** Publishes in flight at once; beyond it, batches queue and group into bigger messages (default 8). */
  maxInFlight?: number;
  /** Most ingest batches grouped into one message (default 64). */
  maxGroup?: number;
}

interface QueuedBatch {
  request: AppendRequest;
  json: string;
  bytes: number;
  deadline: number;
  resolve: (r: AppendResult) => void;
  reject: (e: unknown) => void;
}

interface Subscriber {
  listener: LogListener;
  after: number;
  /** Live entries held back while a historical replay runs. */
  buffer: LogEntry[][] | undefined;
}

interface Waiter {
  seq: number;
  resolve: () => void;
  reject: (e: unknown) => void;
  timer: NodeJS.Timeout | undefined;
}

/** What a snapshot needs from the log to resume de-duplication exactly. */
export interface LogStateExport {
  state: EncodedLogState;
  /** Creation time of the stream the state belongs to (a re-created stream invalidates it). */
  streamCreated: string;
}

const ENVELOPE_BYTES = 16;

export class JetStreamEventLog implements EventLog {
  private state: LogState;
  private readonly opts: Required<Omit<JetStreamEventLogOptions, 'serves'>>;
  private get dedupWindowMs(): number {
    return this.opts.dedupWindowMs;
  }
  private readonly serves: (account: string) => boolean;
  private readonly instanceId = randomBytes(6).toString('base64url');
  private msgCounter = 0;
  private closed = false;

  private live: Promise<void> | undefined;
  private liveStarted = false;
  private caughtUpOnce = false;
  private liveCaughtUp: Promise<void> | undefined;
  private streamCreated = '';
  private firstSeq = 1;
  private blocked: string | undefined;
  private gapRetriedAt = 0;

  private consumerGen = 0;
  private messages: ConsumerMessages | undefined;
  private consumerOpenedAt = 0;
  private lastDeliveryAt = 0;
  private opening = false;

  private knownLastSeq = 0;
  private observations: { seq: number; at: number }[] = [];
  private lastInfoOkAt = 0;
  private polling = false;
  private watchdog: NodeJS.Timeout | undefined;

  private readonly subs = new Set<Subscriber>();
  private readonly waiters: Waiter[] = [];
  private readonly pendingById = new Map<string, { account: string; results: AppendResult[] | undefined }>();
  private readonly queues = new Map<string, QueuedBatch[]>();
  private flushScheduled = false;
  private inFlight = 0;
  private readonly idle = new Set<() => void>();

  constructor(
    private readonly nats: NatsConnection,
    options: JetStreamEventLogOptions,
  ) {
    this.opts = {
      stream: options.stream,
      subjectPrefix: options.subjectPrefix,
      replicas: options.replicas,
      retentionMs: options.retentionMs,
      dedupWindowMs: Math.min(options.dedupWindowMs ?? options.retentionMs, options.retentionMs),
      publishTimeoutMs: options.publishTimeoutMs ?? 3000,
      applyTimeoutMs: options.applyTimeoutMs ?? 10_000,
      stallMs: options.stallMs ?? 3000,
      lagGraceMs: options.lagGraceMs ?? 1000,
      watchdogMs: options.watchdogMs ?? 1000,
      maxInFlight: options.maxInFlight ?? 8,
      maxGroup: options.maxGroup ?? 64,
    };
    this.serves = options.serves ?? (() => true);
    this.state = new LogState(this.dedupWindowMs, this.serves);
  }

  private get logger() {
    return this.nats.logger;
  }

  private subject(account: string): string {
    return `${this.opts.subjectPrefix}.${account}`;
  }

  // ---------------------------------------------------------------- snapshots

  /**
   * The log state matching a view snapshot at `position`, or undefined when
   * the log is not exactly there (the snapshot would not be consistent).
   * Must be called synchronously with reading the views (no await between).
   */
  exportState(position: number): LogStateExport | undefined {
    if (!this.liveStarted || this.state.lastEntryPosition !== position) return undefined;
    return { state: this.state.encode(), streamCreated: this.streamCreated };
  }

  /**
   * Resumes from a snapshot's log state instead of replaying the stream from
   * the start. Only possible before the log started following the stream.
   */
  restore(saved: LogStateExport): boolean {
    if (this.live) return false;
    this.state = LogState.decode(saved.state, this.dedupWindowMs, this.serves);
    return true;
  }

  /** The stream's identity and bounds (for validating a snapshot against it). */
  async streamInfo(): Promise<{ created: string; firstSeq: number; lastSeq: number }> {
    const info = await this.ensureStream();
    return { created: info.created, firstSeq: info.state.first_seq, lastSeq: info.state.last_seq };
  }

  // ------------------------------------------------------------- stream setup

  private streamConfig() {
    return {
      name: this.opts.stream,
      subjects: [`${this.opts.subjectPrefix}.*`],
      storage: StorageType.File,
      retention: RetentionPolicy.Limits,
      discard: DiscardPolicy.Old,
      num_replicas: this.opts.replicas,
      max_age: nanos(this.opts.retentionMs),
      duplicate_window: nanos(120_000),
    };
  }

  /** Creates or updates the stream; retries through elections until closed. */
  private ensureStream(): Promise<StreamInfo> {
    return retrying(
      `event stream ${this.opts.stream} set-up`,
      async () => {
        const { jsm } = await this.nats.handles();
        const want = this.streamConfig();
        let info: StreamInfo;
        try {
          info = await jsm.streams.info(want.name);
        } catch (err) {
          if (!isStreamNotFound(err)) throw err;
          this.logger.info({ stream: want.name, replicas: want.num_replicas }, 'creating the event stream');
          return await jsm.streams.add(want);
        }
        const c = info.config;
        if (c.num_replicas !== want.num_replicas || c.max_age !== want.max_age || c.subjects?.[0] !== want.subjects[0]) {
          this.logger.info(
            { stream: want.name, replicas: [c.num_replicas, want.num_replicas], maxAgeNs: [c.max_age, want.max_age] },
            'updating the event stream configuration',
          );
          info = await jsm.streams.update(want.name, { ...c, ...want });
        }
        return info;
      },
      { logger: this.logger, isClosed: () => this.closed },
    );
  }

  // ---------------------------------------------------------------- following

  private startLive(): Promise<void> {
    if (this.closed) return Promise.reject(new Error('event log is closed'));
    return (this.live ??= (async () => {
      const info = await this.ensureStream();
      this.streamCreated = info.created;
      this.firstSeq = info.state.first_seq;
      if (this.state.appliedSeq === 0 && info.state.first_seq > 1) {
        this.logger.error(
          { stream: this.opts.stream, firstSeq: info.state.first_seq },
          'the stream no longer holds its first messages and there is no snapshot: views start from what is left; sequence numbers and de-duplication of older events differ from servers that saw them',
        );
        this.state.skip(info.state.first_seq - 1);
      }
      this.liveStarted = true;
      this.observe(info.state.last_seq);
      this.lastInfoOkAt = Date.now();
      const target = info.state.last_seq;
      this.liveCaughtUp = this.waitApplied(target, undefined).then(() => {
        this.caughtUpOnce = true;
      });
      this.watchdog = setInterval(() => this.tick(), this.opts.watchdogMs);
      this.watchdog.unref();
      await this.openConsumer('start');
    })());
  }

  /** (Re-)creates the ordered consumer from the last applied sequence. */
  private async openConsumer(why: string): Promise<void> {
    if (this.opening || this.closed) return;
    this.opening = true;
    const gen = ++this.consumerGen;
    try {
      const old = this.messages;
      this.messages = undefined;
      if (old) {
        try {
          old.stop();
        } catch {
          // already stopped
        }
      }
      const from = this.state.appliedSeq + 1;
      if (why !== 'start') this.logger.warn({ from, why }, 'resuming the event stream consumer');
      const messages = await retrying(
        'event stream consumer set-up',
        async () => {
          const { js } = await this.nats.handles();
          const consumer = await js.consumers.get(this.opts.stream, {
            deliver_policy: DeliverPolicy.StartSequence,
            opt_start_seq: this.state.appliedSeq + 1,
          });
          return consumer.consume({ max_bytes: 32 * 1024 * 1024, callback: (m) => this.onMessage(m, gen) });
        },
        { logger: this.logger, isClosed: () => this.closed || gen !== this.consumerGen },
      );
      if (this.closed || gen !== this.consumerGen) {
        messages.stop();
        return;
      }
      this.messages = messages;
      this.consumerOpenedAt = Date.now();
      this.lastDeliveryAt = Date.now();
      void this.watchConsumer(messages, gen);
    } catch (err) {
      if (!this.closed) this.logger.error({ err: errorText(err) }, 'event stream consumer set-up gave up');
    } finally {
      this.opening = false;
    }
  }

  private async watchConsumer(messages: ConsumerMessages, gen: number): Promise<void> {
    try {
      for await (const s of messages.status()) {
        if (gen !== this.consumerGen || this.closed) return;
        if ((s.type === 'heartbeats_missed' && s.count >= 2) || s.type === 'consumer_deleted' || s.type === 'stream_not_found') {
          this.logger.warn({ status: s.type }, 'event stream consumer reported a problem');
          this.lastDeliveryAt = 0;
        }
      }
    } catch {
      // the status iterator ends with the consumer
    }
  }

  private onMessage(m: JsMsg, gen: number): void {
    if (gen !== this.consumerGen || this.closed) return;
    this.lastDeliveryAt = Date.now();
    const seq = m.seq;
    this.observe(seq + m.info.pending);
    if (seq <= this.state.appliedSeq || this.blocked) return;
    const expected = this.state.appliedSeq + 1;
    if (seq > expected && expected >= this.firstSeq && this.gapRetriedAt !== expected) {
      if (this.opening) return;
      // A message missing in the delivery: never skip it on the consumer's
      // word alone. Ask again from it once; if it is still not delivered, it
      // was removed from the stream (deleted by an operator).
      this.gapRetriedAt = expected;
      this.logger.warn({ expected, got: seq }, 'gap in the event stream delivery; asking again');
      void this.openConsumer('gap in delivery');
      return;
    }
    if (seq > expected) this.logger.warn({ from: expected, to: seq - 1 }, 'stream messages missing (removed from the stream); continuing after them');
    const format = m.headers?.get(FORMAT_HEADER);
    if (format && format !== FORMAT_VERSION) {
      // Skipping would make this server's answers differ from newer servers'.
      this.blocked = `message ${seq} has format ${format}, newer than this agentview understands; upgrade`;
      this.logger.error({ seq, format }, this.blocked);
      return;
    }
    const msg = this.decodeMessage(m);
    let applied: Applied = { entries: [], results: [] };
    if (msg === undefined) {
      this.logger.warn({ seq, subject: m.subject }, 'skipping a stream message that is not an agentview batch');
      this.state.skip(seq);
    } else {
      applied = this.state.apply(msg);
    }
    const id = m.headers?.get('Nats-Msg-Id');
    const pending = id ? this.pendingById.get(id) : undefined;
    if (pending && msg && pending.account === msg.account) pending.results = applied.results;
    if (applied.entries.length > 0) this.deliver(applied.entries);
    this.releaseWaiters();
    this.pruneObservations();
  }

  private pruneObservations(): void {
    const applied = this.state.appliedSeq;
    while (this.observations.length > 0 && this.observations[0]!.seq <= applied) this.observations.shift();
  }

  private deliver(entries: LogEntry[]): void {
    const position = entries[0]!.position;
    for (const sub of this.subs) {
      if (sub.buffer) {
        sub.buffer.push(entries);
        continue;
      }
      if (position <= sub.after) continue;
      try {
        sub.listener(entries);
      } catch (err) {
        this.logger.error({ err: errorText(err) }, 'event log listener failed');
      }
    }
  }

  private observe(lastSeq: number): void {
    if (lastSeq <= this.knownLastSeq) return;
    this.knownLastSeq = lastSeq;
    this.observations.push({ seq: lastSeq, at: Date.now() });
  }

  private tick(): void {
    if (this.closed) return;
    void this.pollStream();
    const now = Date.now();
    const applied = this.state.appliedSeq;
    if (
      !this.blocked &&
      !this.opening &&
      this.knownLastSeq > applied &&
      now - this.lastDeliveryAt > this.opts.stallMs &&
      now - this.consumerOpenedAt > this.opts.stallMs
    ) {
      void this.openConsumer(`no delivery for ${now - this.lastDeliveryAt} ms while ${this.knownLastSeq - applied} messages are pending`);
    }
  }

  private async pollStream(): Promise<void> {
    if (this.polling) return;
    this.polling = true;
    try {
      const { jsm } = await this.nats.handles();
      const info = await jsm.streams.info(this.opts.stream);
      this.firstSeq = info.state.first_seq;
      this.observe(info.state.last_seq);
      this.lastInfoOkAt = Date.now();
      if (info.created !== this.streamCreated && this.streamCreated !== '') {
        this.blocked = `the stream ${this.opts.stream} was re-created; restart this server to rebuild its view`;
        this.logger.error({ stream: this.opts.stream }, this.blocked);
      }
    } catch {
      // unknown lag: isBehind() turns true once the last good poll is too old
    } finally {
      this.polling = false;
    }
  }

  /**
   * True while this server may be missing durable entries: not caught up
   * since start, disconnected, unable to read the stream state, or holding
   * less than the stream held `lagGraceMs` ago.
   */
  isBehind(): boolean {
    if (!this.caughtUpOnce || this.blocked || this.closed || !this.nats.isConnected()) return true;
    const now = Date.now();
    if (now - this.lastInfoOkAt > this.opts.watchdogMs * 2 + 3000) return true;
    this.pruneObservations();
    const oldest = this.observations[0];
    return oldest !== undefined && now - oldest.at >= this.opts.lagGraceMs;
  }

  private waitApplied(seq: number, deadline: number | undefined): Promise<void> {
    if (this.state.appliedSeq >= seq) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const w: Waiter = { seq, resolve, reject, timer: undefined };
      if (deadline !== undefined) {
        w.timer = setTimeout(() => {
          const i = this.waiters.indexOf(w);
          if (i >= 0) this.waiters.splice(i, 1);
          reject(new Error(`this server's view did not reach stream sequence ${seq} in time`));
        }, Math.max(0, deadline - Date.now()));
      }
      this.waiters.push(w);
    });
  }

  private releaseWaiters(): void {
    if (this.waiters.length === 0) return;
    const applied = this.state.appliedSeq;
    for (let i = this.waiters.length - 1; i >= 0; i--) {
      const w = this.waiters[i]!;
      if (w.seq <= applied) {
        this.waiters.splice(i, 1);
        clearTimeout(w.timer);
        w.resolve();
      }
    }
  }

  // ------------------------------------------------------------------ writing

  append(request: AppendRequest): Promise<AppendResult> {
    if (this.closed) return Promise.reject(new Error('event log is closed'));
    if (!this.serves(request.account)) {
      return Promise.reject(new Error(`account ${request.account} is not served by this server's view`));
    }
    const json = JSON.stringify(request.events);
    return new Promise((resolve, reject) => {
      let q = this.queues.get(request.account);
      if (!q) this.queues.set(request.account, (q = []));
      q.push({ request, json, bytes: utf8Length(json), deadline: Date.now() + this.opts.publishTimeoutMs, resolve, reject });
      this.scheduleFlush();
    });
  }

  private scheduleFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(() => {
      this.flushScheduled = false;
      this.flush();
    });
  }

  /** Groups queued batches per account into messages, within the publish concurrency. */
  private flush(): void {
    const limit = this.maxPayload();
    while (this.inFlight < this.opts.maxInFlight && this.queues.size > 0) {
      const [account, q] = this.queues.entries().next().value as [string, QueuedBatch[]];
      const group: QueuedBatch[] = [];
      let bytes = ENVELOPE_BYTES;
      while (q.length > 0) {
        const next = q[0]!;
        if (group.length > 0 && (bytes + next.bytes + 1 > limit || group.length >= this.opts.maxGroup)) break;
        group.push(q.shift()!);
        bytes += next.bytes + 1;
      }
      if (q.length === 0) this.queues.delete(account);
      else {
        // Round-robin: the account's rest goes behind the other accounts.
        this.queues.delete(account);
        this.queues.set(account, q);
      }
      this.inFlight++;
      void this.publishGroup(account, group).finally(() => {
        this.inFlight--;
        if (this.queues.size > 0) this.scheduleFlush();
        if (this.inFlight === 0) for (const f of this.idle) f();
      });
    }
  }

  private maxPayload(): number {
    const h = this.nats.isConnected() ? this.currentMaxPayload : 0;
    return (h > 0 ? h : 1024 * 1024) - 4096;
  }

  private currentMaxPayload = 0;

  private async publishGroup(account: string, group: QueuedBatch[]): Promise<void> {
    const msgId = `${this.instanceId}-${++this.msgCounter}`;
    const pending = { account, results: undefined as AppendResult[] | undefined };
    this.pendingById.set(msgId, pending);
    const deadline = Math.min(...group.map((g) => g.deadline));
    try {
      await withDeadline(this.startLive(), deadline, 'the event stream is not available');
      const { nc, js } = await withDeadline(this.nats.handles(), deadline, 'not connected to NATS');
      this.currentMaxPayload = nc.info?.max_payload ?? 0;
      const payload = toPayload(messageJson(group.map((g) => g.json)), this.maxPayload());
      if (!payload) {
        throw new ApiError(
          'BATCH_TOO_LARGE',
          `the batch does not fit the NATS server's max_payload (${this.maxPayload()} bytes) even compressed; send fewer events per request`,
        );
      }
      const h = natsHeaders();
      h.set(FORMAT_HEADER, FORMAT_VERSION);
      h.set(WINDOW_HEADER, String(this.dedupWindowMs));
      if (payload.deflated) h.set(ENCODING_HEADER, 'deflate');
      let ack: PubAck | undefined;
      let delay = 50;
      for (;;) {
        try {
          ack = await js.publish(this.subject(account), payload.data, {
            msgID: msgId,
            headers: h,
            expect: { streamName: this.opts.stream },
            timeout: Math.max(250, Math.min(2000, deadline - Date.now())),
          });
          break;
        } catch (err) {
          if (this.closed || Date.now() + delay >= deadline) throw err;
          await sleep(delay);
          delay = Math.min(delay * 2, 500);
        }
      }
      this.observe(ack.seq);
      await this.waitApplied(ack.seq, Date.now() + this.opts.applyTimeoutMs);
      const results = pending.results;
      if (!results || results.length !== group.length) {
        throw new Error(`stream message ${ack.seq} was applied without this server's results`);
      }
      group.forEach((g, i) => g.resolve(results[i]!));
    } catch (err) {
      for (const g of group) g.reject(err);
    } finally {
      this.pendingById.delete(msgId);
    }
  }

  // ------------------------------------------------------------------ reading

  subscribe(after: number, listener: LogListener): Subscription {
    const sub: Subscriber = { listener, after, buffer: undefined };
    const historical = after < this.state.lastEntryPosition;
    if (historical) sub.buffer = [];
    this.subs.add(sub);
    const caughtUp = (async () => {
      await this.startLive();
      await this.liveCaughtUp;
      if (!historical) return;
      const until = this.state.appliedSeq;
      try {
        for await (const entries of this.replay(after, until)) {
          if (!this.subs.has(sub)) return;
          listener(entries);
        }
      } finally {
        const buffered = sub.buffer ?? [];
        sub.buffer = undefined;
        sub.after = Math.max(after, until);
        for (const entries of buffered) {
          if (entries[0]!.position > sub.after && this.subs.has(sub)) listener(entries);
        }
      }
    })();
    // Callers that never await caughtUp must not see an unhandled rejection.
    caughtUp.catch(() => undefined);
    return { caughtUp, close: () => this.subs.delete(sub) };
  }

  async *read(after: number, chunkSize = 1000): AsyncIterable<readonly LogEntry[]> {
    await this.startLive();
    await this.liveCaughtUp;
    const until = this.state.appliedSeq;
    let chunk: LogEntry[] = [];
    for await (const entries of this.replay(after, until)) {
      for (const e of entries) {
        chunk.push(e);
        if (chunk.length >= chunkSize) {
          yield chunk;
          chunk = [];
        }
      }
    }
    if (chunk.length > 0) yield chunk;
  }

  /**
   * Re-derives the entries after `after` up to stream sequence `until`:
   * entries exist only as the result of applying every message before them,
   * so the replay starts from a stored log state at or before `after` (the
   * latest snapshot's, when it is early enough) or from the stream's first
   * message.
   */
  private async *replay(after: number, until: number): AsyncGenerator<LogEntry[]> {
    if (until === 0) return;
    const state = await this.replayStart(after);
    if (state.appliedSeq >= until) return;
    for await (const batch of this.readMessages(state.appliedSeq + 1, until)) {
      for (const m of batch) {
        const msg = this.decodeMessage(m);
        if (!msg) {
          state.skip(m.seq);
          continue;
        }
        const { entries } = state.apply(msg);
        if (entries.length > 0 && entries[0]!.position > after) yield entries;
      }
    }
  }

  private async replayStart(after: number): Promise<LogState> {
    const info = await this.streamInfo();
    const base = this.replayBase ? await this.replayBase().catch(() => undefined) : undefined;
    if (base && base.streamCreated === info.created && base.state.lastEntryPosition <= after && base.state.appliedSeq + 1 >= info.firstSeq) {
      return LogState.decode(base.state, this.dedupWindowMs, this.serves);
    }
    if (info.firstSeq > 1) {
      throw new Error(
        `entries after position ${after} cannot be re-derived: the stream starts at ${info.firstSeq} (retention) and no snapshot is early enough`,
      );
    }
    return new LogState(this.dedupWindowMs, this.serves);
  }

  private replayBase: (() => Promise<LogStateExport | undefined>) | undefined;

  /** Where replays may start instead of the stream's first message (the snapshot store provides it). */
  setReplayBase(provider: () => Promise<LogStateExport | undefined>): void {
    this.replayBase = provider;
  }

  /** A stream message as the state machine takes it; undefined when it is not an agentview batch. */
  private decodeMessage(m: JsMsg): StreamMessage | undefined {
    const account = m.subject.slice(this.opts.subjectPrefix.length + 1);
    if (!/^[A-Za-z0-9_-]{1,64}$/.test(account)) return undefined;
    const batches = decodeBatches(m.data, m.headers?.get(ENCODING_HEADER) === 'deflate');
    if (!batches) return undefined;
    const windowMs = parseWindow(m.headers?.get(WINDOW_HEADER));
    return { seq: m.seq, time: Math.floor(m.info.timestampNanos / 1e6), account, batches, ...(windowMs ? { windowMs } : {}) };
  }

  /** Stream messages from `from` to `until` in order, in batches; resumes a consumer that stalls. */
  private async *readMessages(from: number, until: number): AsyncGenerator<JsMsg[]> {
    let next = from;
    while (next <= until) {
      if (this.closed) throw new Error('event log is closed');
      const start = next;
      const consumer = await retrying(
        'event stream reader set-up',
        async () => {
          const { js } = await this.nats.handles();
          return js.consumers.get(this.opts.stream, { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: start });
        },
        { logger: this.logger, isClosed: () => this.closed },
      );
      for (;;) {
        const batch: JsMsg[] = [];
        try {
          const iter = await consumer.fetch({ max_messages: Math.min(500, until - next + 1), expires: 2000 });
          for await (const m of iter) {
            if (m.seq < next) continue;
            batch.push(m);
            next = m.seq + 1;
            if (next > until) break;
          }
        } catch (err) {
          this.logger.debug({ err: errorText(err) }, 'event stream fetch failed; re-creating the reader');
        }
        if (batch.length > 0) yield batch;
        if (batch.length === 0 || next > until) break;
      }
    }
  }

  /**
   * Position of the last durable entry: exact once this server applied the
   * stream's last message (immediately, in the common case); while it is
   * further behind than a second's wait, the stream's last sequence, an upper
   * bound (that message may hold only duplicates). Fails after 2 s when the
   * stream cannot be reached.
   */
  async head(): Promise<number> {
    const deadline = Date.now() + 2000;
    await withDeadline(this.startLive(), deadline, 'the event stream is not available');
    const info = await retrying('event stream state', () => this.nats.handles().then(({ jsm }) => jsm.streams.info(this.opts.stream)), {
      logger: this.logger,
      isClosed: () => this.closed,
      deadline,
    });
    const last = info.state.last_seq;
    try {
      await this.waitApplied(last, Math.min(deadline, Date.now() + 1000));
    } catch {
      return Math.max(last, this.state.lastEntryPosition);
    }
    return this.state.lastEntryPosition;
  }

  /** The account's sequence number in this server's log state. */
  accountSeq(account: string): number {
    return this.state.accountSeq(account);
  }

  /** Publishes what is queued (bounded by its deadline), then stops following the stream. */
  async close(): Promise<void> {
    if (this.closed) return;
    if (this.queues.size > 0 || this.inFlight > 0) {
      await new Promise<void>((resolve) => {
        const done = () => {
          if (this.queues.size === 0 && this.inFlight === 0) {
            this.idle.delete(done);
            resolve();
          }
        };
        this.idle.add(done);
        done();
      });
    }
    this.closed = true;
    clearInterval(this.watchdog);
    this.consumerGen++;
    try {
      this.messages?.stop();
    } catch {
      // already stopped
    }
    for (const w of this.waiters.splice(0)) {
      clearTimeout(w.timer);
      w.reject(new Error('event log is closed'));
    }
    this.subs.clear();
  }
}

function isStreamNotFound(err: unknown): boolean {
  const e = err as { code?: number; name?: string; message?: string };
  return e?.name === 'StreamNotFoundError' || e?.code === 10059 || /stream not found/i.test(e?.message ?? '');
}

function withDeadline<T>(p: Promise<T>, deadline: number, what: string): Promise<T> {
  const ms = deadline - Date.now();
  if (ms <= 0) return Promise.reject(new Error(what));
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    p,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(what)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

