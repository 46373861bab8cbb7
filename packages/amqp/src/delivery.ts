import { attemptOf, type Delivery } from '@rxq/core';
import type { ConsumeMessage, Options } from 'amqplib';
import { toAmqplibTable } from './fieldTable.js';
import { rawTextHeaders, textHeaders } from './fieldText.js';
import { rawHeadersOf } from './rawHeaders.js';
import { transportOf, type AmqpTransport } from './transport.js';

/** A message as an AMQP session hands it to `fromQueue`: the delivery tag and channel it came on. */
export interface AmqpDelivery extends Delivery {
  readonly payload: Buffer;
  /**
   * The headers whose text says exactly what was sent (see `fieldText`): strings, integers of
   * every width (64-bit exact), floats, decimals, timestamps, booleans, and byte arrays that are
   * valid UTF-8. Tables, arrays, void and non-UTF-8 bytes are only in `transport.headers`.
   */
  readonly headers?: Readonly<Record<string, string>> | undefined;
  /** The properties and typed headers as delivered; copies are built from these. */
  readonly transport: AmqpTransport;
  /** The delivery tag on the channel that delivered it. */
  readonly tag: number;
  /** The session (channel) that delivered it: only that one can settle it. */
  readonly owner: object;
}

/** Headers the broker writes; a republished copy must not carry them. */
const BROKER_HEADER = /^x-(death|first-death-|last-death-|delivery-count$)/;
const isBrokerHeader = (key: string): boolean => BROKER_HEADER.test(key);

/**
 * The attempt of a delivery: the `x-rxq-attempt` header (1 when absent), plus the broker's count
 * of earlier deliveries of this copy: a quorum queue's `x-delivery-count`, or for a classic queue 1
 * when the broker flags it `redelivered` (it cannot say how many times).
 */
export function attemptOfMessage(message: ConsumeMessage, headers: Readonly<Record<string, string>>): number {
  const base = attemptOf(headers);
  // An `l` from RabbitMQ, which amqplib decodes to a number (exact for any real count).
  const count = message.properties.headers?.['x-delivery-count'] as unknown;
  if (typeof count === 'number' && count > 0) return base + count;
  return message.fields.redelivered ? base + 1 : base;
}

/** Builds the delivery for a consumed message. */
export function toDelivery(message: ConsumeMessage, source: string, idPrefix: string, owner: object): AmqpDelivery {
  const transport = transportOf(message);
  const raw = rawHeadersOf(message.properties);
  // From the raw bytes when the frame was seen; else from the inferred typed view.
  const headers = raw === null ? undefined : raw === undefined ? textHeaders(transport.headers) : rawTextHeaders(raw);
  const { deliveryTag, routingKey } = message.fields;
  const d: { -readonly [K in keyof AmqpDelivery]: AmqpDelivery[K] } = {
    id: idPrefix + deliveryTag,
    payload: message.content,
    attempt: attemptOfMessage(message, headers ?? EMPTY),
    source,
    tag: deliveryTag,
    transport,
    owner,
    key: routingKey,
  };
  if (headers !== undefined) d.headers = headers;
  const timestamp = transport.timestamp;
  // AMQP timestamps are seconds; some publishers write milliseconds.
  if (typeof timestamp === 'number') d.timestamp = timestamp < 1e11 ? timestamp * 1000 : timestamp;
  return d;
}

/**
 * Publish options for a copy of a delivery, built from its transport view (never from the string
 * `headers`): every header of the original with its exact AMQP type, then `headers` (rxq's own,
 * which replace the original's of the same name). Content type, encoding, persistence, priority,
 * ids, type and timestamp are kept; broker-written headers (`x-death`, `x-first-death-*`,
 * `x-last-death-*`, `x-delivery-count`), the user id (the broker checks it against the
 * connection's user) and a per-message expiration are dropped.
 */
export function copyOptions(t: AmqpTransport, headers: Readonly<Record<string, string>>): Options.Publish {
  const out: Record<string, unknown> = { headers: { ...toAmqplibTable(t.headers, isBrokerHeader), ...headers } };
  const props: Record<string, unknown> = {
    contentType: t.contentType,
    contentEncoding: t.contentEncoding,
    deliveryMode: t.deliveryMode,
    priority: t.priority,
    correlationId: t.correlationId,
    replyTo: t.replyTo,
    messageId: t.messageId,
    timestamp: t.timestamp,
    type: t.type,
    appId: t.appId,
  };
  for (const key in props) if (props[key] !== undefined) out[key] = props[key];
  return out;
}

const EMPTY: Readonly<Record<string, string>> = Object.freeze({});
