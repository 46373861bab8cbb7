import type { OpenAdmin } from './admin.js';
import { consoleOpenAdmin } from './admin.js';
import { ConsumerTracker } from './consumerTracker.js';
import type { ResolvedOptions } from './options.js';
import { QueueTracker } from './queueTracker.js';
import type { DashboardState } from './state.js';

/** Polls every queue and consumer each `pollMs` (never two rounds at once) and tells listeners. */
export class Collector {
  readonly queues: QueueTracker[];
  readonly consumers: ConsumerTracker[];
  private readonly listeners = new Set<(state: DashboardState) => void>();
  private timer: NodeJS.Timeout | undefined;
  private round: Promise<void> | undefined;
  private stopped = false;
  private state: DashboardState;

  constructor(private readonly options: ResolvedOptions) {
    let opener: Promise<OpenAdmin> | undefined;
    const open = (): Promise<OpenAdmin> =>
      options.openAdmin ? Promise.resolve(options.openAdmin) : (opener ??= consoleOpenAdmin());
    const timeoutMs = Math.max(5_000, options.pollMs);
    this.queues = options.queues.map((q, i) => new QueueTracker(String(i), q, open, timeoutMs, options.historyMs));
    this.consumers = options.consumers.map(
      (url, i) => new ConsumerTracker(String(i), url, options.consumerTimeoutMs, options.historyMs),
    );
    this.state = this.build();
  }

  /** The last state. */
  current(): DashboardState {
    return this.state;
  }

  /** Calls `listener` with each new state; returns the unsubscribe. */
  subscribe(listener: (state: DashboardState) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Polls now (after a round in progress), then every `pollMs`. */
  async refresh(): Promise<void> {
    if (this.round) await this.round;
    if (this.stopped) return;
    clearTimeout(this.timer);
    this.round = this.poll().finally(() => {
      this.round = undefined;
      if (!this.stopped) this.timer = setTimeout(() => void this.refresh(), this.options.pollMs);
    });
    await this.round;
  }

  async close(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.round;
    await Promise.allSettled(this.queues.map((q) => q.close()));
    this.listeners.clear();
  }

  private async poll(): Promise<void> {
    await Promise.all(this.consumers.map((c) => c.poll()));
    await Promise.all(this.queues.map((q) => q.poll(this.consumedPerSec(q.queue))));
    this.state = this.build();
    for (const listener of this.listeners) listener(this.state);
  }

  private consumedPerSec(queue: string): number | null {
    let total: number | null = null;
    for (const c of this.consumers) {
      const r = c.receivedPerSec(queue);
      if (r !== null) total = (total ?? 0) + r;
    }
    return total;
  }

  private build(): DashboardState {
    return {
      at: Date.now(),
      actions: this.options.token !== undefined,
      pollMs: this.options.pollMs,
      historyMs: this.options.historyMs,
      queues: this.queues.map((q) => q.view(this.consumedPerSec(q.queue))),
      consumers: this.consumers.map((c) => c.view()),
    };
  }
}
