import {
  rejectUnknownOptions,
  silentLogger,
  InvalidOptionError,
  type Connector,
  type DeadLetterRequest,
  type Delivery,
  type Logger,
  type OpenContext,
  type ResendRequest,
  type Session,
} from '@rxq/core';
import { overrunReporter, TickClock, type Overrun } from './tickClock.js';

/** Options of {@link atFixedRate}. */
export interface AtFixedRateOptions {
  /** A fetch (`receive`) starts every `periodMs`, or at once after a tick that overran. */
  readonly periodMs: number;
  /** Told of every overrun (it is also logged at `warn`). @default none */
  readonly onOverrun?: (overrun: Overrun) => void;
  /** Where overruns are logged. @default the source's logger */
  readonly logger?: Logger;
}

const KNOWN = ['periodMs', 'onOverrun', 'logger'] as const;

/**
 * Any rxq connector, polled at a fixed rate: `fromQueue(atFixedRate(redis('q'), { periodMs: 1_000 }), { maxInFlight: 100 })`.
 * Each tick fetches once (one `receive` of up to the credit: `maxInFlight` is the chunk size), and
 * the tick's work is done when every message of that fetch is settled. The next fetch starts
 * `periodMs` after the last one started; a tick whose work took longer is an overrun (reported to
 * `onOverrun` and logged with how long it took against the period) and the next fetch starts at
 * once, with no catch-up burst. An empty fetch ends its tick at once.
 *
 * Handle a chunk one message at a time in order with `handle(fn)` (concurrency 1), or all at once
 * with `handle(fn, { concurrency: maxInFlight })` or `chunk({ size: maxInFlight })`.
 *
 * It changes only when the connector is asked to fetch: settlement, resend, dead letters, release
 * and shutdown are the connector's own. A stop does not wait for the next tick.
 *
 * @example
 * fromQueue(atFixedRate(redis('reports', { blockMs: 100 }), { periodMs: 5_000, onOverrun: (o) => metrics.overrun(o.tookMs) }), { maxInFlight: 50 })
 *   .pipe(handle(render), retryWithResend(), ack())
 *   .subscribe();
 */
export function atFixedRate<D extends Delivery, T>(
  connector: Connector<D, T>,
  options: AtFixedRateOptions,
): Connector<D, T> {
  rejectUnknownOptions(options, KNOWN);
  const { periodMs } = options;
  if (typeof periodMs !== 'number' || !(periodMs > 0) || !Number.isFinite(periodMs))
    throw new InvalidOptionError('periodMs', 'a finite number > 0', periodMs);
  const wrapped: { -readonly [K in keyof Connector<D, T>]: Connector<D, T>[K] } = {
    name: connector.name,
    async open(context: OpenContext): Promise<Session<D>> {
      const logger = options.logger ?? context.logger ?? silentLogger;
      const report = overrunReporter(`atFixedRate(${connector.name})`, logger, options.onOverrun);
      return new FixedRateSession(await connector.open(context), new TickClock(periodMs, report));
    },
  };
  if (connector.defaultCodec !== undefined) wrapped.defaultCodec = connector.defaultCodec;
  if (connector.system !== undefined) wrapped.system = connector.system;
  return wrapped;
}

/** A session whose `receive` waits for the previous tick's messages to settle and for its turn. */
class FixedRateSession<D extends Delivery> implements Session<D> {
  /** Deliveries of the current tick not yet settled. */
  private readonly pending = new Set<D>();
  private ticking = false;
  /** Deliveries of this session settled so far. */
  private settledCount = 0;
  private closed = false;
  /** Wakes the waiting `receive`: all settled, the sleep over, or the intake stopped. */
  private wake: (() => void) | undefined;
  private sleep: NodeJS.Timeout | undefined;

  constructor(
    private readonly inner: Session<D>,
    private readonly clock: TickClock,
  ) {}

  async receive(max: number): Promise<readonly D[]> {
    // The credit grows by one for each of this tick's messages settled while the fetch waits.
    const settledBefore = this.settledCount;
    if (this.ticking) {
      while (this.pending.size > 0 && !this.closed) await new Promise<void>((r) => (this.wake = r));
      const delayMs = this.clock.end(performance.now());
      if (delayMs > 0 && !this.closed)
        await new Promise<void>((r) => {
          this.wake = r;
          this.sleep = setTimeout(r, delayMs);
        });
      this.ticking = false;
    }
    if (this.closed) return [];
    this.clock.begin(performance.now());
    this.ticking = true;
    const deliveries = await this.inner.receive(max + this.settledCount - settledBefore);
    for (const d of deliveries) this.pending.add(d);
    return deliveries;
  }

  private settled(delivery: D): void {
    if (!this.pending.delete(delivery)) return;
    this.settledCount++;
    if (this.pending.size === 0) this.wakeUp();
  }

  private wakeUp(): void {
    const wake = this.wake;
    this.wake = undefined;
    if (this.sleep) clearTimeout(this.sleep);
    this.sleep = undefined;
    wake?.();
  }

  ack(delivery: D): void | Promise<void> {
    this.settled(delivery);
    return this.inner.ack(delivery);
  }

  requeue(delivery: D): void | Promise<void> {
    this.settled(delivery);
    return this.inner.requeue(delivery);
  }

  resend(delivery: D, request: ResendRequest): Promise<void> {
    this.settled(delivery);
    return this.inner.resend(delivery, request);
  }

  deadLetter(delivery: D, request: DeadLetterRequest): Promise<void> {
    this.settled(delivery);
    return this.inner.deadLetter(delivery, request);
  }

  async release(deliveries: readonly D[]): Promise<void> {
    for (const d of deliveries) this.settled(d);
    if (this.inner.release) return this.inner.release(deliveries);
    for (const d of deliveries) await this.inner.requeue(d);
  }

  stopIntake(): void {
    this.closed = true;
    this.wakeUp();
    this.inner.stopIntake?.();
  }

  close(): Promise<void> {
    this.closed = true;
    this.wakeUp();
    return this.inner.close();
  }
}
