import type { NatsDelivery } from './delivery.js';

/**
 * Keeps unsettled deliveries from being redelivered while they are held: every half ack wait, each
 * one held longer than that gets `working()` (`+WPI`), which restarts its ack wait on the server.
 * One timer per session, not one per message.
 */
export class Leases {
  private readonly held = new Map<NatsDelivery, number>();
  private timer: NodeJS.Timeout | undefined;
  private readonly everyMs: number;

  constructor(ackWaitMs: number) {
    this.everyMs = Math.max(100, Math.floor(ackWaitMs / 2));
  }

  hold(d: NatsDelivery): void {
    this.held.set(d, Date.now());
    this.timer ??= setInterval(() => this.extend(), this.everyMs).unref();
  }

  drop(d: NatsDelivery): void {
    this.held.delete(d);
    if (this.held.size === 0) this.stop();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Deliveries held now. */
  get size(): number {
    return this.held.size;
  }

  private extend(): void {
    const now = Date.now();
    for (const [d, since] of this.held) {
      if (now - since < this.everyMs) continue;
      try {
        d.msg.working();
        this.held.set(d, now);
      } catch {
        // The connection is gone: the session reports it; the server redelivers.
      }
    }
  }
}
