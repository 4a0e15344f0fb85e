/** Entries sharing a log position (a cluster log's batch) are all indexed, and a re-delivery of the position is skipped. */
import { describe, expect, it } from 'vitest';
import type { IngestEvent } from '../../core/index.js';
import type { LogEntry, RangeQuery } from '../../ports/index.js';
import { MemoryHistoryIndex } from './history-index.js';

const T0 = Date.UTC(2024, 0, 10);
const events: IngestEvent[] = [
  { type: 'agent.loggedIn', agentId: '1', time: T0 },
  { type: 'agent.loggedIn', agentId: '2', time: T0 },
  { type: 'agent.statusChanged', agentId: '1', status: 'AWAY', time: T0 + 60_000 },
  { type: 'agent.loggedOut', agentId: '2', time: T0 + 120_000 },
];
const query: RangeQuery = { from: T0, to: T0 + 3_600_000, now: T0 + 3_600_000, filter: {} };

describe('MemoryHistoryIndex with batch positions', () => {
  it('indexes every entry of a shared position once', async () => {
    const perEntry = new MemoryHistoryIndex();
    perEntry.apply(events.map((event, i) => ({ position: i + 1, account: 'a', event: { ...event, seq: i + 1 } })));
    const batched = new MemoryHistoryIndex();
    const delivery: LogEntry[] = events.map((event, i) => ({ position: 7, account: 'a', event: { ...event, seq: i + 1 } }));
    batched.apply(delivery);
    batched.apply(delivery);
    expect(batched.position()).toBe(7);
    const strip = (p: Awaited<ReturnType<MemoryHistoryIndex['segments']>>) => p.segments.map(({ id: _id, ...s }) => s);
    const want = strip(await perEntry.segments('a', query, 100));
    expect(want.length).toBeGreaterThan(2);
    expect(strip(await batched.segments('a', query, 100))).toEqual(want);
  });
});
