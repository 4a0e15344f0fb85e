/**
 * Agent Status response bytes without serializing every record per request.
 *
 * Each agent's record is serialized once per change into a Buffer, split
 * around the two fields that move with time alone (`currentStatusDuration`,
 * `currentStatusReasonDuration`); a page is those fragments copied into one
 * Buffer with the durations written in. The fragment is tagged with what it
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
  /** head | duration | mid | reason duration | tail; `midEnd === headEnd` when there is no reason. */
  bytes: Buffer;
  headEnd: number;
  midEnd: number;
  hasReason: boolean;
}

const DURATION_KEY = '"currentStatusDuration":';
const REASON_DURATION_KEY = '"currentStatusReasonDuration":';

/** The end of a JSON number starting at `i` in `s`. */
function numberEnd(s: string, i: number): number {
  let j = i;
  while (j < s.length && s[j] !== ',' && s[j] !== '}') j++;
  return j;
}

export class StatusRenderer {
  private readonly fragments = new Map<AgentState, Fragment>();

  constructor(private readonly maxEntries = 20_000) {}

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
    let head = s.slice(0, d);
    let mid = '';
    let tail = s.slice(dEnd);
    if (hasReason) {
      const r = s.indexOf(REASON_DURATION_KEY, dEnd) + REASON_DURATION_KEY.length;
      mid = s.slice(dEnd, r);
      tail = s.slice(numberEnd(s, r));
    }
    const bytes = Buffer.from(head + mid + tail, 'utf8');
    const headEnd = Buffer.byteLength(head);
    head = '';
    const f: Fragment = { version: a.version, updated, conn, bytes, headEnd, midEnd: headEnd + Buffer.byteLength(mid), hasReason };
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
    const frags = new Array<Fragment>(n);
    const durations = new Array<string>(n);
    const reasons = new Array<string>(n);
    let total = Buffer.byteLength(prefix) + Buffer.byteLength(suffix) + Math.max(0, n - 1);
    for (let i = 0; i < n; i++) {
      const a = agents[i]!;
      const f = this.fragment(acc, a, now);
      frags[i] = f;
      const d = String(Math.max(0, now - a.statusStart));
      durations[i] = d;
      total += f.bytes.length + d.length;
      if (f.hasReason) {
        const r = String(Math.max(0, now - (a.reasonStart ?? now)));
        reasons[i] = r;
        total += r.length;
      }
    }
    const out = Buffer.allocUnsafe(total);
    let o = out.write(prefix, 0, 'utf8');
    for (let i = 0; i < n; i++) {
      if (i > 0) out[o++] = 0x2c; // ','
      const f = frags[i]!;
      o += f.bytes.copy(out, o, 0, f.headEnd);
      o += out.write(durations[i]!, o, 'latin1');
      if (f.hasReason) {
        o += f.bytes.copy(out, o, f.headEnd, f.midEnd);
        o += out.write(reasons[i]!, o, 'latin1');
      }
      o += f.bytes.copy(out, o, f.midEnd);
    }
    o += out.write(suffix, o, 'utf8');
    return o === total ? out : out.subarray(0, o);
  }
}
