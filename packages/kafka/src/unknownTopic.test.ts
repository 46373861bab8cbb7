import { ConnectionLostError, NotFoundError, UnsupportedError } from '@rxq/core';
import { UserError } from '@platformatic/kafka';
import type { KafkaJSProtocolError } from 'kafkajs';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { UnknownTopicGrace } from './unknownTopic.js';

// kafkajs' own protocol errors, as its client throws them (3: UNKNOWN_TOPIC_OR_PARTITION).
const require = createRequire(import.meta.url);
const { createErrorFromCode } = require('kafkajs/src/protocol/error') as {
  createErrorFromCode: (code: number) => KafkaJSProtocolError;
};
const unknownTopic = () => createErrorFromCode(3);

describe('UnknownTopicGrace', () => {
  it('retries an unknown topic (a lost connection) until retryMs after the first, then ends with NotFoundError naming it', () => {
    let now = 1_000;
    const grace = new UnknownTopicGrace(['orders', 'refunds'], 10_000, () => now);
    const first = grace.classify(unknownTopic(), 'could not join the Kafka consumer group');
    expect(first).toBeInstanceOf(ConnectionLostError);
    expect(first.retryable).toBe(true);
    expect(first.message).toContain('orders, refunds');
    now += 9_999;
    expect(grace.classify(unknownTopic(), 'the Kafka consumer stopped')).toBeInstanceOf(ConnectionLostError);
    now += 1;
    const last = grace.classify(unknownTopic(), 'the Kafka consumer stopped');
    expect(last).toBeInstanceOf(NotFoundError);
    expect(last.retryable).toBe(false);
    expect(last.message).toContain('orders, refunds');
    expect(last.message).toContain('UNKNOWN_TOPIC_OR_PARTITION');
  });

  it('starts a new row once the topic was known', () => {
    let now = 0;
    const grace = new UnknownTopicGrace(['orders'], 5_000, () => now);
    grace.classify(unknownTopic(), 'x');
    now = 4_000;
    grace.known();
    now = 8_000; // 8 s after the first, 0 s into the new row
    expect(grace.classify(unknownTopic(), 'x')).toBeInstanceOf(ConnectionLostError);
    now = 12_999;
    expect(grace.classify(unknownTopic(), 'x')).toBeInstanceOf(ConnectionLostError);
    now = 13_000;
    expect(grace.classify(unknownTopic(), 'x')).toBeInstanceOf(NotFoundError);
  });

  it("@platformatic/kafka's own unknown-topic error is an unknown topic too", () => {
    let now = 0;
    const grace = new UnknownTopicGrace(['orders'], 1_000, () => now);
    const platformatic = () => new UserError('Unknown topic orders.');
    expect(grace.classify(platformatic(), 'x')).toBeInstanceOf(ConnectionLostError);
    now = 1_000;
    expect(grace.classify(platformatic(), 'x')).toBeInstanceOf(NotFoundError);
  });

  it('with retryMs 0 fails at once; other errors are classified as before', () => {
    const grace = new UnknownTopicGrace(['orders'], 0);
    expect(grace.classify(unknownTopic(), 'x')).toBeInstanceOf(NotFoundError);
    expect(grace.classify(createErrorFromCode(76), 'x')).toBeInstanceOf(UnsupportedError); // UNSUPPORTED_COMPRESSION_TYPE
    expect(grace.classify(new Error('socket hang up'), 'x')).toBeInstanceOf(ConnectionLostError);
  });
});
