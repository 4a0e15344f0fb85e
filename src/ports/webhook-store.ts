/**
 * Where webhook registrations and their undelivered messages live, so a
 * restart drops nothing (spec 4.2). The embedded store keeps them in SQLite;
 * a cluster store can keep them elsewhere (for example a key-value bucket)
 * behind the same interface.
 */

/** A registered webhook of one account. */
export interface WebhookRegistration {
  id: string;
  account: string;
  url: string;
  /** HMAC-SHA256 key for `X-Agentview-Signature`; never returned after creation. */
  secret: string;
  /** The filter body as the client sent it (Agent Status filter shape). */
  filter: unknown;
  /** Deliver alert events too. */
  alerts: boolean;
  createdAt: number;
  /** Log position through which this webhook's messages were enqueued. */
  cursor: number;
}

/** Delivery health of a webhook (kept so back-off continues across restarts). */
export interface WebhookHealth {
  /** Consecutive failed attempts of the current batch. */
  failures: number;
  lastError?: string | undefined;
  lastSuccessAt?: number | undefined;
  nextAttemptAt?: number | undefined;
}

/** One message to deliver: a JSON object text (`{"type":"upsert",…}`). */
export interface WebhookMessage {
  webhookId: string;
  /** The agent the message is about (per-agent ordering and compaction); absent for alerts. */
  agentId?: string | undefined;
  body: string;
}

/** Messages delivered together in one POST, under one delivery id (the same on every retry). */
export interface WebhookBatch {
  deliveryId: string;
  bodies: string[];
}

export interface WebhookStore {
  /** Every registration of every account. */
  list(): Promise<WebhookRegistration[]>;
  create(registration: WebhookRegistration): Promise<void>;
  /** Deletes a registration and its undelivered messages; false when unknown. */
  delete(account: string, id: string): Promise<boolean>;
  /**
   * Appends messages (in order) and moves cursors, atomically. Implementations
   * make the write durable before the returned promise resolves.
   */
  enqueue(messages: readonly WebhookMessage[], cursors: ReadonlyMap<string, number>): Promise<void>;
  /**
   * The batch to deliver next: the one already started (same delivery id and
   * messages, for retries), else the `limit` oldest messages as a new batch.
   */
  nextBatch(webhookId: string, limit: number, newDeliveryId: () => string): Promise<WebhookBatch | undefined>;
  /** Removes a delivered batch. */
  complete(webhookId: string, deliveryId: string): Promise<void>;
  pendingCount(webhookId: string): Promise<number>;
  /**
   * Keeps only the newest undelivered message per agent (and every message
   * without an agent); used when a receiver falls far behind. Returns how
   * many were dropped.
   */
  compact(webhookId: string): Promise<number>;
  health(webhookId: string): Promise<WebhookHealth>;
  saveHealth(webhookId: string, health: WebhookHealth): Promise<void>;
}
