import { ack, fromQueue, handle } from '@rxq/core';
import { collectUntil } from '@rxq/core/testing';
import { Kafka, KafkaJSNonRetriableError, logLevel } from 'kafkajs';
import { filter, firstValueFrom, tap } from 'rxjs';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { kafkajsDriver, type KafkaDriverFactory } from '../src/index.js';
import { BROKERS, TestTopic } from './helpers.js';

process.env.KAFKAJS_NO_PARTITIONER_WARNING = '1';

let topic: TestTopic;
beforeEach(async () => {
  topic = await TestTopic.create('crash', 2);
});
afterEach(async () => {
  await topic.close();
});

it('a consumer crash (restart: false) is reported as lost; fromQueue reopens and nothing is lost', async () => {
  const total = 600;
  await topic.publish(
    Array.from({ length: total }, (_, n) => ({ n })),
    true,
  );
  // The real kafkajs driver; in the first session, a non-retriable error thrown from eachBatch
  // makes kafkajs crash for real (CRASH event, restart: false, as when its retries run out).
  const client = new Kafka({ brokers: BROKERS, logLevel: logLevel.NOTHING });
  let sessions = 0;
  const driver: KafkaDriverFactory = (options) => {
    const real = kafkajsDriver(client, options);
    const n = ++sessions;
    return {
      ...real,
      start: (handlers) =>
        real.start({
          ...handlers,
          batch: async (tp, records, control) => {
            // Mid-stream: the first batch is handed out, the second one crashes the consumer.
            if (n === 1 && ++batches === 2) throw new KafkaJSNonRetriableError('injected: the consumer cannot go on');
            await handlers.batch(tp, records, control);
          },
        }),
    };
  };
  let batches = 0;
  const source = fromQueue<{ n: number }>(topic.connector({ driver }), {
    maxInFlight: 32,
    reconnect: { initialMs: 50 },
  });
  const reconnecting = firstValueFrom(source.status$.pipe(filter((s) => s.status === 'reconnecting')));
  const seen = new Set<string>();
  await collectUntil(
    source.pipe(
      handle((m) => m.body.n, { concurrency: 8 }),
      ack(),
      tap((r) => {
        if (r.settlement === 'acked') seen.add(r.id);
      }),
    ),
    () => seen.size === total,
    60_000,
  );
  const event = await reconnecting;
  expect(String((event.error as Error).message)).toContain('Kafka consumer stopped');
  expect(sessions).toBeGreaterThanOrEqual(2);
  expect(batches).toBeGreaterThanOrEqual(2);
  expect(seen.size).toBe(total);
  await source.stop();
  await topic.sessionsClosed();
});
