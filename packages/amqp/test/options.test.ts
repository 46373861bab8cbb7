import { InvalidOptionError, json, text, type Connector } from '@rxq/core';
import { describe, expect, expectTypeOf, it } from 'vitest';
import {
  amqp,
  delayBucket,
  publish,
  redactUrl,
  type AmqpConnection,
  type AmqpConnector,
  type AmqpDelivery,
  type AmqpOptions,
} from '../src/index.js';

/** An object with a connection's shape (rxq only calls its methods once a session opens). */
const connectionLike = (): AmqpConnection => ({
  createChannel: () => Promise.reject(new Error('not used')),
  createConfirmChannel: () => Promise.reject(new Error('not used')),
  on: () => undefined,
  removeListener: () => undefined,
});

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

  it.each<[string, AmqpOptions, RegExp]>([
    ['a top-level typo', { pollMS: 5 } as AmqpOptions, /Unknown option `pollMS`; did you mean `pollMs`\?/],
    [
      'a typo in exchange',
      { exchange: { name: 'x', bindingkey: 'k' } as never },
      /`exchange.bindingkey`; did you mean `exchange.bindingKey`/,
    ],
    [
      'a typo in tls',
      { connection: 'amqps://h', tls: { passphrse: 'p' } as never },
      /`tls.passphrse`; did you mean `tls.passphrase`/,
    ],
    [
      'a typo in connect options',
      { connection: { hostnme: 'h' } as never },
      /`connection.hostnme`; did you mean `connection.hostname`/,
    ],
  ])('rejects an unknown option by its path: %s', (_, options, message) => {
    expect(() => amqp('q', options)).toThrow(InvalidOptionError);
    expect(() => amqp('q', options)).toThrow(message);
  });

  it('takes a passed connection by its shape, and names the options it cannot honour on it', () => {
    expect(() => amqp('q', { connection: connectionLike() })).not.toThrow();
    expect(() => amqp('q', { connection: connectionLike(), connectionName: 'n', tls: {} })).toThrow(
      expect.objectContaining({ option: 'tls, connectionName' }),
    );
    const partial = { createChannel: () => undefined } as unknown as AmqpConnection;
    expect(() => amqp('q', { connection: partial })).toThrow(/createConfirmChannel/);
    return expect(publish(connectionLike(), 'q', {}, { connectionName: 'n' })).rejects.toThrow(
      expect.objectContaining({ option: 'connectionName' }),
    );
  });

  it('takes TLS only for amqps://, and never echoes key material', () => {
    expect(() => amqp('q', { connection: 'amqp://h', tls: { ca: 'x' } })).toThrow(
      expect.objectContaining({ option: 'tls' }),
    );
    expect(() =>
      amqp('q', { connection: 'amqps://h', tls: { ca: 'PEM', passphrase: 'pw', rejectUnauthorized: true } }),
    ).not.toThrow();
    const bad = () => amqp('q', { connection: 'amqps://h', tls: { key: 42 as never, passphrase: 'pw' } });
    expect(bad).toThrow(expect.objectContaining({ option: 'tls.key' }));
    expect(bad).not.toThrow(/42|pw/);
    expect(() => amqp('q', { connection: 'redis://u:secret@h' })).toThrow(
      expect.objectContaining({ option: 'connection' }),
    );
    expect(() => amqp('q', { connection: 'redis://u:secret@h' })).not.toThrow(/secret/);
  });

  it('takes a list of brokers (a cluster), checking each and naming the one that is wrong', () => {
    const cluster = ['amqp://guest:guest@127.0.0.1:5681', { hostname: '127.0.0.1', port: 5682 }];
    expect(amqp('q', { connection: cluster }).queue).toBe('q');
    expect(() => amqp('q', { connection: [] })).toThrow(expect.objectContaining({ option: 'connection' }));
    const wrong: [unknown[], string, RegExp?][] = [
      [['amqp://a', 'redis://u:secret@b'], 'connection[1]'],
      [['amqp://a', null], 'connection[1]'],
      [[['amqp://a']], 'connection[0]'],
      [[connectionLike()], 'connection[0]', /not a connection/],
      [[{ hostnme: 'h' }], 'connection[0].hostnme', /did you mean `connection\[0\].hostname`/],
    ];
    for (const [connection, option, message] of wrong) {
      const attempt = () => amqp('q', { connection: connection as never });
      expect(attempt).toThrow(expect.objectContaining({ option }));
      if (message) expect(attempt).toThrow(message);
      expect(attempt).not.toThrow(/secret/);
    }
    expect(() => amqp('q', { connection: ['amqps://a', 'amqp://b'], tls: { ca: 'x' } })).toThrow(
      /connection\[1\] is plain amqp/,
    );
    expect(() => amqp('q', { connection: ['amqps://a', 'amqps://b'], tls: { ca: 'x' } })).not.toThrow();
    return expect(publish([], 'q', {})).rejects.toThrow(expect.objectContaining({ option: 'connection' }));
  });

  it('types bodies by the codec', () => {
    expectTypeOf(amqp('q', { codec: text })).toEqualTypeOf<AmqpConnector<string>>();
    expectTypeOf(amqp('q')).toEqualTypeOf<AmqpConnector<unknown>>();
    expectTypeOf(amqp('q', { codec: text })).toMatchTypeOf<Connector<AmqpDelivery, string>>();
    expectTypeOf<ReturnType<AmqpConnector['defaultCodec']['decode']>>().toBeUnknown();
    expectTypeOf(amqp('q', { codec: json })).toEqualTypeOf<AmqpConnector<unknown>>();
    expectTypeOf(publish<string>)
      .parameter(2)
      .toEqualTypeOf<string | Uint8Array>();
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
