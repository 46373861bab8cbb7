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

/**
 * The transport view of a consumed message. The typed headers are decoded from the raw bytes on
 * first read (a copy, or the user), so a message whose typed headers nobody reads costs only
 * amqplib's own decode.
 */
class Transport implements AmqpTransport {
  readonly contentType: string | undefined;
  readonly contentEncoding: string | undefined;
  readonly deliveryMode: number | undefined;
  readonly priority: number | undefined;
  readonly correlationId: string | undefined;
  readonly replyTo: string | undefined;
  readonly expiration: string | undefined;
  readonly messageId: string | undefined;
  readonly timestamp: number | undefined;
  readonly type: string | undefined;
  readonly userId: string | undefined;
  readonly appId: string | undefined;
  readonly redelivered: boolean;
  readonly exchange: string;
  readonly routingKey: string;
  readonly deliveryTag: number;
  readonly consumerTag: string;
  readonly headerTypes: 'exact' | 'inferred';
  /** The raw table (null: no headers), or amqplib's decoded values when the frame was not seen. */
  readonly #source: Buffer | null | Readonly<Record<string, unknown>>;
  #headers: AmqpTable | undefined;

  constructor(message: ConsumeMessage) {
    const p = message.properties as ConsumeMessage['properties'] & Record<string, unknown>;
    const f = message.fields;
    this.contentType = p.contentType as string | undefined;
    this.contentEncoding = p.contentEncoding as string | undefined;
    this.deliveryMode = p.deliveryMode as number | undefined;
    this.priority = p.priority as number | undefined;
    this.correlationId = p.correlationId as string | undefined;
    this.replyTo = p.replyTo as string | undefined;
    this.expiration = p.expiration as string | undefined;
    this.messageId = p.messageId as string | undefined;
    this.timestamp = p.timestamp as number | undefined;
    this.type = p.type as string | undefined;
    this.userId = p.userId as string | undefined;
    this.appId = p.appId as string | undefined;
    this.redelivered = f.redelivered;
    this.exchange = f.exchange;
    this.routingKey = f.routingKey;
    this.deliveryTag = f.deliveryTag;
    this.consumerTag = f.consumerTag;
    const raw = rawHeadersOf(message.properties);
    this.headerTypes = raw === undefined ? 'inferred' : 'exact';
    this.#source = raw === undefined ? ((p.headers as Record<string, unknown> | undefined) ?? null) : raw;
  }

  get headers(): AmqpTable {
    if (this.#headers !== undefined) return this.#headers;
    const source = this.#source;
    this.#headers = source === null ? EMPTY : Buffer.isBuffer(source) ? decodeTable(source) : inferTable(source);
    return this.#headers;
  }
}

/** The transport view of a consumed message. */
export function transportOf(message: ConsumeMessage): AmqpTransport {
  return new Transport(message);
}
