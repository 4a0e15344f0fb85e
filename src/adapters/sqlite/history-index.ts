/**
 * The embedded store's status-history index: segments and at-capacity
 * periods in the same SQLite file as the log, written by a transaction hook
 * of the log, so every append commits its history rows with its events.
 *
 * The tracker's in-memory state (a copy of each account's state and each
 * agent's open rows) is rebuilt from the latest snapshot, the log and the
 * index's open rows when the index opens, and again whenever the index finds
 * that its memory is ahead of what was committed (an append whose
 * transaction failed after the hook ran).
 */
import {
  agentSortKey,
  createAccountHistory,
  createAccountState,
  decodeAccount,
  evolve,
  trackEvent,
  type AccountHistory,
  type AccountState,
  type AgentStatus,
  type CapacityPeriod,
  type HistoryOp,
} from '../../core/index.js';
import type {
  AgentTimeline,
  HistoryIndex,
  LogEntry,
  RangeQuery,
  SegmentCursor,
  SegmentPage,
  StoredSegment,
} from '../../ports/index.js';
import type { Statement } from 'better-sqlite3';
import { migrate, type Migration, type SqliteDatabase } from './db.js';
import type { SqliteEventLog } from './event-log.js';
import type { SqliteSnapshotStore } from './snapshot-store.js';

/** `end_ms` of an open row: later than any event time, so range scans use the index. */
const OPEN = 9_000_000_000_000_000;

const MIGRATIONS: Migration[] = [
  {
    version: 1,
    up: (db) => {
      db.exec(`
        CREATE TABLE history_segments (
          account TEXT NOT NULL,
          agent_key TEXT NOT NULL,
          start_ms INTEGER NOT NULL,
          id INTEGER NOT NULL,
          agent TEXT NOT NULL,
          end_ms INTEGER NOT NULL,
          status TEXT NOT NULL,
          reason TEXT,
          connected INTEGER NOT NULL,
          group_id TEXT NOT NULL,
          skills TEXT NOT NULL,
          PRIMARY KEY (account, agent_key, start_ms, id)
        ) WITHOUT ROWID;
        CREATE INDEX history_segments_end ON history_segments (account, end_ms);
        -- Open rows (one per agent). Not UNIQUE on purpose: a slip in the
        -- tracker must never make appends fail; closing updates every open row.
        CREATE INDEX history_segments_open ON history_segments (account, agent) WHERE end_ms = ${OPEN};
        CREATE TABLE history_capacity (
          account TEXT NOT NULL,
          agent_key TEXT NOT NULL,
          start_ms INTEGER NOT NULL,
          id INTEGER NOT NULL,
          agent TEXT NOT NULL,
          end_ms INTEGER NOT NULL,
          PRIMARY KEY (account, agent_key, start_ms, id)
        ) WITHOUT ROWID;
        CREATE INDEX history_capacity_end ON history_capacity (account, end_ms);
        CREATE INDEX history_capacity_open ON history_capacity (account, agent) WHERE end_ms = ${OPEN};
        CREATE TABLE history_meta (
          id INTEGER PRIMARY KEY CHECK (id = 1),
          position INTEGER NOT NULL,
          next_id INTEGER NOT NULL
        );
        INSERT INTO history_meta (id, position, next_id) VALUES (1, 0, 1);
      `);
    },
  },
];

/**
 * The statements the append hook runs. Open rows are found through their
 * partial index, named explicitly: left to itself the planner may walk the
 * account's whole history for each update.
 */
export const WRITE_SQL: Record<HistoryOp['kind'], string> = {
  segmentEnded: `UPDATE history_segments INDEXED BY history_segments_open SET end_ms = ? WHERE account = ? AND agent = ? AND end_ms = ${OPEN}`,
  segmentDropped: `DELETE FROM history_segments INDEXED BY history_segments_open WHERE account = ? AND agent = ? AND end_ms = ${OPEN}`,
  segmentStarted: `INSERT INTO history_segments (id, account, agent, agent_key, start_ms, end_ms, status, reason, connected, group_id, skills)
    VALUES (?, ?, ?, ?, ?, ${OPEN}, ?, ?, ?, ?, ?)`,
  capacityEnded: `UPDATE history_capacity INDEXED BY history_capacity_open SET end_ms = ? WHERE account = ? AND agent = ? AND end_ms = ${OPEN}`,
  capacityDropped: `DELETE FROM history_capacity INDEXED BY history_capacity_open WHERE account = ? AND agent = ? AND end_ms = ${OPEN}`,
  capacityStarted: `INSERT INTO history_capacity (id, account, agent, agent_key, start_ms, end_ms) VALUES (?, ?, ?, ?, ?, ${OPEN})`,
};

type SegmentRow = [
  id: number,
  agent: string,
  start: number,
  end: number,
  status: AgentStatus,
  reason: string | null,
  connected: number,
  group: string,
  skills: string,
];

const SEGMENT_COLUMNS = 'id, agent, start_ms, end_ms, status, reason, connected, group_id, skills';

function toSegment(r: SegmentRow): StoredSegment {
  return {
    id: r[0],
    agentId: r[1],
    start: r[2],
    end: r[3] === OPEN ? undefined : r[3],
    status: r[4],
    reasonId: r[5] ?? undefined,
    connectionState: r[6] === 1 ? 'CONNECTED' : 'DISCONNECTED',
    groupId: r[7],
    skillIds: r[8] === '' ? [] : r[8].split(','),
  };
}

export interface SqliteHistoryIndexOptions {
  /** Told about conditions an operator should know (history gaps after data loss). */
  onWarning?: (message: string) => void;
  /** Entries per transaction when catching up with the log at open. */
  catchUpChunk?: number;
}

export class SqliteHistoryIndex implements HistoryIndex {
  private pos = 0;
  private tracked = new Map<string, AccountHistory>();
  private readonly statements = new Map<string, Statement>();
  private readonly readPosition: Statement;
  private readonly writePosition: Statement;
  private readonly readNextId: Statement;
  /** Identity of the next row (rows of one agent may share a start after out-of-order events). */
  private nextId = 1;
  private readonly ops: Record<HistoryOp['kind'], Statement>;

  constructor(
    private readonly db: SqliteDatabase,
    private readonly log: SqliteEventLog,
    private readonly snapshots: SqliteSnapshotStore,
    private readonly options: SqliteHistoryIndexOptions = {},
  ) {
    migrate(db, 'history', MIGRATIONS);
    this.readPosition = db.prepare('SELECT position FROM history_meta WHERE id = 1').pluck();
    this.readNextId = db.prepare('SELECT next_id FROM history_meta WHERE id = 1').pluck();
    this.writePosition = db.prepare('UPDATE history_meta SET position = ?, next_id = ? WHERE id = 1');
    this.ops = {
      segmentEnded: db.prepare(WRITE_SQL.segmentEnded),
      segmentDropped: db.prepare(WRITE_SQL.segmentDropped),
      segmentStarted: db.prepare(WRITE_SQL.segmentStarted),
      capacityEnded: db.prepare(WRITE_SQL.capacityEnded),
      capacityDropped: db.prepare(WRITE_SQL.capacityDropped),
      capacityStarted: db.prepare(WRITE_SQL.capacityStarted),
    };
    this.restore();
    this.catchUp(options.catchUpChunk ?? 5000);
    log.addTransactionHook((entries) => this.applyInTransaction(entries));
  }

  /** The committed position (memory may run ahead inside a transaction that then fails). */
  position(): number {
    return this.readPosition.get() as number;
  }

  apply(entries: readonly LogEntry[]): void {
    if (entries.length === 0 || entries[entries.length - 1]!.position <= this.position()) return;
    this.db.transaction(() => this.applyInTransaction(entries))();
  }

  /** Runs inside the caller's transaction; throwing aborts it. */
  private applyInTransaction(entries: readonly LogEntry[]): void {
    // Memory ahead of (or behind) the committed rows: an earlier transaction
    // that ran this hook failed to commit. Rebuild before going on.
    if ((this.readPosition.get() as number) !== this.pos) this.restore();
    const ops: HistoryOp[] = [];
    for (const entry of entries) {
      if (entry.position <= this.pos) continue;
      let h = this.tracked.get(entry.account);
      if (!h) this.tracked.set(entry.account, (h = createAccountHistory(entry.account)));
      ops.length = 0;
      trackEvent(h, entry.event, ops);
      for (const op of ops) this.write(entry.account, op);
      this.pos = entry.position;
    }
    this.writePosition.run(this.pos, this.nextId);
  }

  private write(account: string, op: HistoryOp): void {
    switch (op.kind) {
      case 'segmentEnded':
      case 'capacityEnded':
        this.ops[op.kind].run(op.end, account, op.agentId);
        return;
      case 'segmentDropped':
      case 'capacityDropped':
        this.ops[op.kind].run(account, op.agentId);
        return;
      case 'segmentStarted': {
        const s = op.segment;
        this.ops.segmentStarted.run(
          this.nextId++,
          account,
          s.agentId,
          agentSortKey(s.agentId),
          s.start,
          s.status,
          s.reasonId ?? null,
          s.connectionState === 'CONNECTED' ? 1 : 0,
          s.groupId,
          s.skillIds.join(','),
        );
        return;
      }
      case 'capacityStarted':
        this.ops.capacityStarted.run(this.nextId++, account, op.period.agentId, agentSortKey(op.period.agentId), op.period.start);
        return;
    }
  }

  /**
   * Rebuilds the tracker's memory at the committed position: account states
   * from the latest snapshot not after it plus the log in between, open rows
   * from the index itself.
   */
  private restore(): void {
    let committed = this.readPosition.get() as number;
    const snap = this.snapshots.latest();
    const states = new Map<string, AccountState>();
    let base = 0;
    if (snap && snap.position <= committed) {
      for (const enc of snap.accounts) states.set(enc.id, decodeAccount(enc));
      base = snap.position;
    } else if (snap && !this.logHas(1)) {
      // The state at `committed` cannot be rebuilt (the index is newer than
      // the log's retained entries and no snapshot is old enough): go on from
      // the snapshot; history between the two positions is missing.
      this.options.onWarning?.(`history index continues at log position ${snap.position}; history between positions ${committed} and ${snap.position} is not available`);
      for (const enc of snap.accounts) states.set(enc.id, decodeAccount(enc));
      base = committed = snap.position;
      this.writePosition.run(committed, this.readNextId.get());
    }
    for (let after = base; after < committed; ) {
      const chunk = this.log.readRange(after, committed, 5000);
      if (chunk.length === 0) break;
      for (const e of chunk) {
        let acc = states.get(e.account);
        if (!acc) states.set(e.account, (acc = createAccountState(e.account)));
        evolve(acc, e.event);
      }
      after = chunk[chunk.length - 1]!.position;
    }
    const tracked = new Map<string, AccountHistory>();
    for (const [id, state] of states) tracked.set(id, createAccountHistory(id, state));
    const history = (account: string) => {
      let h = tracked.get(account);
      if (!h) tracked.set(account, (h = createAccountHistory(account)));
      return h;
    };
    const open = this.db
      .prepare(`SELECT account, ${SEGMENT_COLUMNS} FROM history_segments INDEXED BY history_segments_open WHERE end_ms = ${OPEN}`)
      .raw()
      .iterate() as IterableIterator<[string, ...SegmentRow]>;
    for (const [account, ...row] of open) {
      const seg = toSegment(row);
      history(account).open.set(seg.agentId, {
        agentId: seg.agentId,
        start: seg.start,
        end: undefined,
        status: seg.status,
        reasonId: seg.reasonId,
        connectionState: seg.connectionState,
        groupId: seg.groupId,
        skillIds: seg.skillIds,
      });
    }
    const cap = this.db
      .prepare(`SELECT account, agent, start_ms FROM history_capacity INDEXED BY history_capacity_open WHERE end_ms = ${OPEN}`)
      .raw()
      .iterate() as IterableIterator<[string, string, number]>;
    for (const [account, agent, start] of cap) history(account).capacity.set(agent, start);
    this.tracked = tracked;
    this.pos = committed;
    this.nextId = this.readNextId.get() as number;
  }

  private logHas(position: number): boolean {
    return this.log.readRange(position - 1, position, 1).length === 1;
  }

  /** Indexes log entries committed before the index existed (or while it lagged). */
  private catchUp(chunkSize: number): void {
    for (;;) {
      const chunk = this.log.readRange(this.pos, Number.MAX_SAFE_INTEGER, chunkSize);
      if (chunk.length === 0) return;
      this.apply(chunk);
    }
  }

  // ------------------------------------------------------------ queries

  private statement(sql: string): Statement {
    let st = this.statements.get(sql);
    if (!st) this.statements.set(sql, (st = this.db.prepare(sql)));
    return st;
  }

  /** WHERE clause and named parameters of a range query on `history_segments`. */
  private where(account: string, q: RangeQuery, ordered: boolean): { sql: string; params: Record<string, unknown> } {
    const nowTo = Math.min(q.now, q.to);
    const params: Record<string, unknown> = { account, from: q.from, to: q.to, nowTo };
    const conds = [
      'account = @account',
      '@from < @to',
      'start_ms < @to',
      // Ordered reads walk the table in (agent, start) order; `+` keeps the
      // planner from picking the end_ms index and sorting afterwards.
      ordered ? '+end_ms > @from' : 'end_ms > @from',
      // An open row ends at min(now, to): it must start before that, and that must be after `from`.
      `(end_ms < ${OPEN} OR (start_ms < @nowTo AND @from < @nowTo))`,
    ];
    const f = q.filter;
    if (f.agentIds) {
      conds.push('agent_key IN (SELECT value FROM json_each(@agents))');
      params.agents = JSON.stringify(f.agentIds.map(agentSortKey));
    }
    if (f.groupIds) {
      conds.push('group_id IN (SELECT value FROM json_each(@groups))');
      params.groups = JSON.stringify(f.groupIds);
    }
    if (f.skillIds) {
      conds.push(`EXISTS (SELECT 1 FROM json_each(@skills) s WHERE instr(',' || skills || ',', ',' || s.value || ',') > 0)`);
      params.skills = JSON.stringify(f.skillIds);
    }
    return { sql: conds.join(' AND '), params };
  }

  segments(account: string, query: RangeQuery, limit: number, cursor?: SegmentCursor): Promise<SegmentPage> {
    const { sql, params } = this.where(account, query, true);
    let after = '';
    if (cursor) {
      after = ' AND (agent_key, start_ms, id) > (@ck, @cs, @ci)';
      Object.assign(params, { ck: agentSortKey(cursor.agentId), cs: cursor.start, ci: cursor.id });
    }
    params.limit = limit + 1;
    const rows = this.statement(
      `SELECT ${SEGMENT_COLUMNS} FROM history_segments WHERE ${sql}${after} ORDER BY agent_key, start_ms, id LIMIT @limit`,
    )
      .raw()
      .all(params) as SegmentRow[];
    const segments = rows.slice(0, limit).map(toSegment);
    const last = segments[segments.length - 1];
    return Promise.resolve(
      rows.length > limit && last ? { segments, next: { agentId: last.agentId, start: last.start, id: last.id } } : { segments },
    );
  }

  count(account: string, query: RangeQuery): Promise<number> {
    // Unfiltered or by group/skill: the covering end_ms index. For a few
    // agents: their rows only, through the clustered table.
    const { sql, params } = this.where(account, query, query.filter.agentIds !== undefined);
    return Promise.resolve(this.statement(`SELECT COUNT(*) FROM history_segments WHERE ${sql}`).pluck().get(params) as number);
  }

  async *timelines(account: string, query: RangeQuery, chunkSize = 20_000): AsyncIterable<AgentTimeline[]> {
    const { sql, params } = this.where(account, query, true);
    const page = this.statement(
      `SELECT ${SEGMENT_COLUMNS} FROM history_segments WHERE ${sql} AND (agent_key, start_ms, id) > (@ck, @cs, @ci)
       ORDER BY agent_key, start_ms, id LIMIT @limit`,
    ).raw();
    const capacity = this.statement(
      `SELECT agent, start_ms, end_ms FROM history_capacity
       WHERE account = @account AND agent_key >= @k1 AND agent_key <= @k2 AND start_ms < @to AND end_ms > @from
       ORDER BY agent_key, start_ms`,
    ).raw();
    let ck = '';
    let cs = -1;
    let ci = -1;
    let carry: AgentTimeline | undefined;
    for (;;) {
      const rows = page.all({ ...params, ck, cs, ci, limit: chunkSize }) as SegmentRow[];
      const done = rows.length < chunkSize;
      const timelines: AgentTimeline[] = carry ? [carry] : [];
      carry = undefined;
      for (const r of rows) {
        const seg = toSegment(r);
        let t = timelines[timelines.length - 1];
        if (!t || t.agentId !== seg.agentId) timelines.push((t = { agentId: seg.agentId, segments: [], capacity: [] }));
        t.segments.push(seg);
      }
      const last = rows[rows.length - 1];
      if (last) {
        ck = agentSortKey(last[1]);
        cs = last[2];
        ci = last[0];
      }
      // The last agent of a chunk may go on in the next one.
      if (!done) carry = timelines.pop();
      if (timelines.length > 0) {
        const byAgent = new Map(timelines.map((t) => [t.agentId, t]));
        const k1 = agentSortKey(timelines[0]!.agentId);
        const k2 = agentSortKey(timelines[timelines.length - 1]!.agentId);
        const caps = capacity.all({ account, k1, k2, from: query.from, to: query.to }) as [string, number, number][];
        for (const [agent, start, end] of caps) {
          byAgent.get(agent)?.capacity.push({ agentId: agent, start, end: end === OPEN ? undefined : end } satisfies CapacityPeriod);
        }
        yield timelines;
      }
      if (done) return;
      await new Promise((r) => setImmediate(r));
    }
  }

  async compact(beforeTime: number, chunk = 5000): Promise<number> {
    let removed = 0;
    for (const account of this.tracked.keys()) {
      for (const table of ['history_segments', 'history_capacity']) {
        const del = this.statement(
          `DELETE FROM ${table} WHERE (account, agent_key, start_ms, id) IN
             (SELECT account, agent_key, start_ms, id FROM ${table} WHERE account = ? AND end_ms < ? LIMIT ?)`,
        );
        for (;;) {
          const n = del.run(account, beforeTime, chunk).changes;
          removed += n;
          if (n < chunk) break;
          await new Promise((r) => setImmediate(r));
        }
      }
    }
    return removed;
  }

  /** The database belongs to the store: nothing to release here. */
  close(): Promise<void> {
    return Promise.resolve();
  }
}
