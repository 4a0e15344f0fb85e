/**
 * The deterministic part of the JetStream event log: how one stream message
 * (one or more ingest batches of one account) becomes log entries.
 *
 * Every agentview server applies the same stream messages in the same order
 * with this state machine, so all of them compute the same per-account
 * sequence numbers, the same duplicates and the same answer for every batch:
 * the first occurrence of an `eventId` in stream order wins, wherever it was
 * published. Nothing here reads a clock: the "now" used to forget old event
 * ids is the stream's own timestamp of the message being applied, and the
 * window is the one the message carries; ids are forgotten only while
 * applying, so the state itself (carried in snapshots) is deterministic too.
 *
 * Pure (no I/O), so it is tested by property: replaying a prefix, encoding the
 * state, decoding it and replaying the rest gives what replaying everything gives.
 */
import { CLIENT_EVENT_TYPES, type IngestEvent } from '../../core/index.js';
import type { AppendResult, LogEntry } from '../../ports/index.js';

/** One stream message, decoded. */
export interface StreamMessage {
  /** Stream sequence: the log position of every entry the message produces. */
  seq: number;
  /** Stream timestamp (epoch ms), identical on every replica. */
  time: number;
  account: string;
  /** The ingest batches grouped into this message, in arrival order. */
  batches: readonly (readonly IngestEvent[])[];
  /**
   * De-duplication window the publisher asked for (ms of stream time). It
   * travels with the message so every server decides with the same window,
   * even while their configurations differ.
   */
  windowMs?: number;
}

export interface Applied {
  entries: LogEntry[];
  /** One result per batch, in order; empty for accounts this view does not serve. */
  results: AppendResult[];
}

interface AccountLog {
  seq: number;
  /** eventId → stream time (ms) it was first seen; insertion order is stream order. */
  ids: Map<string, number>;
}

/** Snapshot form of {@link LogState}; JSON-serialisable. */
export interface EncodedLogState {
  v: 1;
  appliedSeq: number;
  lastEntryPosition: number;
  /** [account, seq, eventIds, first-seen times delta-encoded]. */
  accounts: [string, number, string[], number[]][];
}

const KNOWN_TYPES = new Set<string>([...CLIENT_EVENT_TYPES, 'agent.connectionTimedOut']);

export class LogState {
  /** Last stream sequence applied (whatever it produced). */
  appliedSeq = 0;
  /** Last stream sequence that produced entries: the log "position". */
  lastEntryPosition = 0;
  private readonly accounts = new Map<string, AccountLog>();

  /**
   * @param windowMs for messages that carry no window: event ids older than
   *   this (in stream time) are forgotten; a repeat after that is accepted again.
   * @param serves which accounts this view keeps; messages of others only advance `appliedSeq`.
   */
  constructor(
    readonly windowMs: number,
    readonly serves: (account: string) => boolean = () => true,
  ) {}

  /** The account's sequence number (0 when unknown). */
  accountSeq(account: string): number {
    return this.accounts.get(account)?.seq ?? 0;
  }

  /** Number of event ids currently remembered (all accounts). */
  rememberedIds(): number {
    let n = 0;
    for (const a of this.accounts.values()) n += a.ids.size;
    return n;
  }

  apply(msg: StreamMessage): Applied {
    if (msg.seq <= this.appliedSeq) throw new Error(`stream message ${msg.seq} applied twice (at ${this.appliedSeq})`);
    this.appliedSeq = msg.seq;
    if (!this.serves(msg.account)) return { entries: [], results: [] };
    let acc = this.accounts.get(msg.account);
    if (!acc) this.accounts.set(msg.account, (acc = { seq: 0, ids: new Map() }));
    const horizon = msg.time - (msg.windowMs ?? this.windowMs);
    forget(acc, horizon);
    const entries: LogEntry[] = [];
    const counts: { accepted: number; duplicates: number; lastSeq: number }[] = [];
    for (const batch of msg.batches) {
      let accepted = 0;
      let duplicates = 0;
      for (const e of batch) {
        if (e.eventId !== undefined) {
          const seen = acc.ids.get(e.eventId);
          if (seen !== undefined && seen >= horizon) {
            duplicates++;
            continue;
          }
          // Re-insert so the map stays ordered by first-seen time.
          if (seen !== undefined) acc.ids.delete(e.eventId);
          acc.ids.set(e.eventId, msg.time);
        }
        acc.seq++;
        accepted++;
        const event = { ...e, seq: acc.seq };
        entries.push({ position: msg.seq, account: msg.account, event });
      }
      counts.push({ accepted, duplicates, lastSeq: acc.seq });
    }
    if (entries.length > 0) this.lastEntryPosition = msg.seq;
    const position = this.lastEntryPosition;
    return { entries, results: counts.map((c) => ({ ...c, position })) };
  }

  /** Advances past a message that carries nothing (undecodable or empty). */
  skip(seq: number): void {
    if (seq > this.appliedSeq) this.appliedSeq = seq;
  }

  encode(): EncodedLogState {
    const accounts: EncodedLogState['accounts'] = [];
    for (const [id, acc] of this.accounts) {
      const ids: string[] = [];
      const times: number[] = [];
      let prev = 0;
      for (const [eventId, t] of acc.ids) {
        ids.push(eventId);
        times.push(t - prev);
        prev = t;
      }
      accounts.push([id, acc.seq, ids, times]);
    }
    return { v: 1, appliedSeq: this.appliedSeq, lastEntryPosition: this.lastEntryPosition, accounts };
  }

  static decode(e: EncodedLogState, windowMs: number, serves?: (account: string) => boolean): LogState {
    if (e.v !== 1) throw new Error(`unsupported event log state format ${String(e.v)}`);
    const s = new LogState(windowMs, serves);
    s.appliedSeq = e.appliedSeq;
    s.lastEntryPosition = e.lastEntryPosition;
    for (const [id, seq, ids, times] of e.accounts) {
      const map = new Map<string, number>();
      let t = 0;
      for (let i = 0; i < ids.length; i++) {
        t += times[i] ?? 0;
        map.set(ids[i]!, t);
      }
      s.accounts.set(id, { seq, ids: map });
    }
    return s;
  }
}

function forget(acc: AccountLog, horizon: number): void {
  for (const [id, t] of acc.ids) {
    if (t >= horizon) break;
    acc.ids.delete(id);
  }
}

/**
 * Checks the shape of decoded batches. Only agentview writes the stream, but
 * a message that does not decode must be treated the same way by every
 * server (skipped), never crash one of them.
 */
export function isBatchList(value: unknown): value is IngestEvent[][] {
  if (!Array.isArray(value)) return false;
  for (const batch of value) {
    if (!Array.isArray(batch)) return false;
    for (const e of batch) {
      if (typeof e !== 'object' || e === null) return false;
      const r = e as Record<string, unknown>;
      if (typeof r.type !== 'string' || !KNOWN_TYPES.has(r.type) || typeof r.time !== 'number') return false;
      if (r.eventId !== undefined && typeof r.eventId !== 'string') return false;
    }
  }
  return true;
}
