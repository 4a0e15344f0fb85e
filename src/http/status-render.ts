/**
 * Agent Status response bytes without serializing every record per request.
 *
 * Each agent's record is serialized once per change into a Buffer, split
 * around the two fields that move with time alone (`currentStatusDuration`,
 * `currentStatusReasonDuration`); a page is one `Buffer.concat` of those
 * fragments and the durations of the moment (measured faster than copying
 * into a preallocated Buffer, and far cheaper than encoding a string). The fragment is tagged with what it
 * was built from (the agent's `version`, and `lastUpdated` and connection
 * state as seen at `now`, which a connection time-out changes without an
 * event) and rebuilt when any differs. The bytes are exactly
 * `JSON.stringify(response)` with records from `toRecord`: the fragments are
 * cut out of that very string.
 *
 * The cache holds at most `maxEntries` fragments (oldest built first out), so
 * its memory is bounded whatever the number of agents.
 */
import {
  connectionState,
  lastUpdatedAt,
  toRecord,
  type AccountState,
  type AgentState,
  type ConnectionState,
} from '../core/index.js';

interface Fragment {
  version: number;
  updated: number;
  conn: ConnectionState;
  /** The record is head, duration, [mid, reason duration,] tail. */
  head: Buffer;
  mid: Buffer | undefined;
  tail: Buffer;
}

const COMMA = Buffer.from(',');
const DURATION_KEY = '"currentStatusDuration":';
const REASON_DURATION_KEY = '"currentStatusReasonDuration":';

/** The end of a JSON number starting at `i` in `s`. */
function numberEnd(s: string, i: number): number {
  let j = i;
  while (j < s.length && s[j] !== ',' && s[j] !== '}') j++;
  return j;
}

/**
 * Fragments kept (~1.4 KB each with Buffer overhead, ~14 MB in all): every
 * record of a 10,000-agent account, or the hot pages of bigger ones.
 */
export const DEFAULT_MAX_FRAGMENTS = 10_000;

export class StatusRenderer {
  private readonly fragments = new Map<AgentState, Fragment>();

  constructor(private readonly maxEntries = DEFAULT_MAX_FRAGMENTS) {}

  private fragment(acc: AccountState, a: AgentState, now: number): Fragment {
    const updated = lastUpdatedAt(acc, a, now);
    const conn = connectionState(acc, a, now);
    const cached = this.fragments.get(a);
    if (cached && cached.version === a.version && cached.updated === updated && cached.conn === conn) return cached;
    const rec = toRecord(acc, a, now);
    // Keys appear unescaped only as keys (quotes inside strings are escaped), so indexOf is exact.
    const s = JSON.stringify(rec);
    const d = s.indexOf(DURATION_KEY) + DURATION_KEY.length;
    const dEnd = numberEnd(s, d);
    const hasReason = rec.currentStatusReasonDuration !== undefined;
    let mid: Buffer | undefined;
    let tail = s.slice(dEnd);
    if (hasReason) {
      const r = s.indexOf(REASON_DURATION_KEY, dEnd) + REASON_DURATION_KEY.length;
      mid = Buffer.from(s.slice(dEnd, r), 'utf8');
      tail = s.slice(numberEnd(s, r));
    }
    const f: Fragment = { version: a.version, updated, conn, head: Buffer.from(s.slice(0, d), 'utf8'), mid, tail: Buffer.from(tail, 'utf8') };
    if (cached) this.fragments.delete(a);
    else if (this.fragments.size >= this.maxEntries) this.fragments.delete(this.fragments.keys().next().value!);
    this.fragments.set(a, f);
    return f;
  }

  /**
   * `prefix` + records of `agents` as a JSON array body + `suffix`, as one
   * Buffer. `prefix` should end with `[` and `suffix` start with `]`.
   */
  render(acc: AccountState, agents: readonly AgentState[], now: number, prefix: string, suffix: string): Buffer {
    const n = agents.length;
    const parts: Buffer[] = [Buffer.from(prefix, 'utf8')];
    for (let i = 0; i < n; i++) {
      const a = agents[i]!;
      const f = this.fragment(acc, a, now);
      if (i > 0) parts.push(COMMA);
      parts.push(f.head, Buffer.from(String(Math.max(0, now - a.statusStart)), 'latin1'));
      if (f.mid) parts.push(f.mid, Buffer.from(String(Math.max(0, now - (a.reasonStart ?? now))), 'latin1'));
      parts.push(f.tail);
    }
    parts.push(Buffer.from(suffix, 'utf8'));
    return Buffer.concat(parts);
  }
}
