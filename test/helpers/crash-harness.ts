/**
 * Crash-safety harness. Writers send batches with event ids to a real server
 * process, which is killed with SIGKILL at random moments and restarted on
 * the same data directory, several times in a row. Like a real at-least-once
 * client, a writer retries a batch that got no answer until it is
 * acknowledged. Afterwards it proves:
 *
 * - a retried batch is all-or-nothing: entirely new or entirely duplicates;
 * - every acknowledged event is present: re-sending every batch is reported
 *   entirely as duplicates, and each account's lastSeq equals the number of
 *   distinct events sent (nothing lost, nothing applied twice);
 * - the views agree: each writer's agent shows its last acknowledged batch.
 *
 * Used by test/e2e/crash.e2e.test.ts (short) and bench/soak.ts --crash (long).
 */
import { prng } from '../../src/sim/index.js';
import { ADMIN_TOKEN } from './server.js';
import { spawnServer, killHard, type ChildServer } from './child-server.js';

export interface CrashOptions {
  dataDir: string;
  /** Kill/restart cycles. */
  cycles: number;
  writers?: number;
  accounts?: number;
  /** Each cycle runs the writers this long (uniformly random) before SIGKILL. */
  minRunMs?: number;
  maxRunMs?: number;
  seed?: number;
  env?: Record<string, string>;
  progress?: (message: string) => void;
}

export interface CrashReport {
  cycles: number;
  batches: number;
  events: number;
  /** Retries of an unanswered batch whose first attempt had in fact committed. */
  retriesAlreadyCommitted: number;
  /** Retries of an unanswered batch whose first attempt had not committed. */
  retriesNotCommitted: number;
  /** Attempts that failed (connection refused/reset, 503 while starting). */
  failedAttempts: number;
  /** Violations found; empty when everything held. */
  violations: string[];
}

interface Batch {
  writer: number;
  account: string;
  agentId: string;
  index: number;
  events: Record<string, unknown>[];
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- response bodies are arbitrary JSON
type Json = any;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function post(url: string, path: string, body: unknown): Promise<{ status: number; body: Json }> {
  const res = await fetch(url + path, {
    method: 'POST',
    headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(20_000),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

export async function runCrashHarness(options: CrashOptions): Promise<CrashReport> {
  const writers = options.writers ?? 4;
  const accounts = options.accounts ?? 2;
  const minRun = options.minRunMs ?? 200;
  const maxRun = options.maxRunMs ?? 1500;
  const rnd = prng(options.seed ?? 7);
  const report: CrashReport = {
    cycles: 0,
    batches: 0,
    events: 0,
    retriesAlreadyCommitted: 0,
    retriesNotCommitted: 0,
    failedAttempts: 0,
    violations: [],
  };
  const acked: Batch[] = [];
  const lastAcked = new Map<number, Batch>();
  let target = '';
  let stopping = false;
  let aborted = false;
  let server: ChildServer | undefined;

  const writer = async (w: number) => {
    const r = prng((options.seed ?? 7) * 1000 + w);
    const account = `crash-${w % accounts}`;
    const agentId = `agent-${w}`;
    for (let index = 0; !stopping; index++) {
      const size = 1 + Math.floor(r() * 20);
      const events: Record<string, unknown>[] = [];
      for (let i = 0; i < size - 1; i++) {
        const eventId = `w${w}-b${index}-e${i}`;
        if (index === 0 && i === 0) events.push({ type: 'agent.loggedIn', agentId, eventId });
        else if (r() < 0.5) events.push({ type: 'agent.heartbeat', agentId, eventId });
        else events.push({ type: 'agent.statusChanged', agentId, status: r() < 0.5 ? 'ONLINE' : 'AWAY', eventId });
      }
      events.push({ type: 'agent.upserted', agentId, name: `w${w}-b${index}`, eventId: `w${w}-b${index}-name` });
      const batch: Batch = { writer: w, account, agentId, index, events };
      // Retry until acknowledged, like an at-least-once client.
      for (let attempt = 0; ; attempt++) {
        if (aborted) return;
        let res: { status: number; body: Json } | undefined;
        try {
          res = target ? await post(target, `/api/account/${account}/events`, { events }) : undefined;
        } catch {
          res = undefined;
        }
        if (res?.status === 200) {
          const { accepted, duplicates } = res.body as { accepted: number; duplicates: number };
          if (attempt > 0) {
            if (accepted === 0 && duplicates === events.length) report.retriesAlreadyCommitted++;
            else if (accepted === events.length && duplicates === 0) report.retriesNotCommitted++;
            else report.violations.push(`batch w${w}-b${index} retried: ${accepted} accepted + ${duplicates} duplicates (torn batch)`);
          } else if (accepted !== events.length || duplicates !== 0) {
            report.violations.push(`batch w${w}-b${index} first attempt: ${accepted} accepted + ${duplicates} duplicates`);
          }
          acked.push(batch);
          lastAcked.set(w, batch);
          report.batches++;
          report.events += events.length;
          break;
        }
        if (res && res.status !== 503) {
          report.violations.push(`batch w${w}-b${index}: HTTP ${res.status} ${JSON.stringify(res.body)}`);
          return;
        }
        report.failedAttempts++;
        await sleep(20 + Math.floor(r() * 30));
      }
    }
  };

  const start = async () => {
    server = await spawnServer({ dataDir: options.dataDir, ...(options.env ? { env: options.env } : {}) });
    target = server.url;
  };

  let running: Promise<void>[] = [];
  try {
    await start();
    running = Array.from({ length: writers }, (_, w) => writer(w));
    for (let cycle = 1; cycle <= options.cycles; cycle++) {
      await sleep(minRun + Math.floor(rnd() * (maxRun - minRun)));
      target = '';
      server!.kill('SIGKILL');
      await server!.exited;
      report.cycles++;
      options.progress?.(`cycle ${cycle}/${options.cycles}: killed; ${report.batches} batches acknowledged so far`);
      await start();
    }
    await sleep(minRun);
    stopping = true;
    await Promise.all(running);
    running = [];

    // Every batch again, grouped per account: all must be duplicates.
    const byAccount = new Map<string, Record<string, unknown>[]>();
    for (const b of acked) {
      const list = byAccount.get(b.account) ?? [];
      list.push(...b.events);
      byAccount.set(b.account, list);
    }
    for (const [account, events] of byAccount) {
      let lastSeq = -1;
      for (let i = 0; i < events.length; i += 1000) {
        const chunk = events.slice(i, i + 1000);
        const res = await post(target, `/api/account/${account}/events`, { events: chunk });
        if (res.status !== 200) {
          report.violations.push(`re-send to ${account}: HTTP ${res.status}`);
          continue;
        }
        if (res.body.accepted !== 0 || res.body.duplicates !== chunk.length) {
          report.violations.push(`re-send to ${account}: ${res.body.accepted} of ${chunk.length} acknowledged events were missing`);
        }
        lastSeq = res.body.lastSeq;
      }
      if (lastSeq !== events.length) {
        report.violations.push(`${account}: lastSeq ${lastSeq}, but ${events.length} distinct events were acknowledged`);
      }
    }
    // The views agree with the log.
    for (let a = 0; a < accounts; a++) {
      const account = `crash-${a}`;
      const res = await fetch(`${target}/messaging_history/api/account/${account}/agent-view/status?limit=1000`, {
        method: 'POST',
        headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
      });
      const body = (await res.json()) as { agentStatusRecords: { agentId: string; agentName: string }[] };
      const names = new Map(body.agentStatusRecords.map((r) => [r.agentId, r.agentName]));
      for (const [w, b] of lastAcked) {
        if (b.account !== account) continue;
        const expected = `w${w}-b${b.index}`;
        if (names.get(b.agentId) !== expected) {
          report.violations.push(`${account}/${b.agentId}: view shows ${String(names.get(b.agentId))}, last acknowledged ${expected}`);
        }
      }
    }
    return report;
  } finally {
    stopping = true;
    aborted = true;
    target = '';
    await killHard(server);
    await Promise.allSettled(running);
  }
}
