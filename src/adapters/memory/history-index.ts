/**
 * In-memory HistoryIndex for the memory store (development, tests) and for
 * views fed after the fact: subscribe it to a log and feed it entries.
 */
import {
  compareIds,
  createAccountHistory,
  segmentMatches,
  trackEvent,
  type AccountHistory,
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

interface AgentRows {
  agentId: string;
  /** By start; only the last may be open. */
  segments: StoredSegment[];
  capacity: CapacityPeriod[];
}

export class MemoryHistoryIndex implements HistoryIndex {
  private pos = 0;
  private nextId = 1;
  private readonly tracked = new Map<string, AccountHistory>();
  private readonly rows = new Map<string, Map<string, AgentRows>>();

  position(): number {
    return this.pos;
  }

  apply(entries: readonly LogEntry[]): void {
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
  }

  private agentRows(account: string, agentId: string): AgentRows {
    let acc = this.rows.get(account);
    if (!acc) this.rows.set(account, (acc = new Map<string, AgentRows>()));
    let r = acc.get(agentId);
    if (!r) acc.set(agentId, (r = { agentId, segments: [], capacity: [] }));
    return r;
  }

  private write(account: string, op: HistoryOp): void {
    switch (op.kind) {
      case 'segmentEnded': {
        const last = this.agentRows(account, op.agentId).segments.at(-1);
        if (last && last.end === undefined) last.end = op.end;
        return;
      }
      case 'segmentDropped': {
        const segs = this.agentRows(account, op.agentId).segments;
        if (segs.at(-1)?.end === undefined) segs.pop();
        return;
      }
      case 'segmentStarted':
        this.agentRows(account, op.segment.agentId).segments.push({ ...op.segment, id: this.nextId++ });
        return;
      case 'capacityEnded': {
        const last = this.agentRows(account, op.agentId).capacity.at(-1);
        if (last && last.end === undefined) last.end = op.end;
        return;
      }
      case 'capacityDropped': {
        const caps = this.agentRows(account, op.agentId).capacity;
        if (caps.at(-1)?.end === undefined) caps.pop();
        return;
      }
      case 'capacityStarted':
        this.agentRows(account, op.period.agentId).capacity.push({ ...op.period });
        return;
    }
  }

  /** Agents of an account in id order (numeric ids numerically first). */
  private agents(account: string, q: RangeQuery): AgentRows[] {
    const acc = this.rows.get(account);
    if (!acc) return [];
    const ids = q.filter.agentIds ? q.filter.agentIds.filter((id) => acc.has(id)) : [...acc.keys()];
    return [...new Set(ids)].sort(compareIds).map((id) => acc.get(id)!);
  }

  /** The agent's segments with a non-empty part in the range that pass the filter. */
  private inRange(r: AgentRows, q: RangeQuery): StoredSegment[] {
    const nowTo = Math.min(q.now, q.to);
    // Segments are sorted and contiguous: skip those ending at or before `from`.
    let lo = 0;
    let hi = r.segments.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const end = r.segments[mid]!.end;
      if (end !== undefined && end <= q.from) lo = mid + 1;
      else hi = mid;
    }
    const out: StoredSegment[] = [];
    for (let i = lo; i < r.segments.length; i++) {
      const s = r.segments[i]!;
      if (s.start >= q.to) break;
      const end = Math.min(s.end ?? nowTo, q.to);
      if (end <= Math.max(s.start, q.from)) continue;
      if (segmentMatches(s, q.filter)) out.push(s);
    }
    return out;
  }

  segments(account: string, query: RangeQuery, limit: number, cursor?: SegmentCursor): Promise<SegmentPage> {
    const out: StoredSegment[] = [];
    for (const r of this.agents(account, query)) {
      const order = cursor ? compareIds(r.agentId, cursor.agentId) : 1;
      if (order < 0) continue;
      for (const s of this.inRange(r, query)) {
        if (order === 0 && (s.start < cursor!.start || (s.start === cursor!.start && s.id <= cursor!.id))) continue;
        if (out.length === limit) {
          const last = out[out.length - 1]!;
          return Promise.resolve({ segments: out, next: { agentId: last.agentId, start: last.start, id: last.id } });
        }
        out.push({ ...s, skillIds: [...s.skillIds] });
      }
    }
    return Promise.resolve({ segments: out });
  }

  count(account: string, query: RangeQuery): Promise<number> {
    let n = 0;
    for (const r of this.agents(account, query)) n += this.inRange(r, query).length;
    return Promise.resolve(n);
  }

  async *timelines(account: string, query: RangeQuery): AsyncIterable<AgentTimeline[]> {
    let batch: AgentTimeline[] = [];
    for (const r of this.agents(account, query)) {
      const segments = this.inRange(r, query);
      if (segments.length === 0) continue;
      const capacity = r.capacity
        .filter((p) => p.start < query.to && (p.end === undefined || p.end > query.from))
        .map((p) => ({ ...p }));
      batch.push({ agentId: r.agentId, segments: segments.map((s) => ({ ...s })), capacity });
      if (batch.length === 500) {
        yield batch;
        batch = [];
        await Promise.resolve();
      }
    }
    if (batch.length > 0) yield batch;
  }

  compact(beforeTime: number): Promise<number> {
    let removed = 0;
    for (const acc of this.rows.values()) {
      for (const [id, r] of acc) {
        const keep = r.segments.filter((s) => s.end === undefined || s.end >= beforeTime);
        const keepCap = r.capacity.filter((p) => p.end === undefined || p.end >= beforeTime);
        removed += r.segments.length - keep.length + r.capacity.length - keepCap.length;
        r.segments = keep;
        r.capacity = keepCap;
        if (keep.length === 0 && keepCap.length === 0) acc.delete(id);
      }
    }
    return Promise.resolve(removed);
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
