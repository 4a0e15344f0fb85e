/**
 * Property: a client that applies the stream's messages (snapshot, upsert,
 * remove) holds exactly what Agent Status lists for the same filter — live,
 * and after reconnecting with Last-Event-ID at any point.
 */
import { EventEmitter } from 'node:events';
import type { ServerResponse } from 'node:http';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MemoryEventLog, MemorySnapshotStore } from '../adapters/memory/index.js';
import { queryAgents, type AgentStatus, type IngestEvent, type LiveFilter } from '../core/index.js';
import { Engine } from '../engine/index.js';
import { StreamHub } from './hub.js';

class Clock {
  constructor(public t: number) {}
  now(): number {
    return this.t;
  }
}

/** Just enough of a ServerResponse for SseConnection: collects what is written. */
class FakeResponse extends EventEmitter {
  text = '';
  ended = false;
  writeHead(): this {
    return this;
  }
  write(chunk: string): boolean {
    this.text += chunk;
    return true;
  }
  end(chunk?: string): this {
    if (chunk) this.text += chunk;
    this.ended = true;
    return this;
  }
  destroy(): this {
    this.emit('close');
    return this;
  }
}

interface View {
  agents: Map<string, { status: string; group: number }>;
  lastId: string | undefined;
  snapshots: number;
}

/** Applies every complete message in `text` to the view. */
function apply(view: View, text: string): void {
  for (const block of text.split('\n\n')) {
    let event = '';
    let data = '';
    for (const line of block.split('\n')) {
      if (line.startsWith('event: ')) event = line.slice(7);
      else if (line.startsWith('data: ')) data = line.slice(6);
      else if (line.startsWith('id: ')) view.lastId = line.slice(4);
    }
    if (!data) continue;
    const d = JSON.parse(data) as { records?: Rec[]; record?: Rec; agentId?: string };
    if (event === 'snapshot') {
      view.snapshots++;
      view.agents = new Map(d.records!.map((r) => [r.agentId, { status: r.currentStatus, group: r.agentGroupId }]));
    } else if (event === 'upsert') {
      view.agents.set(d.record!.agentId, { status: d.record!.currentStatus, group: d.record!.agentGroupId });
    } else if (event === 'remove') {
      view.agents.delete(d.agentId!);
    }
  }
}

interface Rec {
  agentId: string;
  currentStatus: string;
  agentGroupId: number;
}

const AGENTS = ['1', '2', '3', '4', '5', '6'];
const STATUSES: AgentStatus[] = ['ONLINE', 'AWAY', 'BACK_SOON', 'OFFLINE'];

const arbEvent = fc.oneof(
  fc.record({ type: fc.constant('agent.loggedIn' as const), agentId: fc.constantFrom(...AGENTS) }),
  fc.record({ type: fc.constant('agent.loggedOut' as const), agentId: fc.constantFrom(...AGENTS) }),
  fc.record({ type: fc.constant('agent.statusChanged' as const), agentId: fc.constantFrom(...AGENTS), status: fc.constantFrom(...STATUSES) }),
  fc.record({ type: fc.constant('agent.upserted' as const), agentId: fc.constantFrom(...AGENTS), groupId: fc.constantFrom('1', '2') }),
  fc.record({ type: fc.constant('agent.presenceChanged' as const), agentId: fc.constantFrom(...AGENTS), present: fc.boolean() }),
  fc.record({ type: fc.constant('agent.heartbeat' as const), agentId: fc.constantFrom(...AGENTS) }),
  fc.record({ type: fc.constant('agent.deleted' as const), agentId: fc.constantFrom(...AGENTS) }),
  fc.record({ type: fc.constant('account.settingsChanged' as const), connectionTimeoutMs: fc.constantFrom(30_000, 60_000) }),
);

type StepEvent = { type: string; [field: string]: unknown };
type Step = { kind: 'events'; events: StepEvent[] } | { kind: 'wait'; ms: number } | { kind: 'disconnect' } | { kind: 'reconnect' };

const arbStep: fc.Arbitrary<Step> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ kind: fc.constant('events' as const), events: fc.array(arbEvent, { minLength: 1, maxLength: 5 }) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('wait' as const), ms: fc.constantFrom(1_000, 45_000, 70_000, 11 * 60_000) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('disconnect' as const) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('reconnect' as const) }) },
);

const arbFilter: fc.Arbitrary<LiveFilter> = fc.record({
  statuses: fc.option(fc.subarray(STATUSES, { minLength: 1 }), { nil: undefined }),
  groupIds: fc.option(fc.subarray(['-1', '1', '2'], { minLength: 1 }), { nil: undefined }),
  presence: fc.option(fc.boolean(), { nil: undefined }),
  connectionStates: fc.option(fc.subarray(['CONNECTED', 'DISCONNECTED'] as const, { minLength: 1 }), { nil: undefined }),
});

const tick = () => new Promise((r) => setImmediate(r));

async function runScenario(filter: LiveFilter, steps: readonly Step[], bufferSize: number): Promise<void> {
    const clock = new Clock(1_700_000_000_000);
    const log = new MemoryEventLog();
    const engine = new Engine(log, new MemorySnapshotStore(), clock, { timeoutSweepMs: 0, snapshotIntervalMs: 0 });
    await engine.start();
    const hub = new StreamHub(engine, clock, { bufferSize, heartbeatMs: 1_000_000, sweepMs: 0, queueBytes: 1 << 30, maxClientsPerAccount: 10 });
    hub.start();
    const view: View = { agents: new Map(), lastId: undefined, snapshots: 0 };
    let res = new FakeResponse();
    let seen = 0;
    const connect = (lastEventId: number | undefined) => {
      res = new FakeResponse();
      seen = 0;
      hub.open({ account: 'a', filter, lastEventId, alerts: false }, res as unknown as ServerResponse);
    };
    const drain = async () => {
      await tick();
      await tick();
      const complete = res.text.lastIndexOf('\n\n');
      if (complete + 2 > seen) {
        apply(view, res.text.slice(seen, complete + 2));
        seen = complete + 2;
      }
    };
    connect(undefined);
    await drain();
    let connected = true;
    const check = () => {
      const acc = engine.account('a');
      const now = clock.now();
      const expected = new Map<string, { status: string; group: number }>();
      if (acc) {
        for (const a of queryAgents(acc, { ...filter, from: now - 10 * 60_000 }, [], 0, 1000, now).agents) {
          expected.set(a.id, { status: a.status, group: Number(a.groupId) });
        }
      }
      expect(view.agents).toEqual(expected);
    };
    for (const step of [...steps, { kind: 'reconnect' } as const]) {
      if (step.kind === 'events') {
        const events = step.events.map((e) => ({ ...e, time: clock.now() })) as IngestEvent[];
        await engine.ingest('a', events);
      } else if (step.kind === 'wait') {
        clock.t += step.ms;
        await engine.sweepTimeouts();
        hub.sweep();
      } else if (step.kind === 'disconnect') {
        if (connected) res.emit('close');
        connected = false;
      } else {
        // Reconnect as EventSource does: with the last id seen (a live client reconnects too).
        if (connected) res.emit('close');
        connect(view.lastId === undefined ? undefined : Number(view.lastId));
        connected = true;
      }
      if (!connected) continue;
      await drain();
      check();
    }
    hub.close();
    await engine.stop();
}

describe('stream hub (property)', () => {
  it('a client applying the messages always holds what Agent Status lists', async () => {
    await fc.assert(
      fc.asyncProperty(arbFilter, fc.array(arbStep, { minLength: 1, maxLength: 40 }), fc.integer({ min: 0, max: 8 }), runScenario),
      { numRuns: 200 },
    );
  }, 120_000);

  it('removes, on resumption, agents whose log-out left the window while the client was away', async () => {
    await runScenario(
      {},
      [
        { kind: 'events', events: [{ type: 'agent.loggedIn', agentId: '1' }, { type: 'agent.loggedIn', agentId: '2' }] },
        { kind: 'events', events: [{ type: 'agent.loggedOut', agentId: '1' }] },
        { kind: 'events', events: [{ type: 'agent.statusChanged', agentId: '2', status: 'AWAY' }] },
        { kind: 'disconnect' },
        { kind: 'wait', ms: 11 * 60_000 },
        { kind: 'events', events: [{ type: 'agent.heartbeat', agentId: '2' }] },
        { kind: 'reconnect' },
      ],
      8,
    );
  });
});
