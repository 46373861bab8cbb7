import type { Attributes } from '@opentelemetry/api';
import type { Message } from '@rxq/core';

/**
 * The broker a message came from, as `messaging.system`, told by the shape of its `transport`:
 * `kafka`, `rabbitmq`, `redis`, `nats`, `aws_sqs` or `postgresql`; `undefined` for any other (the
 * memory queue's transport is `undefined`).
 */
export function systemOf(message: { readonly transport?: unknown }): string | undefined {
  const t = message.transport as Record<string, unknown> | null | undefined;
  if (t === null || typeof t !== 'object') return undefined;
  if (typeof t.topic === 'string' && typeof t.partition === 'number') return 'kafka';
  if (typeof t.deliveryTag === 'number' && typeof t.routingKey === 'string') return 'rabbitmq';
  if (t.kind === 'list' || t.kind === 'stream') return 'redis';
  if (typeof t.subject === 'string' && typeof t.streamSequence === 'number') return 'nats';
  if (typeof t.queueUrl === 'string' && typeof t.receiptHandle === 'string') return 'aws_sqs';
  if ((t.kind === 'job' || t.kind === 'log') && t.createdAt instanceof Date) return 'postgresql';
  return undefined;
}

/** What a span may read of a message or a delivery: never its body. */
export type MessageFacts = Pick<Message<unknown>, 'id' | 'attempt' | 'source' | 'key' | 'partition' | 'offset'>;

/** What a `process` span records of one message: never its body or header values. */
export function messageAttributes(
  message: MessageFacts,
  system: string,
  consumerGroup: string | undefined,
): Attributes {
  const attributes: Attributes = {
    'messaging.system': system,
    'messaging.destination.name': message.source,
    'messaging.operation.type': 'process',
    'messaging.operation.name': 'process',
    'messaging.message.id': message.id,
    'rxq.attempt': message.attempt,
  };
  if (consumerGroup !== undefined) attributes['messaging.consumer.group.name'] = consumerGroup;
  if (message.partition !== undefined) attributes['messaging.destination.partition.id'] = String(message.partition);
  if (system === 'kafka') {
    if (message.offset !== undefined) attributes['messaging.kafka.offset'] = Number(message.offset);
    if (message.key !== undefined) attributes['messaging.kafka.message.key'] = message.key;
  }
  return attributes;
}
