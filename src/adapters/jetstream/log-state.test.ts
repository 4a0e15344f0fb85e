import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { IngestEvent } from '../../core/index.js';
import { isBatchList, LogState, type Applied, type StreamMessage } from './log-state.js';

const DAY = 86_400_000;

const ev = (eventId?: string, agentId = 'a1'): IngestEvent =>
  ({ type: 'agent.heartbeat', agentId, time: 1000, ...(eventId === undefined ? {} : { eventId }) });

/** Messages of a few accounts with overlapping event ids and growing stream times. */
const messages = fc
  .array(
    fc.record({
      account: fc.constantFrom('a', 'b', 'c'),
      gapMs: fc.integer({ min: 0, max: 2 * DAY }),
      windowMs: fc.option(fc.constantFrom(DAY / 2, DAY, 3 * DAY), { nil: undefined }),
      batches: fc.array(fc.array(fc.option(fc.constantFrom('e1', 'e2', 'e3', 'e4', 'e5'), { nil: undefined }), { maxLength: 4 }), {
        minLength: 1,
        maxLength: 3,
      }),
    }),
    { maxLength: 40 },
  )
  .map((ms) => {
    let time = 1_700_000_000_000;
    return ms.map((m, i): StreamMessage => {
      time += m.gapMs;
      return {
        seq: i + 1,
        time,
        account: m.account,
        batches: m.batches.map((b) => b.map((id) => ev(id))),
        ...(m.windowMs === undefined ? {} : { windowMs: m.windowMs }),
      };
    });
  });

function applyAll(state: LogState, ms: readonly StreamMessage[]): Applied[] {
  return ms.map((m) => state.apply(m));
}

describe('LogState (deterministic application of stream messages)', () => {
  it('assigns per-account sequence numbers and de-duplicates event ids within the account', () => {
    const s = new LogState(30 * DAY);
    const r1 = s.apply({ seq: 1, time: 0, account: 'a', batches: [[ev('x'), ev(), ev('x')], [ev('y')]] });
    expect(r1.results).toEqual([
      { accepted: 2, duplicates: 1, lastSeq: 2, position: 1 },
      { accepted: 1, duplicates: 0, lastSeq: 3, position: 1 },
    ]);
    expect(r1.entries.map((e) => [e.position, e.event.seq])).toEqual([
      [1, 1],
      [1, 2],
      [1, 3],
    ]);
    // Another account has its own ids and sequence.
    const r2 = s.apply({ seq: 2, time: 0, account: 'b', batches: [[ev('x')]] });
    expect(r2.results).toEqual([{ accepted: 1, duplicates: 0, lastSeq: 1, position: 2 }]);
    // All duplicates: no entries, and the position stays at the last entry's.
    const r3 = s.apply({ seq: 3, time: 0, account: 'a', batches: [[ev('x'), ev('y')]] });
    expect(r3.entries).toEqual([]);
    expect(r3.results).toEqual([{ accepted: 0, duplicates: 2, lastSeq: 3, position: 2 }]);
    expect(s.appliedSeq).toBe(3);
    expect(s.lastEntryPosition).toBe(2);
  });

  it('forgets event ids older than the retention, measured in stream time', () => {
    const s = new LogState(DAY);
    s.apply({ seq: 1, time: 0, account: 'a', batches: [[ev('x')]] });
    expect(s.apply({ seq: 2, time: DAY, account: 'a', batches: [[ev('x')]] }).results[0]!.duplicates).toBe(1);
    expect(s.apply({ seq: 3, time: DAY + 1, account: 'a', batches: [[ev('x')]] }).results[0]!.accepted).toBe(1);
    // Re-accepted at DAY + 1: remembered from then on.
    expect(s.apply({ seq: 4, time: 2 * DAY, account: 'a', batches: [[ev('x')]] }).results[0]!.duplicates).toBe(1);
    expect(s.rememberedIds()).toBe(1);
    // Applying a later message of the account forgets what fell out of the window.
    s.apply({ seq: 5, time: 3 * DAY + 2, account: 'a', batches: [[ev()]] });
    expect(s.rememberedIds()).toBe(0);
  });

  it('uses the window a message carries over its own default', () => {
    const s = new LogState(DAY);
    s.apply({ seq: 1, time: 0, account: 'a', batches: [[ev('x')]] });
    expect(s.apply({ seq: 2, time: 2 * DAY, account: 'a', batches: [[ev('x')]], windowMs: 3 * DAY }).results[0]!.duplicates).toBe(1);
    expect(s.apply({ seq: 3, time: 2 * DAY, account: 'a', batches: [[ev('y')]], windowMs: 1000 }).results[0]!.accepted).toBe(1);
    // That message's short window forgot x for good.
    expect(s.apply({ seq: 4, time: 2 * DAY, account: 'a', batches: [[ev('x')]], windowMs: 3 * DAY }).results[0]!.accepted).toBe(1);
  });

  it('ignores accounts it does not serve but still advances', () => {
    const s = new LogState(DAY, (acc) => acc === 'a');
    expect(s.apply({ seq: 1, time: 0, account: 'b', batches: [[ev('x')]] })).toEqual({ entries: [], results: [] });
    expect(s.appliedSeq).toBe(1);
    expect(s.accountSeq('b')).toBe(0);
  });

  it('refuses to apply a message twice', () => {
    const s = new LogState(DAY);
    s.apply({ seq: 5, time: 0, account: 'a', batches: [[ev()]] });
    expect(() => s.apply({ seq: 5, time: 0, account: 'a', batches: [[ev()]] })).toThrow(/twice/);
  });

  it('property: every server applying the same messages computes the same answers', () => {
    fc.assert(
      fc.property(messages, (ms) => {
        expect(applyAll(new LogState(DAY), ms)).toEqual(applyAll(new LogState(DAY), ms));
      }),
    );
  });

  it('property: state encoded after a prefix, decoded, then the rest = applying everything', () => {
    fc.assert(
      fc.property(messages, fc.nat(), (ms, cut) => {
        const k = ms.length === 0 ? 0 : cut % (ms.length + 1);
        const full = new LogState(DAY);
        const all = applyAll(full, ms);
        const first = new LogState(DAY);
        applyAll(first, ms.slice(0, k));
        const resumed = LogState.decode(JSON.parse(JSON.stringify(first.encode())), DAY);
        expect(applyAll(resumed, ms.slice(k))).toEqual(all.slice(k));
        expect(resumed.encode()).toEqual(full.encode());
      }),
    );
  });

  it('property: accepted + duplicates = batch size, and sequences are gap-free per account', () => {
    fc.assert(
      fc.property(messages, (ms) => {
        const s = new LogState(DAY);
        const seqs = new Map<string, number>();
        for (const m of ms) {
          const r = s.apply(m);
          m.batches.forEach((b, i) => expect(r.results[i]!.accepted + r.results[i]!.duplicates).toBe(b.length));
          for (const e of r.entries) {
            expect(e.event.seq).toBe((seqs.get(e.account) ?? 0) + 1);
            seqs.set(e.account, e.event.seq);
          }
        }
      }),
    );
  });

  it('recognises only agentview batches', () => {
    expect(isBatchList([[{ type: 'agent.heartbeat', agentId: '1', time: 1 }]])).toBe(true);
    expect(isBatchList([[{ type: 'agent.exploded', time: 1 }]])).toBe(false);
    expect(isBatchList([[{ type: 'agent.heartbeat', agentId: '1' }]])).toBe(false);
    expect(isBatchList([[{ type: 'agent.heartbeat', time: 1, eventId: 7 }]])).toBe(false);
    expect(isBatchList({})).toBe(false);
    expect(isBatchList([[null]])).toBe(false);
  });
});
