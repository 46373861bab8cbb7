import type { Kafka, Message, Producer, ProducerConfig, ProducerRecord, RecordMetadata } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { confirmingProducer } from './confirmingProducer.js';
import { kafkajsDriver } from './kafkajsDriver.js';
import { publishMany } from './publish.js';

const partitionMetadata = [0, 1, 2].map((partitionId) => ({
  partitionId,
  leader: partitionId + 1,
  partitionErrorCode: 0,
  replicas: [1, 2, 3],
  isr: [1, 2, 3],
}));

/**
 * A producer that behaves as kafkajs 2.2.4 does when a partition's leader stops under a send that
 * spans several leaders: the send resolves, but the partitions listed in `dropped` (one set per
 * send, in order) are neither written nor in the result. The partitioner runs on every send, as
 * kafkajs runs it on every retry.
 */
function leakyClient(dropped: number[][]) {
  const written: { partition: number; value: string }[] = [];
  const sends: number[] = [];
  const producer = (config: ProducerConfig = {}): Producer => {
    const partitioner = config.createPartitioner?.();
    if (!partitioner) throw new Error('a partitioner is expected');
    return {
      connect: () => Promise.resolve(),
      disconnect: () => Promise.resolve(),
      send: (record: ProducerRecord): Promise<RecordMetadata[]> => {
        const drop = new Set(dropped.shift() ?? []);
        sends.push(record.messages.length);
        const partitions = new Set<number>();
        for (const message of record.messages) {
          const p = partitioner({ topic: record.topic, partitionMetadata, message });
          if (drop.has(p)) continue;
          partitions.add(p);
          written.push({ partition: p, value: String(message.value) });
        }
        return Promise.resolve(
          [...partitions].map((partition) => ({ topicName: record.topic, partition, errorCode: 0, baseOffset: '0' })),
        );
      },
    } as unknown as Producer;
  };
  const client = { producer, consumer: () => ({}), admin: () => ({}) } as unknown as Kafka;
  return { client, written, sends };
}

const values = (n: number) => Array.from({ length: n }, (_, i) => `v${i}`);

describe('confirmingProducer', () => {
  it("publishMany sends again the records of a partition kafkajs' result left out, to the same partition", async () => {
    const { client, written, sends } = leakyClient([[1]]);
    await publishMany(
      client,
      'orders',
      values(30).map((v, i) => ({ key: String(i), value: Buffer.from(v) })),
    );
    expect(new Set(written.map((w) => w.value))).toEqual(new Set(values(30)));
    expect(written).toHaveLength(30);
    const onOne = written.filter((w) => w.partition === 1).length;
    expect(onOne).toBeGreaterThan(0);
    expect(sends).toEqual([30, onOne]); // only partition 1's records, again
  });

  it('keeps the first partition of a record without key when it is sent again', async () => {
    const { client, written } = leakyClient([[0, 2]]);
    await publishMany(
      client,
      'orders',
      values(12).map((v) => Buffer.from(v)),
    );
    expect(written.map((w) => w.value).sort()).toEqual(values(12).sort());
    // kafkajs' round robin gives 4 of the 12 to partition 1, written at once; the 8 sent again kept 0 and 2
    expect(written.slice(0, 4).every((w) => w.partition === 1)).toBe(true);
    expect(written.slice(4).map((w) => w.partition)).not.toContain(1);
  });

  it("the kafkajs driver's copies are confirmed the same way", async () => {
    const { client, written } = leakyClient([[0, 1, 2]]);
    const driver = kafkajsDriver(client, {} as never);
    await driver.produce('orders', [{ key: Buffer.from('k'), value: Buffer.from('copy'), headers: {} }]);
    expect(written.map((w) => w.value)).toEqual(['copy']);
  });

  it('fails once the records were left out of five resends, naming how many and the topic', async () => {
    const { client } = leakyClient(Array.from({ length: 6 }, () => [0, 1, 2]));
    const confirming = confirmingProducer();
    const producer = client.producer({ createPartitioner: confirming.createPartitioner });
    await expect(
      confirming.send(producer, { topic: 'orders', acks: -1, messages: [{ key: 'a', value: 'secret body' }] }),
    ).rejects.toThrow(/^kafkajs reported 1 records to "orders" written without listing their partitions$/);
  });

  it('checks nothing with acks 0 (kafkajs returns no result)', async () => {
    const confirming = confirmingProducer();
    let sends = 0;
    const producer = {
      send: () => {
        sends++;
        return Promise.resolve([]);
      },
    } as unknown as Producer;
    const messages: Message[] = [{ value: 'x' }];
    await confirming.send(producer, { topic: 'orders', acks: 0, messages });
    expect(sends).toBe(1);
  });
});
