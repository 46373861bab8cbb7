import { Subject, tap } from 'rxjs';
import type { Connector } from '../connector.js';
import { fromQueue } from '../fromQueue.js';
import type { Message } from '../message.js';
import type { MetricsSnapshot } from '../metrics.js';
import { ack, type SettlementRecord } from '../operators/ack.js';
import { handle } from '../operators/handle.js';
import { collectAll, collectUntil } from './collect.js';

/** The body every message of {@link gracefulStop} carries: its number, 0 to `total - 1`. */
type Numbered = { readonly n: number };

/** Options of {@link gracefulStop}. */
export interface GracefulStopOptions {
  /** A new connector to the queue that holds `total` messages `{ n }`, one per consumer. */
  readonly connector: () => Connector;
  /** How many messages were published, with `n` from 0 to `total - 1`. */
  readonly total: number;
  /** The stop is signalled when this many messages have been acked. */
  readonly stopAfter: number;
  /** The first consumer's `maxInFlight`. @default 64 */
  readonly maxInFlight?: number;
  /** How many handlers run at once. @default half of `maxInFlight` */
  readonly concurrency?: number;
  /** The first consumer's `drainTimeoutMs`. @default fromQueue's */
  readonly drainTimeoutMs?: number;
  /** Longest the first consumer may take, stop and drain included. @default 30_000 */
  readonly timeoutMs?: number;
}

/** What {@link gracefulStop} saw. */
export interface GracefulStopResult {
  /** The settlement record of every message the first consumer emitted, in order. */
  readonly records: readonly SettlementRecord[];
  /** The `n` of every message the first consumer handled, in the order handled. */
  readonly handled: readonly number[];
  /** The first consumer's metrics once it completed. */
  readonly snapshot: MetricsSnapshot;
  /**
   * Reads and acks what the first consumer left, `total - records.length` messages, with a new
   * consumer, and resolves with them once they all came; rejects after `timeoutMs`.
   */
  readonly rest: (options?: {
    readonly maxInFlight?: number;
    readonly timeoutMs?: number;
  }) => Promise<Message<Numbered>[]>;
}

/**
 * The graceful-stop test every connector runs: a consumer on `total` messages, handlers doing a
 * few milliseconds of work, is told to stop once `stopAfter` messages are acked, with a full window
 * in flight. It drains, settles what it emitted, gives back what it did not, and completes; then
 * `rest()` reads the remainder with a new consumer. Runner-neutral: the caller asserts on the result
 * and on its broker (everything emitted settled: `snapshot.inFlight === 0`, every record acked;
 * nothing lost: `handled` and the rest cover every `n`; nothing acked comes back).
 *
 * @example
 * const r = await gracefulStop({ connector: () => redis(queue), total: 2_000, stopAfter: 500 });
 * expect(r.snapshot).toMatchObject({ inFlight: 0, released: 0 });
 * const rest = await r.rest();
 * expect(new Set([...r.handled, ...rest.map((m) => m.body.n)]).size).toBe(2_000);
 */
export async function gracefulStop(options: GracefulStopOptions): Promise<GracefulStopResult> {
  const { total, stopAfter, maxInFlight = 64, timeoutMs = 30_000 } = options;
  const concurrency = options.concurrency ?? Math.max(1, Math.floor(maxInFlight / 2));
  const stop = new Subject<void>();
  const source = fromQueue<Numbered>(options.connector(), {
    maxInFlight,
    stop,
    ...(options.drainTimeoutMs === undefined ? {} : { drainTimeoutMs: options.drainTimeoutMs }),
  });
  const handled: number[] = [];
  let acked = 0;
  const records = await collectAll(
    source.pipe(
      handle(
        async (m: Message<Numbered>) => {
          // The work a handler does: a few milliseconds, so that the window fills.
          await new Promise((resolve) => setTimeout(resolve, 1 + Math.random() * 4));
          handled.push(m.body.n);
        },
        { concurrency },
      ),
      ack(),
      tap((r) => {
        if (r.settlement === 'acked' && ++acked === stopAfter) stop.next();
      }),
    ),
    timeoutMs,
  );
  const snapshot = source.metrics.snapshot();
  const rest: GracefulStopResult['rest'] = async ({
    maxInFlight: restMaxInFlight = 256,
    timeoutMs: restTimeoutMs = 20_000,
  } = {}) => {
    const left = total - records.length;
    if (left <= 0) return [];
    const next = fromQueue<Numbered>(options.connector(), { maxInFlight: restMaxInFlight });
    try {
      return await collectUntil(next.pipe(tap((m) => void m.ack())), (ms) => ms.length === left, restTimeoutMs);
    } finally {
      await next.stop();
    }
  };
  return { records, handled, snapshot, rest };
}
