import type { InvalidOptionError } from '@rxq/core';
import { invalidOption } from '@rxq/core/testing';
import { Kafka } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { kafka } from './kafka.js';
import type { KafkaSourceOptions } from './options.js';

const bad = (topics: unknown, options: unknown): InvalidOptionError =>
  invalidOption(() => kafka(topics as string, options as KafkaSourceOptions));

describe('kafka() options', () => {
  it("driver: 'kafkajs', 'platformatic' or a factory; platformatic takes no kafkajs client, logLevel or aws sasl", () => {
    expect(bad('t', { groupId: 'g', driver: 'rdkafka' }).option).toBe('driver');
    expect(bad('t', { groupId: 'g', driver: 'platformatic', client: new Kafka({ brokers: ['x:1'] }) }).option).toBe(
      'client',
    );
    expect(bad('t', { groupId: 'g', driver: 'platformatic', logLevel: 1 }).option).toBe('logLevel');
    const aws = { mechanism: 'aws', authorizationIdentity: 'a', accessKeyId: 'b', secretAccessKey: 'c' };
    expect(bad('t', { groupId: 'g', driver: 'platformatic', sasl: aws }).option).toBe('sasl.mechanism');
    expect(() => kafka('t', { groupId: 'g', driver: 'platformatic' })).not.toThrow();
    expect(() => kafka('t', { groupId: 'g', driver: 'kafkajs' })).not.toThrow();
  });

  it('names the option that is wrong, at construction', () => {
    expect(bad('', { groupId: 'g' }).option).toBe('topics');
    expect(bad([], { groupId: 'g' }).option).toBe('topics');
    expect(bad('t', {}).option).toBe('groupId');
    expect(bad('t', { groupId: 'g', commitIntervalMs: -1 }).option).toBe('commitIntervalMs');
    expect(bad('t', { groupId: 'g', maxUncommitted: 0 }).option).toBe('maxUncommitted');
    expect(bad('t', { groupId: 'g', maxUncommitted: 2.5 }).option).toBe('maxUncommitted');
    expect(bad('t', { groupId: 'g', fromBeginning: 'yes' }).option).toBe('fromBeginning');
    expect(bad('t', { groupId: 'g', maxBytesPerPartition: 100 }).option).toBe('maxBytesPerPartition');
    expect(bad('t', { groupId: 'g', maxFetchBytes: 2 ** 31 }).option).toBe('maxFetchBytes');
    expect(bad('t', { groupId: 'g', codec: { encode: JSON.stringify } }).option).toBe('codec');
    expect(bad('t', { groupId: 'g', heartbeatIntervalMs: 6_000, sessionTimeoutMs: 6_000 }).option).toBe(
      'heartbeatIntervalMs',
    );
    expect(bad('t', { groupId: 'g', deadLetterTopic: '' }).option).toBe('deadLetterTopic');
    expect(bad('t', { groupId: 'g', brokers: [] }).option).toBe('brokers');
    expect(bad('t', { groupId: 'g', seek: [{ topic: 't', partition: 0, offset: -1 }] }).option).toBe('seek');
    expect(bad('t', { groupId: 'g', seek: [{ topic: 't', timestamp: Number.NaN }] }).option).toBe('seek');
  });

  it('rejects unknown options by name and path, with the closest known one', () => {
    const typo = (options: unknown, option: string, near: string): void => {
      const e = bad('t', options);
      expect(e.option).toBe(option);
      expect(e.message).toContain(`did you mean \`${near}\``);
    };
    typo({ groupId: 'g', fromBegining: true }, 'fromBegining', 'fromBeginning');
    typo({ groupId: 'g', commitIntervalMS: 5 }, 'commitIntervalMS', 'commitIntervalMs');
    typo({ groupId: 'g', tombstone: 'skip' }, 'tombstone', 'tombstones');
    typo({ groupId: 'g', seek: [{ topic: 't', partition: 0, ofset: 1 }] }, 'seek[0].ofset', 'seek[0].offset');
    typo({ groupId: 'g', sasl: { mechanism: 'plain', username: 'u', pasword: 'p' } }, 'sasl.pasword', 'sasl.password');
    expect(bad('t', { groupId: 'g', sasl: { mechanism: 'kerberos' } }).option).toBe('sasl.mechanism');
    expect(bad('t', { groupId: 'g', tombstones: 'drop' }).option).toBe('tombstones');
  });

  it('checks a passed client by shape, and refuses connection options it cannot honour', () => {
    expect(bad('t', { groupId: 'g', client: {} }).option).toBe('client');
    const client = new Kafka({ brokers: ['127.0.0.1:9092'] });
    // A client of another copy of kafkajs has the same shape: accepted.
    const shaped = {
      consumer: client.consumer.bind(client),
      producer: client.producer.bind(client),
      admin: () => client.admin(),
    };
    expect(() => kafka('t', { groupId: 'g', client: shaped as unknown as Kafka })).not.toThrow();
    const e = bad('t', { groupId: 'g', client, sasl: { mechanism: 'plain', username: 'u', password: 'hunter2' } });
    expect(e.option).toBe('sasl');
    expect(e.message).not.toContain('hunter2');
  });

  it('accepts a kafka:// URL as brokers, and names a bad one', () => {
    expect(() => kafka('t', { groupId: 'g', brokers: 'kafka://127.0.0.1:9092,127.0.0.2:9093' })).not.toThrow();
    expect(bad('t', { groupId: 'g', brokers: 'http://x:1' }).option).toBe('brokers');
    expect(bad('t', { groupId: 'g', brokers: ['nohost'] }).option).toBe('brokers');
  });

  it('never puts a SASL password into an error', () => {
    const e = bad('t', { groupId: 'g', sasl: { mechanism: 'scram-sha-512', username: 'u', password: 's3cr3t', x: 1 } });
    expect(e.option).toBe('sasl.x');
    expect(JSON.stringify({ message: e.message, stack: e.stack })).not.toContain('s3cr3t');
  });

  it('builds a connector named after its topics, without connecting', () => {
    const connector = kafka(['a', 'b'], { groupId: 'g', seek: [{ topic: 'a', partition: 0, offset: 5 }] });
    expect(connector.name).toBe('a,b');
    expect(connector.defaultCodec?.name).toBe('json');
  });
});
