/**
 * Status counts per account sampled at a fixed interval over the last hour,
 * in memory: what the wallboard's chart starts from (it then adds its own
 * samples from the stream). Counts are of logged-in agents.
 */
import type { Engine } from '../engine/index.js';
import type { Clock } from '../ports/index.js';

export interface StatusSample {
  t: number;
  ONLINE: number;
  AWAY: number;
  BACK_SOON: number;
}

export class StatusSampler {
  private readonly series = new Map<string, StatusSample[]>();
  private timer: NodeJS.Timeout | undefined;
  private readonly keep: number;

  constructor(
    private readonly engine: Engine,
    private readonly clock: Clock,
    readonly intervalMs = 10_000,
    spanMs = 3_600_000,
  ) {
    this.keep = Math.ceil(spanMs / intervalMs) + 1;
  }

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => this.sample(), this.intervalMs);
    this.timer.unref();
  }

  /** Takes one sample of every account. */
  sample(): void {
    const t = this.clock.now();
    for (const acc of this.engine.accounts.values()) {
      let s = this.series.get(acc.accountId);
      if (!s) this.series.set(acc.accountId, (s = []));
      s.push({
        t,
        ONLINE: acc.byStatus.get('ONLINE')?.size ?? 0,
        AWAY: acc.byStatus.get('AWAY')?.size ?? 0,
        BACK_SOON: acc.byStatus.get('BACK_SOON')?.size ?? 0,
      });
      if (s.length > this.keep) s.splice(0, s.length - this.keep);
    }
  }

  samples(account: string): StatusSample[] {
    return [...(this.series.get(account) ?? [])];
  }

  stop(): void {
    clearInterval(this.timer);
  }
}
