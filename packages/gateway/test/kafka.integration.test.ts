import { randomBytes } from 'node:crypto';
import { HEADERS, json, silentLogger } from '@rxq/core';
import { contractSuite, type DeadLetterView } from '@rxq/core/testing/contract';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gateway, LineClient, serve } from '../src/index.js';
import { queueFromSpec } from '../src/queueSpec.js';
import { RawClient } from './helpers.js';
import { until } from '@rxq/core/testing';

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

// The contract suite through a gateway serving a Kafka topic (a topic, group and gateway per test).
contractSuite({
  name: 'gateway over a Kafka topic',
  timeoutMs: 60_000,
  create: async () => {
    const name = `rxq-gw-contract-${randomBytes(4).toString('hex')}`;
    const groupId = `${name}-group`;
    await admin.createTopics({ topics: [{ topic: name, numPartitions: 1 }], waitForLeaders: true });
    const [, backend] = await queueFromSpec(`${name}=kafka://${BROKERS.join(',')}?group=${groupId}`, silentLogger);
    const gw = await serve({ port: 0, queues: { [name]: backend } });
    const producer = await LineClient.open('127.0.0.1', gw.port, () => undefined, 5_000);
    return {
      connector: () => gateway(`tcp://127.0.0.1:${gw.port}`, { queue: name, codec: json, pollMs: 50 }),
      publish: async (bodies) => {
        await producer.call(
          'push_many',
          bodies.map((b) => JSON.stringify(b)),
          { queue: name },
        );
      },
      publishRaw: async (payloads) => {
        for (const p of payloads) {
          const value = typeof p === 'string' ? p : Buffer.from(p).toString('latin1');
          await producer.call('push', [value], { queue: name });
        }
      },
      deadLetters: () => readAll(`${name}.dead`),
      close: async () => {
        await producer.close();
        await gw.close();
        const existing = await admin.listTopics();
        await admin.deleteGroups([groupId]).catch(() => undefined);
        await admin.deleteTopics({ topics: [name, `${name}.dead`].filter((t) => existing.includes(t)) });
      },
    };
  },
});

/** Every record of `topic`, read by a throwaway group up to the current end. */
async function readAll(topic: string): Promise<DeadLetterView[]> {
  const ends = await admin.fetchTopicOffsets(topic).catch(() => []);
  const total = ends.reduce((n, p) => n + Number(p.high) - Number(p.low), 0);
  if (total === 0) return [];
  const groupId = `${topic}-reader-${randomBytes(4).toString('hex')}`;
  const consumer = client.consumer({ groupId, maxWaitTimeInMs: 100 });
  const out: DeadLetterView[] = [];
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`readAll(${topic}): ${out.length}/${total}`)), 20_000);
    void consumer.run({
      eachMessage: async ({ message }) => {
        const h = message.headers ?? {};
        const text = (k: string): string | undefined => (h[k] === undefined ? undefined : String(h[k]));
        out.push({
          raw: message.value,
          reason: text(HEADERS.deadReason) ?? '',
          errorMessage: text(HEADERS.errorMessage),
        });
        if (out.length >= total) {
          clearTimeout(timer);
          resolve();
        }
      },
    });
  });
  await consumer.disconnect();
  await admin.deleteGroups([groupId]).catch(() => undefined);
  return out;
}
