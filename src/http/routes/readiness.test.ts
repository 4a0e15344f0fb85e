/**
 * How the routes behave while the view is still catching up with the log:
 * reads from a loaded snapshot are served with partialResult true, reads with
 * nothing loaded yet and all writes are 503 NOT_READY, readyz is 503.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { MemoryEventLog, MemorySnapshotStore } from '../../adapters/memory/index.js';
import { createAccountState, encodeAccount, evolve } from '../../core/index.js';
import { Engine } from '../../engine/index.js';
import type { EventLog, LogListener, SnapshotStore } from '../../ports/index.js';
import { buildApp } from '../app.js';
import { adminTokenAuthenticator } from '../plugins/auth.js';

const TOKEN = 'route-test-token-0123456789';
const T = 1_700_000_000_000;

/** A log whose backlog never finishes arriving: the engine stays "catching up". */
class StalledLog extends MemoryEventLog {
  override subscribe(_after: number, _listener: LogListener) {
    return { caughtUp: new Promise<void>(() => undefined), close: () => undefined };
  }
}

let app: FastifyInstance | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
});

async function appOver(log: EventLog, snapshots: SnapshotStore) {
  const engine = new Engine(log, snapshots, { now: () => T + 1000 }, { timeoutSweepMs: 0, snapshotIntervalMs: 0 });
  void engine.start();
  await new Promise((r) => setImmediate(r));
  app = await buildApp({
    engine,
    clock: { now: () => T + 1000 },
    publicUrl: 'http://x.test',
    authenticators: [adminTokenAuthenticator(TOKEN)],
    isShuttingDown: () => false,
  });
  return app;
}

const auth = { authorization: `Bearer ${TOKEN}` };

describe('while catching up', () => {
  it('serves the snapshot view with partialResult true; ingest and readyz are 503', async () => {
    const snapshots = new MemorySnapshotStore();
    const acc = createAccountState('1');
    evolve(acc, { type: 'agent.loggedIn', agentId: '42', time: T, seq: 1 });
    await snapshots.save({ position: 1, takenAt: T, accounts: [encodeAccount(acc)] });
    const a = await appOver(new StalledLog(), snapshots);

    const status = await a.inject({ method: 'POST', url: '/messaging_history/api/account/1/agent-view/status', headers: auth });
    expect(status.statusCode).toBe(200);
    const body = status.json<{ _metadata: { shardsStatusResult: { partialResult: boolean } }; agentStatusRecords: { agentId: string }[] }>();
    expect(body._metadata.shardsStatusResult.partialResult).toBe(true);
    expect(body.agentStatusRecords.map((r) => r.agentId)).toEqual(['42']);

    const ingest = await a.inject({ method: 'POST', url: '/api/account/1/events', headers: auth, payload: { events: [{ type: 'agent.heartbeat', agentId: '1' }] } });
    expect(ingest.statusCode).toBe(503);
    expect(ingest.headers['retry-after']).toBe('1');
    expect(ingest.json()).toMatchObject({ code: 'NOT_READY' });

    const ready = await a.inject({ method: 'GET', url: '/readyz' });
    expect(ready.statusCode).toBe(503);
    expect(ready.json()).toEqual({ ready: false, position: 1 });
  });

  it('answers reads 503 NOT_READY when nothing at all is loaded yet', async () => {
    const a = await appOver(new StalledLog(), new MemorySnapshotStore());
    const status = await a.inject({ method: 'POST', url: '/messaging_history/api/account/1/agent-view/status', headers: auth });
    expect(status.statusCode).toBe(503);
    expect(status.json()).toMatchObject({ code: 'NOT_READY' });
    expect(status.headers['retry-after']).toBe('1');
  });
});
