import { InvalidOptionError } from '@rxq/core';
import { describe, expect, it } from 'vitest';
import { kafka } from './kafka.js';
import type { KafkaSourceOptions } from './options.js';

const bad = (topics: unknown, options: unknown): InvalidOptionError => {
  try {
    kafka(topics as string, options as KafkaSourceOptions);
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidOptionError);
    return error as InvalidOptionError;
  }
  throw new Error('expected kafka() to throw');
};

describe('kafka() options', () => {
  it('names the option that is wrong, at construction', () => {
    expect(bad('', { groupId: 'g' }).option).toBe('topics');
    expect(bad([], { groupId: 'g' }).option).toBe('topics');
    expect(bad('t', {}).option).toBe('groupId');
    expect(bad('t', { groupId: 'g', commitIntervalMs: 0 }).option).toBe('commitIntervalMs');
    expect(bad('t', { groupId: 'g', heartbeatIntervalMs: 6_000, sessionTimeoutMs: 6_000 }).option).toBe(
      'heartbeatIntervalMs',
    );
    expect(bad('t', { groupId: 'g', deadLetterTopic: '' }).option).toBe('deadLetterTopic');
    expect(bad('t', { groupId: 'g', brokers: [] }).option).toBe('brokers');
    expect(bad('t', { groupId: 'g', seek: [{ topic: 't', partition: 0, offset: -1 }] }).option).toBe('seek');
    expect(bad('t', { groupId: 'g', seek: [{ topic: 't', timestamp: Number.NaN }] }).option).toBe('seek');
  });

  it('builds a connector named after its topics, without connecting', () => {
    const connector = kafka(['a', 'b'], { groupId: 'g', seek: [{ topic: 'a', partition: 0, offset: 5 }] });
    expect(connector.name).toBe('a,b');
    expect(connector.defaultCodec?.name).toBe('json');
  });
});
