import { fromQueue, text, type Message } from '@rxq/core';
import { collectUntil } from '@rxq/core/testing';
import { Kafka, logLevel } from 'kafkajs';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { kafkaTransport, publish, publishMany } from '../src/index.js';
import { BROKERS, TestTopic } from './helpers.js';
import { javaDump } from './tools.js';

process.env.KAFKAJS_NO_PARTITIONER_WARNING = '1';

let topic: TestTopic;
beforeEach(async () => {
  topic = await TestTopic.create('publish', 2);
});
afterEach(async () => {
  await topic.close();
});

it('publish with a kafka:// URL, and with the application’s client (left open); bodies JSON-encoded, records with key, headers and partition', async () => {
  await publish('kafka://127.0.0.1:9092', topic.name, { id: 1 });
  const client = new Kafka({ brokers: BROKERS, logLevel: logLevel.NOTHING });
  await publish(client, topic.name, {
    key: 'customer-7',
    value: { id: 2 },
    headers: { tenant: 'a', bin: Buffer.from([0xff, 0x00]), rep: ['x', 'y'] },
    partition: 1,
  });
  await publish({ brokers: BROKERS }, topic.name, { key: 'k', value: null }); // a tombstone
  // The client is still usable: rxq closed only the producer it made.
  const admin = client.admin();
  await admin.connect();
  expect(await admin.listTopics()).toContain(topic.name);
  await admin.disconnect();

  const source = fromQueue(topic.connector(), { maxInFlight: 8 });
  const got: Message<unknown>[] = [];
  await collectUntil(source, (ms) => {
    got.push(...ms.slice(got.length));
    for (const m of ms.slice(-1)) void m.ack();
    return ms.length >= 3;
  });
  const byKey = new Map(got.map((m) => [m.key ?? '', m]));
  expect(byKey.get('')?.body).toEqual({ id: 1 });
  const two = byKey.get('customer-7');
  expect(two?.body).toEqual({ id: 2 });
  expect(two?.partition).toBe(1);
  expect(two?.headers).toEqual({ tenant: 'a', rep: 'y' });
  expect(kafkaTransport(two as object)?.headers.map(([k, v]) => [k, v?.toString('hex')])).toEqual([
    ['tenant', Buffer.from('a').toString('hex')],
    ['bin', 'ff00'],
    ['rep', Buffer.from('x').toString('hex')],
    ['rep', Buffer.from('y').toString('hex')],
  ]);
  expect(byKey.get('k')?.body).toBeNull();
  await topic.sessionsClosed();
});

it('publishMany with snappy and lz4 compression: Kafka’s Java consumer reads every record back', async () => {
  const n = 300;
  await publishMany(
    'kafka://127.0.0.1:9092',
    topic.name,
    Array.from({ length: n }, (_, i) => ({ value: `line ${i}`, partition: 0 })),
    { codec: text, compression: 'snappy', maxBatch: 100 },
  );
  await publishMany(
    'kafka://127.0.0.1:9092',
    topic.name,
    Array.from({ length: n }, (_, i) => ({ value: `line ${n + i}`, partition: 0 })),
    { codec: text, compression: 'lz4' },
  );
  const records = await javaDump(topic.name, 2 * n);
  const values = records.map((r) => Buffer.from(r.value ?? '', 'hex').toString());
  expect(values).toEqual(Array.from({ length: 2 * n }, (_, i) => `line ${i}`));
});

it('publish errors are classified and name the option; zstd cannot be written', async () => {
  await expect(publish('http://x', topic.name, 1)).rejects.toMatchObject({ code: 'INVALID_OPTION', option: 'brokers' });
  await expect(publish('kafka://127.0.0.1:9092', topic.name, 1, { compresion: 'gzip' } as never)).rejects.toMatchObject(
    { option: 'compresion' },
  );
  await expect(
    publish('kafka://127.0.0.1:9092', topic.name, 1, { compression: 'zstd' } as never),
  ).rejects.toMatchObject({ option: 'compression' });
  // SASL against a listener without SASL: the broker refuses the handshake, the password stays out.
  const error: unknown = await publish(
    { brokers: BROKERS, sasl: { mechanism: 'plain', username: 'u', password: 'hunter2' } },
    topic.name,
    1,
  ).catch((e: unknown) => e);
  expect(error).toMatchObject({ code: 'AUTHENTICATION_FAILED', retryable: false });
  expect(String((error as Error).message)).not.toContain('hunter2');
});
