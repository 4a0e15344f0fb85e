/**
 * Token buckets per key (an account): `ratePerSecond` tokens flow in, up to
 * `burst`; a request takes one. Time is passed in, so the arithmetic is
 * deterministic and tests need no sleeping.
 */

export interface RateDecision {
  allowed: boolean;
  /** Bucket capacity (the `RateLimit-Limit` header). */
  limit: number;
  /** Whole tokens left after this request. */
  remaining: number;
  /** Seconds until the bucket is full again. */
  resetSeconds: number;
  /** When refused: seconds until one token is available (at least 1). */
  retryAfterSeconds: number;
}

interface Bucket {
  tokens: number;
  at: number;
}

export class TokenBuckets {
  private readonly buckets = new Map<string, Bucket>();

  constructor(
    readonly ratePerSecond: number,
    readonly burst: number,
    /** Most buckets kept; full ones are dropped first (a dropped bucket is a full one). */
    private readonly maxBuckets = 100_000,
  ) {
    if (!(ratePerSecond > 0) || !(burst >= 1)) throw new Error('rate must be > 0 and burst >= 1');
  }

  take(key: string, now: number): RateDecision {
    let b = this.buckets.get(key);
    if (!b) {
      if (this.buckets.size >= this.maxBuckets) this.prune(now);
      b = { tokens: this.burst, at: now };
      this.buckets.set(key, b);
    } else {
      b.tokens = this.level(b, now);
      b.at = Math.max(b.at, now);
    }
    const allowed = b.tokens >= 1;
    if (allowed) b.tokens -= 1;
    const perMs = this.ratePerSecond / 1000;
    return {
      allowed,
      limit: this.burst,
      remaining: Math.floor(b.tokens),
      resetSeconds: Math.ceil((this.burst - b.tokens) / perMs / 1000),
      retryAfterSeconds: allowed ? 0 : Math.max(1, Math.ceil((1 - b.tokens) / perMs / 1000)),
    };
  }

  private level(b: Bucket, now: number): number {
    return Math.min(this.burst, b.tokens + (Math.max(0, now - b.at) * this.ratePerSecond) / 1000);
  }

  private prune(now: number): void {
    for (const [k, b] of this.buckets) if (this.level(b, now) >= this.burst) this.buckets.delete(k);
    // Still full of busy buckets: forget the oldest (they refill to full, which only errs on the generous side).
    for (const k of this.buckets.keys()) {
      if (this.buckets.size < this.maxBuckets) break;
      this.buckets.delete(k);
    }
  }
}
