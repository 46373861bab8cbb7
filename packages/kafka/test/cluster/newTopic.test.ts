import { fromQueue, NotFoundError, type SourceStatus } from '@rxq/core';
import { afterEach, expect, it } from 'vitest';
import { TestTopic, unique } from '../helpers.js';
import { CLUSTER_BROKERS, REPLICATED } from './cluster.js';
import { countingConsumer, type CountingConsumer } from './consume.js';
import { kafka, type KafkaSourceOptions } from '../../src/index.js';

process.env.KAFKAJS_NO_PARTITIONER_WARNING = '1';

const bodies = (count: number) => Array.from({ length: count }, (_, n) => ({ n }));
// Either driver, whatever RXQ_KAFKA_DRIVER chose (the platformatic driver takes no logLevel: the
// harness's default one is unset, which the option types do not spell).
const KAFKAJS = { driver: 'kafkajs' } as Partial<KafkaSourceOptions>;
const PLATFORMATIC = { driver: 'platformatic', logLevel: undefined } as unknown as Partial<KafkaSourceOptions>;

const topics: TestTopic[] = [];
const consumers: CountingConsumer[] = [];
afterEach(async () => {
  for (const c of consumers.splice(0)) c.stop();
  for (const t of topics.splice(0)) await t.close();
});

for (const [name, driver] of [
  ['kafkajs', KAFKAJS],
  ['platformatic', PLATFORMATIC],
] as const)
  it(`${name}: consumers that start right after their topic was created (before every broker knows it) consume it`, async () => {
    // Three topics, each consumer bootstrapping from another broker: a broker that has not heard
    // of the topic yet answers UNKNOWN_TOPIC_OR_PARTITION, which must not end the stream.
    const started: { topic: TestTopic; consumer: CountingConsumer }[] = [];
    for (const first of [0, 1, 2]) {
      const brokers = [...CLUSTER_BROKERS.slice(first), ...CLUSTER_BROKERS.slice(0, first)];
      const topic = await TestTopic.create('new-topic', 2, { ...REPLICATED, brokers, unannounced: true });
      topics.push(topic);
      const consumer = countingConsumer(topic, driver);
      consumers.push(consumer);
      started.push({ topic, consumer });
    }
    for (const { topic } of started) await topic.publish(bodies(100), true);
    for (const { consumer } of started) await consumer.allAcked(100);
    console.log(
      `${name}, new topics: statuses ${started.map(({ consumer }) => consumer.statuses.join(' > ')).join(' | ')}`,
    );
    for (const { consumer } of started) expect(consumer.error()).toBeUndefined();
  });

it('platformatic: a topic that does not exist (it does not create topics) still ends the stream with NotFoundError, after unknownTopicRetryMs', async () => {
  const name = unique('missing');
  const statuses: SourceStatus[] = [];
  const startedAt = Date.now();
  const source = fromQueue(
    kafka(name, {
      brokers: CLUSTER_BROKERS,
      groupId: `${name}-group`,
      driver: 'platformatic',
      unknownTopicRetryMs: 2_000,
    }),
    { reconnect: { initialMs: 100, maxMs: 500 } },
  );
  source.status$.subscribe((s) => statuses.push(s.status));
  const error = await new Promise<unknown>((resolve) => source.subscribe({ error: resolve }));
  const elapsed = Date.now() - startedAt;
  expect(error).toBeInstanceOf(NotFoundError);
  expect((error as Error).message).toContain(name);
  expect(elapsed).toBeGreaterThanOrEqual(2_000);
  expect(statuses).toContain('reconnecting');
  console.log(`missing topic: ${(error as Error).message} after ${elapsed} ms; statuses ${statuses.join(' > ')}`);
});
