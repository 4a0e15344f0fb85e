/**
 * Properties of the pure engine over random event streams: replay is
 * deterministic and splittable, snapshots lose nothing, indexes stay equal to
 * indexes rebuilt from scratch, and the indexed query equals a naive one.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeAccount, encodeAccount, queryAgents, type AccountState, type EncodedAccount } from './index.js';
import { filterArb, replay, sortArb, stepArb, toStream } from '../../test/helpers/arbitraries.js';
import { countersOf, indexesOf, rebuiltIndexesOf, referenceQuery, viewOf } from '../../test/helpers/reference.js';

const streamArb = fc
  .oneof(fc.array(stepArb, { maxLength: 20 }), fc.array(stepArb, { minLength: 40, maxLength: 200, size: 'max' }))
  .map((steps) => toStream(steps));

/** Snapshot round trip exactly as the engine stores it: encode, JSON text, decode. */
const roundTrip = (acc: AccountState): AccountState => decodeAccount(JSON.parse(JSON.stringify(encodeAccount(acc))) as EncodedAccount);

/** Times to look at a state: at the last event, just after, and well past every time-out. */
const lookTimes = (end: number) => [end, end + 59_999, end + 60_000, end + 3_600_000];

describe('replay properties', () => {
  it('replaying a prefix then the rest equals replaying everything', () => {
    fc.assert(
      fc.property(streamArb, fc.nat(), ({ events, end }, cut) => {
        const k = events.length === 0 ? 0 : cut % (events.length + 1);
        const whole = replay(events);
        const split = replay(events.slice(k), 'acc', replay(events.slice(0, k)));
        for (const now of lookTimes(end)) expect(viewOf(split, now)).toEqual(viewOf(whole, now));
        expect(indexesOf(split)).toEqual(indexesOf(whole));
      }),
      { numRuns: 150 },
    );
  });

  it('snapshot (encode → JSON → decode) of a prefix plus the tail equals full replay', () => {
    fc.assert(
      fc.property(streamArb, fc.nat(), ({ events, end }, cut) => {
        const k = events.length === 0 ? 0 : cut % (events.length + 1);
        const whole = replay(events);
        const restored = replay(events.slice(k), 'acc', roundTrip(replay(events.slice(0, k))));
        for (const now of lookTimes(end)) expect(viewOf(restored, now)).toEqual(viewOf(whole, now));
        expect(encodeAccount(restored)).toEqual(encodeAccount(whole));
        expect(indexesOf(restored)).toEqual(indexesOf(whole));
      }),
      { numRuns: 150 },
    );
  });

  it('keeps indexes and per-agent counters equal to those rebuilt from scratch after every event', () => {
    fc.assert(
      fc.property(streamArb, ({ events }) => {
        const acc = replay([]);
        for (const e of events) {
          replay([e], 'acc', acc);
          expect(indexesOf(acc)).toEqual(rebuiltIndexesOf(acc));
          const counters = countersOf(acc);
          for (const a of acc.agents.values()) {
            expect({ assigned: a.assigned, intense: a.intense, ringing: a.ringing }, `agent ${a.id} after seq ${e.seq}`).toEqual(counters[a.id]);
          }
        }
        expect(indexesOf(roundTrip(acc))).toEqual(indexesOf(acc));
      }),
      { numRuns: 100 },
    );
  });
});

describe('queryAgents against the naive reference', () => {
  it('returns the same count and page for random filters, sorts and pages', () => {
    fc.assert(
      fc.property(
        streamArb.chain((s) =>
          fc.tuple(
            fc.constant(s),
            fc.array(
              fc.record({
                filter: filterArb(s.end),
                sort: sortArb,
                offset: fc.oneof(fc.integer({ min: 0, max: 4 }), fc.integer({ min: 0, max: 30 })),
                limit: fc.oneof(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 1000 })),
                dnow: fc.constantFrom(-30_000, 0, 30_000, 60_000, 120_000),
              }),
              { minLength: 1, maxLength: 8 },
            ),
          ),
        ),
        ([{ events, end }, queries]) => {
          const acc = replay(events);
          for (const q of queries) {
            const now = end + q.dnow;
            const got = queryAgents(acc, q.filter, q.sort, q.offset, q.limit, now);
            const want = referenceQuery(acc, q.filter, q.sort, q.offset, q.limit, now);
            expect({ count: got.count, ids: got.agents.map((a) => a.id) }, JSON.stringify(q)).toEqual(want);
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
