import type { SqsDelivery } from './delivery.js';

/**
 * Keeps held messages invisible to other consumers: every half visibility timeout, each one held
 * longer than that is extended by the timeout again (one `ChangeMessageVisibilityBatch` per ten).
 * One timer per session.
 */
export class Visibility {
  private readonly held = new Map<SqsDelivery, number>();
  private timer: NodeJS.Timeout | undefined;
  private readonly everyMs: number;

  constructor(
    private readonly timeoutSeconds: number,
    private readonly change: (d: SqsDelivery, seconds: number) => Promise<void>,
  ) {
    this.everyMs = Math.max(500, (timeoutSeconds * 1000) / 2);
  }

  hold(d: SqsDelivery): void {
    this.held.set(d, Date.now());
    this.timer ??= setInterval(() => this.extend(), this.everyMs).unref();
  }

  drop(d: SqsDelivery): void {
    this.held.delete(d);
    if (this.held.size === 0) this.stop();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  private extend(): void {
    const now = Date.now();
    for (const [d, since] of this.held) {
      if (now - since < this.everyMs) continue;
      this.held.set(d, now);
      // A failed extension is not fatal: at worst the message is delivered again after the timeout.
      this.change(d, this.timeoutSeconds).catch(() => undefined);
    }
  }
}
