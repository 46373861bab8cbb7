import type { ConsumeMessage } from 'amqplib';
import { decodeTable, type AmqpTable } from './fieldTable.js';
import { inferTable } from './inferTable.js';
import { rawHeadersOf } from './rawHeaders.js';

/**
 * What RabbitMQ delivered beside the body (`message.transport` of an AMQP message): the basic
 * properties as sent, the headers with their AMQP types, and the delivery's envelope. An absent
 * property is `undefined`.
 */
export interface AmqpTransport {
  /** `content-type`, e.g. `application/json`. */
  readonly contentType: string | undefined;
  /** `content-encoding`, e.g. `gzip`. */
  readonly contentEncoding: string | undefined;
  /** Every header with its wire type (64-bit values as `bigint`). `{}` when there are none. */
  readonly headers: AmqpTable;
  /** 1 (transient) or 2 (persistent). */
  readonly deliveryMode: number | undefined;
  /** 0 to 9 (255 on the wire). */
  readonly priority: number | undefined;
  readonly correlationId: string | undefined;
  readonly replyTo: string | undefined;
  /** The per-message TTL in milliseconds, as the decimal text AMQP carries. */
  readonly expiration: string | undefined;
  readonly messageId: string | undefined;
  /** The AMQP timestamp as sent: seconds since the epoch (some publishers write milliseconds). */
  readonly timestamp: number | undefined;
  /** The `type` property (a message type name). */
  readonly type: string | undefined;
  /** The user id the broker checked against the connection's user. */
  readonly userId: string | undefined;
  readonly appId: string | undefined;
  /** Whether the broker delivered it before (to this or another consumer). */
  readonly redelivered: boolean;
  /** The exchange it was published to (`''`: the default exchange). */
  readonly exchange: string;
  /** The routing key it was published with. */
  readonly routingKey: string;
  /** The delivery tag on the channel that delivered it. */
  readonly deliveryTag: number;
  readonly consumerTag: string;
  /**
   * `exact`: the header types are those on the wire. `inferred`: the amqplib in use did not let
   * rxq see the raw frame, so each type is the one amqplib would encode the decoded value with.
   */
  readonly headerTypes: 'exact' | 'inferred';
}

const EMPTY: AmqpTable = Object.freeze({});

/** The typed headers of a consumed message, from the raw bytes when the connection kept them. */
export function typedHeaders(message: ConsumeMessage): { headers: AmqpTable; exact: boolean } {
  const raw = rawHeadersOf(message.properties);
  if (raw === null) return { headers: EMPTY, exact: true };
  if (raw !== undefined) return { headers: decodeTable(raw), exact: true };
  const decoded = message.properties.headers as Record<string, unknown> | undefined;
  return { headers: decoded === undefined ? EMPTY : inferTable(decoded), exact: false };
}

/** The transport view of a consumed message with its already-typed headers. */
export function transportOf(message: ConsumeMessage, headers: AmqpTable, exact: boolean): AmqpTransport {
  const p = message.properties as ConsumeMessage['properties'] & Record<string, unknown>;
  const f = message.fields;
  return {
    contentType: p.contentType as string | undefined,
    contentEncoding: p.contentEncoding as string | undefined,
    headers,
    deliveryMode: p.deliveryMode as number | undefined,
    priority: p.priority as number | undefined,
    correlationId: p.correlationId as string | undefined,
    replyTo: p.replyTo as string | undefined,
    expiration: p.expiration as string | undefined,
    messageId: p.messageId as string | undefined,
    timestamp: p.timestamp as number | undefined,
    type: p.type as string | undefined,
    userId: p.userId as string | undefined,
    appId: p.appId as string | undefined,
    redelivered: f.redelivered,
    exchange: f.exchange,
    routingKey: f.routingKey,
    deliveryTag: f.deliveryTag,
    consumerTag: f.consumerTag,
    headerTypes: exact ? 'exact' : 'inferred',
  };
}
