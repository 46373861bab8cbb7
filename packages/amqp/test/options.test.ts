import { InvalidOptionError } from '@rxq/core';
import { describe, expect, it } from 'vitest';
import { amqp, delayBucket, redactUrl, type AmqpOptions } from '../src/index.js';

describe('amqp options', () => {
  it.each<[string, unknown, AmqpOptions]>([
    ['queue', '', {}],
    ['queue', 42, {}],
    ['queueType', 'q', { queueType: 'stream' as 'classic' }],
    ['durable', 'q', { queueType: 'quorum', durable: false }],
    ['pollMs', 'q', { pollMs: 0 }],
    ['connection', 'q', { connection: 5 as unknown as string }],
    ['exchange.type', 'q', { exchange: { name: 'x', type: 'nope' as 'direct' } }],
    ['exchange.name', 'q', { exchange: { name: '' } }],
    ['deadLetterQueue', 'q', { deadLetterQueue: '' }],
    ['assert', 'q', { assert: 'yes' as unknown as boolean }],
  ])('rejects a bad %s at construction', (option, queue, options) => {
    const attempt = () => amqp(queue as string, options);
    expect(attempt).toThrow(InvalidOptionError);
    expect(attempt).toThrow(expect.objectContaining({ option }));
  });

  it('names its queues after the queue, and has json as its default codec', () => {
    const c = amqp('orders');
    expect(c).toMatchObject({ name: 'orders', queue: 'orders', queueType: 'classic', deadLetterQueue: 'orders.dead' });
    expect(c.defaultCodec.name).toBe('json');
    expect(c.delayQueue(1234)).toBe('orders.delay.1300');
  });

  it('rounds delays up to two significant digits, never shorter than asked', () => {
    expect([0, 1, 99, 100, 101, 1234, 29_001, 400].map(delayBucket)).toEqual([1, 1, 99, 100, 110, 1300, 30_000, 400]);
    for (let ms = 1; ms < 100_000; ms += 37) {
      const b = delayBucket(ms);
      expect(b).toBeGreaterThanOrEqual(ms);
      expect(b).toBeLessThanOrEqual(Math.ceil(ms * 1.1));
    }
  });

  it('redacts the password of a URL', () => {
    expect(redactUrl('amqp://user:pa55@host:5672/vh')).toBe('amqp://user:***@host:5672/vh');
    expect(redactUrl('amqp://host')).toBe('amqp://host');
  });
});
