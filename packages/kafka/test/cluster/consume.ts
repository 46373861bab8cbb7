import { ack, fromQueue, handle, type SourceStatus } from '@rxq/core';
import { logLevel } from 'kafkajs';
import { tap } from 'rxjs';
import type { KafkaSourceOptions } from '../../src/index.js';
import type { TestTopic } from '../helpers.js';

/** A consumer of `{ n }` bodies that counts every delivery of each `n`, for the failover tests. */
export interface CountingConsumer {
  /** Deliveries per `n` (more than 1: delivered again). */
  readonly deliveries: Map<number, number>;
  /** Distinct `n` acked so far. */
  readonly acked: Set<number>;
  readonly statuses: SourceStatus[];
  /** When each `n` was first handled (ms since the epoch). */
  readonly firstHandledAt: Map<number, number>;
  /** Resolves once every `n` below `count` has been acked. */
  allAcked(count: number): Promise<void>;
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
  const waiters: { count: number; resolve: () => void }[] = [];
  const bodyOf = new Map<string, number>();
  const debug = process.env.RXQ_TEST_DEBUG
    ? (level: string) => (fields: Record<string, unknown>, message: string) =>
        console.log(new Date().toISOString(), level, message, JSON.stringify(fields))
    : undefined;
  const source = fromQueue<{ n: number }>(
    topic.connector({ commitIntervalMs: 200, ...(debug ? { logLevel: logLevel.INFO } : {}), ...options }),
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
        const n = bodyOf.get(r.id);
        bodyOf.delete(r.id);
        if (r.settlement !== 'acked' || n === undefined) return;
        acked.add(n);
        for (const w of waiters) if (acked.size >= w.count) w.resolve();
      }),
    )
    .subscribe();
  return {
    deliveries,
    acked,
    statuses,
    firstHandledAt,
    allAcked: (count) =>
      acked.size >= count ? Promise.resolve() : new Promise((resolve) => waiters.push({ count, resolve })),
    duplicates: () => [...deliveries.values()].reduce((sum, d) => sum + d - 1, 0),
    stop: () => subscription.unsubscribe(),
  };
}
