/** The key-value adapters when NATS cannot be reached: a 503 for the client, never a hang or a 500. */
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '../../../test/helpers/nats.js';
import { JetStreamAuthStore, JetStreamNonceStore, NatsConnection } from './index.js';

describe('JetStream key-value adapters without NATS', () => {
  const conns: NatsConnection[] = [];
  afterAll(async () => {
    for (const c of conns) await c.close();
  });

  it('fail fast with STORE_UNAVAILABLE and Retry-After', async () => {
    const conn = new NatsConnection([`nats://127.0.0.1:${await freePort()}`]);
    conns.push(conn);
    const auth = new JetStreamAuthStore(conn, { bucket: 'auth', replicas: 1, timeoutMs: 300 });
    const nonces = new JetStreamNonceStore(conn, { now: () => 0 }, { bucket: 'nonces', replicas: 1, timeoutMs: 300 });
    const expected = { code: 'STORE_UNAVAILABLE', headers: { 'Retry-After': '1' } };
    await expect(auth.getSession('abc')).rejects.toMatchObject(expected);
    await expect(auth.createUser({ account: 'a', username: 'u', roles: ['read'], passwordHash: 'x', createdAt: 0 })).rejects.toMatchObject(expected);
    await expect(nonces.remember('k', 'n', 1000)).rejects.toMatchObject(expected);
  });
});
