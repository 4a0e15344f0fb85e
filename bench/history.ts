/**
 * History benchmark: builds a month of status history for 1,000 agents in
 * the embedded store's index, then times the history and time-in-status
 * queries (median of several runs) the way the routes run them.
 *
 * Run alone with `npx tsx bench/history.ts [agents] [days] [cacheMiB]`, or call
 * `benchHistory()` from a harness.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  openDatabase,
  SqliteEventLog,
  SqliteHistoryIndex,
  SqliteSnapshotStore,
} from '../src/adapters/sqlite/index.js';
import { TimeInStatusAggregator, toInterval, type GroupBy, type IngestEvent } from '../src/core/index.js';
import type { HistoryIndex, LogEntry, RangeQuery } from '../src/ports/index.js';
import { prng } from '../src/sim/index.js';

export interface HistoryBenchOptions {
  agents?: number;
  days?: number;
  /** SQLite page cache of the connection, MiB (default: SQLite's 2 MiB). */
  cacheMiB?: number;
  /** Runs per measurement (the median is reported). */
  runs?: number;
  log?: (line: string) => void;
}

export interface HistoryBenchResult {
  name: string;
  /** Median wall time of one run, in ms. */
  medianMs: number;
  /** Median CPU time (user + system) of one run, in ms: less sensitive than wall time to a shared machine. */
  medianCpuMs: number;
  minMs: number;
  maxMs: number;
  runs: number;
  /** What one run returned (rows, intervals…), to show the work was real. */
  items: number;
}

export interface HistoryBenchReport {
  agents: number;
  days: number;
  events: number;
  segments: number;
  buildMs: number;
  results: HistoryBenchResult[];
}

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;

/**
 * A working month: each agent works a shift a day (5 groups, 10 skills),
 * goes away with reasons and back several times, and takes conversations
 * (2 slots) that bring it to capacity now and then.
 */
function* month(agents: number, days: number, start: number, seed = 7): Generator<IngestEvent[]> {
  const rnd = prng(seed);
  const setup: IngestEvent[] = [{ type: 'account.settingsChanged', connectionTimeoutMs: 86_400_000, time: start }];
  for (let a = 1; a <= agents; a++) {
    setup.push({
      type: 'agent.upserted',
      agentId: String(a),
      name: `Agent ${a}`,
      groupId: String(10 * (1 + (a % 5))),
      skillIds: [String(1 + (a % 10)), String(1 + ((a * 7) % 10))],
      maxSlots: 2,
      time: start,
    });
  }
  yield setup;
  for (let d = 0; d < days; d++) {
    const day: IngestEvent[] = [];
    for (let a = 1; a <= agents; a++) {
      const id = String(a);
      // One agent in 20 moves to another group during the month.
      if (d === 15 && a % 20 === 0) day.push({ type: 'agent.upserted', agentId: id, groupId: String(10 * (1 + ((a + 1) % 5))), time: start + d * DAY });
      let t = start + d * DAY + (a % 3) * 8 * HOUR + Math.floor(rnd() * 30 * MIN);
      const end = t + 8 * HOUR;
      day.push({ type: 'agent.loggedIn', agentId: id, time: t });
      let conv = 0;
      while (t < end - 30 * MIN) {
        t += Math.floor(10 * MIN + rnd() * 50 * MIN);
        const r = rnd();
        if (r < 0.35) {
          const c = `${id}-${d}-${conv++}`;
          day.push({ type: 'conversation.assigned', agentId: id, conversationId: c, time: t });
          if (rnd() < 0.5) {
            const c2 = `${id}-${d}-${conv++}`;
            day.push({ type: 'conversation.assigned', agentId: id, conversationId: c2, time: t + MIN });
            day.push({ type: 'conversation.unassigned', conversationId: c2, time: t + 6 * MIN });
          }
          day.push({ type: 'conversation.unassigned', conversationId: c, time: t + 9 * MIN });
        } else if (r < 0.7) {
          day.push({ type: 'agent.statusChanged', agentId: id, status: 'AWAY', reasonId: String(1 + Math.floor(rnd() * 4)), time: t });
          day.push({ type: 'agent.statusChanged', agentId: id, status: 'ONLINE', time: t + 5 * MIN + Math.floor(rnd() * 10 * MIN) });
          t += 15 * MIN;
        } else if (r < 0.8) {
          day.push({ type: 'agent.statusChanged', agentId: id, status: 'BACK_SOON', time: t });
          day.push({ type: 'agent.statusChanged', agentId: id, status: 'ONLINE', time: t + 3 * MIN });
          t += 3 * MIN;
        }
      }
      day.push({ type: 'agent.loggedOut', agentId: id, time: end });
    }
    // Arrival order follows time within the day.
    day.sort((x, y) => x.time - y.time);
    yield day;
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

function stats(name: string, times: number[], cpu: number[], items: number): HistoryBenchResult {
  return {
    name,
    medianMs: median(times),
    medianCpuMs: median(cpu),
    minMs: Math.min(...times),
    maxMs: Math.max(...times),
    runs: times.length,
    items,
  };
}

async function measure(name: string, runs: number, fn: () => Promise<number>): Promise<HistoryBenchResult> {
  await fn(); // warm-up: statement preparation, page cache
  const times: number[] = [];
  const cpu: number[] = [];
  let items = 0;
  for (let i = 0; i < runs; i++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    items = await fn();
    times.push(performance.now() - t0);
    const c = process.cpuUsage(c0);
    cpu.push((c.user + c.system) / 1000);
  }
  return stats(name, times, cpu, items);
}

/** The history route's work for one JSON page: page + clipping, and the count on the first page only (later pages carry it). */
async function historyPage(ix: HistoryIndex, q: RangeQuery, limit: number, cursor?: Parameters<HistoryIndex['segments']>[3]) {
  const [count, page] = await Promise.all([cursor ? Promise.resolve(-1) : ix.count('bench', q), ix.segments('bench', q, limit, cursor)]);
  let n = 0;
  for (const s of page.segments) if (toInterval(s, q.from, q.to, q.now)) n++;
  return { count, n, next: page.next };
}

async function timeInStatus(ix: HistoryIndex, q: RangeQuery, groupBy: GroupBy): Promise<number> {
  const agg = new TimeInStatusAggregator(groupBy, q.from, q.to, q.now);
  for await (const batch of ix.timelines('bench', q)) for (const t of batch) agg.addAgent(t.segments, t.capacity);
  return agg.rows().length;
}

const INGEST_EVENTS = 50_000;

/** Appends the first events of a month to a fresh embedded store; returns how many. */
async function ingestRun(agents: number, withHistory: boolean): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'agentview-bench-ingest-'));
  const db = openDatabase(join(dir, 'ingest.db'), { synchronous: 'normal' });
  try {
    const log = new SqliteEventLog(db);
    if (withHistory) new SqliteHistoryIndex(db, log, new SqliteSnapshotStore(db));
    const events: IngestEvent[] = [];
    for (const batch of month(agents, 31, Date.UTC(2024, 0, 1))) {
      events.push(...batch);
      if (events.length >= INGEST_EVENTS) break;
    }
    events.length = Math.min(events.length, INGEST_EVENTS);
    // Several requests in flight, as under load: the log group-commits them.
    const inflight: Promise<unknown>[] = [];
    for (let i = 0; i < events.length; i += 500) {
      inflight.push(log.append({ account: 'bench', events: events.slice(i, i + 500) }));
      if (inflight.length === 8) await Promise.all(inflight.splice(0));
    }
    await Promise.all(inflight);
    await log.close();
    return events.length;
  } finally {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function benchHistory(options: HistoryBenchOptions = {}): Promise<HistoryBenchReport> {
  const agents = options.agents ?? 1000;
  const days = options.days ?? 31;
  const runs = options.runs ?? 7;
  const log = options.log ?? (() => undefined);
  const dir = mkdtempSync(join(tmpdir(), 'agentview-bench-history-'));
  const db = openDatabase(join(dir, 'bench.db'), { synchronous: 'normal' });
  if (options.cacheMiB) db.pragma(`cache_size = -${options.cacheMiB * 1024}`);
  try {
    const eventLog = new SqliteEventLog(db);
    const index = new SqliteHistoryIndex(db, eventLog, new SqliteSnapshotStore(db));
    const start = Date.UTC(2024, 0, 1);
    log(`building ${days} days of history for ${agents} agents…`);
    const t0 = performance.now();
    let pos = 0;
    for (const batch of month(agents, days, start)) {
      // Fed as log entries after the fact (the index's own path), in transaction-sized chunks.
      for (let i = 0; i < batch.length; i += 5000) {
        const entries: LogEntry[] = batch.slice(i, i + 5000).map((event) => ({ position: ++pos, account: 'bench', event: { ...event, seq: pos } }));
        index.apply(entries);
      }
    }
    const buildMs = performance.now() - t0;
    const segments = db.prepare('SELECT COUNT(*) FROM history_segments').pluck().get() as number;
    log(`${pos} events → ${segments} segments in ${Math.round(buildMs)} ms`);

    const now = start + days * DAY;
    const monthQ: RangeQuery = { from: start, to: now, now, filter: {} };
    const dayQ: RangeQuery = { from: now - DAY, to: now, now, filter: {} };
    const results: HistoryBenchResult[] = [];
    // Same-run baseline (this machine is shared and noisy): step through every
    // segment row once in table order, with no filtering and nothing kept.
    const raw = db.prepare("SELECT start_ms, end_ms, status FROM history_segments WHERE account = 'bench'").raw();
    const baseline = await measure('baseline: iterate every segment row', runs, () => {
      let n = 0;
      for (const _ of raw.iterate()) n++;
      return Promise.resolve(n);
    });
    const add = (r: HistoryBenchResult) => {
      results.push(r);
      log(
        `${r.name.padEnd(58)} wall ${r.medianMs.toFixed(1).padStart(8)} ms (${(r.medianMs / baseline.medianMs).toFixed(2).padStart(5)} × baseline)` +
          `  cpu ${r.medianCpuMs.toFixed(1).padStart(8)} ms (${(r.medianCpuMs / baseline.medianCpuMs).toFixed(2).padStart(5)} ×)  [${r.items} items]`,
      );
    };
    add(baseline);
    add(await measure('history month, all agents: first page of 1000', runs, async () => (await historyPage(index, monthQ, 1000)).n));
    const mid = (await index.segments('bench', monthQ, Math.floor(segments / 2))).next;
    add(await measure('history month, all agents: a page in the middle', runs, async () => (await historyPage(index, monthQ, 1000, mid)).n));
    add(await measure('history month, all agents: count only', runs, () => index.count('bench', monthQ)));
    add(await measure('history day, all agents: first page of 1000', runs, async () => (await historyPage(index, dayQ, 1000)).n));
    add(
      await measure('history month, 10 agents, group filter: all pages', runs, async () => {
        const q = { ...monthQ, filter: { agentIds: Array.from({ length: 10 }, (_, i) => String(1 + i * 97)), groupIds: ['20', '30'] } };
        let n = 0;
        let cursor: Parameters<HistoryIndex['segments']>[3];
        do {
          const p = await historyPage(index, q, 1000, cursor);
          n += p.n;
          cursor = p.next;
        } while (cursor);
        return n;
      }),
    );
    add(
      await measure('history month, all agents: every page (CSV export)', Math.min(runs, 3), async () => {
        let n = 0;
        let cursor: Parameters<HistoryIndex['segments']>[3];
        do {
          const p = await index.segments('bench', monthQ, 5000, cursor);
          n += p.segments.length;
          cursor = p.next;
        } while (cursor);
        return n;
      }),
    );
    add(await measure('time in status month by agent', Math.min(runs, 5), () => timeInStatus(index, monthQ, 'agent')));
    add(await measure('time in status month by group', Math.min(runs, 5), () => timeInStatus(index, monthQ, 'group')));
    add(await measure('time in status month by skill', Math.min(runs, 5), () => timeInStatus(index, monthQ, 'skill')));
    add(await measure('time in status day by agent', runs, () => timeInStatus(index, dayQ, 'agent')));
    await eventLog.close();
    // What history costs on the write path: the same appends with and without the index's hook.
    for (const withHistory of [false, true]) {
      add(await measure(`ingest ${INGEST_EVENTS} events in batches of 500: log${withHistory ? ' + history' : ' only'}`, 3, () => ingestRun(agents, withHistory)));
    }
    return { agents, days, events: pos, segments, buildMs, results };
  } finally {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const [agents, days, cacheMiB] = process.argv.slice(2).map(Number);
  benchHistory({ ...(agents ? { agents } : {}), ...(days ? { days } : {}), ...(cacheMiB ? { cacheMiB } : {}), log: (l) => process.stdout.write(l + '\n') }).then(
    (r) => process.stdout.write(JSON.stringify(r) + '\n'),
    (err: unknown) => {
      process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
      process.exitCode = 1;
    },
  );
}
