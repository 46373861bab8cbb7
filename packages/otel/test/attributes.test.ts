import { fakeMessage } from '@rxq/core/testing';
import { describe, expect, it } from 'vitest';
import { systemOf } from '../src/index.js';
import { messageAttributes } from '../src/attributes.js';

// Transports shaped as each connector's (their interfaces: KafkaTransport, AmqpTransport, …).
const kafka = { topic: 't', partition: 3, offset: '42', key: null, value: null, headers: [], timestamp: 0 };
const rabbit = { deliveryTag: 1, routingKey: 'q', exchange: '', headers: {} };

describe('span attributes', () => {
  it('messaging.system from the transport of each connector', () => {
    const system = (transport: unknown) => systemOf(fakeMessage('1', { transport }));
    expect(system(kafka)).toBe('kafka');
    expect(system(rabbit)).toBe('rabbitmq');
    expect(system({ kind: 'list', element: Buffer.from('x'), envelopeHeaders: undefined })).toBe('redis');
    expect(system({ kind: 'stream', id: '1-0', fields: [] })).toBe('redis');
    expect(system({ subject: 's', stream: 'S', streamSequence: 1, consumer: 'c' })).toBe('nats');
    expect(system({ queueUrl: 'http://q', receiptHandle: 'r', messageId: 'm' })).toBe('aws_sqs');
    expect(system({ kind: 'job', headers: {}, createdAt: new Date() })).toBe('postgresql');
    expect(system(undefined)).toBeUndefined();
    expect(system({ something: 'else' })).toBeUndefined();
  });

  it('Kafka partition, offset and key; never the body or a header value', () => {
    const fake = fakeMessage('t-3-42', {
      body: { card: '4242' },
      key: 'customer-7',
      transport: kafka,
      headers: { tenant: 'acme-secret' },
    });
    const message = { ...fake, partition: 3, offset: '42' };
    const attributes = messageAttributes(message, 'kafka', 'billing');
    expect(attributes).toEqual({
      'messaging.system': 'kafka',
      'messaging.destination.name': message.source,
      'messaging.operation.type': 'process',
      'messaging.operation.name': 'process',
      'messaging.message.id': 't-3-42',
      'messaging.consumer.group.name': 'billing',
      'messaging.destination.partition.id': '3',
      'messaging.kafka.offset': 42,
      'messaging.kafka.message.key': 'customer-7',
      'rxq.attempt': 1,
    });
    expect(JSON.stringify(attributes)).not.toMatch(/4242|acme-secret/);
  });
});
