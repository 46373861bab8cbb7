import { attemptOf, type Delivery } from '@rxq/core';
import type { ConsumeMessage, Options } from 'amqplib';

/** A message as an AMQP session hands it to `fromQueue`: the delivery tag and channel it came on. */
export interface AmqpDelivery extends Delivery {
  readonly payload: Buffer;
  /** The delivery tag on the channel that delivered it. */
  readonly tag: number;
  /** The AMQP message, for resends and dead letters that keep its properties. */
  readonly message: ConsumeMessage;
  /** The session (channel) that delivered it: only that one can settle it. */
  readonly owner: object;
}

/** Headers the broker writes; a republished copy must not carry them. */
const BROKER_HEADER = /^x-(death|first-death-|last-death-|delivery-count)/;

/**
 * The attempt of a delivery: the `x-rxq-attempt` header (1 when absent), plus the broker's count
 * of earlier deliveries of this copy: a quorum queue's `x-delivery-count`, or for a classic queue 1
 * when the broker flags it `redelivered` (it cannot say how many times).
 */
export function attemptOfMessage(message: ConsumeMessage, headers: Readonly<Record<string, string>>): number {
  const base = attemptOf(headers);
  const count = message.properties.headers?.['x-delivery-count'] as unknown;
  if (typeof count === 'number' && count > 0) return base + count;
  return message.fields.redelivered ? base + 1 : base;
}

/** Scalar AMQP headers as strings (tables and arrays such as `x-death` are left out). */
export function stringHeaders(raw: Readonly<Record<string, unknown>> | undefined): Record<string, string> | undefined {
  if (raw === undefined) return undefined;
  let out: Record<string, string> | undefined;
  for (const key in raw) {
    const value = raw[key];
    let text: string;
    if (typeof value === 'string') text = value;
    else if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') text = String(value);
    else if (Buffer.isBuffer(value)) text = value.toString('utf8');
    else continue;
    (out ??= {})[key] = text;
  }
  return out;
}

/** Builds the delivery for a consumed message. */
export function toDelivery(message: ConsumeMessage, source: string, idPrefix: string, owner: object): AmqpDelivery {
  const headers = stringHeaders(message.properties.headers);
  const { deliveryTag, routingKey } = message.fields;
  const d: { -readonly [K in keyof AmqpDelivery]: AmqpDelivery[K] } = {
    id: idPrefix + deliveryTag,
    payload: message.content,
    attempt: attemptOfMessage(message, headers ?? EMPTY),
    source,
    tag: deliveryTag,
    message,
    owner,
    key: routingKey,
  };
  if (headers !== undefined) d.headers = headers;
  const timestamp = message.properties.timestamp as unknown;
  // AMQP timestamps are seconds; some publishers write milliseconds.
  if (typeof timestamp === 'number') d.timestamp = timestamp < 1e11 ? timestamp * 1000 : timestamp;
  return d;
}

/**
 * Publish options for a copy of `message` with `headers` on top of its own: content type,
 * encoding, persistence, ids and the like are kept; broker-written headers, the user id (the
 * broker checks it against the connection's) and a per-message expiration are dropped.
 */
export function copyOptions(message: ConsumeMessage, headers: Readonly<Record<string, string>>): Options.Publish {
  const p = message.properties;
  const kept: Record<string, unknown> = {};
  const raw = p.headers ?? {};
  for (const key in raw) if (!BROKER_HEADER.test(key)) kept[key] = raw[key];
  const out: Record<string, unknown> = { headers: { ...kept, ...headers } };
  const props: Record<string, unknown> = {
    contentType: p.contentType,
    contentEncoding: p.contentEncoding,
    deliveryMode: p.deliveryMode,
    priority: p.priority,
    correlationId: p.correlationId,
    replyTo: p.replyTo,
    messageId: p.messageId,
    timestamp: p.timestamp,
    type: p.type,
    appId: p.appId,
  };
  for (const key in props) if (props[key] !== undefined) out[key] = props[key];
  return out;
}

const EMPTY: Readonly<Record<string, string>> = Object.freeze({});
