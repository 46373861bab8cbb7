import { Observable } from 'rxjs';
import { map, timer } from 'rxjs';

/** A point-in-time reading of a source's counters and gauges. */
export interface MetricsSnapshot {
  /** Messages emitted (decoded), since the source was made. */
  readonly received: number;
  readonly acked: number;
  readonly requeued: number;
  readonly resent: number;
  readonly deadLettered: number;
  /** Given back unhandled on unsubscribe or after a drain timeout. */
  readonly released: number;
  /** Bodies that failed to decode (also counted in `deadLettered`). */
  readonly poison: number;
  /** Settlement writes the broker did not take (a batched write counts once); the broker redelivers those messages. */
  readonly settleErrors: number;
  /** Emitted and not yet settled, now. */
  readonly inFlight: number;
  /** The highest `inFlight` seen. */
  readonly peakInFlight: number;
  /** Handler durations recorded by `handle`. */
  readonly handler: { readonly count: number; readonly totalMs: number; readonly maxMs: number };
}

/**
 * Counters and gauges of one source, shared by its subscriptions. Read with `snapshot()`, or
 * subscribe to `observe(intervalMs)` for periodic readings.
 */
export class SourceMetrics {
  received = 0;
  acked = 0;
  requeued = 0;
  resent = 0;
  deadLettered = 0;
  released = 0;
  poison = 0;
  settleErrors = 0;
  inFlight = 0;
  peakInFlight = 0;
  handlerCount = 0;
  handlerTotalMs = 0;
  handlerMaxMs = 0;

  /** The current values. */
  snapshot(): MetricsSnapshot {
    return {
      received: this.received,
      acked: this.acked,
      requeued: this.requeued,
      resent: this.resent,
      deadLettered: this.deadLettered,
      released: this.released,
      poison: this.poison,
      settleErrors: this.settleErrors,
      inFlight: this.inFlight,
      peakInFlight: this.peakInFlight,
      handler: { count: this.handlerCount, totalMs: this.handlerTotalMs, maxMs: this.handlerMaxMs },
    };
  }

  /** A snapshot at once, then every `intervalMs`. @example source.metrics.observe(1000).subscribe(log) */
  observe(intervalMs = 1_000): Observable<MetricsSnapshot> {
    return timer(0, intervalMs).pipe(map(() => this.snapshot()));
  }

  /** Records a handler run of `durationMs` over `count` messages (used by `handle`). */
  recordHandler(durationMs: number, count = 1): void {
    this.handlerCount += count;
    this.handlerTotalMs += durationMs * count;
    if (durationMs > this.handlerMaxMs) this.handlerMaxMs = durationMs;
  }
}
