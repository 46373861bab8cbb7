import { InvalidOptionError } from '@rxq/core';
import { describe, expect, it } from 'vitest';
import { publishMany, type KafkaPublishOptions } from './publish.js';

// Port 1: nothing listens there, so a check that let a bad option through would fail on connecting
// instead, with another error.
const nowhere = 'kafka://127.0.0.1:1';

const rejected = async (topic: unknown, options: unknown): Promise<InvalidOptionError> => {
  const error = await publishMany(nowhere, topic as string, [{ n: 1 }], options as KafkaPublishOptions).catch(
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(InvalidOptionError);
  return error as InvalidOptionError;
};

describe('publishMany() options', () => {
  it('names the option that is wrong before it connects', async () => {
    expect((await rejected('', {})).option).toBe('topic');
    expect((await rejected('t', { maxBatch: 0 })).option).toBe('maxBatch');
    expect((await rejected('t', { acks: 2 })).option).toBe('acks');
    expect((await rejected('t', { compression: 'zstd' })).option).toBe('compression');
    expect((await rejected('t', { codec: { decode: JSON.parse } })).option).toBe('codec');
    expect((await rejected('t', { maxbatch: 10 })).option).toBe('maxbatch');
  });
});
