import { InvalidOptionError, type Logger } from '@rxq/core';
import { MemoryQueue } from '@rxq/memory';
import type { QueueBackend } from './backend.js';
import { connectorBackend } from './connectorBackend.js';

/**
 * A served queue from a command-line spec: `memory:NAME` (an in-process queue),
 * `NAME=redis://[:password@]host:port[/db]` (the Redis list NAME, as a reliable list),
 * `NAME=amqp://[user:password@]host:port[/vhost]` (the AMQP queue NAME, a classic durable queue as
 * `@rxq/amqp` declares it), or `NAME=kafka://host:port[,host:port…][?group=G]` (the Kafka topic
 * NAME, consumed by group G, default `rxq-gateway-NAME`; a new group starts at the topic's
 * beginning). All at-least-once. A broker's packages (`@rxq/redis` + `ioredis`, `@rxq/amqp` +
 * `amqplib`, `@rxq/kafka` + `kafkajs`) must be installed beside the gateway; they are loaded only
 * when used.
 */
export async function queueFromSpec(
  spec: string,
  logger: Logger,
): Promise<[string, MemoryQueue<unknown> | QueueBackend]> {
  const memory = /^memory:(.+)$/.exec(spec);
  if (memory) return [memory[1] as string, new MemoryQueue<unknown>()];
  const broker = /^([^=]+)=([a-z]+):\/\/.*$/.exec(spec);
  if (broker === null)
    throw new InvalidOptionError(
      'queue',
      'memory:NAME or NAME=redis|amqp|kafka://host:port',
      spec.replace(/\/\/.*@/, '//…@'),
    );
  const [, name, scheme] = broker as unknown as [string, string, string];
  const url = spec.slice(name.length + 1);
  if (scheme === 'redis' || scheme === 'rediss') return [name, await redisBackend(name, url, logger)];
  if (scheme === 'amqp' || scheme === 'amqps') return [name, await amqpBackend(name, url, logger)];
  if (scheme === 'kafka') return [name, await kafkaBackend(name, url, logger)];
  throw new InvalidOptionError(
    'queue',
    `memory:NAME or NAME=redis|amqp|kafka://… (${scheme} is served from code with connectorBackend, not from the command line)`,
    `${name}=${scheme}://…`,
  );
}

async function redisBackend(name: string, url: string, logger: Logger): Promise<QueueBackend> {
  const { redis } = await import('@rxq/redis');
  const { Redis } = await import('ioredis');
  const publisher = new Redis(url, { connectionName: `rxq-gateway:${name}`, lazyConnect: true });
  await publisher.connect();
  return connectorBackend(name, {
    connector: redis(name, { connection: url, blockMs: 100 }),
    publish: async (values) => {
      if (values.length > 0) await publisher.rpush(name, ...values.map((v) => JSON.stringify(v)));
    },
    close: async () => void (await publisher.quit()),
    logger,
  });
}

async function amqpBackend(name: string, url: string, logger: Logger): Promise<QueueBackend> {
  const { amqp, publishAll } = await import('@rxq/amqp');
  const { connect } = await import('amqplib');
  const publisher = await connect(url, { clientProperties: { connection_name: `rxq-gateway:${name}` } });
  publisher.on('error', (error: Error) =>
    logger.warn({ err: error.message, queue: name }, 'AMQP publisher connection error'),
  );
  return connectorBackend(name, {
    connector: amqp(name, { connection: url, pollMs: 100 }),
    publish: (values) => publishAll(publisher, name, values),
    close: () => publisher.close(),
    logger,
  });
}

async function kafkaBackend(name: string, url: string, logger: Logger): Promise<QueueBackend> {
  const { kafka } = await import('@rxq/kafka');
  const { Kafka, logLevel } = await import('kafkajs');
  const [hosts = '', query = ''] = url.slice('kafka://'.length).split('?');
  const brokers = hosts.split(',').filter((h) => h.length > 0);
  if (brokers.length === 0) throw new InvalidOptionError('queue', 'NAME=kafka://host:port[,host:port][?group=G]', name);
  const groupId = new URLSearchParams(query).get('group') ?? `rxq-gateway-${name}`;
  const producer = new Kafka({ brokers, clientId: `rxq-gateway-${name}`, logLevel: logLevel.NOTHING }).producer();
  await producer.connect();
  return connectorBackend(name, {
    connector: kafka(name, { brokers, groupId, fromBeginning: true, pollMs: 100, fetchMaxWaitMs: 100 }),
    publish: async (values) => {
      if (values.length > 0)
        await producer.send({ topic: name, acks: -1, messages: values.map((v) => ({ value: JSON.stringify(v) })) });
    },
    // A Kafka session's release takes effect only when the session ends: give back by a resent copy.
    releaseAs: 'requeue',
    close: () => producer.disconnect(),
    logger,
  });
}
