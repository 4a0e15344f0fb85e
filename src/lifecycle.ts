/**
 * Graceful-shutdown hooks. Components that hold long-lived work (live streams,
 * webhook senders, replication) register a hook; on SIGTERM/SIGINT the server
 * runs every hook *before* it stops the HTTP server, so a stream can send its
 * final event and end its response instead of holding the drain open.
 */

/** What a shutdown hook is told: the epoch-ms deadline by which the process exits. */
export interface ShutdownContext {
  deadline: number;
  reason: string;
}

export type ShutdownHook = (ctx: ShutdownContext) => Promise<void> | void;

/** Registers a hook; returns the function that unregisters it (for a component that stops early). */
export type OnShutdown = (name: string, hook: ShutdownHook) => () => void;

export class ShutdownHooks {
  private readonly hooks = new Map<symbol, { name: string; hook: ShutdownHook }>();
  private running = false;

  readonly onShutdown: OnShutdown = (name, hook) => {
    const key = Symbol(name);
    this.hooks.set(key, { name, hook });
    return () => this.hooks.delete(key);
  };

  get isRunning(): boolean {
    return this.running;
  }

  /**
   * Runs every hook concurrently; a hook that throws or is still running at
   * the deadline is reported and does not hold up the others.
   */
  async run(ctx: ShutdownContext, report: (name: string, err: unknown) => void): Promise<void> {
    this.running = true;
    const hooks = [...this.hooks.values()];
    this.hooks.clear();
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<'late'>((resolve) => {
      timer = setTimeout(() => resolve('late'), Math.max(0, ctx.deadline - Date.now()));
      timer.unref();
    });
    await Promise.all(
      hooks.map(async ({ name, hook }) => {
        try {
          const r = await Promise.race([Promise.resolve().then(() => hook(ctx)), late]);
          if (r === 'late') report(name, new Error('shutdown hook still running at the deadline'));
        } catch (err) {
          report(name, err);
        }
      }),
    );
    clearTimeout(timer);
  }
}
