/**
 * Prometheus metrics of the process (served at `/metrics`). One registry per
 * process: every component imports the metric it feeds from here, e.g.
 *
 *   import { streamClients } from '../observability/metrics.js';
 *   streamClients.inc({ kind: 'sse' }); … streamClients.dec({ kind: 'sse' });
 *
 * Label values are bounded sets (route templates, status codes, kinds), never
 * account or agent ids, so the series count stays small and no tenant data
 * leaks into the scrape.
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

export const registry = new Registry();
collectDefaultMetrics({ register: registry });

/** Seconds buckets from 0.5 ms to 10 s: API calls and commits are mostly sub-10 ms. */
const LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export const httpRequests = new Counter({
  name: 'agentview_http_requests_total',
  help: 'HTTP requests answered, by method, route template and status code',
  labelNames: ['method', 'route', 'status'] as const,
  registers: [registry],
});

export const httpRequestDuration = new Histogram({
  name: 'agentview_http_request_duration_seconds',
  help: 'Time from request received to response sent, by method, route template and status code',
  labelNames: ['method', 'route', 'status'] as const,
  buckets: LATENCY_BUCKETS,
  registers: [registry],
});

export const ingestEvents = new Counter({
  name: 'agentview_ingest_events_total',
  help: 'Events received over the ingest API, by result (accepted, duplicate)',
  labelNames: ['result'] as const,
  registers: [registry],
});

export const ingestBatchSize = new Histogram({
  name: 'agentview_ingest_batch_events',
  help: 'Events per accepted ingest request',
  buckets: [1, 2, 5, 10, 25, 50, 100, 250, 500, 1000],
  registers: [registry],
});

export const commitDuration = new Histogram({
  name: 'agentview_commit_duration_seconds',
  help: 'Duration of one group commit of the event log (transaction and fsync)',
  buckets: LATENCY_BUCKETS,
  registers: [registry],
});

export const commitRequests = new Histogram({
  name: 'agentview_commit_requests',
  help: 'Append requests covered by one group commit',
  buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256],
  registers: [registry],
});

export const commitFailures = new Counter({
  name: 'agentview_commit_failures_total',
  help: 'Group commits that failed (nothing of them was acknowledged)',
  registers: [registry],
});

/** Live stream clients (SSE, WebSocket); read from the bound source at scrape time, or set directly. */
export const streamClients = new Gauge({
  name: 'agentview_stream_clients',
  help: 'Connected live-stream clients, by kind',
  labelNames: ['kind'] as const,
  registers: [registry],
  collect() {
    const n = source?.streamClients?.();
    if (n !== undefined) this.set({ kind: 'sse' }, n);
  },
});

/** Webhook deliveries waiting to be sent; read from the bound source at scrape time. */
export const webhookBacklog = new Gauge({
  name: 'agentview_webhook_backlog',
  help: 'Webhook deliveries queued and not yet delivered',
  registers: [registry],
  collect() {
    const n = source?.webhookBacklog?.();
    if (n !== undefined) this.set(n);
  },
});

export const snapshotDuration = new Histogram({
  name: 'agentview_snapshot_duration_seconds',
  help: 'Time to encode and store one snapshot of the views',
  buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
  registers: [registry],
});

/** What the engine-derived gauges read; bound by the composition root. */
export interface ViewSource {
  /** Log position of the last entry applied to the views. */
  viewPosition(): number;
  /** Log position of the last durable entry. */
  logPosition(): Promise<number> | number;
  ready(): boolean;
  accounts(): number;
  snapshotPosition(): number;
  /** Open SSE streams, when the live component runs. */
  streamClients?(): number;
  /** Undelivered webhook messages, when the live component runs. */
  webhookBacklog?(): number;
}

let source: ViewSource | undefined;

/** Binds the gauges below to the running engine; returns the unbind function. */
export function bindViewSource(s: ViewSource): () => void {
  source = s;
  return () => {
    if (source === s) source = undefined;
  };
}

new Gauge({
  name: 'agentview_event_log_position',
  help: 'Position of the last durable entry of the event log',
  registers: [registry],
  async collect() {
    if (source) this.set(await source.logPosition());
  },
});

new Gauge({
  name: 'agentview_view_position',
  help: 'Log position the in-memory views have applied',
  registers: [registry],
  collect() {
    if (source) this.set(source.viewPosition());
  },
});

new Gauge({
  name: 'agentview_view_lag_entries',
  help: 'Log entries durable but not yet applied to the views (0 when caught up)',
  registers: [registry],
  async collect() {
    if (source) this.set(Math.max(0, (await source.logPosition()) - source.viewPosition()));
  },
});

new Gauge({
  name: 'agentview_ready',
  help: '1 when the views caught up with the log and the server accepts traffic',
  registers: [registry],
  collect() {
    this.set(source?.ready() ? 1 : 0);
  },
});

new Gauge({
  name: 'agentview_accounts',
  help: 'Accounts held in the views',
  registers: [registry],
  collect() {
    if (source) this.set(source.accounts());
  },
});

new Gauge({
  name: 'agentview_snapshot_position',
  help: 'Log position covered by the latest snapshot',
  registers: [registry],
  collect() {
    if (source) this.set(source.snapshotPosition());
  },
});
