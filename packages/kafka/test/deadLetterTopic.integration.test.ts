import { fromQueue } from '@rxq/core';
import { Kafka, logLevel } from 'kafkajs';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { kafkajsDriver, type KafkaDriverFactory } from '../src/index.js';
import { BROKERS, TestTopic } from './helpers.js';
import { recordingLogger } from './tools.js';
import { until } from '@rxq/core/testing';

process.env.KAFKAJS_NO_PARTITIONER_WARNING = '1';

let topic: TestTopic;
beforeEach(async () => {
  topic = await TestTopic.create('dead-topic', 1);
});
afterEach(async () => {
  await topic.close();
});

it('the dead-letter topic exists before the first dead letter is produced to it', async () => {
  await topic.publish([{ n: 1 }, { n: 2 }]);
  const client = new Kafka({ brokers: BROKERS, logLevel: logLevel.NOTHING });
  // The real driver, watched: at the moment of each produce, is its topic there already?
  const producedTo: { topic: string; existed: boolean }[] = [];
  const driver: KafkaDriverFactory = (options) => {
    const real = kafkajsDriver(client, options);
    return {
      ...real,
      async produce(to, records) {
        producedTo.push({ topic: to, existed: (await topic.admin.listTopics()).includes(to) });
        return real.produce(to, records);
      },
    };
  };
  expect(await topic.admin.listTopics()).not.toContain(topic.dead);
  const logger = recordingLogger();
  const source = fromQueue(topic.connector({ driver }), { maxInFlight: 4, logger });
  const sub = source.subscribe((m) => void m.deadLetter('test'));
  await until(() => source.metrics.snapshot().deadLettered >= 2, { what: 'two dead letters', timeoutMs: 30_000 });
  sub.unsubscribe();
  await topic.sessionsClosed();
  expect(producedTo).toEqual([
    { topic: topic.dead, existed: true },
    { topic: topic.dead, existed: true },
  ]);
  expect((await topic.readAll(topic.dead)).length).toBe(2);
  expect(logger.records.filter((r) => r.level === 'error')).toEqual([]);
});
