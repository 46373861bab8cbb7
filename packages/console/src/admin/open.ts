import { InvalidOptionError, rejectUnknownOptions, RxqError } from '@rxq/core';
import { redactError, target } from './common.js';
import type { AdminOptions, QueueAdmin } from './types.js';

const KNOWN = ['deadLetter', 'group', 'env'] as const;

/** The URL schemes `openAdmin` knows, and the packages each adapter needs. */
export const SCHEMES: Readonly<Record<string, readonly string[]>> = {
  redis: ['@rxq/redis', 'ioredis'],
  rediss: ['@rxq/redis', 'ioredis'],
  amqp: ['@rxq/amqp', 'amqplib'],
  amqps: ['@rxq/amqp', 'amqplib'],
  kafka: ['@rxq/kafka', 'kafkajs'],
  postgres: ['@rxq/postgres', 'pg'],
  postgresql: ['@rxq/postgres', 'pg'],
  sqs: ['@rxq/sqs', '@aws-sdk/client-sqs'],
  nats: ['@rxq/nats', '@nats-io/transport-node', '@nats-io/jetstream'],
};

/**
 * Opens the admin of one queue from a broker URL: `redis://`, `amqp://`, `kafka://host:port`,
 * `postgres://`, `sqs://host:port` (ElasticMQ, or an AWS endpoint) or `nats://`. Credentials come
 * from the URL, else from `RXQ_USERNAME`/`RXQ_PASSWORD`; they never appear in errors or in
 * `target`. Each adapter is loaded on first use, with the connector package it needs.
 *
 * @example
 * const admin = await openAdmin('redis://127.0.0.1:6379', 'orders');
 * try {
 *   console.log(await admin.stats());
 *   await admin.deadLetters.redrive({ reason: 'max-attempts' }, { rate: 500 });
 * } finally {
 *   await admin.close();
 * }
 */
export async function openAdmin(url: string, queue: string, options: AdminOptions = {}): Promise<QueueAdmin> {
  rejectUnknownOptions(options, KNOWN);
  if (typeof queue !== 'string' || queue.length === 0)
    throw new InvalidOptionError('queue', 'a non-empty string', queue);
  if (typeof url !== 'string') throw new InvalidOptionError('url', 'a broker URL', url);
  const env = options.env ?? process.env;
  const { url: parsed, shown, secrets } = target(url, env);
  const scheme = parsed.protocol.replace(/:$/, '');
  const needs = SCHEMES[scheme];
  if (!needs)
    throw new RxqError(
      'INVALID_OPTION',
      `Unknown URL scheme "${scheme}:": expected one of ${Object.keys(SCHEMES)
        .map((s) => `${s}://`)
        .join(', ')}`,
    );
  const load = async <M>(importer: () => Promise<M>): Promise<M> => {
    try {
      return await importer();
    } catch (error) {
      if (isMissingModule(error))
        throw new RxqError(
          'NOT_FOUND',
          `${scheme}:// needs ${needs.join(' and ')}: install them beside @rxq/console (npm install ${needs.join(' ')})`,
        );
      throw error;
    }
  };
  try {
    switch (scheme) {
      case 'redis':
      case 'rediss': {
        const { RedisAdmin } = await load(() => import('./redis.js'));
        return await RedisAdmin.open(parsed, shown, secrets, queue, options.deadLetter, options.group);
      }
      case 'amqp':
      case 'amqps': {
        const { AmqpAdmin } = await load(() => import('./amqp.js'));
        return await AmqpAdmin.open(parsed, shown, secrets, queue, options.deadLetter);
      }
      case 'postgres':
      case 'postgresql': {
        const { PostgresAdmin } = await load(() => import('./postgres.js'));
        return await PostgresAdmin.open(parsed, shown, secrets, queue);
      }
      case 'sqs': {
        const { SqsAdmin } = await load(() => import('./sqs.js'));
        return await SqsAdmin.open(parsed, shown, secrets, queue, options.deadLetter, env);
      }
      case 'kafka': {
        const { KafkaAdmin } = await load(() => import('./kafka.js'));
        return await KafkaAdmin.open(parsed, shown, secrets, queue, options.deadLetter, options.group);
      }
      case 'nats': {
        const { NatsAdmin } = await load(() => import('./nats.js'));
        return await NatsAdmin.open(parsed, shown, secrets, queue, options.deadLetter, options.group);
      }
      default:
        throw new RxqError('UNSUPPORTED', `${scheme}:// has no admin adapter yet`);
    }
  } catch (error) {
    throw redactError(error, secrets);
  }
}

function isMissingModule(error: unknown): boolean {
  return (
    typeof error === 'object' &&
    error !== null &&
    'code' in error &&
    (error.code === 'ERR_MODULE_NOT_FOUND' || error.code === 'MODULE_NOT_FOUND')
  );
}
