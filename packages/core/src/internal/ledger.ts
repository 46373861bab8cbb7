import type { Delivery, Session } from '../connector.js';
import type { Settlement } from '../message.js';
import type { SourceMetrics } from '../metrics.js';
import type { MessageImpl } from './messageImpl.js';

/**
 * The in-flight ledger of one run: every emitted, unsettled message in an intrusive list, their
 * count (the credit the intake may still use is `maxInFlight - inFlight`) and each session's
 * count (its `context.inFlight`), and the gauges and counters of the source's metrics. The one
 * place where a message becomes settled.
 */
export class Ledger {
  /** Emitted and not yet settled. */
  inFlight = 0;
  private head: MessageImpl<unknown> | undefined;
  /** Called at the next settlement or {@link wake}: the intake waiting for credit, or the drain. */
  private waiter: (() => void) | undefined;

  constructor(private readonly metrics: SourceMetrics) {}

  /** Counts a message emitted. */
  link(message: MessageImpl<unknown>): void {
    message.next = this.head;
    if (this.head) this.head.prev = message;
    this.head = message;
    message.origin.count.add();
    this.metrics.received++;
    const inFlight = ++this.inFlight;
    this.metrics.inFlight++;
    if (inFlight > this.metrics.peakInFlight) this.metrics.peakInFlight = inFlight;
  }

  /** Marks the message settled and returns its credit; false if it was settled already. */
  begin(message: MessageImpl<unknown>, settlement: Settlement): boolean {
    if (message.settlement !== undefined) return false;
    message.settlement = settlement;
    this.unlink(message);
    this.count(settlement);
    return true;
  }

  /** Marks every unsettled message released; returns their deliveries by session, and how many. */
  releaseAll(): { bySession: Map<Session, Delivery[]>; released: number } {
    const bySession = new Map<Session, Delivery[]>();
    let released = 0;
    for (let m = this.head; m; m = this.head) {
      m.settlement = 'released';
      this.unlink(m);
      released++;
      const { session } = m.origin;
      const list = bySession.get(session);
      if (list) list.push(m.delivery);
      else bySession.set(session, [m.delivery]);
    }
    return { bySession, released };
  }

  /** Resolves at the next settlement, or at {@link wake}. */
  changed(): Promise<void> {
    return new Promise<void>((resolve) => (this.waiter = resolve));
  }

  /** Ends a wait of {@link changed} or {@link drained} early (a stop or a loss). */
  wake(): void {
    const waiter = this.waiter;
    this.waiter = undefined;
    waiter?.();
  }

  /**
   * Resolves when nothing is in flight, when `giveUp()` says so at a settlement or a wake, or
   * after `timeoutMs` (setTimeout's largest delay and above: no limit).
   */
  drained(timeoutMs: number, giveUp: () => boolean): Promise<void> {
    return new Promise<void>((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      const check = (): void => {
        if (this.inFlight === 0 || giveUp()) done();
        else this.waiter = check;
      };
      const done = (): void => {
        clearTimeout(timer);
        if (this.waiter === check) this.waiter = undefined;
        resolve();
      };
      if (timeoutMs <= 0x7fffffff) timer = setTimeout(done, timeoutMs);
      check();
    });
  }

  private unlink(message: MessageImpl<unknown>): void {
    const { prev, next } = message;
    if (prev) prev.next = next;
    else this.head = next;
    if (next) next.prev = prev;
    message.prev = message.next = undefined;
    message.origin.count.remove();
    this.inFlight--;
    this.metrics.inFlight--;
    if (this.waiter) this.wake();
  }

  private count(settlement: Settlement): void {
    const m = this.metrics;
    if (settlement === 'acked') m.acked++;
    else if (settlement === 'requeued') m.requeued++;
    else if (settlement === 'resent') m.resent++;
    else if (settlement === 'dead-lettered') m.deadLettered++;
    else m.released++;
  }
}
