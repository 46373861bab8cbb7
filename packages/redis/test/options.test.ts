import { InvalidOptionError, json, text, type Codec, type Connector } from '@rxq/core';
import { invalidOption } from '@rxq/core/testing';
import { Cluster, Redis } from 'ioredis';
import { afterAll, describe, expect, expectTypeOf, it } from 'vitest';
import {
  publish,
  publishMany,
  publishToStream,
  redis,
  redisList,
  redisSimpleList,
  redisStream,
  xpublish,
  type ListDelivery,
  type RedisListOptions,
  type RedisOptions,
  type StreamDelivery,
} from '../src/index.js';

// Clients that never connect: only their shape and options are looked at.
const lazy = new Redis({ lazyConnect: true });
afterAll(() => lazy.disconnect());

async function rejected(p: Promise<unknown>): Promise<InvalidOptionError> {
  const error = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(InvalidOptionError);
  return error as InvalidOptionError;
}

describe('unknown options are rejected at construction, naming the closest known one', () => {
  it.each([
    ['redis', () => redis('q', { blockMS: 10 } as never), 'blockMS', 'blockMs'],
    ['redis', () => redis('q', { consumerTTLMs: 10 } as never), 'consumerTTLMs', 'consumerTtlMs'],
    ['redis', () => redis('q', { conection: 'redis://x' } as never), 'conection', 'connection'],
    ['redisSimpleList', () => redisSimpleList('q', { deadLetterkey: 'd' } as never), 'deadLetterkey', 'deadLetterKey'],
    ['redisSimpleList', () => redisSimpleList('q', { consumerTtlMs: 1 } as never), 'consumerTtlMs', undefined],
    ['redisStream', () => redisStream('s', { group: 'g', minIdle: 5 } as never), 'minIdle', 'minIdleMs'],
    ['redisStream', () => redisStream('s', { group: 'g', strat: 'new' } as never), 'strat', 'start'],
  ])('%s: %s', (_, make, option, suggestion) => {
    const error = invalidOption(make);
    expect(error.option).toBe(option);
    expect(error.message).toContain(`\`${option}\``);
    if (suggestion) expect(error.message).toContain(`did you mean \`${suggestion}\``);
  });

  it('publish helpers: unknown options, and headers named by their path', async () => {
    expect((await rejected(publish(lazy, 'q', 1, { atempt: 2 } as never))).message).toContain('`attempt`');
    expect((await rejected(publishMany(lazy, 'q', [1], { header: {} } as never))).message).toContain('`headers`');
    expect((await rejected(publishToStream(lazy, 's', 1, { bodyfield: 'b' } as never))).message).toContain(
      '`bodyField`',
    );
    const nested = await rejected(publish(lazy, 'q', 1, { headers: { tenant: 7 } } as never));
    expect(nested.option).toBe('headers.tenant');
    expect((await rejected(publish(lazy, 'q', 1, { attempt: 0 }))).option).toBe('attempt');
  });

  it('values of the wrong kind', () => {
    expect(invalidOption(() => redis('q', { tls: 'yes' } as never)).option).toBe('tls');
    expect(invalidOption(() => redis('q', { mode: 'simple', consumerTtlMs: 1_000 })).option).toBe('consumerTtlMs');
    expect(invalidOption(() => redis('q', { codec: 'json' } as never)).option).toBe('codec');
    expect(invalidOption(() => redis('q', { blockMs: -1 })).option).toBe('blockMs');
    expect(invalidOption(() => redisStream('s', { group: '' })).option).toBe('group');
    expect(invalidOption(() => redis('q', { connection: 'http://x' })).option).toBe('connection');
  });
});

describe('a client passed in is checked by its shape', () => {
  it('accepts an ioredis client, whatever copy of the package made it', () => {
    // Another copy of ioredis (another version) makes objects of another class: only the shape counts.
    const foreign = {
      ...Object.fromEntries(
        ['duplicate', 'callBuffer', 'call', 'on', 'off', 'once', 'quit', 'disconnect', 'pipeline'].map((m) => [
          m,
          () => undefined,
        ]),
      ),
      status: 'ready',
      options: {},
    };
    expect(() => redis('q', { connection: foreign as never })).not.toThrow();
    expect(() => redis('q', { connection: lazy })).not.toThrow();
  });

  it('rejects what is not one, naming what is missing', () => {
    const error = invalidOption(() => redis('q', { connection: { status: 'ready', options: {} } as never }));
    expect(error.option).toBe('connection');
    expect(error.message).toContain('duplicate');
  });

  it('rejects options of the client rxq cannot honour, naming them', () => {
    const prefixed = new Redis({ lazyConnect: true, keyPrefix: 'app:' });
    expect(invalidOption(() => redis('q', { connection: prefixed })).option).toBe('connection.options.keyPrefix');
    prefixed.disconnect();
    const prefixedCluster = new Cluster([{ host: '127.0.0.1', port: 7001 }], {
      lazyConnect: true,
      redisOptions: { keyPrefix: 'app:' },
    });
    // ioredis copies the node options' prefix to the cluster's own options.
    expect(invalidOption(() => redis('q', { connection: prefixedCluster })).option).toMatch(
      /^connection\.options\..*keyPrefix$/,
    );
    prefixedCluster.disconnect();
  });
});

describe('a Redis Cluster client', () => {
  const cluster = new Cluster([{ host: '127.0.0.1', port: 7001 }], { lazyConnect: true });
  afterAll(() => cluster.disconnect());

  it('is accepted by every factory', () => {
    expect(() => redis('orders', { connection: cluster })).not.toThrow();
    expect(() => redisSimpleList('orders', { connection: cluster })).not.toThrow();
    expect(() => redisSimpleList(['{app}emails', '{app}sms'], { connection: cluster })).not.toThrow();
    expect(() => redisStream('events', { group: 'g', connection: cluster })).not.toThrow();
  });

  it('refuses keys that cannot share the queue’s slot, naming the option', () => {
    expect(invalidOption(() => redis('orders', { connection: cluster, deadLetterKey: 'failed' })).option).toBe(
      'deadLetterKey',
    );
    expect(() => redis('orders', { connection: cluster, deadLetterKey: '{orders}:failed' })).not.toThrow();
    expect(
      invalidOption(() => redisStream('events', { group: 'g', connection: cluster, deadLetterKey: 'x' })).option,
    ).toBe('deadLetterKey');
    expect(invalidOption(() => redis('a}b', { connection: cluster })).option).toBe('queue');
    expect(invalidOption(() => redisSimpleList(['emails', 'sms'], { connection: cluster })).option).toBe('queues');
    // On a standalone server the same names are fine (nothing changes for existing users).
    expect(() => redis('orders', { connection: lazy, deadLetterKey: 'failed' })).not.toThrow();
    expect(() => redisSimpleList(['emails', 'sms'], { connection: lazy })).not.toThrow();
  });
});

describe('types', () => {
  it('the codec gives the body type; without one the body is unknown', () => {
    expectTypeOf(redis('q', { codec: text })).toEqualTypeOf<Connector<ListDelivery, string>>();
    expectTypeOf(redis('q')).toEqualTypeOf<Connector<ListDelivery, unknown>>();
    expectTypeOf(redisSimpleList(['a', 'b'], { codec: text })).toEqualTypeOf<Connector<ListDelivery, string>>();
    const order: Codec<{ id: number }> = { name: 'order', decode: () => ({ id: 1 }), encode: JSON.stringify };
    expectTypeOf(redisStream('s', { group: 'g', codec: order })).toEqualTypeOf<
      Connector<StreamDelivery, { id: number }>
    >();
    // A publish helper's body must match its codec (checked by the compiler, never run).
    const typeOnly = (): void => {
      // @ts-expect-error a number is not a string for the text codec
      void publish(lazy, 'q', 42, { codec: text });
      void publish(lazy, 'q', { any: 'json' }, { codec: json });
    };
    expect(typeof typeOnly).toBe('function');
  });

  it('the deprecated names are the new ones', () => {
    expect(redisList).toBe(redisSimpleList);
    expect(xpublish).toBe(publishToStream);
    expectTypeOf<RedisListOptions<string>>().toEqualTypeOf<RedisOptions<string>>();
  });
});
