import { randomBytes } from 'node:crypto';
import { silentLogger } from '@rxq/core';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serve } from '../src/index.js';
import { queueFromSpec } from '../src/queueSpec.js';
import { RawClient, until } from './helpers.js';

const BROKERS = ['127.0.0.1:9092'];
const topic = `rxq-gw-test-${randomBytes(4).toString('hex')}`;
const group = `${topic}-group`;
const client = new Kafka({ brokers: BROKERS, clientId: 'rxq-gateway-test', logLevel: logLevel.NOTHING });
const admin = client.admin();

beforeAll(async () => {
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true });
});
afterAll(async () => {
  // Only what this file made: its topic, its dead-letter topic, its group.
  const existing = await admin.listTopics();
  await admin.deleteTopics({ topics: [topic, `${topic}.dead`].filter((t) => existing.includes(t)) });
  await admin.deleteGroups([group]).catch(() => undefined);
  await admin.disconnect();
});

describe('a Kafka topic served by the gateway', () => {
  it(
    'serves what a plain producer wrote; a dropped client gives its record back with attempt + 1',
    { timeout: 90_000 },
    async () => {
      const producer = client.producer();
      await producer.connect();
      await producer.send({ topic, acks: -1, messages: [{ value: '{"from":"kafkajs"}' }] });
      await producer.disconnect();
      const [, backend] = await queueFromSpec(`${topic}=kafka://${BROKERS.join(',')}?group=${group}`, silentLogger);
      const gw = await serve({ port: 0, queues: { [topic]: backend } });
      try {
        const c = await RawClient.open(gw.port);
        expect(await c.call(['push_many', ['one', { two: 2 }]])).toEqual(['success', null]);
        c.send(['pull_many', [3]]);
        expect(await c.next(60_000)).toEqual(['success', [{ from: 'kafkajs' }, 'one', { two: 2 }]]);
        expect(await c.call(['push', ['fragile']])).toEqual(['success', null]);
        expect(await c.call(['pull'])).toEqual(['success', 'fragile']);
        c.kill();
        await until(() => gw.stats().leases === 0);
        const d = await RawClient.open(gw.port);
        d.send(['lease', [30]]);
        expect(await d.next(40_000)).toMatchObject(['success', { value: 'fragile', attempt: 2 }]);
        expect(await d.call(['pull', [0.3]])).toEqual(['error:timeout', null]);
        d.kill();
      } finally {
        await gw.close();
      }
    },
  );
});
