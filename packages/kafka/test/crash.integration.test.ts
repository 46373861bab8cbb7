import { ack, fromQueue, handle, UnsupportedError } from '@rxq/core';
import { collectUntil } from '@rxq/core/testing';
import kafkajs, { Kafka, KafkaJSNonRetriableError, logLevel } from 'kafkajs';
import { filter, firstValueFrom, tap } from 'rxjs';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { installCompressionCodecs, kafkajsDriver, type KafkaDriverFactory } from '../src/index.js';
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

it('a batch the client cannot decompress errors the stream with UnsupportedError, without reconnecting', async () => {
  await topic.publish([{ n: 1 }, { n: 2 }]);
  installCompressionCodecs();
  // The error the lz4 codec gives kafkajs for a batch it cannot read, raised where kafkajs decodes.
  const codecs = kafkajs.CompressionCodecs as unknown as Record<
    number,
    () => { decompress(b: Buffer): Promise<Buffer> }
  >;
  const unreadable = await codecs[kafkajs.CompressionTypes.LZ4]?.()
    .decompress(Buffer.from('not an lz4 frame'))
    .catch((e: unknown) => e);
  const client = new Kafka({ brokers: BROKERS, logLevel: logLevel.NOTHING });
  let sessions = 0;
  const driver: KafkaDriverFactory = (options) => {
    const real = kafkajsDriver(client, options);
    sessions++;
    return {
      ...real,
      start: (handlers) =>
        real.start({
          ...handlers,
          batch: () => Promise.reject(unreadable instanceof Error ? unreadable : new Error('no codec error')),
        }),
    };
  };
  const source = fromQueue(topic.connector({ driver }), { maxInFlight: 8, reconnect: { initialMs: 50 } });
  const statuses: string[] = [];
  source.status$.subscribe((s) => statuses.push(s.status));
  const error = await new Promise<unknown>((resolve) =>
    source.subscribe({ error: resolve, complete: () => resolve(undefined) }),
  );
  expect(error).toBeInstanceOf(UnsupportedError);
  expect((error as Error).message).toContain('lz4');
  expect(sessions).toBe(1);
  expect(statuses).not.toContain('reconnecting');
  await topic.sessionsClosed();
});
