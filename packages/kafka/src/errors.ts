import {
  AuthenticationError,
  AuthorizationError,
  ConnectionLostError,
  NotFoundError,
  RxqError,
  UnsupportedError,
} from '@rxq/core';

const AUTHENTICATION = new Set(['SASL_AUTHENTICATION_FAILED', 'UNSUPPORTED_SASL_MECHANISM', 'ILLEGAL_SASL_STATE']);
const AUTHORIZATION = new Set([
  'TOPIC_AUTHORIZATION_FAILED',
  'GROUP_AUTHORIZATION_FAILED',
  'CLUSTER_AUTHORIZATION_FAILED',
  'TRANSACTIONAL_ID_AUTHORIZATION_FAILED',
  'DELEGATION_TOKEN_AUTHORIZATION_FAILED',
]);
const NOT_FOUND = new Set(['UNKNOWN_TOPIC_OR_PARTITION', 'UNKNOWN_TOPIC_ID']);
const UNSUPPORTED = new Set(['UNSUPPORTED_COMPRESSION_TYPE', 'UNSUPPORTED_VERSION', 'UNSUPPORTED_FOR_MESSAGE_FORMAT']);

interface KafkajsLike {
  readonly name?: unknown;
  readonly type?: unknown;
  readonly cause?: unknown;
  readonly originalError?: unknown;
  readonly errors?: unknown;
  /** @platformatic/kafka: the broker's error name (ProtocolError) and its own error code. */
  readonly apiId?: unknown;
  readonly code?: unknown;
}

/** The error and every error it wraps (kafkajs' `cause`, `originalError`, aggregate `errors`). */
function* chain(error: unknown): Generator<KafkajsLike> {
  const seen = new Set<unknown>();
  const queue: unknown[] = [error];
  while (queue.length > 0) {
    const e = queue.shift();
    if (typeof e !== 'object' || e === null || seen.has(e)) continue;
    seen.add(e);
    const k = e as KafkajsLike;
    yield k;
    queue.push(k.cause, k.originalError);
    if (Array.isArray(k.errors)) queue.push(...(k.errors as unknown[]));
  }
}

/**
 * Translates a kafkajs or @platformatic/kafka error at the boundary into rxq's taxonomy, looking through the errors it
 * wraps: bad credentials → {@link AuthenticationError}; an ACL refusal → {@link AuthorizationError};
 * an unknown topic → {@link NotFoundError}; a codec or protocol feature the client lacks →
 * {@link UnsupportedError} (all four non-retryable: the stream errors with them); anything else →
 * `ConnectionLostError(context)`, retryable, its message followed by the broker's error names
 * when there are any (`(NOT_COORDINATOR_FOR_GROUP)`). The message is rxq's own and never carries a
 * credential; kafkajs' error stays as `cause`.
 *
 * @example
 * throw kafkaError(error, 'could not join the Kafka consumer group');
 */
export function kafkaError(error: unknown, context: string): RxqError {
  /** The broker's error names met on the way (e.g. OFFSET_OUT_OF_RANGE), for the message. */
  const names = new Set<string>();
  for (const e of chain(error)) {
    if (e instanceof RxqError) return e;
    const type = typeof e.type === 'string' ? e.type : typeof e.apiId === 'string' ? e.apiId : '';
    const name = typeof e.name === 'string' ? e.name : '';
    const code = typeof e.code === 'string' ? e.code : '';
    if (/^[A-Z][A-Z_]+$/.test(type)) names.add(type);
    if (name === 'KafkaJSSASLAuthenticationError' || code === 'PLT_KFK_AUTHENTICATION' || AUTHENTICATION.has(type))
      return new AuthenticationError(`Kafka refused the SASL credentials (${type || 'authentication failed'})`, error);
    if (AUTHORIZATION.has(type)) return new AuthorizationError(`Kafka refused the operation: ${type}`, error);
    if (NOT_FOUND.has(type)) return new NotFoundError(`Kafka does not know the topic or partition: ${type}`, error);
    // @platformatic/kafka turns UNKNOWN_TOPIC_OR_PARTITION in metadata into a user error of its own.
    const text = (e as { message?: unknown }).message;
    if (code === 'PLT_KFK_USER' && typeof text === 'string' && text.startsWith('Unknown topic '))
      return new NotFoundError('Kafka does not know the topic or partition: UNKNOWN_TOPIC_OR_PARTITION', error);
    if (UNSUPPORTED.has(type)) return new UnsupportedError(`Kafka feature not supported by the client: ${type}`, error);
    if (code === 'PLT_KFK_UNSUPPORTED_COMPRESSION' || code === 'PLT_KFK_UNSUPPORTED_FORMAT') {
      const feature = (e as { message?: unknown }).message;
      return new UnsupportedError(`Kafka feature not supported by the client: ${String(feature)}`, error);
    }
    if (name === 'KafkaJSNotImplemented' || name === 'KafkaJSUnsupportedMagicByteInMessageSet') {
      const feature = (e as { message?: unknown }).message;
      return new UnsupportedError(
        `Kafka feature not supported by the client: ${typeof feature === 'string' ? feature : name}`,
        error,
      );
    }
  }
  // The Kafka error names say which broker answer it was: they carry no record data or credential.
  return new ConnectionLostError(names.size > 0 ? `${context} (${[...names].join(', ')})` : context, error);
}
