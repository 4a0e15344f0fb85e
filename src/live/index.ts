/**
 * Live push: the SSE stream hub, webhooks, threshold alerts and the status
 * samples behind the wallboard's chart, wired together.
 */
import type { Logger } from 'pino';
import type { Engine } from '../engine/index.js';
import type { AlertStore, Clock, WebhookStore } from '../ports/index.js';
import { TargetPolicy } from './allow-list.js';
import { AlertService } from './alerts.js';
import { StreamHub, type StreamHubOptions } from './hub.js';
import { StatusSampler } from './samples.js';
import { WebhookService, type WebhookServiceOptions } from './webhooks.js';

export { StreamHub, type StreamHubOptions, type StreamStats } from './hub.js';
export { WebhookService, signBody, type WebhookView } from './webhooks.js';
export { AlertService, type AlertView } from './alerts.js';
export { TargetPolicy, AllowListError } from './allow-list.js';
export { StatusSampler, type StatusSample } from './samples.js';
export { sseMessage } from './sse.js';

export interface LiveOptions {
  stream: StreamHubOptions;
  webhooks: WebhookServiceOptions & { allow: readonly string[] };
  alerts: { perAccount: number; evalMs: number };
}

export interface LiveServices {
  hub: StreamHub;
  webhooks: WebhookService;
  alerts: AlertService;
  samples: StatusSampler;
  /** Starts everything that follows the engine; call once it has caught up. */
  start(): void;
  /** Ends streams with a final event (call before the HTTP server closes). */
  closeStreams(): void;
  /** Stops deliveries and evaluations; pending webhook messages stay in the store. */
  stop(): Promise<void>;
}

/**
 * Builds the live services. Call before the engine starts: webhooks must see
 * the changes replayed at start-up to enqueue what a crash left out.
 */
export async function createLive(
  engine: Engine,
  clock: Clock,
  stores: { webhooks: WebhookStore; alerts: AlertStore },
  options: LiveOptions,
  logger?: Logger,
): Promise<LiveServices> {
  const hub = new StreamHub(engine, clock, options.stream);
  const policy = new TargetPolicy(options.webhooks.allow);
  const webhooks = new WebhookService(engine, clock, stores.webhooks, policy, options.webhooks, logger);
  const alerts = new AlertService(engine, clock, stores.alerts, options.alerts, logger);
  const samples = new StatusSampler(engine, clock);
  await webhooks.attach();
  await alerts.load();
  hub.setAlertSource((account) => alerts.active(account));
  alerts.addSink((account, type, alert) => hub.publishAlert(account, { type: type === 'alert.raised' ? 'raised' : 'cleared', alert }));
  alerts.addSink((account, type, alert) => webhooks.publishAlert(account, type, alert));
  return {
    hub,
    webhooks,
    alerts,
    samples,
    start() {
      hub.start();
      webhooks.start();
      alerts.start();
      samples.start();
    },
    closeStreams() {
      hub.close();
    },
    async stop() {
      hub.close();
      alerts.stop();
      samples.stop();
      await webhooks.stop();
    },
  };
}
