import {
  AuthenticationError,
  AuthorizationError,
  ConnectionLostError,
  NotFoundError,
  UnsupportedError,
} from '@rxq/core';
import {
  KafkaJSConnectionError,
  KafkaJSError,
  KafkaJSNonRetriableError,
  KafkaJSNumberOfRetriesExceeded,
  KafkaJSProtocolError,
  KafkaJSSASLAuthenticationError,
} from 'kafkajs';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { kafkaError } from './errors.js';

// kafkajs' own protocol error table and error classes, as its client throws them.
const require = createRequire(import.meta.url);
const { createErrorFromCode } = require('kafkajs/src/protocol/error') as {
  createErrorFromCode: (code: number) => KafkaJSProtocolError;
};
const { KafkaJSNotImplemented } = require('kafkajs/src/errors') as {
  KafkaJSNotImplemented: new (message: string) => Error;
};
// kafkajs' type declarations leave out these constructors' arguments; the classes take them.
const SaslError = KafkaJSSASLAuthenticationError as unknown as new (message: string) => Error;
const RetriesExceeded = KafkaJSNumberOfRetriesExceeded as unknown as new (
  cause: Error,
  info: { retryCount: number; retryTime: number },
) => Error;
const NonRetriable = KafkaJSNonRetriableError as unknown as new (message: string, options: { cause: Error }) => Error;
const protocol = (code: number): KafkaJSProtocolError => createErrorFromCode(code);

describe('kafkaError: kafkajs errors classified at the boundary', () => {
  it('SASL failures → AuthenticationError, not retryable, without the secret', () => {
    const e = kafkaError(
      new SaslError('SASL PLAIN authentication failed: Authentication failed: Invalid username or password'),
      'ctx',
    );
    expect(e).toBeInstanceOf(AuthenticationError);
    expect(e.retryable).toBe(false);
    expect(kafkaError(protocol(58), 'ctx')).toBeInstanceOf(AuthenticationError); // SASL_AUTHENTICATION_FAILED
    expect(kafkaError(protocol(33), 'ctx')).toBeInstanceOf(AuthenticationError); // UNSUPPORTED_SASL_MECHANISM
  });

  it('ACL refusals → AuthorizationError', () => {
    for (const code of [29, 30, 31]) {
      const e = kafkaError(protocol(code), 'ctx'); // topic, group, cluster authorization failed
      expect(e).toBeInstanceOf(AuthorizationError);
      expect(e.retryable).toBe(false);
    }
  });

  it('an unknown topic → NotFoundError', () => {
    const e = kafkaError(protocol(3), 'ctx'); // UNKNOWN_TOPIC_OR_PARTITION
    expect(e).toBeInstanceOf(NotFoundError);
    expect(e.retryable).toBe(false);
  });

  it('a codec or protocol feature the client lacks → UnsupportedError naming it', () => {
    const codec = kafkaError(new KafkaJSNotImplemented('ZSTD compression not implemented'), 'ctx');
    expect(codec).toBeInstanceOf(UnsupportedError);
    expect(codec.message).toContain('ZSTD compression');
    expect(kafkaError(protocol(76), 'ctx')).toBeInstanceOf(UnsupportedError); // UNSUPPORTED_COMPRESSION_TYPE
    expect(kafkaError(protocol(35), 'ctx')).toBeInstanceOf(UnsupportedError); // UNSUPPORTED_VERSION
  });

  it('looks through the errors kafkajs wraps (retries exceeded, non-retriable wrappers)', () => {
    const wrapped = new RetriesExceeded(protocol(29), { retryCount: 5, retryTime: 100 });
    expect(kafkaError(wrapped, 'ctx')).toBeInstanceOf(AuthorizationError);
    const crash = new NonRetriable('crashed', { cause: new SaslError('bad') });
    expect(kafkaError(crash, 'ctx')).toBeInstanceOf(AuthenticationError);
  });

  it('connection trouble and anything else → ConnectionLostError(context), retryable', () => {
    for (const error of [
      new KafkaJSConnectionError('Connection error: connect ECONNREFUSED 127.0.0.1:9092'),
      new RetriesExceeded(new KafkaJSConnectionError('refused'), { retryCount: 5, retryTime: 100 }),
      new KafkaJSNonRetriableError('injected'),
      new KafkaJSError('something'),
      new Error('plain'),
    ]) {
      const e = kafkaError(error, 'the Kafka consumer stopped');
      expect(e).toBeInstanceOf(ConnectionLostError);
      expect(e.retryable).toBe(true);
      expect(e.message).toBe('the Kafka consumer stopped');
      expect(e.cause).toBe(error);
    }
  });

  it("a broker's answer that is connection trouble names the Kafka error in the message", () => {
    const e = kafkaError(new RetriesExceeded(protocol(16), { retryCount: 5, retryTime: 100 }), 'the commit failed');
    expect(e).toBeInstanceOf(ConnectionLostError);
    expect(e.message).toBe('the commit failed (NOT_COORDINATOR_FOR_GROUP)');
    // @platformatic/kafka: a response error wraps one protocol error per failing partition.
    const response = Object.assign(new AggregateError([], 'Received response with error'), {
      code: 'PLT_KFK_RESPONSE',
      errors: [
        { code: 'PLT_KFK_PROTOCOL', apiId: 'OFFSET_OUT_OF_RANGE' },
        { code: 'PLT_KFK_PROTOCOL', apiId: 'NOT_LEADER_OR_FOLLOWER' },
      ],
    });
    expect(kafkaError(response, 'the Kafka consumer stopped').message).toBe(
      'the Kafka consumer stopped (OFFSET_OUT_OF_RANGE, NOT_LEADER_OR_FOLLOWER)',
    );
  });

  it('an rxq error (from a codec) is kept as it is', () => {
    const own = new UnsupportedError('Kafka lz4 decompression failed');
    expect(kafkaError(new RetriesExceeded(own as never, { retryCount: 0, retryTime: 0 }), 'x')).toBe(own);
  });
});
