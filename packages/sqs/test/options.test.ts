import { InvalidOptionError } from '@rxq/core';
import { describe, expect, it } from 'vitest';
import { sqs, type SqsOptions } from '../src/index.js';

describe('sqs options', () => {
  it.each<[string, unknown, SqsOptions]>([
    ['queue', '', {}],
    ['queue', 'has space', {}],
    ['queue', 42, {}],
    ['visibilityTimeoutMs', 'q', { visibilityTimeoutMs: 10 }],
    ['visibilityTimeoutMs', 'q', { visibilityTimeoutMs: 13 * 3_600_000 }],
    ['waitTimeSeconds', 'q', { waitTimeSeconds: 21 }],
    ['waitTimeSeconds', 'q', { waitTimeSeconds: 1.5 }],
    ['maxConcurrentReceives', 'q', { maxConcurrentReceives: 0 }],
    ['deadLetterQueue', 'q', { deadLetterQueue: 'q-dead.fifo' }],
    ['deadLetterQueue', 'q.fifo', { deadLetterQueue: 'q-dead' }],
    ['extendVisibility', 'q', { extendVisibility: 1 as unknown as boolean }],
    ['client', 'q', { client: {} as never }],
    ['codec', 'q', { codec: {} as never }],
    ['waitTime', 'q', { waitTime: 5 } as SqsOptions],
  ])('rejects a bad %s at construction', (option, queue, options) => {
    const attempt = () => sqs(queue as string, options);
    expect(attempt).toThrow(InvalidOptionError);
    expect(attempt).toThrow(expect.objectContaining({ option }));
  });

  it('suggests the closest known option for a typo', () => {
    expect(() => sqs('q', { waitTimeSecond: 5 } as SqsOptions)).toThrow('did you mean `waitTimeSeconds`?');
  });

  it('names the dead-letter queue after the queue, FIFO or not, and takes a URL', () => {
    expect(sqs('orders')).toMatchObject({ name: 'orders', fifo: false, deadLetterQueue: 'orders-dead' });
    expect(sqs('orders.fifo')).toMatchObject({ name: 'orders.fifo', fifo: true, deadLetterQueue: 'orders-dead.fifo' });
    const byUrl = sqs('https://sqs.eu-west-1.amazonaws.com/123456789012/orders');
    expect(byUrl).toMatchObject({ name: 'orders', deadLetterQueue: 'orders-dead' });
    expect(sqs('orders', { deadLetterQueue: 'redrive' }).deadLetterQueue).toBe('redrive');
    expect(sqs('orders').defaultCodec.name).toBe('json');
  });
});
