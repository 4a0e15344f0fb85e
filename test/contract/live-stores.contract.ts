/**
 * The WebhookStore and AlertStore contracts, written once and run against
 * every adapter. A cluster adapter (for example over a key-value bucket) runs
 * the same.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AlertStore, RaisedAlert, WebhookRegistration, WebhookStore } from '../../src/ports/index.js';

export interface LiveStoresFixture {
  webhooks: WebhookStore;
  alerts: AlertStore;
  dispose(): Promise<void>;
  /** Opens the same data again (durable adapters); undefined for volatile ones. */
  reopen?: () => Promise<LiveStoresFixture>;
}

const hook = (id: string, account = 'A', extra: Partial<WebhookRegistration> = {}): WebhookRegistration => ({
  id,
  account,
  url: `http://127.0.0.1:9/${id}`,
  secret: `secret-of-${id}-0123456789`,
  filter: { status: ['ONLINE'] },
  alerts: true,
  createdAt: 1_700_000_000_000,
  cursor: 5,
  ...extra,
});

const msg = (webhookId: string, n: number, agentId?: string) => ({ webhookId, agentId, body: `{"n":${n}}` });

let ids = 0;
const newId = () => `d-${++ids}`;

export function liveStoresContract(name: string, open: () => Promise<LiveStoresFixture>): void {
  describe(`WebhookStore and AlertStore contract: ${name}`, () => {
    let f: LiveStoresFixture;
    beforeEach(async () => {
      f = await open();
    });
    afterEach(async () => {
      await f.dispose();
    });

    it('creates, lists and deletes registrations per account', async () => {
      await f.webhooks.create(hook('w1'));
      await f.webhooks.create(hook('w2', 'B'));
      expect((await f.webhooks.list()).map((h) => h.id).sort()).toEqual(['w1', 'w2']);
      expect(await f.webhooks.list()).toContainEqual(hook('w1'));
      expect(await f.webhooks.delete('B', 'w1')).toBe(false);
      expect(await f.webhooks.delete('A', 'w1')).toBe(true);
      expect(await f.webhooks.delete('A', 'w1')).toBe(false);
      expect((await f.webhooks.list()).map((h) => h.id)).toEqual(['w2']);
    });

    it('delivers messages in order, in stable batches, until completed', async () => {
      await f.webhooks.create(hook('w1'));
      await f.webhooks.create(hook('w2'));
      await f.webhooks.enqueue([msg('w1', 1, 'a'), msg('w2', 1, 'a'), msg('w1', 2, 'b'), msg('w1', 3)], new Map());
      await f.webhooks.enqueue([msg('w1', 4, 'a')], new Map());
      expect(await f.webhooks.pendingCount('w1')).toBe(4);
      const b1 = await f.webhooks.nextBatch('w1', 2, newId);
      expect(b1!.bodies).toEqual(['{"n":1}', '{"n":2}']);
      // Asked again (a retry): the same batch, the same delivery id, even with a bigger limit.
      const again = await f.webhooks.nextBatch('w1', 100, newId);
      expect(again).toEqual(b1);
      await f.webhooks.complete('w1', b1!.deliveryId);
      const b2 = await f.webhooks.nextBatch('w1', 100, newId);
      expect(b2!.bodies).toEqual(['{"n":3}', '{"n":4}']);
      expect(b2!.deliveryId).not.toBe(b1!.deliveryId);
      await f.webhooks.complete('w1', b2!.deliveryId);
      expect(await f.webhooks.nextBatch('w1', 100, newId)).toBeUndefined();
      expect(await f.webhooks.pendingCount('w1')).toBe(0);
      expect((await f.webhooks.nextBatch('w2', 100, newId))!.bodies).toEqual(['{"n":1}']);
    });

    it('moves cursors forward only, atomically with the messages', async () => {
      await f.webhooks.create(hook('w1', 'A', { cursor: 10 }));
      await f.webhooks.enqueue([msg('w1', 1, 'a')], new Map([['w1', 20]]));
      await f.webhooks.enqueue([], new Map([['w1', 15]]));
      expect((await f.webhooks.list())[0]!.cursor).toBe(20);
    });

    it('compacts a backlog to the newest message per agent, keeping started batches and agentless messages', async () => {
      await f.webhooks.create(hook('w1'));
      await f.webhooks.enqueue([msg('w1', 1, 'a'), msg('w1', 2, 'b')], new Map());
      const started = await f.webhooks.nextBatch('w1', 1, newId);
      await f.webhooks.enqueue([msg('w1', 3, 'a'), msg('w1', 4), msg('w1', 5, 'b'), msg('w1', 6, 'a'), msg('w1', 7)], new Map());
      expect(await f.webhooks.compact('w1')).toBe(2); // n=2 (b, superseded by 5) and n=3 (a, superseded by 6)
      await f.webhooks.complete('w1', started!.deliveryId);
      expect((await f.webhooks.nextBatch('w1', 100, newId))!.bodies).toEqual(['{"n":4}', '{"n":5}', '{"n":6}', '{"n":7}']);
    });

    it('keeps delivery health; deleting a webhook drops its messages', async () => {
      await f.webhooks.create(hook('w1'));
      expect(await f.webhooks.health('w1')).toEqual({ failures: 0 });
      await f.webhooks.saveHealth('w1', { failures: 3, lastError: 'HTTP 500', nextAttemptAt: 42 });
      expect(await f.webhooks.health('w1')).toEqual({ failures: 3, lastError: 'HTTP 500', nextAttemptAt: 42 });
      await f.webhooks.enqueue([msg('w1', 1, 'a')], new Map());
      await f.webhooks.delete('A', 'w1');
      expect(await f.webhooks.pendingCount('w1')).toBe(0);
    });

    it('keeps alert rules and raised alerts per account', async () => {
      await f.alerts.createRule({ account: 'A', createdAt: 1, rule: { id: 'r1', kind: 'load', minLoad: 90, minutes: 5 } });
      await f.alerts.createRule({ account: 'B', createdAt: 2, rule: { id: 'r1', kind: 'group-no-online', groupId: '7', minutes: 0 } });
      expect((await f.alerts.listRules()).map((r) => `${r.account}/${r.rule.kind}`).sort()).toEqual(['A/load', 'B/group-no-online']);
      const raised = (key: string, ruleId = 'r1'): RaisedAlert => ({
        account: 'A',
        key,
        ruleId,
        kind: 'load',
        agentId: key.split(':')[1],
        since: 1,
        raisedAt: 2,
        message: 'm',
      });
      await f.alerts.updateRaised('A', [raised('r1:1'), raised('r1:2')], []);
      await f.alerts.updateRaised('A', [], ['r1:1']);
      expect(await f.alerts.listRaised()).toEqual([raised('r1:2')]);
      expect(await f.alerts.deleteRule('B', 'nope')).toBe(false);
      expect(await f.alerts.deleteRule('A', 'r1')).toBe(true);
      expect(await f.alerts.listRaised()).toEqual([]);
      expect((await f.alerts.listRules()).map((r) => r.account)).toEqual(['B']);
    });

    it('survives reopening (durable adapters)', async () => {
      if (!f.reopen) return;
      await f.webhooks.create(hook('w1'));
      await f.webhooks.enqueue([msg('w1', 1, 'a'), msg('w1', 2, 'a')], new Map([['w1', 9]]));
      const batch = await f.webhooks.nextBatch('w1', 1, newId);
      await f.alerts.createRule({ account: 'A', createdAt: 1, rule: { id: 'r1', kind: 'load', minLoad: 90, minutes: 5 } });
      f = await f.reopen();
      expect((await f.webhooks.list())[0]!.cursor).toBe(9);
      expect(await f.webhooks.nextBatch('w1', 100, newId)).toEqual(batch);
      expect(await f.alerts.listRules()).toHaveLength(1);
    });
  });
}
