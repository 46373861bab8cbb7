import { ack, fromQueue, handle, type SourceStatus } from '@rxq/core';
import { logLevel } from 'kafkajs';
import { tap } from 'rxjs';
import type { KafkaSourceOptions } from '../../src/index.js';
import { DRIVER, type TestTopic } from '../helpers.js';

/** A consumer of `{ n }` bodies that counts every delivery of each `n`, for the failover tests. */
export interface CountingConsumer {
  /** Deliveries per `n` (more than 1: delivered again). */
  readonly deliveries: Map<number, number>;
  /** Distinct `n` acked so far. */
  readonly acked: Set<number>;
  readonly statuses: SourceStatus[];
  /** When each `n` was first handled (ms since the epoch). */
  readonly firstHandledAt: Map<number, number>;
  /** Resolves once every `n` below `count` has been acked; rejects if the stream ends with an error. */
  allAcked(count: number): Promise<void>;
  /** The error the stream ended with, if it did. */
  readonly error: () => unknown;
  /** Deliveries beyond the first of each `n`. */
  duplicates(): number;
  stop(): void;
}

export const MAX_IN_FLIGHT = 32;

export function countingConsumer(topic: TestTopic, options: Partial<KafkaSourceOptions> = {}): CountingConsumer {
  const deliveries = new Map<number, number>();
  const firstHandledAt = new Map<number, number>();
  const acked = new Set<number>();
  const statuses: SourceStatus[] = [];
  const waiters: { count: number; resolve: () => void; reject: (error: unknown) => void }[] = [];
  let failure: unknown;
  const bodyOf = new Map<string, number>();
  const debug = process.env.RXQ_TEST_DEBUG
    ? (level: string) => (fields: Record<string, unknown>, message: string) =>
        console.log(new Date().toISOString(), level, message, JSON.stringify(fields))
    : undefined;
  const source = fromQueue<{ n: number }>(
    topic.connector({
      commitIntervalMs: 200,
      // kafkajs' own log (the platformatic driver has none to give)
      ...(debug && (options.driver ?? DRIVER) !== 'platformatic' ? { logLevel: logLevel.INFO } : {}),
      ...options,
    }),
    {
      maxInFlight: MAX_IN_FLIGHT,
      reconnect: { initialMs: 200, maxMs: 2_000 },
      ...(debug
        ? { logger: { debug: debug('debug'), info: debug('info'), warn: debug('warn'), error: debug('error') } }
        : {}),
    },
  );
  source.status$.subscribe((s) => statuses.push(s.status));
  const subscription = source
    .pipe(
      handle(
        async (m) => {
          const n = m.body.n;
          bodyOf.set(m.id, n);
          deliveries.set(n, (deliveries.get(n) ?? 0) + 1);
          if (!firstHandledAt.has(n)) firstHandledAt.set(n, Date.now());
          await new Promise((r) => setTimeout(r, 2));
        },
        { concurrency: 8 },
      ),
      ack(),
      tap((r) => {
        // Kept after a settlement: a record delivered twice at once (an old session's copy released
        // while the new session's is handled) is still counted when its second copy is acked.
        const n = bodyOf.get(r.id);
        if (r.settlement !== 'acked' || n === undefined) return;
        acked.add(n);
        for (const w of waiters) if (acked.size >= w.count) w.resolve();
      }),
    )
    .subscribe({
      error: (error: unknown) => {
        failure = error;
        for (const w of waiters) w.reject(error);
      },
    });
  return {
    deliveries,
    acked,
    statuses,
    firstHandledAt,
    error: () => failure,
    allAcked: (count) =>
      acked.size >= count
        ? Promise.resolve()
        : failure !== undefined
          ? Promise.reject(
              failure instanceof Error ? failure : new Error('the stream ended with an error', { cause: failure }),
            )
          : new Promise((resolve, reject) => waiters.push({ count, resolve, reject })),
    duplicates: () => [...deliveries.values()].reduce((sum, d) => sum + d - 1, 0),
    stop: () => subscription.unsubscribe(),
  };
}
